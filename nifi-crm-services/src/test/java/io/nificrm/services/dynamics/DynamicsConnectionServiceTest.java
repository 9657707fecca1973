package io.nificrm.services.dynamics;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.api.CrmCapabilities;
import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmException;
import io.nificrm.api.CrmField;
import io.nificrm.api.CrmFieldType;
import io.nificrm.api.CrmObjectSchema;
import io.nificrm.api.CrmPage;
import io.nificrm.api.CrmPartition;
import io.nificrm.api.CrmQuery;
import io.nificrm.api.CrmWriteRequest;
import io.nificrm.api.CrmWriteResult;
import io.nificrm.api.WriteOperation;
import io.nificrm.services.CommonProperties;
import io.nificrm.services.records.Cursors;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.simulator.SimulatorCredentials;
import io.nificrm.simulator.fault.FaultRule;
import io.nificrm.simulator.seed.SeedConfig;
import io.nificrm.simulator.store.ObjectStore;
import io.nificrm.simulator.store.SimRecord;
import org.apache.nifi.components.ConfigVerificationResult;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.util.MockConfigurationContext;
import org.apache.nifi.util.NoOpProcessor;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Date;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** The Dataverse connection service in a nifi-mock TestRunner, over real HTTP against the simulator's Dataverse persona. */
class DynamicsConnectionServiceTest {
    private static final String ID = "contactid";

    private CrmSimulator sim;
    private TestRunner runner;
    private DynamicsConnectionService service;

    @BeforeEach
    void start() {
        sim = CrmSimulator.start(SimulatorConfig.defaults().unlimited());
        runner = TestRunners.newTestRunner(NoOpProcessor.class);
    }

    @AfterEach
    void stop() {
        if (service != null && runner.isControllerServiceEnabled(service)) {
            runner.disableControllerService(service);
        }
        sim.close();
    }

    // ---- helpers ----

    private Map<PropertyDescriptor, String> simulatorProperties(CrmSimulator simulator) {
        Map<PropertyDescriptor, String> p = new LinkedHashMap<>();
        p.put(DynamicsConnectionService.ENVIRONMENT_URL, simulator.baseUrl());
        p.put(DynamicsConnectionService.TENANT_ID, SimulatorCredentials.DYNAMICS_TENANT_ID);
        p.put(DynamicsConnectionService.CLIENT_ID, SimulatorCredentials.DYNAMICS_CLIENT_ID);
        p.put(DynamicsConnectionService.CLIENT_SECRET, SimulatorCredentials.DYNAMICS_CLIENT_SECRET);
        p.put(DynamicsConnectionService.TOKEN_URL, simulator.baseUrl() + "/{tenant}/oauth2/v2.0/token");
        return p;
    }

    private DynamicsConnectionService enable(Map<PropertyDescriptor, String> overrides) throws Exception {
        service = new DynamicsConnectionService();
        runner.addControllerService("dynamics", service);
        Map<PropertyDescriptor, String> properties = simulatorProperties(sim);
        properties.putAll(overrides);
        properties.forEach((k, v) -> runner.setProperty(service, k, v));
        runner.assertValid(service);
        runner.enableControllerService(service);
        return service;
    }

    private DynamicsConnectionService enable() throws Exception {
        return enable(Map.of());
    }

    private void seed(int accounts, int contacts) {
        sim.seed("dynamics", new SeedConfig(accounts, contacts, 0, 0.1, 42L));
    }

    private ObjectStore store(String table) {
        return sim.dynamics().store(table).orElseThrow();
    }

    private List<SimRecord> live(String table) {
        return store(table).stream().filter(r -> !r.deleted()).toList();
    }

    /** Every page of a query from its cursor to the end, and where to continue: the change-tracking hand-over, else the last cursor. */
    private record Read(List<Record> records, List<CrmPage> pages, String lastCursor) {
        List<String> ids(String idField) {
            return records.stream().map(r -> r.getAsString(idField)).toList();
        }
    }

    private Read readAll(CrmQuery query) {
        List<CrmPage> pages = new ArrayList<>();
        List<Record> records = new ArrayList<>();
        String cursor = query.cursor();
        String last = cursor;
        do {
            CrmPage page = service.query(query.withCursor(cursor));
            assertTrue(page.records().size() <= query.pageSize(), "a page holds at most the page size");
            pages.add(page);
            records.addAll(page.records());
            cursor = page.nextCursor();
            if (cursor != null) {
                last = cursor;
            }
            if (pages.size() > 2000) {
                fail("the query does not end");
            }
        } while (cursor != null);
        String handOver = pages.get(pages.size() - 1).nextWindowCursor();
        return new Read(records, pages, handOver != null ? handOver : last);
    }

    private static Record record(Map<String, Object> values) {
        List<RecordField> fields = new ArrayList<>();
        values.forEach((name, value) -> fields.add(new RecordField(name, value instanceof Integer || value instanceof Long
                ? RecordFieldType.LONG.getDataType() : RecordFieldType.STRING.getDataType(), true)));
        return new MapRecord(new SimpleRecordSchema(fields), new HashMap<>(values));
    }

