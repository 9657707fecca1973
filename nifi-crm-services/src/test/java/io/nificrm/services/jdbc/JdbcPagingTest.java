package io.nificrm.services.jdbc;

import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmException;
import io.nificrm.api.CrmPage;
import io.nificrm.api.CrmPartition;
import io.nificrm.api.CrmQuery;
import io.nificrm.api.CrmQuery.ChangeWindow;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The read acceptance: keyset paging over 100,000 rows (exact, no duplicates, bounded pages, a cursor resumed by a
 * new service instance), change windows on the modified column with many rows sharing one timestamp across page
 * boundaries, incremental reads, soft deletes, partitions, and the generic dialect's paging.
 */
class JdbcPagingTest extends JdbcTestSupport {
    private static final int ROWS = 100_000;
    /** Rows i and i+1..i+6 share updated_at: groups of 7 straddle every page boundary of 500 or 1,000 rows. */
    private static final int TIE = 7;
    private static final Instant BASE = Instant.parse("2025-01-01T00:00:00Z");

    @Override
    protected void createTables() throws SQLException {
        sql("CREATE TABLE events (id bigint PRIMARY KEY, name text NOT NULL, amount numeric(12,2), "
                        + "updated_at timestamptz NOT NULL, created_at timestamptz NOT NULL, deleted_at timestamptz)",
                // Inserted in an order unrelated to the keys, so that the database's physical order is no help.
                "INSERT INTO events SELECT g, 'event ' || g, g / 100.0, "
                        + "TIMESTAMPTZ '2025-01-01 00:00:00+00' + ((g - 1) / " + TIE + ") * INTERVAL '1 second', "
                        + "TIMESTAMPTZ '2024-01-01 00:00:00+00' + g * INTERVAL '1 minute', NULL "
                        + "FROM generate_series(1, " + ROWS + ") g ORDER BY md5(g::text)",
                "CREATE INDEX events_updated ON events (updated_at, id)",
                // Wall-clock timestamps (no time zone) and text keys.
                "CREATE TABLE notes (code varchar(12) PRIMARY KEY, body text, updated_at timestamp(6) NOT NULL)",
                "INSERT INTO notes SELECT 'N' || lpad(g::text, 6, '0'), 'note ' || g, "
                        + "TIMESTAMP '2025-03-30 00:30:00' + ((g - 1) / 3) * INTERVAL '1.000001 seconds' "
                        + "FROM generate_series(1, 3000) g",
                "ANALYZE");
    }

    private static Instant updatedAt(long id) {
        return BASE.plusSeconds((id - 1) / TIE);
    }

    /** Reads every page; checks each page's size; returns the ids in arrival order. */
    private static List<Long> readAll(CrmConnectionService connection, CrmQuery query, List<Integer> pageSizes) {
        List<Long> ids = new ArrayList<>();
        String cursor = null;
        do {
            CrmPage page = connection.query(query.withCursor(cursor));
            assertTrue(page.records().size() <= query.pageSize(), "a page holds at most the page size");
            pageSizes.add(page.records().size());
            page.records().forEach(r -> ids.add(r.getAsLong("id")));
            cursor = page.nextCursor();
        } while (cursor != null);
        return ids;
    }

    private static void assertExactlyOnce(List<Long> ids, long expected) {
        assertEquals(expected, ids.size(), "every row once");
        assertEquals(ids.size(), new HashSet<>(ids).size(), "no row twice");
    }

    @Test
    void pagesThroughOneHundredThousandRowsExactlyOnceInKeyOrder() {
        List<Integer> sizes = new ArrayList<>();
        long heapBefore = usedHeapAfterGc();
        List<Long> ids = readAll(service, CrmQuery.of("events").withPageSize(1_000), sizes);
        long retained = usedHeapAfterGc() - heapBefore;
        assertExactlyOnce(ids, ROWS);
        for (int i = 0; i < ids.size(); i++) {
            assertEquals(i + 1L, ids.get(i), "ordered by the primary key");
        }
        assertEquals(100, sizes.size(), "full pages and no empty last page: " + sizes.subList(Math.max(0, sizes.size() - 3), sizes.size()));
        assertTrue(sizes.stream().allMatch(s -> s == 1_000));
        // Nothing of the pages is held between calls: what is left after reading is the 100,000 ids, not the records.
        assertTrue(retained < 40L * 1024 * 1024, "retained " + retained / 1024 / 1024 + " MB after reading");
    }

    @Test
    void pagesAreCappedAndRecordsCarryTheDescribedTypes() throws Exception {
        JdbcConnectionService capped = newService(Map.of(JdbcConnectionService.MAX_PAGE_SIZE, "250"));
        CrmPage page = capped.query(CrmQuery.of("events").withPageSize(5_000).withFields(List.of("name", "amount")));
        assertEquals(250, page.records().size());
        Record first = page.records().get(0);
        assertEquals(List.of("id", "name", "amount", "updated_at"), page.schema().getFieldNames(),
                "requested fields plus the id and modified fields");
        assertEquals(RecordFieldType.LONG, page.schema().getDataType("id").orElseThrow().getFieldType());
        assertEquals(RecordFieldType.DOUBLE, page.schema().getDataType("amount").orElseThrow().getFieldType());
        assertEquals(RecordFieldType.TIMESTAMP, page.schema().getDataType("updated_at").orElseThrow().getFieldType());
        assertEquals(1L, first.getValue("id"));
        assertEquals(0.01, first.getValue("amount"));
        assertEquals(Timestamp.from(BASE), first.getValue("updated_at"));
        assertEquals(250, capped.capabilities().maxPageSize());
    }

