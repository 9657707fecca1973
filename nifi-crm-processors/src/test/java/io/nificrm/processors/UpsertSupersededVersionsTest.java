package io.nificrm.processors;

import io.nificrm.processors.common.CrmProperties;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.simulator.store.ObjectStore;
import io.nificrm.simulator.store.SimRecord;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Map;
import java.util.Optional;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * An incremental sync's FlowFiles can overtake each other (delete and upsert branches, throttled retries): an older version
 * must neither bring a deleted record back nor overwrite a newer value (found by the fault matrix under a 429 storm).
 */
class UpsertSupersededVersionsTest {
    private CrmSimulator sim;

    @BeforeEach
    void start() {
        sim = CrmSimulator.start(SimulatorConfig.defaults().unlimited());
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    private TestRunner runner(String operation) throws Exception {
        TestRunner runner = TestRunners.newTestRunner(UpsertCrmRecords.class);
        TestServices.hubspot(runner, sim);
        TestServices.json(runner);
        runner.setProperty(CrmProperties.CONNECTION_SERVICE, TestServices.HUBSPOT);
        runner.setProperty(UpsertCrmRecords.OBJECT, "contacts");
        runner.setProperty(UpsertCrmRecords.OPERATION, operation);
        runner.setProperty(UpsertCrmRecords.KEY_FIELD, "source_id");
        runner.setProperty(CrmProperties.RECORD_READER, TestServices.READER);
        runner.setProperty(CrmProperties.RECORD_WRITER, TestServices.WRITER);
        return runner;
    }

    private Optional<SimRecord> target(String sourceId) {
        ObjectStore contacts = sim.hubspot().store("contacts").orElseThrow();
        return contacts.findByUnique("source_id", sourceId).filter(r -> !r.deleted());
    }

    @Test
    void anOlderVersionArrivingAfterTheDeleteIsNotWrittenButARestoreIs() throws Exception {
        String key = "TOMB-" + System.nanoTime();
        TestRunner delete = runner("delete");
        delete.enqueue("[{\"source_id\":\"" + key + "\"}]", Map.of("crm.window.until", "2026-01-01T10:00:05Z"));
        delete.run();
        delete.assertAllFlowFilesTransferred(UpsertCrmRecords.REL_SUCCESS, 1);

        TestRunner upsert = runner("upsert");
        upsert.enqueue("[{\"source_id\":\"" + key + "\",\"lastname\":\"Stale\"},{\"source_id\":\"" + key + "-other\",\"lastname\":\"Fresh\"}]",
                Map.of("crm.window.until", "2026-01-01T10:00:03Z"));
        upsert.run();
        upsert.assertAllFlowFilesTransferred(UpsertCrmRecords.REL_SUCCESS, 1);
        String out = upsert.getFlowFilesForRelationship(UpsertCrmRecords.REL_SUCCESS).get(0).getContent();
        assertTrue(out.contains("\"lastname\":\"Stale\",\"crm_outcome\":\"unchanged\",\"crm_target_id\":null"),
                "the skipped record ends in success, unchanged, with no target record: " + out);
        assertTrue(target(key).isEmpty(), "the stale version did not bring the deleted record back");
        assertTrue(target(key + "-other").isPresent(), "the rest of the batch was written");

        // A version read after the delete is a restore: written.
        TestRunner restore = runner("upsert");
        restore.enqueue("[{\"source_id\":\"" + key + "\",\"lastname\":\"Restored\"}]", Map.of("crm.window.until", "2026-01-01T10:00:09Z"));
        restore.run();
        assertEquals("Restored", target(key).orElseThrow().fields().get("lastname"));

        // An update read earlier than the one already written does not overwrite it; the same window again does (a replay).
        TestRunner late = runner("upsert");
        late.enqueue("[{\"source_id\":\"" + key + "\",\"lastname\":\"Older\"}]", Map.of("crm.window.until", "2026-01-01T10:00:07Z"));
        late.enqueue("[{\"source_id\":\"" + key + "-other\",\"lastname\":\"Replayed\"}]", Map.of("crm.window.until", "2026-01-01T10:00:03Z"));
        late.run(2);
        assertEquals("Restored", target(key).orElseThrow().fields().get("lastname"), "the older update did not overwrite the newer one");
        assertEquals("Replayed", target(key + "-other").orElseThrow().fields().get("lastname"), "the same window is written again");

        // A delete read before the restore was written does not remove it.
        delete.enqueue("[{\"source_id\":\"" + key + "\"}]", Map.of("crm.window.until", "2026-01-01T10:00:08Z"));
        delete.run();
        assertTrue(target(key).isPresent(), "the stale delete did not remove the restored record");

        // Without a change window (a full migration) nothing is checked.
        TestRunner migration = runner("upsert");
        migration.enqueue("[{\"source_id\":\"" + key + "\",\"lastname\":\"Migrated\"}]");
        migration.run();
        assertEquals("Migrated", target(key).orElseThrow().fields().get("lastname"));
    }

    @Test
    void aClaimOnARecordWaitsForTheTaskWritingItAndOtherRecordsDoNot() throws Exception {
        io.nificrm.processors.upsert.WrittenVersions versions = new io.nificrm.processors.upsert.WrittenVersions(100);
        java.util.concurrent.atomic.AtomicBoolean second = new java.util.concurrent.atomic.AtomicBoolean();
        try (var first = versions.claim("svc", "contacts", java.util.List.of("K1", "K2"))) {
            versions.claim("svc", "contacts", java.util.List.of("K3")).close(); // another record: not blocked
            Thread t = Thread.ofPlatform().start(() -> {
                try (var claim = versions.claim("svc", "contacts", java.util.List.of("K2", "K9"))) {
                    second.set(true);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            Thread.sleep(300);
            assertTrue(!second.get(), "the second claim waits while K2 is being written");
            first.close();
            t.join(5_000);
            assertTrue(second.get(), "and proceeds once it is released");
        }
    }
}
