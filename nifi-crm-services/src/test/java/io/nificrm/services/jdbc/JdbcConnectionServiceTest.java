package io.nificrm.services.jdbc;

import io.nificrm.api.CrmException;
import io.nificrm.api.CrmField;
import io.nificrm.api.CrmFieldType;
import io.nificrm.api.CrmObjectSchema;
import io.nificrm.api.CrmQuery;
import io.nificrm.api.CrmWriteRequest;
import io.nificrm.api.CrmWriteResult;
import io.nificrm.api.CrmWriteResult.Outcome;
import io.nificrm.api.WriteOperation;
import org.apache.nifi.components.ConfigVerificationResult;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.controller.ControllerServiceLookup;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.util.MockComponentLog;
import org.apache.nifi.util.MockConfigurationContext;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Describe, configuration, verify(), SQL-injection attempts, lookup and count, every write operation, and outages. */
class JdbcConnectionServiceTest extends JdbcTestSupport {

    @Override
    protected void createTables() throws SQLException {
        sql("CREATE SCHEMA crm",
                "CREATE TABLE accounts (id serial PRIMARY KEY, name text NOT NULL)",
                "CREATE TABLE typed ("
                        + "id uuid PRIMARY KEY DEFAULT gen_random_uuid(), "
                        + "code varchar(12) NOT NULL UNIQUE, "
                        + "title char(3), "
                        + "body text, "
                        + "small smallint, "
                        + "medium integer NOT NULL, "
                        + "big bigint, "
                        + "whole numeric(10,0), "
                        + "money numeric(12,2), "
                        + "ratio real, "
                        + "precise double precision, "
                        + "flag boolean NOT NULL DEFAULT false, "
                        + "born date, "
                        + "seen timestamp, "
                        + "at timestamptz, "
                        + "doc jsonb, "
                        + "account_id integer REFERENCES accounts(id), "
                        + "doubled integer GENERATED ALWAYS AS (medium * 2) STORED, "
                        + "lower_code text, "
                        + "created_at timestamptz DEFAULT now(), "
                        + "updated_at timestamptz)",
                "CREATE UNIQUE INDEX typed_lower ON typed (lower(lower_code))",
                "CREATE TABLE keyless (a int, b text)",
                "CREATE TABLE composite (a int, b int, PRIMARY KEY (a, b))",
                "CREATE TABLE crm.people (id bigserial PRIMARY KEY, email varchar(80) NOT NULL UNIQUE, name text, team text, "
                        + "updated_at timestamptz NOT NULL DEFAULT now(), deleted_at timestamptz)",
                "CREATE TABLE contacts (id bigserial PRIMARY KEY, email varchar(80) NOT NULL UNIQUE, name text, team text, "
                        + "updated_at timestamptz NOT NULL DEFAULT now())");
    }

    @BeforeEach
    void emptyTables() throws SQLException {
        sql("TRUNCATE contacts, crm.people RESTART IDENTITY");
        dbcp.failAfter.set(-1);
    }

    // ---- describe ----

