package io.nificrm.processors.queue;

import io.nificrm.processors.ConsumeCrmChanges;
import io.nificrm.processors.MapCrmFields;
import io.nificrm.processors.PublishCrmChanges;
import io.nificrm.processors.QueryCrmEntities;
import io.nificrm.processors.UpsertCrmRecords;
import io.nificrm.services.hubspot.HubSpotConnectionService;
import io.nificrm.services.salesforce.SalesforceConnectionService;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.simulator.SimulatorCredentials;
import io.nificrm.simulator.seed.SeedConfig;
import io.nificrm.simulator.store.ObjectStore;
import io.nificrm.simulator.store.SimRecord;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The queue sync mode end to end over real HTTP and a real queue: Salesforce contacts read incrementally
 * (QueryCrmEntities) are published (PublishCrmChanges) to Kafka or the PostgreSQL outbox, consumed
 * (ConsumeCrmChanges), mapped (MapCrmFields) and upserted into HubSpot (UpsertCrmRecords). After the initial window,
 * contacts changed in Salesforce arrive changed in HubSpot.
 */
class QueueSyncTest {
    static final String MAPPING = """
            {
              "name": "sf-contact-changes-to-hubspot",
              "target": {"system": "hubspot", "object": "contacts"},
              "fields": [
                {"target": "source_id", "source": "crm_key"},
                {"target": "email", "source": "Email", "transforms": ["email", "null_if_blank"]},
                {"target": "firstname", "source": "FirstName", "transforms": ["trim"]},
                {"target": "lastname", "source": "LastName", "transforms": ["trim"]}
              ]
            }
            """;
    private CrmSimulator sim;