    @Test
    void aStoredCursorResumesInANewServiceInstance() throws Exception {
        CrmQuery query = CrmQuery.of("events").withPageSize(1_500);
        List<Long> ids = new ArrayList<>();
        String cursor = null;
        for (int page = 0; page < 37; page++) {
            CrmPage current = service.query(query.withCursor(cursor));
            current.records().forEach(r -> ids.add(r.getAsLong("id")));
            cursor = current.nextCursor();
        }
        // A restart: the cursor was stored (e.g. in NiFi state) and a new instance continues with it.
        String stored = cursor;
        JdbcConnectionService restarted = newService(Map.of());
        List<Integer> sizes = new ArrayList<>();
        String resumed = stored;
        do {
            CrmPage current = restarted.query(query.withCursor(resumed));
            sizes.add(current.records().size());
            current.records().forEach(r -> ids.add(r.getAsLong("id")));
            resumed = current.nextCursor();
        } while (resumed != null);
        assertExactlyOnce(ids, ROWS);

        CrmException wrongQuery = assertThrows(CrmException.class, () -> service.query(
                CrmQuery.of("events").withWindow(new ChangeWindow(BASE, null)).withCursor(stored)));
        assertTrue(wrongQuery.getMessage().contains("cursor belongs to another query"), wrongQuery.getMessage());
        CrmException garbage = assertThrows(CrmException.class, () -> service.query(query.withCursor("not-a-cursor!")));
        assertEquals(CrmException.Reason.CONFIGURATION, garbage.reason());
    }

    @Test
    void aChangeWindowReturnsExactlyItsRowsInModifiedOrderAcrossTiedTimestamps() {
        Instant from = BASE.plusSeconds(1_000);
        Instant until = BASE.plusSeconds(5_000);
        CrmQuery query = CrmQuery.of("events").withWindow(new ChangeWindow(from, until)).withPageSize(500);
        List<Record> records = new ArrayList<>();
        List<Integer> boundariesInsideATie = new ArrayList<>();
        String cursor = null;
        do {
            CrmPage page = service.query(query.withCursor(cursor));
            if (!records.isEmpty() && !page.records().isEmpty()
                    && records.get(records.size() - 1).getValue("updated_at").equals(page.records().get(0).getValue("updated_at"))) {
                boundariesInsideATie.add(records.size());
            }
            records.addAll(page.records());
            cursor = page.nextCursor();
        } while (cursor != null);

        List<Long> expected = new ArrayList<>();
        for (long id = 1; id <= ROWS; id++) {
            Instant at = updatedAt(id);
            if (!at.isBefore(from) && at.isBefore(until)) {
                expected.add(id);
            }
        }
        List<Long> ids = records.stream().map(r -> r.getAsLong("id")).toList();
        assertEquals(expected, ids, "exactly the rows modified in [from, until), by (modified, id)");
        assertEquals((5_000 - 1_000) * TIE, ids.size());
        assertTrue(boundariesInsideATie.size() > 10, "page boundaries fell inside groups of tied timestamps: " + boundariesInsideATie);
    }

    @Test
    void incrementalReadsSeeExactlyTheRowsChangedSinceTheLastWindow() throws SQLException {
        Instant watermark = BASE.plusSeconds(ROWS / TIE + 1);
        List<Long> all = readAll(service, CrmQuery.of("events").withWindow(new ChangeWindow(null, watermark)).withPageSize(5_000),
                new ArrayList<>());
        assertExactlyOnce(all, ROWS);
        sql("UPDATE events SET name = name || ' (changed)', updated_at = TIMESTAMPTZ '2030-01-01 00:00:00+00' WHERE id % 1000 = 0",
                "INSERT INTO events VALUES (100001, 'new', 1, TIMESTAMPTZ '2030-01-01 00:00:00+00', now(), NULL)");
        try {
            List<Long> changed = readAll(service, CrmQuery.of("events").withWindow(new ChangeWindow(watermark, null)).withPageSize(7),
                    new ArrayList<>());
            List<Long> expected = new ArrayList<>();
            for (long id = 1_000; id <= ROWS; id += 1_000) {
                expected.add(id);
            }
            expected.add(100_001L);
            assertEquals(expected, changed);
        } finally {
            sql("DELETE FROM events WHERE id = 100001",
                    "UPDATE events SET name = replace(name, ' (changed)', ''), "
                            + "updated_at = TIMESTAMPTZ '2025-01-01 00:00:00+00' + ((id - 1) / " + TIE + ") * INTERVAL '1 second' WHERE id % 1000 = 0");
        }
    }