    @Test
    void describeMapsSqlTypesKeysAndConstraints() {
        CrmObjectSchema schema = service.describe("typed");
        assertEquals("typed", schema.name());
        assertEquals("id", schema.idField());
        assertEquals("updated_at", schema.modifiedField());
        assertEquals("created_at", schema.createdField());
        Map<String, CrmFieldType> types = schema.fields().stream().collect(Collectors.toMap(CrmField::name, CrmField::type));
        assertEquals(CrmFieldType.STRING, types.get("id"), "uuid");
        assertEquals(CrmFieldType.STRING, types.get("code"));
        assertEquals(CrmFieldType.STRING, types.get("title"));
        assertEquals(CrmFieldType.STRING, types.get("body"));
        assertEquals(CrmFieldType.INTEGER, types.get("small"));
        assertEquals(CrmFieldType.INTEGER, types.get("medium"));
        assertEquals(CrmFieldType.INTEGER, types.get("big"));
        assertEquals(CrmFieldType.INTEGER, types.get("whole"), "numeric(10,0)");
        assertEquals(CrmFieldType.DECIMAL, types.get("money"));
        assertEquals(CrmFieldType.DECIMAL, types.get("ratio"));
        assertEquals(CrmFieldType.DECIMAL, types.get("precise"));
        assertEquals(CrmFieldType.BOOLEAN, types.get("flag"));
        assertEquals(CrmFieldType.DATE, types.get("born"));
        assertEquals(CrmFieldType.DATETIME, types.get("seen"));
        assertEquals(CrmFieldType.DATETIME, types.get("at"));
        assertEquals(CrmFieldType.STRING, types.get("doc"));

        CrmField code = schema.field("code").orElseThrow();
        assertTrue(code.required() && code.unique() && code.externalId());
        assertEquals(12, code.length());
        assertEquals(3, schema.field("title").orElseThrow().length());
        assertEquals(0, schema.field("body").orElseThrow().length(), "text is not limited");
        CrmField id = schema.field("id").orElseThrow();
        assertTrue(id.unique() && id.externalId() && !id.required(), "the generated primary key is not required");
        assertTrue(schema.field("medium").orElseThrow().required());
        assertFalse(schema.field("flag").orElseThrow().required(), "NOT NULL with a default is not required");
        assertFalse(schema.field("big").orElseThrow().required());
        assertTrue(schema.field("doubled").orElseThrow().readOnly(), "generated column");
        assertFalse(schema.field("lower_code").orElseThrow().unique(), "an expression index does not make the column unique");
        assertEquals("accounts", schema.field("account_id").orElseThrow().referenceTo());
        assertTrue(service.describe("accounts").field("id").orElseThrow().readOnly(), "serial");

        CrmObjectSchema qualified = service.describe("crm.people");
        assertEquals("people", qualified.name());
        assertEquals("crm.people", qualified.label());
        assertEquals("typed", service.describe("TYPED").name(), "unquoted names are matched the way the database folds them");
    }

    @Test
    void describeFailuresNameTheTable() {
        CrmException missing = assertThrows(CrmException.class, () -> service.describe("no_such_table"));
        assertEquals(CrmException.Reason.NOT_FOUND, missing.reason());
        assertTrue(missing.getMessage().contains("public.no_such_table"), missing.getMessage());
        CrmException keyless = assertThrows(CrmException.class, () -> service.describe("keyless"));
        assertEquals(CrmException.Reason.CONFIGURATION, keyless.reason());
        assertTrue(keyless.getMessage().contains("public.keyless has no primary key"), keyless.getMessage());
        CrmException composite = assertThrows(CrmException.class, () -> service.describe("composite"));
        assertTrue(composite.getMessage().contains("public.composite has a composite primary key [a, b]"), composite.getMessage());
        assertThrows(CrmException.class, () -> service.describe("people"), "crm.people is not in the current schema");
    }

    // ---- SQL injection ----

    @Test
    void namesThatAreNotPlainIdentifiersAreRefusedBeforeAnySql() {
        for (String name : List.of("contacts; DROP TABLE accounts", "contacts\" --", "a.b.c", "x y", "")) {
            CrmException e = assertThrows(CrmException.class, () -> service.describe(name), name);
            assertEquals(CrmException.Reason.CONFIGURATION, e.reason());
            assertTrue(e.getMessage().contains("Invalid") || e.getMessage().contains("No table"), e.getMessage());
        }
        CrmException field = assertThrows(CrmException.class, () -> service.query(
                CrmQuery.of("contacts").withFields(List.of("email", "name FROM contacts; DROP TABLE accounts; --"))));
        assertTrue(field.getMessage().contains("Invalid field name") && field.getMessage().contains("letters, digits"), field.getMessage());
        CrmException unknownField = assertThrows(CrmException.class, () -> service.query(CrmQuery.of("contacts").withFields(List.of("nope"))));
        assertTrue(unknownField.getMessage().contains("nope"), unknownField.getMessage());
        assertThrows(CrmException.class, () -> service.lookup("contacts", "email = email OR 1=1", List.of("x"), List.of()));
        CrmException key = assertThrows(CrmException.class, () -> service.write(new CrmWriteRequest("contacts", WriteOperation.UPSERT,
                "email) DO NOTHING; DROP TABLE accounts; --", List.of(record("email", "a@b.c")))));
        assertTrue(key.getMessage().contains("Invalid key field name"), key.getMessage());
        List<CrmWriteResult> fieldInRecord = service.write(new CrmWriteRequest("contacts", WriteOperation.UPSERT, "email",
                List.of(record("email", "a@b.c", "name\" = 'x'; DROP TABLE accounts; --", "v"))));
        assertEquals("UNKNOWN_FIELD", fieldInRecord.get(0).errorCode());
        assertTrue(fieldInRecord.get(0).message().contains("has no column(s)"), fieldInRecord.get(0).message());
        assertTrue(service.describe("accounts").fieldNames().contains("name"), "accounts is still there");
    }