    @BeforeEach
    void start() {
        sim = CrmSimulator.start(SimulatorConfig.defaults().unlimited()
                .seed("salesforce", SeedConfig.ofContacts(300).withDuplicateRate(0)));
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    /** The five stages of the flow, each a processor in its own runner; FlowFiles are handed on by hand. */
    private final class Flow {
        final TestRunner query = TestRunners.newTestRunner(QueryCrmEntities.class);
        final TestRunner publish = TestRunners.newTestRunner(PublishCrmChanges.class);
        final TestRunner consume = TestRunners.newTestRunner(ConsumeCrmChanges.class);
        final TestRunner map = TestRunners.newTestRunner(MapCrmFields.class);
        final TestRunner upsert = TestRunners.newTestRunner(UpsertCrmRecords.class);
        long upserted;
        long rejected;

        Flow(String kind, String topic) throws Exception {
            SalesforceConnectionService salesforce = new SalesforceConnectionService();
            query.addControllerService("salesforce", salesforce);
            query.setProperty(salesforce, SalesforceConnectionService.LOGIN_URL, sim.baseUrl());
            query.setProperty(salesforce, SalesforceConnectionService.CLIENT_ID, SimulatorCredentials.SALESFORCE_CLIENT_ID);
            query.setProperty(salesforce, SalesforceConnectionService.CLIENT_SECRET, SimulatorCredentials.SALESFORCE_CLIENT_SECRET);
            query.enableControllerService(salesforce);
            QueueTestSupport.json(query);
            query.setProperty("CRM Connection Service", "salesforce");
            query.setProperty("Object", "Contact");
            query.setProperty("Fields", "FirstName, LastName, Email");
            query.setProperty("Load Mode", "incremental");
            query.setProperty("Age Delay", "0 sec");
            query.setProperty("Lookback Window", "5 secs");
            query.setProperty("Record Writer", QueueTestSupport.WRITER);

            QueueTestSupport.queue(publish, kind, topic);
            QueueTestSupport.json(publish);
            publish.setProperty("Change Queue", QueueTestSupport.QUEUE);
            publish.setProperty("Record Reader", QueueTestSupport.READER);
            publish.setProperty("Record Writer", QueueTestSupport.WRITER);

            QueueTestSupport.queue(consume, kind, topic);
            QueueTestSupport.json(consume);
            consume.setProperty("Change Queue", QueueTestSupport.QUEUE);
            consume.setProperty("Record Writer", QueueTestSupport.WRITER);
            consume.setProperty("Max Wait", "200 millis");

            QueueTestSupport.json(map);
            map.setProperty("Mapping", MAPPING);
            map.setProperty("Record Reader", QueueTestSupport.READER);
            map.setProperty("Record Writer", QueueTestSupport.WRITER);

            HubSpotConnectionService hubspot = new HubSpotConnectionService();
            upsert.addControllerService("hubspot", hubspot);
            upsert.setProperty(hubspot, HubSpotConnectionService.BASE_URL, sim.baseUrl());
            upsert.setProperty(hubspot, HubSpotConnectionService.ACCESS_TOKEN, SimulatorCredentials.HUBSPOT_PRIVATE_APP_TOKEN);
            upsert.enableControllerService(hubspot);
            QueueTestSupport.json(upsert);
            upsert.setProperty("CRM Connection Service", "hubspot");
            upsert.setProperty("Object", "contacts");
            upsert.setProperty("Key Field", "source_id");
            upsert.setProperty("Record Reader", QueueTestSupport.READER);
            upsert.setProperty("Record Writer", QueueTestSupport.WRITER);
        }

        /** One pass: read the next change window and publish it; consume until {@code expected} changes arrived, map, upsert. */
        void cycle(int expected) throws Exception {
            query.clearTransferState();
            query.run(1, false, true);
            handOn(query, "success", publish);
            publish.clearTransferState();
            publish.run(publish.getQueueSize().getObjectCount(), false, true);
            assertEquals(0, publish.getFlowFilesForRelationship("failure").size() + publish.getFlowFilesForRelationship("retry").size());
            int consumed = 0;
            long deadline = System.nanoTime() + 15_000_000_000L;
            boolean first = true;
            while (consumed < expected && System.nanoTime() < deadline) {
                consume.clearTransferState();
                consume.run(1, false, first);
                first = false;
                for (MockFlowFile flowFile : consume.getFlowFilesForRelationship("success")) {
                    consumed += Integer.parseInt(flowFile.getAttribute("record.count"));
                    map.enqueue(flowFile.toByteArray(), flowFile.getAttributes());
                }
            }
            assertEquals(expected, consumed, "changes consumed");
            map.clearTransferState();
            map.run(map.getQueueSize().getObjectCount(), false, true);
            handOn(map, "success", upsert);
            upsert.clearTransferState();
            upsert.run(upsert.getQueueSize().getObjectCount(), false, true);
            upserted += count(upsert, "success");
            rejected += count(upsert, "failure") + count(map, "invalid");
            assertEquals(0, count(upsert, "retry"));
        }

        private void handOn(TestRunner from, String relationship, TestRunner to) {
            for (MockFlowFile flowFile : from.getFlowFilesForRelationship(relationship)) {
                to.enqueue(flowFile.toByteArray(), flowFile.getAttributes());
            }
        }

        private long count(TestRunner runner, String relationship) {
            return runner.getFlowFilesForRelationship(relationship).stream().mapToLong(f -> Long.parseLong(f.getAttribute("record.count"))).sum();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"kafka", "outbox"})
    void salesforceChangesArriveInHubSpotThroughTheQueue(String kind) throws Exception {
        String topic = "sync-" + kind + "-" + UUID.randomUUID().toString().substring(0, 8);
        QueueTestSupport.createTopic(kind, topic, 3);
        Flow flow = new Flow(kind, topic);
        flow.cycle(300);
        ObjectStore hubspot = sim.hubspot().store("contacts").orElseThrow();
        assertEquals(flow.upserted, hubspot.count(false), "HubSpot holds every contact it accepted");
        assertTrue(flow.upserted >= 250, "most contacts arrived: " + flow.upserted + " (rejected " + flow.rejected + ")");

        ObjectStore salesforce = sim.salesforce().store("Contact").orElseThrow();
        Thread.sleep(1_100);  // Salesforce times have whole seconds: the changes get a later one than the first window's end
        List<SimRecord> all = salesforce.stream().toList();
        Map<String, String> changed = new HashMap<>();
        for (int i = 0; i < 10; i++) {
            SimRecord contact = all.get(i * 7);
            String lastName = "Changed" + i;
            salesforce.update(contact.id(), Map.of("LastName", lastName, "Email", "changed" + i + "@example.com"));
            changed.put(contact.id(), lastName);
        }
        flow.cycle(10);
        List<String> missing = new ArrayList<>();
        changed.forEach((id, lastName) -> {
            SimRecord target = hubspot.findByUnique("source_id", id).orElse(null);
            if (target == null || !lastName.equals(target.fields().get("lastname"))) {
                missing.add(id);
            }
        });
        assertEquals(List.of(), missing, "every changed contact is changed in HubSpot");
    }
}
