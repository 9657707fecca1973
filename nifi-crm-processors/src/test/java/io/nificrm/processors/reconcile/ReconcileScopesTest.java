package io.nificrm.processors.reconcile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nificrm.processors.ReconcileCrmObjects;
import io.nificrm.processors.twoway.SimServices;
import io.nificrm.services.hubspot.HubSpotConnectionService;
import io.nificrm.services.salesforce.SalesforceConnectionService;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.simulator.seed.SeedConfig;
import io.nificrm.simulator.store.ObjectStore;
import io.nificrm.simulator.store.SimRecord;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Partitioned passes, output splitting, the changed-recently scope, and runs triggered by a FlowFile. */
class ReconcileScopesTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private CrmSimulator sim;
    private TestRunner runner;
    private MigratedPair pair;
    private List<String> sourceIds;
    private ObjectStore hs;
    private ObjectStore sf;

    @BeforeEach
    void start() throws Exception {
        sim = CrmSimulator.start(SimulatorConfig.defaults().unlimited().seed("salesforce", new SeedConfig(1, 3_000, 0, 0.0, 11L)));
        runner = TestRunners.newTestRunner(ReconcileCrmObjects.class);
        SalesforceConnectionService salesforce = SimServices.salesforce(runner, sim);
        HubSpotConnectionService hubspot = SimServices.hubspot(runner, sim);
        SimServices.json(runner);
        String mapping = SimServices.presetWithoutReferences("salesforce-to-hubspot-contacts");
        pair = new MigratedPair(salesforce, hubspot, mapping);
        assertEquals(0, pair.failed);
        sourceIds = new ArrayList<>(new TreeMap<>(pair.migrated).keySet());
        hs = sim.hubspot().store("contacts").orElseThrow();
        sf = sim.salesforce().store("Contact").orElseThrow();
        runner.setProperty("Source Connection Service", SimServices.SALESFORCE);
        runner.setProperty("Target Connection Service", SimServices.HUBSPOT);
        runner.setProperty("Mapping", mapping);
        runner.setProperty("Record Writer", SimServices.WRITER);
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    @Test
    void partitionedPassesFindTheSameAndSplitTheOutput() throws Exception {
        Set<String> missing = new HashSet<>();
        Set<String> different = new HashSet<>();
        for (int i = 0; i < 25; i++) {
            hs.delete(pair.migrated.get(sourceIds.get(i)));
            missing.add(sourceIds.get(i));
            hs.update(pair.migrated.get(sourceIds.get(100 + i)), Map.of("city", "Moved " + i));
            different.add(sourceIds.get(100 + i));
        }
        Set<String> extraIds = new HashSet<>();
        for (int i = 0; i < 9; i++) {
            extraIds.add(hs.create(Map.of("lastname", "Extra" + i, "source_id", "003NOPE" + i)).id());
        }
        runner.setIncomingConnection(false);
        runner.setProperty("Partitions", "4");
        runner.setProperty("Max Records Per FlowFile", "7");
        runner.run();

        JsonNode report = report();
        assertEquals(4, report.path("partitions").asInt());
        assertEquals(3_000, report.path("source").path("records").asLong(), "each source record is counted once over the passes");
        assertEquals(missing, keys("missing", "crm_key"));
        assertEquals(different, keys("different", "crm_key"));
        assertEquals(extraIds, keys("extra", "hs_object_id"));
        assertEquals(sourceIds.size() - 50, report.path("matched").asLong());
        assertEquals(Map.of("city", 25L), nonZero(report.path("fieldDifferences")));
        for (String relationship : List.of("missing", "different", "extra")) {
            for (MockFlowFile f : runner.getFlowFilesForRelationship(rel(relationship))) {
                assertTrue(Integer.parseInt(f.getAttribute("record.count")) <= 7, "at most Max Records Per FlowFile");
            }
        }
        assertEquals(4, runner.getFlowFilesForRelationship(rel("missing")).size(), "25 records in FlowFiles of 7");
    }

    @Test
    void theChangedRecentlyScopeChecksOnlyRecentSourceChangesWhenAFlowFileAsks() throws Exception {
        // Old differences (not in the window) and an extra record: not looked at.
        hs.update(pair.migrated.get(sourceIds.get(0)), Map.of("city", "Old difference"));
        hs.create(Map.of("lastname", "Extra", "source_id", "003NOPE"));
        // Recent Salesforce changes: one now differs, one counterpart is gone, one matches again after the same edit.
        sfEdit(sourceIds.get(10), Map.of("Title", "New title"));
        sfEdit(sourceIds.get(11), Map.of("Title", "Another title"));
        hs.delete(pair.migrated.get(sourceIds.get(11)));
        sfEdit(sourceIds.get(12), Map.of("MailingCity", "Same"));
        hs.update(pair.migrated.get(sourceIds.get(12)), Map.of("city", "Same"));

        runner.setProperty("Scope", "window");
        runner.setProperty("Window", "5 min");
        runner.enqueue("{\"crm.load.id\": \"migration-1\"}", Map.of("crm.load.id", "migration-1"));
        runner.run();

        JsonNode report = report();
        assertEquals("window", report.path("scope").asText());
        assertEquals(3, report.path("source").path("records").asLong(), "only the recently changed source records");
        assertEquals(Set.of(sourceIds.get(11)), keys("missing", "crm_key"));
        assertEquals(Set.of(sourceIds.get(10)), keys("different", "crm_key"));
        assertEquals(1, report.path("matched").asLong());
        assertTrue(report.path("extraInTarget").isNull(), "extras need a full read");
        assertEquals(1, runner.getFlowFilesForRelationship(rel("original")).size());
        assertEquals("migration-1", runner.getFlowFilesForRelationship(rel("report")).getFirst().getAttribute("crm.load.id"),
                "the report descends from the FlowFile that asked for it");
    }

    private void sfEdit(String id, Map<String, Object> changes) {
        SimRecord record = sf.get(id).orElseThrow();
        sf.put(record.withChanges(changes, Instant.now().minusSeconds(5)));
    }

    private JsonNode report() throws Exception {
        List<MockFlowFile> reports = runner.getFlowFilesForRelationship(rel("report"));
        assertEquals(1, reports.size(), "one report; errors: " + runner.getLogger().getErrorMessages());
        return JSON.readTree(reports.getFirst().toByteArray());
    }

    private Set<String> keys(String relationship, String field) throws Exception {
        Set<String> keys = new HashSet<>();
        for (MockFlowFile f : runner.getFlowFilesForRelationship(rel(relationship))) {
            for (JsonNode r : JSON.readTree(f.toByteArray())) {
                assertTrue(keys.add(r.path(field).asText()), "each key once: " + r.path(field).asText());
            }
        }
        return keys;
    }

    private static Map<String, Long> nonZero(JsonNode fields) {
        Map<String, Long> counts = new TreeMap<>();
        fields.fields().forEachRemaining(e -> {
            if (e.getValue().asLong() != 0) {
                counts.put(e.getKey(), e.getValue().asLong());
            }
        });
        return counts;
    }

    private static Relationship rel(String name) {
        return new Relationship.Builder().name(name).build();
    }
}