    @Test
    void valuesAreBoundNeverPastedIntoSql() throws SQLException {
        String evil = "x'); DROP TABLE accounts; --";
        List<CrmWriteResult> results = service.write(new CrmWriteRequest("contacts", WriteOperation.UPSERT, "email",
                List.of(record("email", "evil@example.com", "name", evil, "team", "' OR '1'='1"))));
        assertEquals(Outcome.CREATED, results.get(0).outcome());
        assertEquals(List.of(List.of(evil, "' OR '1'='1")), rows("SELECT name, team FROM contacts"));
        assertEquals(0, service.lookup("contacts", "team", List.of("x' OR '1'='1' --", "' OR 1=1 --"), List.of()).size());
        assertEquals(1, service.lookup("contacts", "team", List.of("' OR '1'='1"), List.of()).size());
        assertEquals(0, scalar("SELECT count(*) FROM accounts"), "accounts is still there");
    }

    // ---- configuration ----

    @Test
    void invalidPropertiesFailValidationWithClearMessages() throws Exception {
        JdbcConnectionService fresh = new JdbcConnectionService();
        runner.addControllerService("validation", fresh);
        runner.assertNotValid(fresh);
        runner.setProperty(fresh, JdbcConnectionService.DBCP_SERVICE, "dbcp");
        runner.assertValid(fresh);
        assertInvalid(fresh, JdbcConnectionService.BATCH_SIZE, "0", "must be between 1 and 100000");
        assertInvalid(fresh, JdbcConnectionService.MAX_PAGE_SIZE, "lots", "");
        assertInvalid(fresh, JdbcConnectionService.MODIFIED_COLUMN, "updated_at; DROP TABLE x", "is not a plain identifier");
        assertInvalid(fresh, JdbcConnectionService.SCHEMA, "public\"", "is not a plain identifier");
        assertInvalid(fresh, JdbcConnectionService.DIALECT, "oracle", "");
        runner.setProperty(fresh, JdbcConnectionService.DELETED_COLUMN, "updated_at");
        runner.assertNotValid(fresh);
        org.apache.nifi.util.MockProcessContext context = new org.apache.nifi.util.MockProcessContext(fresh);
        context.setProperty(JdbcConnectionService.DELETED_COLUMN, "updated_at");
        var custom = fresh.customValidate(new org.apache.nifi.util.MockValidationContext(context));
        assertTrue(custom.stream().anyMatch(r -> !r.isValid()
                && r.getExplanation().contains("the Deleted Column must differ from the Modified Column")), custom.toString());
        runner.setProperty(fresh, JdbcConnectionService.DELETED_COLUMN, "deleted_at");
        runner.assertValid(fresh);
        runner.removeControllerService(fresh);
    }

    private void assertInvalid(JdbcConnectionService target, PropertyDescriptor property, String value, String explanation) {
        ValidationResult result = runner.setProperty(target, property, value);
        assertFalse(result.isValid(), property.getName() + "=" + value);
        assertTrue(result.getExplanation().contains(explanation), result.getExplanation());
        runner.assertNotValid(target);
        runner.removeProperty(target, property);
    }

