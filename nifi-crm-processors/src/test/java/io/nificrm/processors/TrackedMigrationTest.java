package io.nificrm.processors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nificrm.processors.common.CrmProperties;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.simulator.seed.SeedConfig;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A partitioned migration chained through nifi-mock runners, with the tracker counting where every record ended
 * and the review store keeping the rejects: the load's report appears exactly when the last record has ended, and
 * its numbers add up.
 */
class TrackedMigrationTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static CrmSimulator sim;

    @BeforeAll
    static void start() {
        sim = CrmSimulator.start(SimulatorConfig.defaults().unlimited().seed("salesforce", SeedConfig.ofContacts(3_000)));
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    private static List<MockFlowFile> run(TestRunner runner, List<MockFlowFile> input, Relationship... keep) {
        input.forEach(f -> runner.enqueue(f.toByteArray(), f.getAttributes()));
        runner.run(Math.max(1, input.size()));
        List<MockFlowFile> out = new ArrayList<>();
        for (Relationship r : keep) {
            out.addAll(runner.getFlowFilesForRelationship(r));
        }
        return out;
    }

    @Test
    void theReportComesWhenTheLastRecordHasEndedAndAddsUp(@TempDir Path review) throws Exception {
        TestRunner generate = TestRunners.newTestRunner(GenerateCrmPartitions.class);
        TestServices.salesforce(generate, sim);
        generate.setProperty(CrmProperties.CONNECTION_SERVICE, TestServices.SALESFORCE);
        generate.setProperty(GenerateCrmPartitions.OBJECT, "Contact");
        generate.setProperty(GenerateCrmPartitions.PARTITIONS, "3");
        generate.setIncomingConnection(false);
        generate.run();
        List<MockFlowFile> partitions = generate.getFlowFilesForRelationship(GenerateCrmPartitions.REL_SUCCESS);

        TestRunner fetch = TestRunners.newTestRunner(FetchCrmPartition.class);
        TestServices.salesforce(fetch, sim);
        TestServices.json(fetch);
        fetch.setProperty(CrmProperties.CONNECTION_SERVICE, TestServices.SALESFORCE);
        fetch.setProperty(CrmProperties.RECORD_WRITER, TestServices.WRITER);
        partitions.forEach(p -> fetch.enqueue(new byte[0], p.getAttributes()));
        while (fetch.getFlowFilesForRelationship(FetchCrmPartition.REL_COMPLETED).size() < partitions.size()) {
            fetch.run(10, false, false);
        }
        List<MockFlowFile> read = fetch.getFlowFilesForRelationship(FetchCrmPartition.REL_SUCCESS);
        List<MockFlowFile> completed = fetch.getFlowFilesForRelationship(FetchCrmPartition.REL_COMPLETED);

        TestRunner map = TestRunners.newTestRunner(MapCrmFields.class);
        TestServices.json(map);
        map.setProperty(MapCrmFields.MAPPING, FirstSliceTest.MAPPING);
        map.setProperty(CrmProperties.RECORD_READER, TestServices.READER);
        map.setProperty(CrmProperties.RECORD_WRITER, TestServices.WRITER);
        List<MockFlowFile> mapped = run(map, read, MapCrmFields.REL_SUCCESS);
        List<MockFlowFile> invalid = map.getFlowFilesForRelationship(MapCrmFields.REL_INVALID);

        TestRunner upsert = TestRunners.newTestRunner(UpsertCrmRecords.class);
        TestServices.hubspot(upsert, sim);
        TestServices.json(upsert);
        upsert.setProperty(CrmProperties.CONNECTION_SERVICE, TestServices.HUBSPOT);
        upsert.setProperty(UpsertCrmRecords.OBJECT, "contacts");
        upsert.setProperty(UpsertCrmRecords.KEY_FIELD, "source_id");
        upsert.setProperty(CrmProperties.RECORD_READER, TestServices.READER);
        upsert.setProperty(CrmProperties.RECORD_WRITER, TestServices.WRITER);
        List<MockFlowFile> ended = run(upsert, mapped, UpsertCrmRecords.REL_SUCCESS, UpsertCrmRecords.REL_FAILURE, UpsertCrmRecords.REL_RETRY);
        List<MockFlowFile> rejects = new ArrayList<>(upsert.getFlowFilesForRelationship(UpsertCrmRecords.REL_FAILURE));
        rejects.addAll(invalid);

        TestRunner tracker = TestRunners.newTestRunner(TrackCrmLoad.class);
        List<MockFlowFile> beforeTheLast = new ArrayList<>(completed);
        beforeTheLast.addAll(invalid);
        beforeTheLast.addAll(ended.subList(0, ended.size() - 1));
        run(tracker, beforeTheLast);
        tracker.assertTransferCount(TrackCrmLoad.REL_COMPLETE, 0);
        run(tracker, ended.subList(ended.size() - 1, ended.size()));
        tracker.assertTransferCount(TrackCrmLoad.REL_COMPLETE, 1);
        MockFlowFile report = tracker.getFlowFilesForRelationship(TrackCrmLoad.REL_COMPLETE).get(0);
        JsonNode json = JSON.readTree(report.toByteArray());
        assertEquals(3_000, json.path("read").asLong());
        assertEquals(3_000, json.path("invalid").asLong() + json.path("created").asLong() + json.path("failed").asLong(),
                "every record read ended as invalid, created or failed: " + json.toPrettyString());
        assertEquals(sim.hubspot().store("contacts").orElseThrow().count(false), json.path("created").asLong());
        assertTrue(json.path("failed").asLong() > 0);
        report.assertAttributeEquals("crm.report.read", "3000");

        TestRunner store = TestRunners.newTestRunner(StoreCrmReview.class);
        store.setProperty(StoreCrmReview.DIRECTORY, review.toString());
        run(store, rejects);
        store.assertAllFlowFilesTransferred(StoreCrmReview.REL_SUCCESS, rejects.size());
        long stored = 0;
        try (var files = Files.list(review)) {
            for (Path file : files.toList()) {
                assertTrue(file.getFileName().toString().startsWith("contacts-upsert-failure-") || file.getFileName().toString().startsWith("Contact-map-invalid-")
                        || file.getFileName().toString().contains("-upsert-failure-"), file.toString());
                stored += JSON.readTree(file.toFile()).size();
            }
        }
        assertEquals(json.path("failed").asLong() + json.path("invalid").asLong(), stored, "every reject is in the review files");
    }
}