    private static Map<String, Object> values(Object... pairs) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put((String) pairs[i], pairs[i + 1]);
        }
        return map;
    }

    private List<CrmWriteResult> upsert(String table, List<Record> records) {
        return service.write(new CrmWriteRequest(table, WriteOperation.UPSERT, "nificrm_sourceid", records));
    }

    private static void assertNoDuplicates(List<String> ids) {
        assertEquals(ids.size(), new HashSet<>(ids).size(), "no record is read twice");
    }

    private static String corruptLink(String cursor, String replacementLink) {
        ObjectNode state = Cursors.decode(cursor, "test");
        assertNotNull(state.get("next"), "the cursor keeps the server's next link");
        state.put("next", replacementLink == null
                ? state.get("next").asText().replaceAll("\\$skiptoken=[^&]*", "\\$skiptoken=expired-cookie") : replacementLink);
        return Cursors.encode(state);
    }

    // ---- paging ----

    @Test
    void pagesToTheEndAcrossManyPagesWithExactCountAndRealTypes() throws Exception {
        seed(20, 250);
        enable();
        List<SimRecord> expected = live("contact");
        Read read = readAll(CrmQuery.of("contact").withPageSize(60));
        assertTrue(read.pages().size() >= 4, "pages: " + read.pages().size());
        assertNoDuplicates(read.ids(ID));
        assertEquals(expected.stream().map(SimRecord::id).collect(Collectors.toSet()), new HashSet<>(read.ids(ID)));
        assertEquals(expected.size(), read.records().size());

        SimRecord sample = expected.stream().filter(r -> r.fields().get("parentcustomerid") != null
                && r.fields().get("leadsourcecode") != null && r.fields().get("birthdate") != null).findFirst().orElseThrow();
        Record row = read.records().stream().filter(r -> r.getAsString(ID).equals(sample.id())).findFirst().orElseThrow();
        assertEquals(sample.fields().get("parentcustomerid"), row.getValue("parentcustomerid"), "lookups are exposed as the attribute");
        assertEquals(sample.fields().get("leadsourcecode").toString(), row.getValue("leadsourcecode"), "choices as text of the integer");
        assertInstanceOf(Timestamp.class, row.getValue("modifiedon"));
        assertEquals(sample.modifiedAt(), ((Timestamp) row.getValue("modifiedon")).toInstant());
        assertInstanceOf(Date.class, row.getValue("birthdate"));
        assertEquals(sample.fields().get("lastname"), row.getValue("lastname"));
        List<String> schemaFields = read.pages().get(0).schema().getFieldNames();
        assertTrue(schemaFields.contains("parentcustomerid") && !schemaFields.contains("_parentcustomerid_value"), schemaFields.toString());

        // Selected fields: the id and modifiedon are always there.
        CrmPage narrow = service.query(CrmQuery.of("contact").withFields(List.of("lastname")).withPageSize(5));
        assertEquals(List.of(ID, "lastname", "modifiedon"), narrow.schema().getFieldNames());
        CrmException unknown = assertThrows(CrmException.class, () -> service.query(CrmQuery.of("contact").withFields(List.of("shoesize"))));
        assertEquals(CrmException.Reason.CONFIGURATION, unknown.reason());
    }

    @Test
    void changeWindowReturnsRecordsModifiedInItOrderedByModifiedOnAcrossTies() throws Exception {
        seed(10, 200);
        List<SimRecord> all = live("contact");
        List<Instant> modified = all.stream().map(SimRecord::modifiedAt).sorted().toList();
        Instant from = modified.get(40);
        Instant until = modified.get(160);
        assertTrue(from.isBefore(until));
        // Twenty rows share one modifiedon inside the window, so pages of 7 split the tie.
        Instant tie = modified.get(100);
        for (SimRecord r : all.subList(0, 20)) {
            store("contact").put(new SimRecord(r.id(), r.fields(), r.createdAt(), tie, false, null));
        }
        enable();
        Set<String> expected = live("contact").stream().filter(r -> !r.modifiedAt().isBefore(from) && r.modifiedAt().isBefore(until))
                .map(SimRecord::id).collect(Collectors.toSet());
        Read read = readAll(CrmQuery.of("contact").withWindow(new CrmQuery.ChangeWindow(from, until)).withPageSize(7));
        assertNoDuplicates(read.ids(ID));
        assertEquals(expected, new HashSet<>(read.ids(ID)));
        Instant previous = Instant.MIN;
        for (Record r : read.records()) {
            Instant m = ((Timestamp) r.getValue("modifiedon")).toInstant();
            assertFalse(m.isBefore(previous), "ordered by modifiedon");
            assertFalse(m.isBefore(from) || !m.isBefore(until), "inside [from, until)");
            previous = m;
        }

        // A partition on the id: exactly the rows whose GUID lies in [lower, upper).
        List<String> ids = live("contact").stream().map(SimRecord::id).sorted().toList();
        CrmPartition slice = new CrmPartition(ID, ids.get(50), ids.get(120));
        Read part = readAll(CrmQuery.of("contact").withPartition(slice).withPageSize(30));
        assertEquals(new HashSet<>(ids.subList(50, 120)), new HashSet<>(part.ids(ID)));
        assertNoDuplicates(part.ids(ID));
    }

    @Test
    void resumesFromStoredCursorsAfterRestartAndWhenTheNextLinkIsUnusable() throws Exception {
        seed(10, 150);
        enable();
        CrmQuery query = CrmQuery.of("contact").withFields(List.of("lastname", "emailaddress1")).withPageSize(40);
        CrmPage first = service.query(query);
        CrmPage second = service.query(query.withCursor(first.nextCursor()));
        String stored = second.nextCursor();
        // Restart: a disabled and re-enabled service (new connection, empty caches); a row is written meanwhile.
        runner.disableControllerService(service);
        String created = store("contact").create(Map.of("nificrm_sourceid", "NEW-1", "lastname", "Newcomer")).id();
        runner.enableControllerService(service);
        Read rest = readAll(query.withCursor(stored));
        List<String> ids = new ArrayList<>();
        first.records().forEach(r -> ids.add(r.getAsString(ID)));
        second.records().forEach(r -> ids.add(r.getAsString(ID)));
        ids.addAll(rest.ids(ID));
        assertNoDuplicates(ids);
        assertEquals(live("contact").size(), ids.size());
        assertTrue(ids.contains(created));

        // The server refuses the stored link (expired paging cookie): the service continues by key.
        long beforeFallback = service.stats().requests.sum();
        Read fallback = readAll(query.withCursor(corruptLink(first.nextCursor(), null)));
        assertEquals(fallback.pages().size() + 1, service.stats().requests.sum() - beforeFallback, "one refused link, then pages by key");
        List<String> resumed = new ArrayList<>(first.records().stream().map(r -> r.getAsString(ID)).toList());
        resumed.addAll(fallback.ids(ID));
        assertNoDuplicates(resumed);
        assertEquals(live("contact").size(), resumed.size());

        // A link that points elsewhere is never followed (the token stays home): the service continues by key.
        long before = service.stats().requests.sum();
        Read foreign = readAll(query.withCursor(corruptLink(first.nextCursor(), "http://198.51.100.7:9/api/data/v9.2/contacts?$skiptoken=x")));
        assertEquals(fallback.ids(ID), foreign.ids(ID));
        assertEquals(fallback.pages().size(), service.stats().requests.sum() - before, "one request per page, none to the foreign host");

        // Windowed reads resume by (modifiedon, id) when the link is refused.
        CrmQuery windowed = CrmQuery.of("contact").withWindow(new CrmQuery.ChangeWindow(Instant.EPOCH, null)).withPageSize(25);
        CrmPage w1 = service.query(windowed);
        Read wRest = readAll(windowed.withCursor(corruptLink(w1.nextCursor(), null)));
        List<String> windowIds = new ArrayList<>(w1.records().stream().map(r -> r.getAsString(ID)).toList());
        windowIds.addAll(wRest.ids(ID));
        assertNoDuplicates(windowIds);
        assertEquals(live("contact").size(), windowIds.size());

        CrmException bad = assertThrows(CrmException.class, () -> service.query(query.withCursor("not-a-cursor!")));
        assertEquals(CrmException.Reason.CONFIGURATION, bad.reason());
    }

    // ---- deletes through change tracking ----

    @Test
    void changeTrackingReportsCreatesUpdatesLateWritesAndDeletesSinceTheFinalCursor() throws Exception {
        seed(5, 60);
        enable();
        Instant t1 = Instant.now().plusSeconds(5);
        CrmQuery.ChangeWindow w1 = new CrmQuery.ChangeWindow(null, t1);
        CrmQuery query = CrmQuery.of("contact").withFields(List.of("firstname", "lastname")).withIncludeDeleted(true).withPageSize(25);
        Read initial = readAll(query.withWindow(w1));
        assertEquals(live("contact").size(), initial.records().size());
        assertNoDuplicates(initial.ids(ID));
        assertTrue(initial.records().stream().noneMatch(r -> (Boolean) r.getValue(CrmConnectionService.DELETED_FIELD)));
        assertTrue(initial.pages().get(0).schema().getFieldNames().contains(CrmConnectionService.DELETED_FIELD));
        String sinceFirst = initial.lastCursor();
        assertNotNull(sinceFirst);
        CrmPage again = service.query(query.withWindow(w1).withCursor(sinceFirst));
        assertTrue(again.isLast() && again.records().isEmpty(), "the same query with the final cursor is complete");

        List<SimRecord> existing = live("contact");
        SimRecord toUpdate = existing.get(3);
        SimRecord lateWrite = existing.get(4);
        SimRecord toDelete = existing.get(5);
        List<CrmWriteResult> created = service.write(new CrmWriteRequest("contact", WriteOperation.INSERT, null,
                List.of(record(values("firstname", "New", "lastname", "Person")))));
        assertEquals(CrmWriteResult.Outcome.UPDATED, service.write(new CrmWriteRequest("contact", WriteOperation.UPDATE, null,
                List.of(record(values(ID, toUpdate.id(), "jobtitle", "Chief"))))).get(0).outcome());
        Map<String, Object> changed = new HashMap<>(lateWrite.fields());
        changed.put("jobtitle", "Late");
        store("contact").put(new SimRecord(lateWrite.id(), changed, lateWrite.createdAt(), Instant.parse("2001-01-01T00:00:00Z"), false, null));
        assertEquals(CrmWriteResult.Outcome.DELETED, service.write(new CrmWriteRequest("contact", WriteOperation.DELETE, null,
                List.of(record(values(ID, toDelete.id()))))).get(0).outcome());

        CrmQuery.ChangeWindow w2 = new CrmQuery.ChangeWindow(t1, t1.plusSeconds(3600));
        Read changes = readAll(query.withWindow(w2).withCursor(sinceFirst));
        Map<String, Record> byId = new HashMap<>();
        changes.records().forEach(r -> byId.put(r.getAsString(ID), r));
        assertEquals(Set.of(created.get(0).targetId(), toUpdate.id(), lateWrite.id(), toDelete.id()), byId.keySet());
        Record deleted = byId.get(toDelete.id());
        assertEquals(Boolean.TRUE, deleted.getValue(CrmConnectionService.DELETED_FIELD));
        assertNull(deleted.getValue("lastname"), "a deleted row carries only its id");
        assertEquals(Boolean.FALSE, byId.get(toUpdate.id()).getValue(CrmConnectionService.DELETED_FIELD));
        assertEquals("New", byId.get(created.get(0).targetId()).getValue("firstname"));

        // Nothing changed since: the next window is empty, and ends with a fresh position.
        CrmQuery.ChangeWindow w3 = new CrmQuery.ChangeWindow(w2.until(), w2.until().plusSeconds(3600));
        Read quiet = readAll(query.withWindow(w3).withCursor(changes.lastCursor()));
        assertTrue(quiet.records().isEmpty(), quiet.records().toString());
        assertNotNull(quiet.lastCursor());

        CrmException partition = assertThrows(CrmException.class, () -> service.query(query.withWindow(w1)
                .withPartition(new CrmPartition(ID, null, null))));
        assertEquals(CrmException.Reason.CONFIGURATION, partition.reason());
        CrmException mixed = assertThrows(CrmException.class, () -> service.query(CrmQuery.of("contact").withCursor(sinceFirst)));
        assertEquals(CrmException.Reason.CONFIGURATION, mixed.reason());
        // Without a window there is nothing deleted to report: live rows, flagged false.
        CrmPage noWindow = service.query(CrmQuery.of("contact").withIncludeDeleted(true).withPageSize(5));
        assertTrue(noWindow.records().stream().allMatch(r -> Boolean.FALSE.equals(r.getValue(CrmConnectionService.DELETED_FIELD))));
    }

    // ---- describe ----

    @Test
    void describeMapsTypesRequiredChoicesLookupsAndAlternateKeys() throws Exception {
        enable();
        CrmObjectSchema contact = service.describe("contact");
        assertEquals("contact", contact.name());
        assertEquals(ID, contact.idField());
        assertEquals("modifiedon", contact.modifiedField());
        assertEquals("createdon", contact.createdField());
        Map<String, CrmField> f = new HashMap<>();
        contact.fields().forEach(x -> f.put(x.name(), x));
        assertEquals(CrmFieldType.ID, f.get(ID).type());
        assertFalse(f.get(ID).required());
        assertTrue(f.get("lastname").required());
        assertFalse(f.get("firstname").required());
        assertEquals(50, f.get("lastname").length());
        assertEquals(CrmFieldType.EMAIL, f.get("emailaddress1").type());
        assertEquals(CrmFieldType.PHONE, f.get("telephone1").type());
        assertEquals(CrmFieldType.DATE, f.get("birthdate").type());
        assertEquals(CrmFieldType.DATETIME, f.get("modifiedon").type());
        assertTrue(f.get("modifiedon").readOnly() && f.get("createdon").readOnly());
        assertTrue(f.get("fullname").readOnly());
        assertFalse(f.get("lastname").readOnly());
        assertEquals(CrmFieldType.PICKLIST, f.get("leadsourcecode").type());
        assertFalse(f.get("leadsourcecode").picklistValues().isEmpty());
        assertEquals("1", f.get("leadsourcecode").picklistValues().get(0));
        assertEquals(CrmFieldType.REFERENCE, f.get("parentcustomerid").type());
        assertEquals("account", f.get("parentcustomerid").referenceTo());
        assertFalse(f.containsKey("_parentcustomerid_value"));
        assertTrue(f.get("nificrm_sourceid").externalId() && f.get("nificrm_sourceid").unique());
        assertFalse(f.get("emailaddress1").externalId());

        CrmObjectSchema account = service.describe("account");
        assertEquals("accountid", account.idField());
        assertEquals(CrmFieldType.URL, account.field("websiteurl").orElseThrow().type());
        assertEquals(CrmFieldType.DECIMAL, account.field("revenue").orElseThrow().type());
        assertEquals(CrmFieldType.INTEGER, account.field("numberofemployees").orElseThrow().type());
        assertTrue(account.field("name").orElseThrow().required());
        assertEquals(CrmFieldType.DATE, service.describe("opportunity").field("estimatedclosedate").orElseThrow().type());
        assertEquals("contact", service.describe("opportunity").field("parentcontactid").orElseThrow().referenceTo());

        CrmException missing = assertThrows(CrmException.class, () -> service.describe("widget"));
        assertEquals(CrmException.Reason.NOT_FOUND, missing.reason());
        assertTrue(missing.getMessage().contains("describe widget"), missing.getMessage());
        assertEquals(CrmException.Reason.CONFIGURATION, assertThrows(CrmException.class, () -> service.describe("contact')/x")).reason());

        CrmCapabilities capabilities = service.capabilities();
        assertEquals(100, capabilities.maxBatchSize());
        assertEquals(5000, capabilities.maxPageSize());
        assertEquals(6000, capabilities.rateLimit().requests());
        assertEquals(Duration.ofMinutes(5), capabilities.rateLimit().interval());
        assertEquals(52, capabilities.maxConcurrentRequests());
        assertTrue(capabilities.supportsDeletes() && capabilities.supportsChangeTracking());
        assertEquals("dynamics", service.system());
        assertEquals(sim.baseUrl() + "/api/data/v9.2/contacts", service.transitUri("contact"));
        assertEquals(sim.baseUrl() + "/api/data/v9.2/opportunities", service.transitUri("opportunity"));
    }

    // ---- writes ----

    @Test
    void upsertMapsEachResultToItsRecordWithInvalidRecordsAndInjectedFailures() throws Exception {
        enable();
        List<CrmWriteResult> accounts = upsert("account", List.of(record(values("nificrm_sourceid", "A-1", "name", "Acme")),
                record(values("nificrm_sourceid", "A-2", "name", "Globex"))));
        assertTrue(accounts.stream().allMatch(r -> r.outcome() == CrmWriteResult.Outcome.CREATED), accounts.toString());
        String acme = accounts.get(0).targetId();
        assertEquals(acme, store("account").findByUnique("nificrm_sourceid", "A-1").orElseThrow().id());

        // Invalid records between valid ones: each result belongs to its own record.
        String hostileKey = "O'Brien/#1 ?&x=(y)";
        List<Record> mixed = List.of(
                record(values("nificrm_sourceid", "C-0", "lastname", "Zero", "parentcustomerid.nificrm_sourceid", "A-1")),
                record(values("nificrm_sourceid", "C-1", "firstname", "NoLastName")),
                record(values("nificrm_sourceid", "C-2", "lastname", "BadChoice", "leadsourcecode", "99")),
                record(values("nificrm_sourceid", "C-3", "lastname", "Unknown", "shoesize", "44")),
                record(values("nificrm_sourceid", hostileKey, "lastname", "Hostile", "parentcustomerid", acme)),
                record(values("lastname", "NoKey")),
                record(values("nificrm_sourceid", "C-6", "lastname", "BadParent", "parentcustomerid.nificrm_sourceid", "A-404")),
                record(values("nificrm_sourceid", "C-7", "lastname", "NotAGuid", "parentcustomerid", "x' or 1 eq 1")),
                record(values("nificrm_sourceid", "C-8", "lastname", "Choice", "leadsourcecode", "2")));
        List<CrmWriteResult> results = upsert("contact", mixed);
        assertEquals(mixed.size(), results.size());
        assertEquals(CrmWriteResult.Outcome.CREATED, results.get(0).outcome(), results.get(0).toString());
        assertEquals("0x80040203", results.get(1).errorCode());
        assertTrue(results.get(1).message().contains("lastname"), results.get(1).message());
        assertEquals("0x8004431a", results.get(2).errorCode());
        assertEquals("UNKNOWN_FIELD", results.get(3).errorCode());
        assertTrue(results.get(3).message().contains("shoesize"));
        assertEquals(CrmWriteResult.Outcome.CREATED, results.get(4).outcome(), results.get(4).toString());
        assertEquals("REQUIRED_FIELD_MISSING", results.get(5).errorCode());
        assertEquals(CrmWriteResult.Outcome.FAILED, results.get(6).outcome());
        assertEquals("INVALID_REFERENCE", results.get(7).errorCode());
        assertEquals(CrmWriteResult.Outcome.CREATED, results.get(8).outcome());
        for (int i : new int[]{1, 2, 3, 5, 6, 7}) {
            assertFalse(results.get(i).transientFailure(), "a rejection is permanent: " + results.get(i));
        }
        SimRecord zero = store("contact").findByUnique("nificrm_sourceid", "C-0").orElseThrow();
        assertEquals(results.get(0).targetId(), zero.id());
        assertEquals(acme, zero.fields().get("parentcustomerid"));
        SimRecord hostile = store("contact").findByUnique("nificrm_sourceid", hostileKey).orElseThrow();
        assertEquals(acme, hostile.fields().get("parentcustomerid"));
        assertEquals(2L, ((Number) store("contact").findByUnique("nificrm_sourceid", "C-8").orElseThrow().fields().get("leadsourcecode")).longValue());
        assertTrue(store("contact").findByUnique("nificrm_sourceid", "C-1").isEmpty());

        // Injected per-record transient failures: the failed records are exactly the ones not written.
        sim.faults().add(FaultRule.on("dynamics", "batch").withPartialFailures(0.3));
        List<Record> batch = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            batch.add(record(values("nificrm_sourceid", "P-" + i, "lastname", "Person " + i, "emailaddress1", "p" + i + "@example.com")));
        }
        List<CrmWriteResult> partial = upsert("contact", batch);
        sim.faults().clear();
        List<Record> retry = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            CrmWriteResult r = partial.get(i);
            boolean stored = store("contact").findByUnique("nificrm_sourceid", "P-" + i).isPresent();
            if (r.isSuccess()) {
                assertEquals(CrmWriteResult.Outcome.CREATED, r.outcome());
                assertTrue(stored, "P-" + i);
                assertEquals(store("contact").findByUnique("nificrm_sourceid", "P-" + i).orElseThrow().id(), r.targetId());
            } else {
                assertTrue(r.transientFailure(), r.toString());
                assertFalse(stored, "a failed record was not written: P-" + i);
                retry.add(batch.get(i));
            }
        }
        assertFalse(retry.isEmpty(), "some records failed transiently");
        assertTrue(upsert("contact", retry).stream().allMatch(r -> r.outcome() == CrmWriteResult.Outcome.CREATED));
        // Repeating the whole batch creates nothing new and says so.
        List<CrmWriteResult> repeat = upsert("contact", batch);
        assertTrue(repeat.stream().allMatch(r -> r.outcome() == CrmWriteResult.Outcome.UPDATED), repeat.toString());
        assertEquals(60, store("contact").stream().filter(r -> r.fields().getOrDefault("nificrm_sourceid", "").toString().startsWith("P-")).count());

        CrmException notAKey = assertThrows(CrmException.class, () -> service.write(new CrmWriteRequest("contact", WriteOperation.UPSERT,
                "emailaddress1", List.of(record(values("emailaddress1", "a@b.c", "lastname", "X"))))));
        assertEquals(CrmException.Reason.CONFIGURATION, notAKey.reason());
        List<Record> tooMany = new ArrayList<>();
        for (int i = 0; i < 101; i++) {
            tooMany.add(record(values("nificrm_sourceid", "T-" + i, "lastname", "T")));
        }
        assertEquals(CrmException.Reason.CONFIGURATION, assertThrows(CrmException.class, () -> upsert("contact", tooMany)).reason());
    }

    @Test
    void insertUpdateAndDeleteById() throws Exception {
        seed(3, 0);
        enable();
        String account = live("account").get(0).id();
        List<CrmWriteResult> inserted = service.write(new CrmWriteRequest("contact", WriteOperation.INSERT, null, List.of(
                record(values("firstname", "Ann", "lastname", "Lee", "parentcustomerid", account, "telephone1", null)),
                record(values("firstname", "Bob", "lastname", "Ray", "birthdate", "1980-02-29")),
                record(values("firstname", "NoLast")),
                record(values("lastname", "Kid", "numberofchildren", 2)))));
        assertEquals(CrmWriteResult.Outcome.CREATED, inserted.get(0).outcome(), inserted.toString());
        assertEquals(account, store("contact").get(inserted.get(0).targetId()).orElseThrow().fields().get("parentcustomerid"));
        assertEquals("UNKNOWN_FIELD", inserted.get(3).errorCode(), "numberofchildren is not a column of the simulated contact");
        assertEquals(CrmWriteResult.Outcome.CREATED, inserted.get(1).outcome());
        assertTrue(ODataLiteral.isGuid(inserted.get(1).targetId()));
        assertEquals("0x80040203", inserted.get(2).errorCode());
        String bob = inserted.get(1).targetId();
        assertEquals(java.time.LocalDate.of(1980, 2, 29), store("contact").get(bob).orElseThrow().fields().get("birthdate"));

        List<CrmWriteResult> updated = service.write(new CrmWriteRequest("contact", WriteOperation.UPDATE, null, List.of(
                record(values(ID, bob, "jobtitle", "Chief", "parentcustomerid", account)),
                record(values(ID, "00000002-0000-4000-8000-0000000fffff", "jobtitle", "Ghost")),
                record(values(ID, "not-a-guid", "jobtitle", "X")))));
        assertEquals(CrmWriteResult.Outcome.UPDATED, updated.get(0).outcome());
        assertEquals(bob, updated.get(0).targetId());
        assertEquals("Chief", store("contact").get(bob).orElseThrow().fields().get("jobtitle"));
        assertEquals(account, store("contact").get(bob).orElseThrow().fields().get("parentcustomerid"));
        assertEquals(CrmWriteResult.Outcome.FAILED, updated.get(1).outcome());
        assertFalse(updated.get(1).transientFailure());
        assertTrue(store("contact").get("00000002-0000-4000-8000-0000000fffff").isEmpty(), "an update never creates");
        assertEquals("INVALID_ID", updated.get(2).errorCode());

        // Update by alternate key is update-only as well.
        List<CrmWriteResult> byKey = service.write(new CrmWriteRequest("contact", WriteOperation.UPDATE, "nificrm_sourceid",
                List.of(record(values("nificrm_sourceid", "S-404", "lastname", "Nobody")))));
        assertEquals(CrmWriteResult.Outcome.FAILED, byKey.get(0).outcome());
        assertTrue(store("contact").findByUnique("nificrm_sourceid", "S-404").isEmpty());

        List<CrmWriteResult> deleted = service.write(new CrmWriteRequest("contact", WriteOperation.DELETE, null,
                List.of(record(values(ID, bob)))));
        assertEquals(CrmWriteResult.Outcome.DELETED, deleted.get(0).outcome());
        assertEquals(bob, deleted.get(0).targetId());
        assertTrue(store("contact").get(bob).orElseThrow().deleted());
        assertEquals(CrmWriteResult.Outcome.FAILED, service.write(new CrmWriteRequest("contact", WriteOperation.DELETE, null,
                List.of(record(values(ID, bob))))).get(0).outcome());
    }

    // ---- lookup, count, hostile input ----

    @Test
    void lookupAndFiltersEscapeHostileInput() throws Exception {
        seed(5, 40);
        enable();
        upsert("contact", List.of(record(values("nificrm_sourceid", "Q-1", "firstname", "Pat", "lastname", "O'Brien")),
                record(values("nificrm_sourceid", "Q-2", "firstname", "Sam", "lastname", "Brien"))));
        String hostile = "x' or 1 eq 1 or lastname eq '";
        assertTrue(service.lookup("contact", "lastname", List.of(hostile), List.of()).isEmpty());
        List<Record> obrien = service.lookup("contact", "lastname", List.of("O'Brien", hostile), List.of("firstname"));
        assertEquals(1, obrien.size());
        assertEquals("Pat", obrien.get(0).getValue("firstname"));
        assertEquals(List.of(ID, "firstname", "lastname", "modifiedon"), obrien.get(0).getSchema().getFieldNames());
        // Typed columns: values that are not GUIDs cannot match and never reach the filter.
        String some = live("contact").get(0).id();
        assertEquals(1, service.lookup("contact", ID, List.of(some, hostile, "00000000-0000-0000-0000-000000000000) or (true"), List.of()).size());
        String account = live("account").get(0).id();
        long children = live("contact").stream().filter(r -> account.equals(r.fields().get("parentcustomerid"))).count();
        assertEquals(children, service.lookup("contact", "parentcustomerid", List.of(account), List.of()).size());

        // Hostile partition bounds: escaped for text columns, refused for typed ones.
        Read page = readAll(CrmQuery.of("contact").withPartition(new CrmPartition("lastname", hostile, null)).withPageSize(100));
        assertTrue(page.records().size() < live("contact").size(), "the bound is one literal, not an 'or 1 eq 1'");
        assertTrue(page.records().stream().allMatch(r -> r.getAsString("lastname").compareTo(hostile) >= 0));
        CrmException typed = assertThrows(CrmException.class, () -> service.query(CrmQuery.of("contact")
                .withPartition(new CrmPartition(ID, hostile, null))));
        assertEquals(CrmException.Reason.CONFIGURATION, typed.reason());
        assertFalse(typed.getMessage().contains(hostile));
        assertEquals(CrmException.Reason.CONFIGURATION, assertThrows(CrmException.class,
                () -> service.lookup("contact", "nosuchcolumn", List.of("x"), List.of())).reason());
    }

    @Test
    void lookupSplitsLongValueListsAndCountIsExact() throws Exception {
        seed(30, 300);
        enable();
        List<String> emails = live("contact").stream().map(r -> (String) r.fields().get("emailaddress1")).filter(e -> e != null).toList();
        List<String> values = new ArrayList<>();
        emails.forEach(e -> values.add(e.toUpperCase()));
        values.addAll(emails); // case variants of the same value find the row once
        for (int i = 0; i < 1500; i++) {
            values.add("nobody" + i + "@example.invalid");
        }
        long before = sim.stats().requests("dynamics", "query");
        List<Record> found = service.lookup("contact", "emailaddress1", values, List.of("emailaddress1"));
        long calls = sim.stats().requests("dynamics", "query") - before;
        assertTrue(calls >= 4, "the value list is split over several requests: " + calls);
        long expected = live("contact").stream().filter(r -> r.fields().get("emailaddress1") != null).count();
        assertEquals(expected, found.size());
        assertNoDuplicates(found.stream().map(r -> r.getAsString(ID)).toList());

        assertEquals(new CrmConnectionService.RecordCount(live("contact").size(), true), service.count("contact"));
        assertEquals(new CrmConnectionService.RecordCount(live("account").size(), true), service.count("account"));
    }

    @Test
    void countAboveTheDataverseCapPagesTheIds() throws Exception {
        sim.seed("dynamics", new SeedConfig(5200, 0, 0, 0.0, 7L));
        enable();
        assertEquals(new CrmConnectionService.RecordCount(live("account").size(), true), service.count("account"));
        assertTrue(live("account").size() > 5000);
    }

    // ---- resilience ----

    @Test
    void tokenExpiryMidRunIsRenewedWithoutLoss() throws Exception {
        seed(10, 200);
        enable();
        CrmQuery query = CrmQuery.of("contact").withPageSize(50);
        CrmPage first = service.query(query);
        sim.dynamics().tokens().expireAll();
        Read rest = readAll(query.withCursor(first.nextCursor()));
        List<String> ids = new ArrayList<>(first.records().stream().map(r -> r.getAsString(ID)).toList());
        ids.addAll(rest.ids(ID));
        assertNoDuplicates(ids);
        assertEquals(live("contact").size(), ids.size());
        assertTrue(service.stats().reauthentications.sum() >= 1);
        sim.dynamics().tokens().expireAll();
        assertTrue(upsert("contact", List.of(record(values("nificrm_sourceid", "E-1", "lastname", "Expired")))).get(0).isSuccess());
        assertTrue(service.stats().reauthentications.sum() >= 2);
    }

    @Test
    void throttlingStormIsWaitedOutWithoutLoss() throws Exception {
        seed(10, 150);
        enable();
        service.describe("contact");
        sim.faults().add(FaultRule.on("dynamics", "*").withThrottling(0.5, 1));
        Read read = readAll(CrmQuery.of("contact").withPageSize(50));
        List<CrmWriteResult> written = upsert("contact", List.of(record(values("nificrm_sourceid", "R-1", "lastname", "Throttled"))));
        sim.faults().clear();
        assertNoDuplicates(read.ids(ID));
        assertEquals(live("contact").size() - 1, read.records().size());
        assertTrue(written.get(0).isSuccess());
        assertTrue(service.stats().throttled.sum() > 0, "the storm hit: " + service.stats());
    }

    @Test
    void serverRequestWindowIsWaitedOut() throws Exception {
        sim.close();
        sim = CrmSimulator.start(SimulatorConfig.defaults().unlimited().limits("dynamics", new SimulatorConfig.Limits(8, Duration.ofSeconds(1), 0)));
        seed(10, 200);
        enable();
        Read read = readAll(CrmQuery.of("contact").withPageSize(20));
        assertNoDuplicates(read.ids(ID));
        assertEquals(live("contact").size(), read.records().size());
        assertTrue(sim.stats().throttled("dynamics") > 0, "the server's window was exceeded and waited out");
    }

    @Test
    void serverErrorBurstsAreRetried() throws Exception {
        seed(10, 200);
        enable();
        sim.faults().add(FaultRule.on("dynamics", "*").withErrors(0.3, 503));
        Read read = readAll(CrmQuery.of("contact").withPageSize(40));
        List<Record> batch = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            batch.add(record(values("nificrm_sourceid", "B-" + i, "lastname", "Burst " + i)));
        }
        List<CrmWriteResult> written = upsert("contact", batch);
        sim.faults().clear();
        assertTrue(sim.stats().requests("dynamics", "query") > read.pages().size(), "some pages were answered 503 first");
        assertNoDuplicates(read.ids(ID));
        assertEquals(live("contact").size() - 30, read.records().size());
        assertTrue(written.stream().allMatch(CrmWriteResult::isSuccess), written.toString());
        assertTrue(service.stats().retries.sum() > 0);
    }

    @Test
    void timeoutsAreRetried() throws Exception {
        seed(10, 200);
        enable(Map.of(CommonProperties.REQUEST_TIMEOUT, "1 sec"));
        service.describe("contact");
        sim.faults().add(FaultRule.on("dynamics", "query").withTimeouts(0.2, 3000));
        Read read = readAll(CrmQuery.of("contact").withPageSize(25));
        sim.faults().clear();
        assertNoDuplicates(read.ids(ID));
        assertEquals(live("contact").size(), read.records().size());
        assertTrue(service.stats().transientFailures.sum() > 0, "some requests timed out: " + service.stats());
    }

    @Test
    void malformedBodiesAreRetriedOrReportedClearly() throws Exception {
        seed(10, 200);
        enable(Map.of(CommonProperties.MAX_RETRIES, "3"));
        service.describe("contact");
        sim.faults().add(FaultRule.on("dynamics", "query").withMalformedBodies(0.3));
        Read read = readAll(CrmQuery.of("contact").withPageSize(25));
        sim.faults().clear();
        assertNoDuplicates(read.ids(ID));
        assertEquals(live("contact").size(), read.records().size());
        assertTrue(service.stats().malformed.sum() > 0, "some bodies were cut: " + service.stats());

        sim.faults().add(FaultRule.on("dynamics", "query").withMalformedBodies(1.0));
        CrmException persistent = assertThrows(CrmException.class, () -> service.query(CrmQuery.of("contact")));
        sim.faults().clear();
        assertEquals(CrmException.Reason.MALFORMED_RESPONSE, persistent.reason());
        assertTrue(persistent.isTransient());
        assertTrue(persistent.getMessage().contains("query contact"), persistent.getMessage());
        assertTrue(service.stats().malformed.sum() >= 4);

        // A $batch answer cut short: an upsert is sent again; an insert fails as a whole.
        sim.faults().add(FaultRule.on("dynamics", "batch").withMalformedBodies(1.0).times(1));
        List<CrmWriteResult> upserted = upsert("contact", List.of(record(values("nificrm_sourceid", "M-1", "lastname", "Cut"))));
        assertTrue(upserted.get(0).isSuccess(), upserted.toString());
        assertTrue(store("contact").findByUnique("nificrm_sourceid", "M-1").isPresent());
        sim.faults().add(FaultRule.on("dynamics", "batch").withMalformedBodies(1.0).times(1));
        CrmException insert = assertThrows(CrmException.class, () -> service.write(new CrmWriteRequest("contact",
                WriteOperation.INSERT, null, List.of(record(values("lastname", "Once"))))));
        assertEquals(CrmException.Reason.MALFORMED_RESPONSE, insert.reason());
        assertTrue(insert.getMessage().contains("insert"), insert.getMessage());
    }

    // ---- configuration and verification ----

    @Test
    void invalidPropertiesFailValidationWithClearMessages() throws Exception {
        service = new DynamicsConnectionService();
        runner.addControllerService("dynamics", service);
        simulatorProperties(sim).forEach((k, v) -> runner.setProperty(service, k, v));
        runner.assertValid(service);

        assertInvalid(DynamicsConnectionService.ENVIRONMENT_URL, "org.crm.dynamics.com", "not an http(s) URL");
        assertInvalid(DynamicsConnectionService.ENVIRONMENT_URL, "not a url", "is not a URL");
        assertInvalid(DynamicsConnectionService.ENVIRONMENT_URL, "https://org.crm.dynamics.com/api/data/v9.2", "has a path");
        assertInvalid(DynamicsConnectionService.ENVIRONMENT_URL, "https://org.crm.dynamics.com?x=1", "query");
        assertInvalid(DynamicsConnectionService.RECORDS_PER_BATCH, "0", "");
        assertInvalid(DynamicsConnectionService.RECORDS_PER_BATCH, "1001", "");
        assertInvalid(DynamicsConnectionService.TOKEN_URL, "ftp://login/{tenant}", "not an http(s) URL");
        assertInvalid(DynamicsConnectionService.TENANT_ID, "../evil", "tenant");
        runner.setProperty(service, DynamicsConnectionService.ENVIRONMENT_URL, "https://org.crm.dynamics.com/");
        runner.assertValid(service);

        runner.setProperty(service, DynamicsConnectionService.SCOPE, "https://org.crm.dynamics.com/user_impersonation");
        runner.assertNotValid(service);
        runner.setProperty(service, DynamicsConnectionService.SCOPE, "https://org.crm.dynamics.com/.default");
        runner.assertValid(service);
        runner.removeProperty(service, DynamicsConnectionService.CLIENT_SECRET);
        runner.assertNotValid(service);
        runner.setProperty(service, DynamicsConnectionService.AUTHORIZATION_TYPE, DynamicsConnectionService.TOKEN_PROVIDER.getValue());
        runner.assertNotValid(service); // the token provider service is then required
    }

    private void assertInvalid(PropertyDescriptor property, String value, String explanation) {
        var result = runner.setProperty(service, property, value);
        assertFalse(result.isValid(), property.getName() + " = " + value);
        assertTrue(result.getExplanation().contains(explanation), result.getExplanation());
        runner.assertNotValid(service);
        runner.setProperty(service, property, simulatorProperties(sim).getOrDefault(property,
                property.getDefaultValue() == null ? "100" : property.getDefaultValue()));
    }

    @Test
    void verifyReportsEachStep() throws Exception {
        enable();
        Map<PropertyDescriptor, String> properties = simulatorProperties(sim);
        List<ConfigVerificationResult> ok = service.verify(new MockConfigurationContext(service, properties,
                runner.getProcessContext().getControllerServiceLookup(), Map.of()), runner.getLogger(), Map.of());
        assertTrue(ok.size() >= 5, ok.toString());
        assertTrue(ok.stream().allMatch(r -> r.getOutcome() == ConfigVerificationResult.Outcome.SUCCESSFUL), ok.toString());
        assertTrue(ok.stream().anyMatch(r -> r.getVerificationStepName().equals("Access object opportunity")));
        assertTrue(ok.get(ok.size() - 1).getExplanation().contains("Requests remaining"), ok.get(ok.size() - 1).getExplanation());

        properties.put(DynamicsConnectionService.CLIENT_SECRET, "wrong");
        List<ConfigVerificationResult> bad = service.verify(new MockConfigurationContext(service, properties,
                runner.getProcessContext().getControllerServiceLookup(), Map.of()), runner.getLogger(), Map.of());
        assertEquals(ConfigVerificationResult.Outcome.FAILED, bad.get(0).getOutcome());
        assertTrue(bad.get(0).getExplanation().contains("AADSTS7000215"), bad.get(0).getExplanation());
        assertFalse(bad.get(0).getExplanation().contains("wrong"), "the secret is not echoed");
        assertTrue(bad.subList(1, bad.size()).stream().allMatch(r -> r.getOutcome() == ConfigVerificationResult.Outcome.SKIPPED));
        // The enabled connection is untouched by verification.
        assertEquals("account", service.describe("account").name());
        assertTrue(service.query(CrmQuery.of("account").withPageSize(1)).isLast());
    }
}