    @Test
    void verifyChecksConnectionDialectSchemaAndTablesInPlainWords() {
        Map<PropertyDescriptor, String> properties = new HashMap<>();
        properties.put(JdbcConnectionService.DBCP_SERVICE, "dbcp");
        List<ConfigVerificationResult> ok = verify(properties);
        assertEquals(List.of("Connect to database", "Choose dialect", "Find schema", "List tables"),
                ok.stream().map(ConfigVerificationResult::getVerificationStepName).toList());
        assertTrue(ok.stream().allMatch(r -> r.getOutcome() == ConfigVerificationResult.Outcome.SUCCESSFUL), ok.toString());
        assertTrue(ok.get(0).getExplanation().startsWith("Connected to PostgreSQL 1"), ok.get(0).getExplanation());
        assertTrue(ok.get(1).getExplanation().contains("Detected PostgreSQL"), ok.get(1).getExplanation());
        assertTrue(ok.get(3).getExplanation().contains("table(s) visible in schema public") && ok.get(3).getExplanation().contains("typed")
                && ok.get(3).getExplanation().contains("have the Modified Column updated_at"), ok.get(3).getExplanation());
        assertFalse(ok.toString().contains(database.password()), "no password in any message");

        properties.put(JdbcConnectionService.DIALECT, "mysql");
        properties.put(JdbcConnectionService.SCHEMA, "nowhere");
        List<ConfigVerificationResult> bad = verify(properties);
        assertEquals(ConfigVerificationResult.Outcome.FAILED, bad.get(1).getOutcome());
        assertTrue(bad.get(1).getExplanation().contains("MySQL but the database is PostgreSQL"), bad.get(1).getExplanation());
        assertEquals(ConfigVerificationResult.Outcome.FAILED, bad.get(2).getOutcome());
        assertTrue(bad.get(2).getExplanation().contains("Schema nowhere does not exist") && bad.get(2).getExplanation().contains("crm"),
                bad.get(2).getExplanation());
        assertEquals(ConfigVerificationResult.Outcome.SKIPPED, bad.get(3).getOutcome());

        properties.remove(JdbcConnectionService.DIALECT);
        properties.put(JdbcConnectionService.SCHEMA, "crm");
        assertTrue(verify(properties).get(3).getExplanation().startsWith("1 table(s) visible in schema crm: people"));

        dbcp.failAfter.set(0);
        List<ConfigVerificationResult> down = verify(properties);
        assertEquals(1, down.size());
        assertEquals(ConfigVerificationResult.Outcome.FAILED, down.get(0).getOutcome());
        assertTrue(down.get(0).getExplanation().contains("Could not reach the database") && down.get(0).getExplanation().contains("host and port"),
                down.get(0).getExplanation());
        dbcp.failAfter.set(-1);
    }

    @Test
    void verifyExplainsAWrongPasswordWithoutShowingIt() throws Exception {
        TestDbcpService wrong = new TestDbcpService();
        runner.addControllerService("wrong-password", wrong);
        runner.setProperty(wrong, TestDbcpService.URL, database.jdbcUrl());
        runner.setProperty(wrong, TestDbcpService.USER, database.user());
        runner.setProperty(wrong, TestDbcpService.PASSWORD, "not-the-password");
        runner.enableControllerService(wrong);
        try {
            Map<PropertyDescriptor, String> properties = Map.of(JdbcConnectionService.DBCP_SERVICE, "wrong-password");
            ConfigVerificationResult result = verify(properties).get(0);
            assertEquals(ConfigVerificationResult.Outcome.FAILED, result.getOutcome());
            assertTrue(result.getExplanation().contains("refused the user name or password") && result.getExplanation().contains("28P01"),
                    result.getExplanation());
            assertFalse(result.getExplanation().contains("not-the-password"));
            JdbcConnectionService misconfigured = newService(Map.of());
            runner.disableControllerService(misconfigured);
            runner.setProperty(misconfigured, JdbcConnectionService.DBCP_SERVICE, "wrong-password");
            runner.enableControllerService(misconfigured);
            CrmException e = assertThrows(CrmException.class, () -> misconfigured.describe("contacts"));
            assertEquals(CrmException.Reason.AUTHENTICATION, e.reason());
        } finally {
            runner.disableControllerService(wrong);
        }
    }

