package io.nificrm.processors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nificrm.processors.common.CrmProperties;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.simulator.seed.SeedConfig;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Partitioned loads: the union of the partitions equals the source, with no record in two partitions. */
class ParallelLoadTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CONTACTS = 100_000;
    private static CrmSimulator sim;

    @BeforeAll
    static void start() {
        sim = CrmSimulator.start(SimulatorConfig.defaults().unlimited()
                .seed("salesforce", SeedConfig.ofContacts(CONTACTS))
                .seed("hubspot", SeedConfig.ofContacts(12_000).withRandomSeed(5)));
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    private List<MockFlowFile> generate(String service, String object, String strategy) throws Exception {
        TestRunner generate = TestRunners.newTestRunner(GenerateCrmPartitions.class);
        enable(generate, service);
        generate.setProperty(CrmProperties.CONNECTION_SERVICE, service);
        generate.setProperty(GenerateCrmPartitions.OBJECT, object);
        generate.setProperty(GenerateCrmPartitions.PARTITIONS, "8");
        generate.setProperty(GenerateCrmPartitions.STRATEGY, strategy);
        generate.setIncomingConnection(false);
        generate.run();
        generate.assertTransferCount(GenerateCrmPartitions.REL_SUCCESS, 8);
        return generate.getFlowFilesForRelationship(GenerateCrmPartitions.REL_SUCCESS);
    }

    private static void enable(TestRunner runner, String service) throws Exception {
        if (service.equals(TestServices.SALESFORCE)) {
            TestServices.salesforce(runner, sim);
        } else {
            TestServices.hubspot(runner, sim);
            runner.disableControllerService(runner.getControllerService(TestServices.HUBSPOT));
            runner.setProperty(runner.getControllerService(TestServices.HUBSPOT), "Rate Limit Requests", "0");
            runner.enableControllerService(runner.getControllerService(TestServices.HUBSPOT));
        }
    }

    /** Reads every partition to its end; returns id → partition index. */
    private Map<String, String> fetchAll(List<MockFlowFile> partitions, String service, String idField) throws Exception {
        TestRunner fetch = TestRunners.newTestRunner(FetchCrmPartition.class);
        enable(fetch, service);
        TestServices.json(fetch);
        fetch.setProperty(CrmProperties.CONNECTION_SERVICE, service);
        fetch.setProperty(FetchCrmPartition.MAX_RECORDS_PER_FLOWFILE, "4000");
        fetch.setProperty(CrmProperties.RECORD_WRITER, TestServices.WRITER);
        fetch.setThreadCount(4);
        partitions.forEach(p -> fetch.enqueue(new byte[0], p.getAttributes()));
        while (fetch.getFlowFilesForRelationship(FetchCrmPartition.REL_COMPLETED).size() < partitions.size()) {
            fetch.run(20, false, false);
            assertEquals(0, fetch.getFlowFilesForRelationship(FetchCrmPartition.REL_FAILURE).size());
        }
        fetch.run(1, true, false);
        Map<String, String> partitionOf = new HashMap<>();
        int duplicates = 0;
        for (MockFlowFile flowFile : fetch.getFlowFilesForRelationship(FetchCrmPartition.REL_SUCCESS)) {
            for (JsonNode record : JSON.readTree(flowFile.toByteArray())) {
                if (partitionOf.put(record.path(idField).asText(), flowFile.getAttribute("crm.partition.index")) != null) {
                    duplicates++;
                }
            }
        }
        assertEquals(0, duplicates, "no record read twice");
        long completedRecords = fetch.getFlowFilesForRelationship(FetchCrmPartition.REL_COMPLETED).stream()
                .mapToLong(f -> Long.parseLong(f.getAttribute("crm.partition.records"))).sum();
        assertEquals(partitionOf.size(), completedRecords, "the completed partitions account for every record");
        return partitionOf;
    }

    @Test
    void eightSalesforceIdRangesCoverTheObjectExactlyOnce() throws Exception {
        List<MockFlowFile> partitions = generate(TestServices.SALESFORCE, "Contact", "id");
        partitions.forEach(p -> p.assertAttributeEquals("crm.partition.field", "Id"));
        Map<String, String> partitionOf = fetchAll(partitions, TestServices.SALESFORCE, "Id");
        Set<String> source = new HashSet<>();
        sim.salesforce().store("Contact").orElseThrow().stream().forEach(r -> source.add(r.id()));
        assertEquals(source, partitionOf.keySet(), "the union of the partitions is the source");
        Map<String, Long> sizes = new HashMap<>();
        partitionOf.values().forEach(p -> sizes.merge(p, 1L, Long::sum));
        assertEquals(8, sizes.size(), "PK chunking spreads sequential ids over every partition: " + sizes);
        assertTrue(sizes.values().stream().allMatch(n -> n > CONTACTS / 16), "balanced: " + sizes);
    }

    @Test
    void hubSpotCreatedDateSlicesCoverTheObjectExactlyOnce() throws Exception {
        List<MockFlowFile> partitions = generate(TestServices.HUBSPOT, "contacts", "created");
        Map<String, String> partitionOf = fetchAll(partitions, TestServices.HUBSPOT, "hs_object_id");
        Set<String> source = new HashSet<>();
        sim.hubspot().store("contacts").orElseThrow().stream().filter(r -> !r.deleted()).forEach(r -> source.add(r.id()));
        assertEquals(source, partitionOf.keySet());
    }
}
