package io.nificrm.processors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nificrm.processors.common.CrmProperties;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.simulator.fault.FaultRule;
import io.nificrm.simulator.seed.SeedConfig;
import io.nificrm.simulator.store.ObjectStore;
import io.nificrm.simulator.store.SimRecord;
import org.apache.nifi.components.state.Scope;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Incremental loads against the Salesforce simulator while the source changes under them: creates, updates,
 * deletes, updates that share one modified time across a page boundary, and a change that commits late with an
 * older timestamp. The delivered set must equal the source, with replays detected and dropped.
 */
class IncrementalLoadTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private CrmSimulator sim;
    private ObjectStore contacts;
    /** Every change delivered, in order: id → the last version seen (deleted ones carry crm_deleted). */
    private final Map<String, JsonNode> delivered = new LinkedHashMap<>();
    private final Set<String> deliveredChanges = new HashSet<>();
    private int duplicateChanges;

    @BeforeEach
    void start() {
        sim = CrmSimulator.start(SimulatorConfig.defaults().unlimited().seed("salesforce", SeedConfig.ofContacts(2_000)));
        contacts = sim.salesforce().store("Contact").orElseThrow();
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    private TestRunner incremental() throws Exception {
        TestRunner runner = TestRunners.newTestRunner(QueryCrmEntities.class);
        TestServices.salesforce(runner, sim);
        TestServices.json(runner);
        runner.setProperty(CrmProperties.CONNECTION_SERVICE, TestServices.SALESFORCE);
        runner.setProperty(QueryCrmEntities.OBJECT, "Contact");
        runner.setProperty(QueryCrmEntities.FIELDS, "LastName, Email");
        runner.setProperty(QueryCrmEntities.LOAD_MODE, QueryCrmEntities.INCREMENTAL);
        runner.setProperty(QueryCrmEntities.AGE_DELAY, "0 sec");
        runner.setProperty(QueryCrmEntities.LOOKBACK, "30 secs");
        runner.setProperty(QueryCrmEntities.PAGE_SIZE, "50");
        runner.setProperty(QueryCrmEntities.MAX_RECORDS_PER_FLOWFILE, "120");
        runner.setProperty(CrmProperties.RECORD_WRITER, TestServices.WRITER);
        return runner;
    }

    /** Runs one poll and folds what it delivered into the delivered view. */
    private void poll(TestRunner runner) throws Exception {
        runner.clearTransferState();
        runner.run(1, false, true);
        List<MockFlowFile> out = new ArrayList<>(runner.getFlowFilesForRelationship(QueryCrmEntities.REL_SUCCESS));
        out.addAll(runner.getFlowFilesForRelationship(QueryCrmEntities.REL_DELETED));
        for (MockFlowFile flowFile : out) {
            for (JsonNode record : JSON.readTree(flowFile.toByteArray())) {
                String change = record.path("Id").asText() + "@" + record.path("SystemModstamp").asText() + "@" + record.path("crm_deleted").asBoolean();
                if (!deliveredChanges.add(change)) {
                    duplicateChanges++;
                }
                delivered.put(record.path("Id").asText(), record);
            }
        }
    }

    private void pause() throws InterruptedException {
        Thread.sleep(1_100);  // Salesforce audit times have whole seconds: let the clock move on
    }

    private void update(SimRecord record, String lastName, Instant modified) {
        Map<String, Object> fields = new HashMap<>(record.fields());
        fields.put("LastName", lastName);
        contacts.put(new SimRecord(record.id(), fields, record.createdAt(), modified, false, null));
    }

    @Test
    void theDeliveredSetEqualsTheSourceWhileItChanges() throws Exception {
        TestRunner runner = incremental();
        poll(runner);
        assertEquals(2_000, delivered.size(), "the first window reads everything");

        List<SimRecord> all = contacts.stream().toList();
        // 1. ordinary changes: creates, updates, deletes
        pause();
        for (int i = 0; i < 25; i++) {
            contacts.create(Map.of("LastName", "New" + i, "Email", "new" + i + "@example.com"));
            contacts.update(all.get(i).id(), Map.of("LastName", "Updated" + i));
        }
        for (int i = 25; i < 35; i++) {
            contacts.delete(all.get(i).id());
        }
        pause();
        poll(runner);

        // 2. many updates sharing one modified second, straddling pages of 50 and FlowFiles of 120
        pause();
        Instant shared = Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        for (int i = 100; i < 230; i++) {
            update(all.get(i), "Tied" + i, shared);
        }
        pause();
        poll(runner);

        // 3. a change that commits late with an older timestamp, inside the lookback
        Instant late = Instant.now().minusSeconds(10).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        update(all.get(500), "LateCommit", late);
        pause();
        poll(runner);
        pause();
        poll(runner);

        // The delivered view equals the source: every live record with its current values, every delete seen.
        for (SimRecord source : contacts.stream().toList()) {
            JsonNode seen = delivered.get(source.id());
            assertTrue(seen != null, "record " + source.id() + " was delivered");
            assertEquals(source.deleted(), seen.path("crm_deleted").asBoolean(), "deleted state of " + source.id());
            if (!source.deleted()) {
                assertEquals(String.valueOf(source.fields().get("LastName")), seen.path("LastName").asText(), "last name of " + source.id());
            }
        }
        assertEquals(contacts.count(true), delivered.size(), "nothing delivered that the source does not have");
        assertEquals(0, duplicateChanges, "no change delivered twice");
        assertTrue(runner.getCounterValue("Replays Dropped") > 0, "the lookback re-read changes and dropped them");
        assertEquals("LateCommit", delivered.get(all.get(500).id()).path("LastName").asText());
    }

    @Test
    void aRestartResumesFromTheLastCommittedFlowFileWithoutAFullReRead() throws Exception {
        TestRunner first = fullLoad();
        // The source fails for good at the sixth page: pages 1-4 made two committed FlowFiles, page 5 is not yet in one.
        sim.faults().add(FaultRule.on("salesforce", "query").withErrors(1.0, 400).after(5));
        first.run(1, false, true);
        List<String> ids = ids(first);
        assertEquals(800, ids.size(), "two FlowFiles of 400 were committed before the failure");

        sim.faults().clear();
        TestRunner restarted = fullLoad();
        restarted.getStateManager().setState(first.getStateManager().getState(Scope.CLUSTER).toMap(), Scope.CLUSTER);
        long before = sim.stats().requests("salesforce", "query");
        restarted.run(1, false, true);
        ids.addAll(ids(restarted));
        assertEquals(2_000, ids.size(), "every record once");
        assertEquals(2_000, new HashSet<>(ids).size(), "no record twice");
        assertEquals(6, sim.stats().requests("salesforce", "query") - before, "the restart read pages 5 to 10 only");
        assertTrue(restarted.getStateManager().getState(Scope.CLUSTER).toMap().get("load.id") == null, "the completed load cleared its position");
    }

    @Test
    void dataverseChangeTrackingCarriesDeletesFromWindowToWindowWithoutRereading() throws Exception {
        sim.seed("dynamics", SeedConfig.ofContacts(600));
        ObjectStore dv = sim.dynamics().store("contact").orElseThrow();
        TestRunner runner = TestRunners.newTestRunner(QueryCrmEntities.class);
        TestServices.dynamics(runner, sim);
        TestServices.json(runner);
        runner.setProperty(CrmProperties.CONNECTION_SERVICE, TestServices.DYNAMICS);
        runner.setProperty(QueryCrmEntities.OBJECT, "contact");
        runner.setProperty(QueryCrmEntities.FIELDS, "lastname");
        runner.setProperty(QueryCrmEntities.LOAD_MODE, QueryCrmEntities.INCREMENTAL);
        runner.setProperty(QueryCrmEntities.AGE_DELAY, "0 sec");
        runner.setProperty(CrmProperties.RECORD_WRITER, TestServices.WRITER);
        runner.run(1, false, true);
        assertEquals(dv.count(false), FirstSliceTest.records(runner, QueryCrmEntities.REL_SUCCESS));

        List<SimRecord> all = dv.stream().toList();
        pause();
        dv.update(all.get(0).id(), Map.of("lastname", "Changed"));
        dv.create(Map.of("lastname", "Created"));
        dv.delete(all.get(1).id());
        dv.delete(all.get(2).id());
        pause();
        runner.clearTransferState();
        runner.run(1, false, true);
        Set<String> changed = new HashSet<>();
        for (MockFlowFile flowFile : runner.getFlowFilesForRelationship(QueryCrmEntities.REL_SUCCESS)) {
            JSON.readTree(flowFile.toByteArray()).forEach(r -> changed.add(r.path("lastname").asText()));
        }
        assertEquals(Set.of("Changed", "Created"), changed, "the second window reads only the changes");
        Set<String> deletedIds = new HashSet<>();
        for (MockFlowFile flowFile : runner.getFlowFilesForRelationship(QueryCrmEntities.REL_DELETED)) {
            JSON.readTree(flowFile.toByteArray()).forEach(r -> deletedIds.add(r.path("contactid").asText()));
        }
        assertEquals(Set.of(all.get(1).id(), all.get(2).id()), deletedIds);
    }

    private TestRunner fullLoad() throws Exception {
        TestRunner runner = incremental();
        runner.setProperty(QueryCrmEntities.LOAD_MODE, QueryCrmEntities.FULL);
        runner.setProperty(QueryCrmEntities.PAGE_SIZE, "200");
        runner.setProperty(QueryCrmEntities.MAX_RECORDS_PER_FLOWFILE, "400");
        return runner;
    }

    private static List<String> ids(TestRunner runner) throws Exception {
        List<String> ids = new ArrayList<>();
        for (MockFlowFile flowFile : runner.getFlowFilesForRelationship(QueryCrmEntities.REL_SUCCESS)) {
            JSON.readTree(flowFile.toByteArray()).forEach(r -> ids.add(r.path("Id").asText()));
        }
        return ids;
    }
}