    private List<ConfigVerificationResult> verify(Map<PropertyDescriptor, String> properties) {
        ControllerServiceLookup lookup = (ControllerServiceLookup) runner.getProcessContext();
        return service.verify(new MockConfigurationContext(service, properties, lookup, Map.of()),
                new MockComponentLog("verify", service), Map.of());
    }

    // ---- lookup, count, transit URI ----

    @Test
    void lookupFindsLiveRowsByAnyColumnInChunks() throws Exception {
        List<Record> people = IntStream.range(0, 12_000)
                .mapToObj(i -> record("email", "p" + i + "@example.com", "name", "P" + i, "team", "team" + (i % 3)))
                .toList();
        JdbcConnectionService soft = newService(Map.of(JdbcConnectionService.DELETED_COLUMN, "deleted_at",
                JdbcConnectionService.BATCH_SIZE, "5000"));
        List<CrmWriteResult> written = soft.write(new CrmWriteRequest("crm.people", WriteOperation.UPSERT, "email", people));
        assertTrue(written.stream().allMatch(r -> r.outcome() == Outcome.CREATED));
        List<String> wanted = new ArrayList<>();
        for (int i = 0; i < 12_000; i += 2) {
            wanted.add("p" + i + "@example.com");
        }
        wanted.add("nobody@example.com");
        List<Record> found = soft.lookup("crm.people", "email", wanted, List.of("name"));
        assertEquals(6_000, found.size());
        assertEquals(List.of("id", "name", "email", "updated_at"), found.get(0).getSchema().getFieldNames());
        assertEquals(4_000, soft.lookup("crm.people", "team", List.of("team1"), List.of()).size(), "several rows per value");
        assertEquals(1, soft.lookup("crm.people", "id", List.of("1", "not a number"), List.of()).size());

        soft.write(new CrmWriteRequest("crm.people", WriteOperation.DELETE, "email", List.of(record("email", "p0@example.com"))));
        assertEquals(0, soft.lookup("crm.people", "email", List.of("p0@example.com"), List.of()).size(), "soft-deleted rows are not live");
        assertEquals(new io.nificrm.api.CrmConnectionService.RecordCount(11_999, true), soft.count("crm.people"));
        assertEquals(12_000, service.count("crm.people").count());
    }

    @Test
    void transitUriIsTheJdbcUrlWithoutCredentials() {
        service.describe("contacts");
        String uri = service.transitUri("contacts");
        assertEquals("jdbc:postgresql://127.0.0.1:" + java.net.URI.create(database.jdbcUrl().substring(5)).getPort() + "/"
                + database.name() + "/public.contacts", uri);
        assertEquals("jdbc:postgresql://db.example.com:5432/crm", DatabaseInfo.sanitize(
                "jdbc:postgresql://db.example.com:5432/crm?user=admin&password=secret&ssl=true"));
        assertEquals("jdbc:mysql://db:3306/crm", DatabaseInfo.sanitize("jdbc:mysql://admin:secret@db:3306/crm?useSSL=false"));
        assertEquals("jdbc:sqlserver://db:1433", DatabaseInfo.sanitize("jdbc:sqlserver://db:1433;user=sa;password=secret"));
        assertEquals("jdbc:oracle:thin:@db:1521/orcl", DatabaseInfo.sanitize("jdbc:oracle:thin:scott/tiger@db:1521/orcl"));
        assertEquals("jdbc", service.system());
    }

    // ---- write operations ----