    @Test
    void softDeletedRowsAreSkippedOrFlaggedWithADeletedColumn() throws Exception {
        JdbcConnectionService soft = newService(Map.of(JdbcConnectionService.DELETED_COLUMN, "deleted_at"));
        assertTrue(soft.capabilities().supportsDeletes());
        assertFalse(service.capabilities().supportsDeletes(), "without a Deleted Column deletes cannot be seen");
        sql("UPDATE events SET deleted_at = now() WHERE id <= 30");
        try {
            CrmQuery firstRows = CrmQuery.of("events").withPageSize(50);
            List<Record> live = soft.query(firstRows).records();
            assertEquals(31L, live.get(0).getAsLong("id"));
            assertFalse(live.get(0).getSchema().getFieldNames().contains(CrmConnectionService.DELETED_FIELD));
            List<Record> withDeleted = soft.query(firstRows.withIncludeDeleted(true)).records();
            assertEquals(1L, withDeleted.get(0).getAsLong("id"));
            assertEquals(30, withDeleted.stream().filter(r -> Boolean.TRUE.equals(r.getAsBoolean(CrmConnectionService.DELETED_FIELD))).count());
            assertEquals(ROWS - 30, soft.count("events").count());
            assertEquals(ROWS, service.count("events").count(), "without a Deleted Column every row is live");
            // Without a Deleted Column deleted records cannot be reported: every row is flagged live.
            assertTrue(service.query(firstRows.withIncludeDeleted(true)).records().stream()
                    .noneMatch(r -> r.getAsBoolean(CrmConnectionService.DELETED_FIELD)));
        } finally {
            sql("UPDATE events SET deleted_at = NULL");
        }
    }

    @Test
    void partitionsCoverEveryRowExactlyOnce() {
        for (String field : List.of("id", "created_at")) {
            List<CrmPartition> partitions = service.partitions("events", field, 4);
            assertEquals(4, partitions.size(), partitions.toString());
            assertNull(partitions.get(0).lower());
            assertNull(partitions.get(3).upper());
            List<Long> ids = new ArrayList<>();
            for (CrmPartition partition : partitions) {
                List<Long> slice = readAll(service, CrmQuery.of("events").withPartition(partition).withPageSize(10_000), new ArrayList<>());
                assertTrue(Math.abs(slice.size() - ROWS / 4) <= 1, "balanced by row count: " + slice.size());
                ids.addAll(slice);
            }
            assertExactlyOnce(ids, ROWS);
        }
        assertEquals(List.of(new CrmPartition("id", null, null)), service.partitions("events", "id", 1));
        CrmException bad = assertThrows(CrmException.class, () -> service.partitions("events", "id; DROP TABLE events", 4));
        assertTrue(bad.getMessage().contains("Invalid partition field name"), bad.getMessage());
    }

    @Test
    void wallClockTimestampsAndTextKeysPageExactlyToo() {
        // timestamp without time zone (the cursor keeps its wall time, microseconds included), text keys, ties of three.
        List<String> codes = new ArrayList<>();
        String cursor = null;
        CrmQuery query = CrmQuery.of("notes").withWindow(new ChangeWindow(null, null)).withPageSize(100);
        do {
            CrmPage page = service.query(query.withCursor(cursor));
            page.records().forEach(r -> codes.add(r.getAsString("code")));
            cursor = page.nextCursor();
        } while (cursor != null);
        assertEquals(3_000, codes.size());
        assertEquals(3_000, new HashSet<>(codes).size());
        assertEquals("N000001", codes.get(0));
        assertEquals("N003000", codes.get(codes.size() - 1));
    }

    @Test
    void theGenericDialectPagesWithOffsetFetchAndTheSameKeysetResults() throws Exception {
        JdbcConnectionService generic = newService(Map.of(JdbcConnectionService.DIALECT, "merge"));
        CrmQuery window = CrmQuery.of("events").withWindow(new ChangeWindow(BASE.plusSeconds(100), BASE.plusSeconds(400)))
                .withPageSize(333);
        List<Long> viaMerge = readAll(generic, window, new ArrayList<>());
        List<Long> viaPostgres = readAll(service, window, new ArrayList<>());
        assertEquals(viaPostgres, viaMerge);
        assertEquals(300 * TIE, viaMerge.size());
    }

    @Test
    void aTableWithoutTheModifiedColumnCannotBeReadByWindow() throws Exception {
        sql("CREATE TABLE plain (id int PRIMARY KEY, v text)");
        CrmException e = assertThrows(CrmException.class,
                () -> service.query(CrmQuery.of("plain").withWindow(new ChangeWindow(BASE, null))));
        assertEquals(CrmException.Reason.CONFIGURATION, e.reason());
        assertTrue(e.getMessage().contains("updated_at") && e.getMessage().contains("plain"), e.getMessage());
        assertEquals(0, service.query(CrmQuery.of("plain")).records().size());
        assertNull(service.query(CrmQuery.of("plain")).nextCursor());
        Set<String> fields = new HashSet<>(service.describe("plain").fieldNames());
        assertEquals(Set.of("id", "v"), fields);
    }

    private static long usedHeapAfterGc() {
        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    }
}
