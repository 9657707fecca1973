package io.nificrm.processors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.processors.common.CrmProperties;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.simulator.fault.FaultRule;
import io.nificrm.simulator.store.ObjectStore;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.nificrm.processors.ListenCrmWebhookTestSupport.JSON;
import static io.nificrm.processors.ListenCrmWebhookTestSupport.records;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** FetchCrmRecords against the simulator's HubSpot portal through the real HubSpot service. */
class FetchCrmRecordsTest {
    private CrmSimulator sim;
    private TestRunner runner;
    private final List<String> ids = new ArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        sim = CrmSimulator.start(SimulatorConfig.defaults().unlimited());
        ObjectStore contacts = sim.hubspot().store("contacts").orElseThrow();
        for (int i = 0; i < 250; i++) {
            ids.add(contacts.create(Map.of("email", "c" + i + "@example.com", "firstname", "First" + i, "lastname", "Last" + i)).id());
        }
        runner = TestRunners.newTestRunner(FetchCrmRecords.class);
        TestServices.json(runner);
        TestServices.hubspot(runner, sim);
        runner.setProperty(CrmProperties.CONNECTION_SERVICE, TestServices.HUBSPOT);
        runner.setProperty(CrmProperties.RECORD_READER, TestServices.READER);
        runner.setProperty(CrmProperties.RECORD_WRITER, TestServices.WRITER);
        runner.setProperty(FetchCrmRecords.FIELDS, "email, firstname, lastname");
    }

    @AfterEach
    void tearDown() {
        sim.close();
    }

    private static ObjectNode change(String operation, String key) {
        ObjectNode change = JSON.createObjectNode();
        change.put("crm_operation", operation);
        change.put("crm_object", "contacts");
        if (key != null) {
            change.put("crm_key", key);
        }
        change.putArray("crm_changed_fields").add("firstname");
        change.put("crm_source_timestamp", "2024-05-21T10:15:30Z");
        change.put("crm_origin", "hubspot/62515/CRM_UI");
        change.put("crm_system", "hubspot");
        change.put("crm_event_id", "ev-" + key);
        change.put("firstname", "stale value from the notification");
        return change;
    }

    @Test
    void fetchesInBatchesAndAccountsForEveryRecord() throws Exception {
        ArrayNode input = JSON.createArrayNode();
        ids.forEach(id -> input.add(change("update", id)));
        input.add(change("update", ids.get(0)));          // a second change of the same record: one lookup value, two records out
        for (int i = 0; i < 5; i++) {
            input.add(change("update", Long.toString(9_000_000L + i)));   // never existed (or deleted since)
        }
        input.add(change("delete", "8000001"));           // deletes pass through without a fetch
        input.add(change("delete", "8000002"));
        input.add(change("update", null));                // no key: failure
        int in = input.size();
        runner.setProperty(FetchCrmRecords.BATCH_SIZE, "100");
        long before = sim.stats().requests("hubspot", "batch-read");
        runner.enqueue(input.toString());
        runner.run();

        int distinctLookedUp = ids.size() + 5;
        assertEquals((distinctLookedUp + 99) / 100, sim.stats().requests("hubspot", "batch-read") - before, "calls = ceil(n / batch)");
        assertEquals((distinctLookedUp + 99) / 100, runner.getCounterValue("Lookup Calls"));
        List<JsonNode> success = records(runner.getFlowFilesForRelationship(FetchCrmRecords.REL_SUCCESS));
        List<JsonNode> notFound = records(runner.getFlowFilesForRelationship(FetchCrmRecords.REL_NOT_FOUND));
        List<JsonNode> failure = records(runner.getFlowFilesForRelationship(FetchCrmRecords.REL_FAILURE));
        runner.assertTransferCount(FetchCrmRecords.REL_RETRY, 0);
        assertEquals(ids.size() + 1 + 2, success.size());
        assertEquals(5, notFound.size());
        assertEquals(1, failure.size());
        assertEquals("MISSING_KEY", failure.get(0).get("crm_error_code").asText());
        assertEquals(in, success.size() + notFound.size() + failure.size(), "records in = records out");

        JsonNode full = success.stream().filter(r -> ids.get(7).equals(r.get("hs_object_id").asText())).findFirst().orElseThrow();
        assertEquals("First7", full.get("firstname").asText(), "the current value, not the notification's");
        assertEquals("c7@example.com", full.get("email").asText());
        assertEquals("update", full.get("crm_operation").asText());
        assertEquals(ids.get(7), full.get("crm_key").asText());
        assertEquals("hubspot/62515/CRM_UI", full.get("crm_origin").asText());
        assertEquals("firstname", full.get("crm_changed_fields").get(0).asText());
        JsonNode deleted = success.stream().filter(r -> "delete".equals(r.get("crm_operation").asText())).findFirst().orElseThrow();
        assertEquals("8000001", deleted.get("hs_object_id").asText());
        assertTrue(deleted.get("email").isNull());
        MockFlowFile out = runner.getFlowFilesForRelationship(FetchCrmRecords.REL_SUCCESS).get(0);
        out.assertAttributeEquals("crm.object", "contacts");
        out.assertAttributeEquals("crm.system", "hubspot");
        assertEquals(ids.size() + 1, runner.getCounterValue("Records Fetched"));
        assertEquals(2, runner.getCounterValue("Deletes Passed Through"));
        assertEquals(5, runner.getCounterValue("Records Not Found"));
    }

    @Test
    void smallerBatchesMakeMoreCalls() {
        ArrayNode input = JSON.createArrayNode();
        ids.subList(0, 95).forEach(id -> input.add(change("create", id)));
        runner.setProperty(FetchCrmRecords.BATCH_SIZE, "10");
        runner.enqueue(input.toString());
        runner.run();
        assertEquals(10, runner.getCounterValue("Lookup Calls"));
        runner.assertTransferCount(FetchCrmRecords.REL_SUCCESS, 1);
        assertEquals("95", runner.getFlowFilesForRelationship(FetchCrmRecords.REL_SUCCESS).get(0).getAttribute("record.count"));
    }

    @Test
    void transientFailuresGoToRetryAndRecordsDeletedSinceToNotFound() throws Exception {
        org.apache.nifi.controller.ControllerService service = runner.getControllerService(TestServices.HUBSPOT);
        runner.disableControllerService(service);
        runner.setProperty(service, "Max Retries", "0");
        runner.enableControllerService(service);
        ObjectStore contacts = sim.hubspot().store("contacts").orElseThrow();
        contacts.delete(ids.get(1));
        ArrayNode input = JSON.createArrayNode();
        input.add(change("update", ids.get(0)));
        input.add(change("update", ids.get(1)));
        runner.enqueue(input.toString());
        runner.run();
        runner.assertTransferCount(FetchCrmRecords.REL_SUCCESS, 1);
        assertEquals(ids.get(1), records(runner.getFlowFilesForRelationship(FetchCrmRecords.REL_NOT_FOUND)).get(0).get("crm_key").asText());

        runner.clearTransferState();
        sim.faults().add(FaultRule.on("hubspot", "batch-read").withErrors(1.0, 503));
        runner.enqueue(input.toString());
        runner.run();
        List<JsonNode> retry = records(runner.getFlowFilesForRelationship(FetchCrmRecords.REL_RETRY));
        assertEquals(2, retry.size());
        assertTrue(retry.get(0).get("crm_error_code").asText().length() > 0);
        runner.assertTransferCount(FetchCrmRecords.REL_SUCCESS, 0);
    }

    @Test
    void unreadableInputFailsWhole() {
        runner.enqueue("this is not json");
        runner.run();
        runner.assertAllFlowFilesTransferred(FetchCrmRecords.REL_FAILURE, 1);
        runner.getFlowFilesForRelationship(FetchCrmRecords.REL_FAILURE).get(0).assertAttributeEquals("crm.error.code", "MALFORMED_INPUT");
    }

    @Test
    void endToEndFromTheSimulatorsWebhooksThroughListenAndFetch() throws Exception {
        TestRunner listen = ListenCrmWebhookTestSupport.hubspotRunner();
        ListenCrmWebhookTestSupport.start(listen);
        String url = ListenCrmWebhookTestSupport.url(listen);
        sim.hubspotWebhooks().enable(io.nificrm.simulator.webhooks.HubSpotWebhookSender.Settings.of(url, ListenCrmWebhookTestSupport.SECRET));
        ObjectStore contacts = sim.hubspot().store("contacts").orElseThrow();
        try (ListenCrmWebhookTestSupport.Driver ignored = new ListenCrmWebhookTestSupport.Driver(listen)) {
            contacts.create(Map.of("email", "new@example.com", "firstname", "Nina", "lastname", "New"));
            contacts.update(ids.get(3), Map.of("lastname", "Changed"));
            contacts.delete(ids.get(4));
            assertTrue(sim.hubspotWebhooks().awaitIdle(Duration.ofSeconds(20)));
            assertEquals(3, sim.hubspotWebhooks().stats().eventsDelivered());
        }
        listen.stop();
        List<MockFlowFile> changes = listen.getFlowFilesForRelationship(ListenCrmWebhook.REL_SUCCESS);
        for (MockFlowFile change : changes) {
            runner.enqueue(change.getContent(), change.getAttributes());
        }
        runner.run(changes.size());
        List<JsonNode> full = records(runner.getFlowFilesForRelationship(FetchCrmRecords.REL_SUCCESS));
        assertEquals(3, full.size());
        JsonNode updated = full.stream().filter(r -> "update".equals(r.get("crm_operation").asText())).findFirst().orElseThrow();
        assertEquals("Changed", updated.get("lastname").asText());
        assertEquals("c3@example.com", updated.get("email").asText());
        assertEquals("lastname", updated.get("crm_changed_fields").get(0).asText());
        JsonNode createdRecord = full.stream().filter(r -> "create".equals(r.get("crm_operation").asText())).findFirst().orElseThrow();
        assertEquals("Nina", createdRecord.get("firstname").asText());
        assertEquals("delete", full.stream().filter(r -> ids.get(4).equals(r.get("crm_key").asText())).findFirst().orElseThrow()
                .get("crm_operation").asText());
    }
}