    @Test
    void insertUpdateAndHardDeleteReportOneResultPerRecord() throws SQLException {
        List<CrmWriteResult> inserted = service.write(new CrmWriteRequest("contacts", WriteOperation.INSERT, null, List.of(
                record("email", "a@example.com", "name", "A"),
                record("email", "a@example.com", "name", "duplicate"),
                record("email", "b@example.com", "name", "B", "nickname", "Bee"),
                record("email", "c@example.com", "name", "C"))));
        assertEquals(Outcome.CREATED, inserted.get(0).outcome());
        // Sequence values taken by the rolled-back first attempt are not given back, so ask the table for the id.
        assertEquals(String.valueOf(scalar("SELECT id FROM contacts WHERE email = 'a@example.com'")), inserted.get(0).targetId());
        assertEquals("23505", inserted.get(1).errorCode());
        assertTrue(inserted.get(1).message().contains("duplicate key value violates unique constraint")
                && !inserted.get(1).message().contains("a@example.com"), inserted.get(1).message());
        assertEquals("UNKNOWN_FIELD", inserted.get(2).errorCode());
        assertTrue(inserted.get(2).message().contains("[nickname]"), inserted.get(2).message());
        assertEquals(Outcome.CREATED, inserted.get(3).outcome());

        List<CrmWriteResult> updated = service.write(new CrmWriteRequest("contacts", WriteOperation.UPDATE, "email", List.of(
                record("email", "a@example.com", "name", "A2"),
                record("email", "c@example.com", "name", "C"),
                record("email", "zz@example.com", "name", "Z"),
                record("name", "no key"))));
        assertEquals(List.of(Outcome.UPDATED, Outcome.UNCHANGED, Outcome.FAILED, Outcome.FAILED),
                updated.stream().map(CrmWriteResult::outcome).toList());
        assertEquals(inserted.get(0).targetId(), updated.get(0).targetId());
        assertEquals("NOT_FOUND", updated.get(2).errorCode());
        assertEquals("MISSING_KEY", updated.get(3).errorCode());
        List<CrmWriteResult> byId = service.write(new CrmWriteRequest("contacts", WriteOperation.UPDATE, null, List.of(
                record("id", Long.parseLong(inserted.get(3).targetId()), "team", "blue"))));
        assertEquals(Outcome.UPDATED, byId.get(0).outcome());

        List<CrmWriteResult> deleted = service.write(new CrmWriteRequest("contacts", WriteOperation.DELETE, null, List.of(
                record("id", inserted.get(0).targetId()), record("id", "999"), record("id", "x"))));
        assertEquals(Outcome.DELETED, deleted.get(0).outcome());
        assertEquals("NOT_FOUND", deleted.get(1).errorCode());
        assertEquals("INVALID_VALUE", deleted.get(2).errorCode());
        assertEquals(List.of(List.of("c@example.com", "C", "blue")), rows("SELECT email, name, team FROM contacts"));

        CrmException notUnique = assertThrows(CrmException.class, () -> service.write(new CrmWriteRequest("contacts",
                WriteOperation.UPSERT, "team", List.of(record("team", "x")))));
        assertTrue(notUnique.getMessage().contains("no unique index or constraint"), notUnique.getMessage());
    }

    @Test
    void softDeletesMarkRowsAndAnUpsertBringsThemBack() throws Exception {
        JdbcConnectionService soft = newService(Map.of(JdbcConnectionService.DELETED_COLUMN, "deleted_at"));
        soft.write(new CrmWriteRequest("crm.people", WriteOperation.UPSERT, "email", List.of(
                record("email", "a@example.com", "name", "A"), record("email", "b@example.com", "name", "B"))));
        Timestamp before = (Timestamp) rows("SELECT max(updated_at) FROM crm.people").get(0).get(0);
        List<CrmWriteResult> deleted = soft.write(new CrmWriteRequest("crm.people", WriteOperation.DELETE, "email",
                List.of(record("email", "a@example.com"), record("email", "a@example.com"))));
        assertEquals(List.of(Outcome.DELETED, Outcome.DELETED), deleted.stream().map(CrmWriteResult::outcome).toList(),
                "deleting a deleted row again is not an error");
        assertEquals(2, scalar("SELECT count(*) FROM crm.people"), "the row is kept, marked");
        assertEquals(1, scalar("SELECT count(*) FROM crm.people WHERE deleted_at IS NOT NULL AND updated_at > '" + before.toInstant() + "'"));
        assertEquals(1, soft.count("crm.people").count());

        List<CrmWriteResult> back = soft.write(new CrmWriteRequest("crm.people", WriteOperation.UPSERT, "email",
                List.of(record("email", "a@example.com", "name", "A"))));
        assertEquals(Outcome.UPDATED, back.get(0).outcome(), "same values, but the row was deleted");
        assertEquals(0, scalar("SELECT count(*) FROM crm.people WHERE deleted_at IS NOT NULL"));
        assertEquals(Outcome.UNCHANGED, soft.write(new CrmWriteRequest("crm.people", WriteOperation.UPSERT, "email",
                List.of(record("email", "a@example.com", "name", "A")))).get(0).outcome());
    }

