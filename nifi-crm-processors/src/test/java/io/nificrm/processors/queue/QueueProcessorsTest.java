package io.nificrm.processors.queue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nificrm.api.queue.CrmChangeQueue;
import io.nificrm.processors.ConsumeCrmChanges;
import io.nificrm.processors.PublishCrmChanges;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.nifi.provenance.ProvenanceEventRecord;
import org.apache.nifi.provenance.ProvenanceEventType;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PublishCrmChanges and ConsumeCrmChanges over both change queues (a real Kafka broker and a real PostgreSQL outbox):
 * the change-record format end to end, per-record routing, order per record across FlowFiles, acknowledgement only
 * after the session committed (a rolled-back session gets the same messages again, a committed one does not), and
 * Replay From.
 */
class QueueProcessorsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String topic(String kind) {
        return kind + "-" + UUID.randomUUID().toString().substring(0, 8);
    }

    private static TestRunner publisher(String kind, String topic) throws Exception {
        TestRunner runner = TestRunners.newTestRunner(PublishCrmChanges.class);
        QueueTestSupport.queue(runner, kind, topic);
        QueueTestSupport.json(runner);
        runner.setProperty("Change Queue", QueueTestSupport.QUEUE);
        runner.setProperty("Record Reader", QueueTestSupport.READER);
        runner.setProperty("Record Writer", QueueTestSupport.WRITER);
        return runner;
    }

    private static TestRunner consumer(String kind, String topic, String group) throws Exception {
        TestRunner runner = TestRunners.newTestRunner(ConsumeCrmChanges.class);
        QueueTestSupport.queue(runner, kind, topic);
        QueueTestSupport.json(runner);
        runner.setProperty("Change Queue", QueueTestSupport.QUEUE);
        runner.setProperty("Consumer Group", group);
        runner.setProperty("Record Writer", QueueTestSupport.WRITER);
        runner.setProperty("Max Wait", "300 millis");
        return runner;
    }

    /** Runs the consumer until {@code count} records arrived (or 15 s passed); returns them in arrival order. */
    private static List<JsonNode> consume(TestRunner consumer, int count) throws Exception {
        List<JsonNode> records = new ArrayList<>();
        consumer.clearTransferState();
        pollUntil(consumer, () -> records.size() >= count, () -> {
            for (MockFlowFile flowFile : consumer.getFlowFilesForRelationship("success")) {
                for (JsonNode record : JSON.readTree(flowFile.toByteArray())) {
                    records.add(record);
                }
            }
            consumer.clearTransferState();
        });
        return records;
    }

    /** Runs the consumer (its first run schedules it) until {@code done} holds or 15 s passed; {@code afterRun} after each run. */
    private static void pollUntil(TestRunner consumer, BooleanSupplier done, ThrowingRunnable afterRun) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        boolean first = true;
        while (!done.getAsBoolean() && System.nanoTime() < deadline) {
            consumer.run(1, false, first);
            first = false;
            afterRun.run();
        }
    }

    private interface ThrowingRunnable {
        void run() throws Exception;
    }

    @ParameterizedTest
    @ValueSource(strings = {"kafka", "outbox"})
    void queryResultsTravelAsChangeRecords(String kind) throws Exception {
        String topic = topic(kind);
        QueueTestSupport.createTopic(kind, topic, 2);
        TestRunner publish = publisher(kind, topic);
        String input = """
                [{"Id": "003A", "LastName": "Smith", "Email": "a@example.com", "SystemModstamp": "2024-05-01T10:00:00.000Z", "crm_deleted": false},
                 {"Id": "003B", "LastName": "Jones", "Email": "b@example.com", "SystemModstamp": "2024-05-01T10:00:01.000Z", "crm_deleted": true},
                 {"LastName": "NoId"},
                 {"Id": "003C", "LastName": "Brown", "Email": null, "SystemModstamp": "2024-05-01T10:00:02.000Z", "crm_deleted": false,
                  "crm_operation": "create", "crm_changed_fields": ["LastName"], "crm_origin": "salesforce/acme"}]
                """;
        publish.enqueue(input, Map.of("crm.object", "Contact", "crm.system", "salesforce"));
        publish.run();
        publish.assertTransferCount("success", 1);
        publish.assertTransferCount("failure", 1);
        publish.assertTransferCount("retry", 0);
        MockFlowFile published = publish.getFlowFilesForRelationship("success").get(0);
        published.assertAttributeEquals("record.count", "3");
        published.assertAttributeEquals("crm.queue", kind);
        published.assertAttributeEquals("crm.queue.published", "3");
        MockFlowFile failed = publish.getFlowFilesForRelationship("failure").get(0);
        assertEquals("MISSING_KEY", JSON.readTree(failed.toByteArray()).get(0).get("crm_error_code").asText());
        ProvenanceEventRecord send = publish.getProvenanceEvents().stream().filter(e -> e.getEventType() == ProvenanceEventType.SEND)
                .findFirst().orElseThrow();
        assertTrue(send.getTransitUri().contains(topic), send.getTransitUri());
        assertEquals(3, publish.getCounterValue("Changes Published"));

        TestRunner consume = consumer(kind, topic, "g1");
        List<JsonNode> records = consume(consume, 3);
        assertEquals(3, records.size(), () -> "errors: " + consume.getLogger().getErrorMessages());
        Map<String, JsonNode> byKey = new HashMap<>();
        records.forEach(r -> byKey.put(r.get("crm_key").asText(), r));
        JsonNode smith = byKey.get("003A");
        assertEquals("upsert", smith.get("crm_operation").asText());
        assertEquals("Contact", smith.get("crm_object").asText());
        assertEquals("salesforce", smith.get("crm_system").asText());
        assertEquals("salesforce", smith.get("crm_origin").asText());
        assertEquals("Smith", smith.get("LastName").asText());
        assertEquals(java.time.Instant.parse("2024-05-01T10:00:00Z"), java.time.OffsetDateTime.parse(smith.get("crm_source_timestamp").asText()).toInstant(), smith.toString());
        assertEquals("delete", byKey.get("003B").get("crm_operation").asText());
        JsonNode brown = byKey.get("003C");
        assertEquals("create", brown.get("crm_operation").asText());
        assertEquals("LastName", brown.get("crm_changed_fields").get(0).asText());
        assertEquals("salesforce/acme", brown.get("crm_origin").asText());

        consume.clearTransferState();
        consume.run(1, false, false);
        consume.assertTransferCount("success", 0);
        ProvenanceEventRecord receive = consume.getProvenanceEvents().stream().filter(e -> e.getEventType() == ProvenanceEventType.RECEIVE)
                .findFirst().orElseThrow();
        assertTrue(receive.getTransitUri().startsWith(kind.equals("kafka") ? "kafka://127.0.0.1:" : "jdbc:postgresql://"), receive.getTransitUri());
    }

    @ParameterizedTest
    @ValueSource(strings = {"kafka", "outbox"})
    void consumedFlowFilesCarryWhereTheMessagesCameFrom(String kind) throws Exception {
        String topic = topic(kind);
        QueueTestSupport.createTopic(kind, topic, 1);
        TestRunner publish = publisher(kind, topic);
        publish.enqueue("[{\"Id\": \"1\", \"name\": \"a\"}, {\"Id\": \"2\", \"name\": \"b\"}]", Map.of("crm.object", "accounts"));
        publish.enqueue("[{\"Id\": \"9\", \"email\": \"x@example.com\"}]", Map.of("crm.object", "contacts"));
        publish.run(2);
        TestRunner again = consumer(kind, topic, "g-attributes");
        again.removeProperty("Record Writer");  // JSON passthrough
        List<MockFlowFile> flowFiles = new ArrayList<>();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (flowFiles.stream().mapToInt(f -> Integer.parseInt(f.getAttribute("record.count"))).sum() < 3 && System.nanoTime() < deadline) {
            again.clearTransferState();
            again.run(1, false, flowFiles.isEmpty());
            flowFiles.addAll(again.getFlowFilesForRelationship("success"));
        }
        Map<String, MockFlowFile> byObject = new LinkedHashMap<>();
        flowFiles.forEach(f -> byObject.put(f.getAttribute("crm.object"), f));
        assertEquals(2, byObject.size(), "one FlowFile per object");
        MockFlowFile accounts = byObject.get("accounts");
        accounts.assertAttributeEquals("mime.type", "application/json");
        accounts.assertAttributeEquals("crm.queue.topic", topic);
        accounts.assertAttributeEquals("crm.queue.group", "g-attributes");
        accounts.assertAttributeEquals("crm.queue.partition", "0");
        assertTrue(Long.parseLong(accounts.getAttribute("crm.queue.offset.last")) > Long.parseLong(accounts.getAttribute("crm.queue.offset.first")));
        JsonNode raw = JSON.readTree(accounts.toByteArray());
        assertEquals("1", raw.get(0).get("crm_key").asText());
        assertEquals(2, raw.size());
        byObject.get("contacts").assertAttributeEquals("record.count", "1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"kafka", "outbox"})
    void theChangesOfOneRecordArriveInOrder(String kind) throws Exception {
        String topic = topic(kind);
        QueueTestSupport.createTopic(kind, topic, 3);
        TestRunner publish = publisher(kind, topic);
        // 12 FlowFiles, each holding version v of records 0..7.
        for (int v = 0; v < 12; v++) {
            StringBuilder json = new StringBuilder("[");
            for (int r = 0; r < 8; r++) {
                json.append(r == 0 ? "" : ",").append("{\"Id\": \"r").append(r).append("\", \"version\": ").append(v).append("}");
            }
            publish.enqueue(json.append("]").toString(), Map.of("crm.object", "Contact"));
        }
        publish.run(12);
        publish.assertTransferCount("success", 12);
        TestRunner consume = consumer(kind, topic, "g-order");
        consume.setProperty("Max Messages Per Poll", "7");
        List<JsonNode> records = consume(consume, 96);
        assertEquals(96, records.size());
        Map<String, List<Integer>> versions = new HashMap<>();
        records.forEach(r -> versions.computeIfAbsent(r.get("crm_key").asText(), k -> new ArrayList<>()).add(r.get("version").asInt()));
        List<Integer> expected = new ArrayList<>();
        for (int v = 0; v < 12; v++) {
            expected.add(v);
        }
        versions.forEach((key, seen) -> assertEquals(expected, seen, "versions of " + key));
    }

    @ParameterizedTest
    @ValueSource(strings = {"kafka", "outbox"})
    void nothingIsAcknowledgedUntilTheSessionCommits(String kind) throws Exception {
        String topic = topic(kind);
        QueueTestSupport.createTopic(kind, topic, 1);
        TestRunner publish = publisher(kind, topic);
        publish.enqueue("[{\"Id\": \"1\"}, {\"Id\": \"2\"}, {\"Id\": \"3\"}]", Map.of("crm.object", "Contact"));
        publish.run();

        TestRunner consume = consumer(kind, topic, "g-commit");
        QueueTestSupport.FailingJsonWriter failing = new QueueTestSupport.FailingJsonWriter();
        consume.addControllerService("failing", failing);
        consume.enableControllerService(failing);
        consume.setProperty("Record Writer", "failing");
        QueueTestSupport.FailingJsonWriter.failures.set(1);

        // The first poll gets the messages but writing them fails: the session rolls back and nothing is acknowledged.
        pollUntil(consume, () -> QueueTestSupport.FailingJsonWriter.failures.get() == 0, () -> { });
        assertEquals(0, QueueTestSupport.FailingJsonWriter.failures.get(), "the writer failed once");
        consume.assertTransferCount("success", 0);
        assertEquals(0, acknowledged(kind, topic, "g-commit"), "nothing acknowledged");

        // The next poll delivers the same messages; this session commits, and then they are acknowledged.
        List<JsonNode> records = consume(consume, 3);
        assertEquals(List.of("1", "2", "3"), records.stream().map(r -> r.get("crm_key").asText()).toList());
        assertEquals(3, acknowledged(kind, topic, "g-commit"), "all three acknowledged");
        consume.clearTransferState();
        consume.run(1, false, false);
        consume.assertTransferCount("success", 0);
    }

    /** How many messages of the topic the group has acknowledged: Kafka's committed offset, the outbox's done rows. */
    private static long acknowledged(String kind, String topic, String group) throws Exception {
        if (kind.equals("kafka")) {
            OffsetAndMetadata offset = committed(group).get(new TopicPartition(topic, 0));
            return offset == null ? 0 : offset.offset();
        }
        return QueueTestSupport.outboxScalar("SELECT count(*) FROM crm_outbox WHERE topic = '" + topic + "' AND done_at IS NOT NULL");
    }

    private static Map<TopicPartition, OffsetAndMetadata> committed(String group) throws Exception {
        try (Admin admin = io.nificrm.services.queue.LocalKafka.shared().admin()) {
            return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"kafka", "outbox"})
    void replayFromDeliversAgainOncePerValue(String kind) throws Exception {
        String topic = topic(kind);
        QueueTestSupport.createTopic(kind, topic, 1);
        TestRunner publish = publisher(kind, topic);
        publish.enqueue("[{\"Id\": \"1\"}, {\"Id\": \"2\"}, {\"Id\": \"3\"}, {\"Id\": \"4\"}]", Map.of("crm.object", "Contact"));
        publish.run();
        TestRunner consume = consumer(kind, topic, "g-replay");
        assertEquals(4, consume(consume, 4).size());
        consume.stop();

        consume.setProperty("Replay From", "earliest");
        assertEquals(4, consume(consume, 4).size(), "replayed from the start");
        consume.stop();

        // Started again with the same value: no second replay.
        consume.clearTransferState();
        consume.run(1, true, true);
        consume.assertTransferCount("success", 0);

        // A bad position is refused by validation.
        consume.setProperty("Replay From", "yesterday");
        consume.assertNotValid();
    }

    @ParameterizedTest
    @ValueSource(strings = {"kafka", "outbox"})
    void messagesThatAreNotChangeRecordsGoToParseFailure(String kind) throws Exception {
        String topic = topic(kind);
        QueueTestSupport.createTopic(kind, topic, 1);
        TestRunner publish = publisher(kind, topic);
        CrmChangeQueue queue = (CrmChangeQueue) publish.getProcessContext().getControllerServiceLookup().getControllerService(QueueTestSupport.QUEUE);
        queue.publish(topic, List.of(new io.nificrm.api.queue.QueueMessage("k", "[1, 2]".getBytes(StandardCharsets.UTF_8)),
                new io.nificrm.api.queue.QueueMessage("k2", "{\"crm_object\": \"Contact\", \"crm_key\": \"k2\"}".getBytes(StandardCharsets.UTF_8))));
        TestRunner consume = consumer(kind, topic, "g-malformed");
        pollUntil(consume, () -> !consume.getFlowFilesForRelationship("parse.failure").isEmpty(), () -> { });
        consume.assertTransferCount("parse.failure", 1);
        consume.assertTransferCount("success", 1);
        MockFlowFile bad = consume.getFlowFilesForRelationship("parse.failure").get(0);
        bad.assertContentEquals("[1, 2]");
        bad.assertAttributeEquals("crm.error.code", "MALFORMED_MESSAGE");
        bad.assertAttributeEquals("crm.queue.key", "k");
    }
}
