package io.nificrm.services.jdbc;

import io.nificrm.api.CrmWriteRequest;
import io.nificrm.api.CrmWriteResult;
import io.nificrm.api.CrmWriteResult.Outcome;
import io.nificrm.api.WriteOperation;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.serialization.record.RecordSchema;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The write acceptance: 100,000 upserts with a few invalid rows isolated to FAILED (each with the database's reason)
 * while every other row is written, the table checked row by row afterwards; a re-run that creates nothing; the
 * same with the generic MERGE dialect.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class JdbcUpsertTest extends JdbcTestSupport {
    private static final int ROWS = 100_000;
    private static final int NOT_NULL_ROW = 777;
    private static final int TOO_LONG_ROW = 45_678;
    private static final int BAD_INTEGER_ROW = 99_001;
    private static final int BAD_JSON_ROW = 61_234;
    private static final Set<Integer> BAD = Set.of(NOT_NULL_ROW, TOO_LONG_ROW, BAD_INTEGER_ROW, BAD_JSON_ROW);
    private static final RecordSchema SCHEMA = new SimpleRecordSchema(List.of(
            new RecordField("external_id", RecordFieldType.STRING.getDataType()),
            new RecordField("email", RecordFieldType.STRING.getDataType()),
            new RecordField("first_name", RecordFieldType.STRING.getDataType()),
            new RecordField("last_name", RecordFieldType.STRING.getDataType()),
            new RecordField("age", RecordFieldType.STRING.getDataType()),
            new RecordField("score", RecordFieldType.DOUBLE.getDataType()),
            new RecordField("active", RecordFieldType.BOOLEAN.getDataType()),
            new RecordField("birthday", RecordFieldType.DATE.getDataType()),
            new RecordField("attributes", RecordFieldType.STRING.getDataType())));

    @Override
    protected void createTables() throws SQLException {
        for (String table : List.of("contacts", "merge_contacts")) {
            sql("CREATE TABLE " + table + " ("
                    + "id bigserial PRIMARY KEY, "
                    + "external_id varchar(40) NOT NULL UNIQUE, "
                    + "email varchar(120) NOT NULL, "
                    + "first_name varchar(20), "
                    + "last_name text, "
                    + "age integer, "
                    + "score numeric(10,2), "
                    + "active boolean DEFAULT true, "
                    + "birthday date, "
                    + "attributes jsonb, "
                    + "created_at timestamptz NOT NULL DEFAULT now(), "
                    + "updated_at timestamptz NOT NULL DEFAULT now())");
        }
    }

    /** The values of contact i; the bad rows break one rule each. */
    private static Map<String, Object> contact(int i, String lastName) {
        Map<String, Object> values = new HashMap<>();
        values.put("external_id", "ext-" + i);
        values.put("email", i == NOT_NULL_ROW ? null : "user" + i + "@example.com");
        values.put("first_name", i == TOO_LONG_ROW ? "A first name far too long" : "F" + (i % 1000));
        values.put("last_name", lastName + i);
        // Ages arrive as text, as from a CSV file; one is not a number.
        values.put("age", i == BAD_INTEGER_ROW ? "forty" : Integer.toString(i % 90));
        values.put("score", (i % 10_000) / 4.0);
        values.put("active", i % 3 != 0);
        values.put("birthday", java.sql.Date.valueOf(LocalDate.of(1950, 1, 1).plusDays(i % 20_000)));
        values.put("attributes", i == BAD_JSON_ROW ? "{not json" : "{\"n\": " + i + "}");
        return values;
    }

    private static List<Record> contacts(int from, int to, String lastName) {
        List<Record> records = new ArrayList<>(to - from);
        for (int i = from; i < to; i++) {
            records.add(new MapRecord(SCHEMA, contact(i, lastName)));
        }
        return records;
    }

    /** Writes like UpsertCrmRecords does: batches of capabilities().maxBatchSize(). */
    private static List<CrmWriteResult> upsertInBatches(JdbcConnectionService target, String table, List<Record> records) {
        int batch = target.capabilities().maxBatchSize();
        List<CrmWriteResult> results = new ArrayList<>(records.size());
        for (int start = 0; start < records.size(); start += batch) {
            List<Record> part = records.subList(start, Math.min(records.size(), start + batch));
            List<CrmWriteResult> answer = target.write(new CrmWriteRequest(table, WriteOperation.UPSERT, "external_id", part));
            assertEquals(part.size(), answer.size(), "one result per record");
            results.addAll(answer);
        }
        return results;
    }

    @Test
    @Order(1)
    void upsertsOneHundredThousandRowsAndOnlyTheInvalidOnesFail() throws SQLException {
        List<CrmWriteResult> results = upsertInBatches(service, "contacts", contacts(0, ROWS, "Last"));

        assertEquals(ROWS, results.size());
        CrmWriteResult notNull = results.get(NOT_NULL_ROW);
        assertEquals(Outcome.FAILED, notNull.outcome());
        assertEquals("23502", notNull.errorCode());
        assertTrue(notNull.message().contains("\"email\"") && notNull.message().contains("not-null"), notNull.message());
        CrmWriteResult tooLong = results.get(TOO_LONG_ROW);
        assertEquals("22001", tooLong.errorCode());
        assertTrue(tooLong.message().contains("value too long") && tooLong.message().contains("first_name allows 20 characters"),
                tooLong.message());
        CrmWriteResult badInteger = results.get(BAD_INTEGER_ROW);
        assertEquals("INVALID_VALUE", badInteger.errorCode());
        assertTrue(badInteger.message().contains("Column age") && !badInteger.message().contains("forty"), badInteger.message());
        CrmWriteResult badJson = results.get(BAD_JSON_ROW);
        assertEquals("22P02", badJson.errorCode());
        assertTrue(badJson.message().contains("json") && !badJson.message().contains("not json"), badJson.message());
        for (int i : BAD) {
            assertNull(results.get(i).targetId());
            assertTrue(!results.get(i).transientFailure());
        }
        for (int i = 0; i < ROWS; i++) {
            if (!BAD.contains(i)) {
                CrmWriteResult result = results.get(i);
                assertEquals(Outcome.CREATED, result.outcome(), "row " + i + ": " + result);
                assertNotNull(result.targetId());
            }
        }
        assertTableHolds("contacts", "Last", results);
    }

    @Test
    @Order(2)
    void aRerunCreatesNothingAndOnlyChangedRowsAreUpdated() throws SQLException {
        Timestamp before = (Timestamp) rows("SELECT max(updated_at) FROM contacts").get(0).get(0);
        // One call with all records: the service splits it into transactions of Batch Size.
        List<Record> again = contacts(0, ROWS, "Last");
        for (int i = 5; i < 50_000; i += 5_000) {
            again.set(i, new MapRecord(SCHEMA, contact(i, "Renamed")));
        }
        List<CrmWriteResult> results = service.write(new CrmWriteRequest("contacts", WriteOperation.UPSERT, "external_id", again));
        assertEquals(ROWS, results.size());
        Map<Outcome, Integer> outcomes = new HashMap<>();
        results.forEach(r -> outcomes.merge(r.outcome(), 1, Integer::sum));
        assertEquals(Map.of(Outcome.UNCHANGED, ROWS - BAD.size() - 10, Outcome.UPDATED, 10, Outcome.FAILED, BAD.size()), outcomes);
        for (int i = 5; i < 50_000; i += 5_000) {
            assertEquals(Outcome.UPDATED, results.get(i).outcome());
        }
        results.stream().filter(CrmWriteResult::isSuccess).forEach(r -> assertNotNull(r.targetId()));
        assertEquals(ROWS - BAD.size(), scalar("SELECT count(*) FROM contacts"));
        assertEquals(10, scalar("SELECT count(*) FROM contacts WHERE last_name LIKE 'Renamed%'"));
        // Only the changed rows got a new modified time (so incremental readers see exactly them).
        assertEquals(10, scalar("SELECT count(*) FROM contacts WHERE updated_at > '" + before.toInstant() + "'"));
        assertEquals(10, scalar("SELECT count(*) FROM contacts WHERE updated_at > created_at"));
    }

    @Test
    @Order(3)
    void theGenericMergeDialectUpsertsIsolatesAndRerunsTheSameWay() throws Exception {
        JdbcConnectionService merge = newService(Map.of(JdbcConnectionService.DIALECT, "merge",
                JdbcConnectionService.BATCH_SIZE, "500"));
        int rows = 5_000;
        List<Record> first = new ArrayList<>(contacts(0, rows, "Last"));
        first.set(1_234, new MapRecord(SCHEMA, contact(TOO_LONG_ROW, "Last")));
        first.set(4_321, new MapRecord(SCHEMA, contact(NOT_NULL_ROW, "Last")));
        List<CrmWriteResult> results = upsertInBatches(merge, "merge_contacts", first);
        List<Integer> failed = new ArrayList<>();
        for (int i = 0; i < rows; i++) {
            if (results.get(i).outcome() == Outcome.FAILED) {
                failed.add(i);
            } else {
                assertEquals(Outcome.CREATED, results.get(i).outcome(), "row " + i);
                assertNotNull(results.get(i).targetId(), "MERGE rows get their id read back");
            }
        }
        assertEquals(List.of(NOT_NULL_ROW, 1_234, 4_321), failed);
        assertEquals("22001", results.get(1_234).errorCode());
        assertEquals("23502", results.get(4_321).errorCode());
        long written = scalar("SELECT count(*) FROM merge_contacts");
        assertEquals(rows - 3, written);

        List<Record> second = new ArrayList<>(first);
        second.set(10, new MapRecord(SCHEMA, contact(10, "Changed")));
        List<CrmWriteResult> rerun = upsertInBatches(merge, "merge_contacts", second);
        Map<Outcome, Integer> outcomes = new HashMap<>();
        rerun.forEach(r -> outcomes.merge(r.outcome(), 1, Integer::sum));
        assertEquals(Map.of(Outcome.UNCHANGED, rows - 4, Outcome.UPDATED, 1, Outcome.FAILED, 3), outcomes);
        assertEquals(rows - 3, scalar("SELECT count(*) FROM merge_contacts"));
        assertEquals(1, scalar("SELECT count(*) FROM merge_contacts WHERE last_name = 'Changed10'"));
    }

    @Test
    @Order(4)
    void aKeyTwiceInOneBatchIsCreatedThenUpdated() throws SQLException {
        List<Record> batch = List.of(
                new MapRecord(SCHEMA, contact(ROWS + 1, "First")),
                new MapRecord(SCHEMA, contact(ROWS + 2, "Other")),
                new MapRecord(SCHEMA, contact(ROWS + 1, "Second")));
        List<CrmWriteResult> results = service.write(new CrmWriteRequest("contacts", WriteOperation.UPSERT, "external_id", batch));
        assertEquals(List.of(Outcome.CREATED, Outcome.CREATED, Outcome.UPDATED), results.stream().map(CrmWriteResult::outcome).toList());
        assertEquals(results.get(0).targetId(), results.get(2).targetId());
        assertEquals("Second" + (ROWS + 1), rows("SELECT last_name FROM contacts WHERE external_id = 'ext-" + (ROWS + 1) + "'").get(0).get(0));
    }

    /** Compares every row of the table with the records that succeeded. */
    private void assertTableHolds(String table, String lastName, List<CrmWriteResult> results) throws SQLException {
        Map<String, Map<String, Object>> expected = new HashMap<>();
        Map<String, String> ids = new HashMap<>();
        for (int i = 0; i < ROWS; i++) {
            if (!BAD.contains(i)) {
                expected.put("ext-" + i, contact(i, lastName));
                ids.put("ext-" + i, results.get(i).targetId());
            }
        }
        int seen = 0;
        try (Connection c = database.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id, external_id, email, first_name, last_name, age, score, active, birthday, "
                     + "attributes::text FROM " + table)) {
            while (rs.next()) {
                seen++;
                String key = rs.getString("external_id");
                Map<String, Object> values = expected.remove(key);
                assertNotNull(values, "unexpected row " + key);
                assertEquals(ids.get(key), rs.getString("id"), key);
                assertEquals(values.get("email"), rs.getString("email"), key);
                assertEquals(values.get("first_name"), rs.getString("first_name"), key);
                assertEquals(values.get("last_name"), rs.getString("last_name"), key);
                assertEquals(Long.parseLong((String) values.get("age")), rs.getLong("age"), key);
                assertEquals(0, BigDecimal.valueOf((Double) values.get("score")).compareTo(rs.getBigDecimal("score")), key);
                assertEquals(values.get("active"), rs.getBoolean("active"), key);
                assertEquals(values.get("birthday").toString(), rs.getDate("birthday").toLocalDate().toString(), key);
                assertTrue(Objects.equals(values.get("attributes"), rs.getString(10).replace(" ", "").replace(":", ": ")), key);
            }
        }
        assertEquals(ROWS - BAD.size(), seen);
        assertTrue(expected.isEmpty(), "missing rows: " + expected.keySet());
    }
}