    @Test
    void valuesAreConvertedToTheColumnTypesOrFailNamingTheColumn() throws SQLException {
        sql("DELETE FROM typed");
        Instant at = Instant.parse("2025-06-01T12:34:56.789Z");
        List<CrmWriteResult> results = service.write(new CrmWriteRequest("typed", WriteOperation.UPSERT, "code", List.of(
                record("code", "ok-1", "title", "abc", "small", 7L, "medium", "42", "big", 9_000_000_000L, "whole", 12.0,
                        "money", "19.99", "ratio", 0.5, "precise", "2.25", "flag", "yes", "born", java.sql.Date.valueOf("1990-05-17"),
                        "seen", Timestamp.from(at), "at", at.toString(), "doc", "{\"a\": 1}"),
                record("code", "ok-2", "medium", 1, "id", "5f1c2b0e-8d3a-4c1e-9f7a-2b6c0d4e8a91", "born", "2001-02-03",
                        "at", at.toEpochMilli()),
                record("code", "bad-1", "medium", 70_000L, "small", 70_000L),
                record("code", "bad-2", "medium", 1, "id", "not-a-uuid"),
                record("code", "bad-3", "medium", 1, "flag", "maybe"),
                record("code", "bad-4", "medium", 1, "at", "yesterday"),
                record("code", "bad-5", "medium", 1.5))));
        assertEquals(Outcome.CREATED, results.get(0).outcome(), results.get(0).toString());
        assertEquals(Outcome.CREATED, results.get(1).outcome(), results.get(1).toString());
        assertEquals("5f1c2b0e-8d3a-4c1e-9f7a-2b6c0d4e8a91", results.get(1).targetId());
        Map<Integer, String> columns = Map.of(2, "Column small", 3, "Column id", 4, "Column flag", 5, "Column at", 6, "Column medium");
        columns.forEach((i, column) -> {
            assertEquals("INVALID_VALUE", results.get(i).errorCode(), results.get(i).toString());
            assertTrue(results.get(i).message().startsWith(column), results.get(i).message());
        });
        assertTrue(results.get(2).message().contains("between -32768 and 32767"), results.get(2).message());

        Record read = service.query(CrmQuery.of("typed").withFields(List.of("code", "small", "big", "whole", "money", "flag", "born",
                "seen", "at", "doc"))).records().stream().filter(r -> "ok-1".equals(r.getAsString("code"))).findFirst().orElseThrow();
        assertEquals(7L, read.getValue("small"));
        assertEquals(9_000_000_000L, read.getValue("big"));
        assertEquals(12L, read.getValue("whole"));
        assertEquals(19.99, read.getValue("money"));
        assertEquals(true, read.getValue("flag"));
        assertEquals(java.sql.Date.valueOf("1990-05-17"), read.getValue("born"));
        assertEquals(Timestamp.from(at), read.getValue("seen"));
        assertEquals(Timestamp.from(at), read.getValue("at"));
        assertEquals("{\"a\": 1}", read.getValue("doc"));
        assertEquals(84L, scalar("SELECT doubled FROM typed WHERE code = 'ok-1'"), "generated columns are computed, not written");
    }

    @Test
    void aTableChangedUnderTheServiceIsDescribedAgainAfterTheFirstFailure() throws SQLException {
        sql("CREATE TABLE changing (id int PRIMARY KEY, old_name text, updated_at timestamptz)", "INSERT INTO changing VALUES (1, 'a', now())");
        assertTrue(service.describe("changing").fieldNames().contains("old_name"));
        sql("ALTER TABLE changing RENAME COLUMN old_name TO new_name");
        CrmException stale = assertThrows(CrmException.class, () -> service.query(CrmQuery.of("changing")));
        assertEquals(CrmException.Reason.CONFIGURATION, stale.reason());
        assertEquals("42703", stale.code());
        assertTrue(stale.getMessage().contains("old_name"), stale.getMessage());
        assertEquals("a", service.query(CrmQuery.of("changing")).records().get(0).getValue("new_name"));
        List<CrmWriteResult> write = service.write(new CrmWriteRequest("changing", WriteOperation.UPSERT, "id",
                List.of(record("id", 1L, "old_name", "b"))));
        assertEquals("UNKNOWN_FIELD", write.get(0).errorCode());
    }

    // ---- outages ----

    @Test
    void anOutageFailsTheWholeCallTransientlyUnlessPartOfItWasCommitted() throws Exception {
        JdbcConnectionService small = newService(Map.of(JdbcConnectionService.BATCH_SIZE, "100"));
        small.describe("contacts");
        small.count("contacts");
        List<Record> records = IntStream.range(0, 300).mapToObj(i -> record("email", "o" + i + "@example.com")).toList();

        dbcp.failAfter.set(0);
        CrmException down = assertThrows(CrmException.class,
                () -> small.write(new CrmWriteRequest("contacts", WriteOperation.UPSERT, "email", records)));
        assertEquals(CrmException.Reason.UNAVAILABLE, down.reason());
        assertTrue(down.isTransient());
        assertTrue(down.getMessage().contains("08001"), down.getMessage());
        CrmException readDown = assertThrows(CrmException.class, () -> small.query(CrmQuery.of("contacts")));
        assertEquals(CrmException.Reason.UNAVAILABLE, readDown.reason());
        assertEquals(0, scalar("SELECT count(*) FROM contacts"));

        // The first transaction commits, then the database goes away: its 100 results stand, the rest may be retried.
        dbcp.failAfter.set(1);
        List<CrmWriteResult> results = small.write(new CrmWriteRequest("contacts", WriteOperation.UPSERT, "email", records));
        dbcp.failAfter.set(-1);
        assertEquals(300, results.size());
        assertTrue(results.subList(0, 100).stream().allMatch(r -> r.outcome() == Outcome.CREATED));
        assertTrue(results.subList(100, 300).stream().allMatch(r -> r.outcome() == Outcome.FAILED && r.transientFailure()
                && "08001".equals(r.errorCode())));
        assertEquals(100, scalar("SELECT count(*) FROM contacts"));
        List<CrmWriteResult> retried = small.write(new CrmWriteRequest("contacts", WriteOperation.UPSERT, "email", records));
        assertEquals(100, retried.stream().filter(r -> r.outcome() == Outcome.UNCHANGED).count());
        assertEquals(200, retried.stream().filter(r -> r.outcome() == Outcome.CREATED).count());
    }

    @Test
    void aDeadlockOrSerializationFailureIsTransient() {
        SQLException deadlock = new SQLException("deadlock detected", "40P01");
        CrmException e = SqlErrors.toCrmException("Writing", deadlock);
        assertEquals(CrmException.Reason.UNAVAILABLE, e.reason());
        assertEquals(SqlErrors.Scope.TRANSIENT, SqlErrors.scope(new SQLException("could not serialize access", "40001")));
        assertEquals(SqlErrors.Scope.TRANSIENT, SqlErrors.scope(new SQLException("canceling statement due to statement timeout", "57014")));
        assertEquals(SqlErrors.Scope.STATEMENT, SqlErrors.scope(new SQLException("permission denied for table contacts", "42501")));
        assertEquals(SqlErrors.Scope.ROW, SqlErrors.scope(new SQLException("null value in column", "23502")));
        assertEquals("invalid input syntax for type integer", SqlErrors.message(
                new SQLException("ERROR: invalid input syntax for type integer: \"forty\"\n  Where: ...", "22P02")));
        assertEquals("Incorrect integer value for column 'age' at row 1", SqlErrors.message(
                new SQLException("Incorrect integer value: 'forty' for column 'age' at row 1", "HY000")));
        assertNull(SqlErrors.toCrmException("x", new SQLException("odd")).code());
        assertNotNull(service.capabilities());
    }
}
