package io.nificrm.services.queue;

import io.nificrm.api.CrmException;
import io.nificrm.api.queue.MessagePosition;
import io.nificrm.api.queue.QueueBatch;
import io.nificrm.api.queue.QueueMessage;
import io.nificrm.api.queue.QueuePosition;
import io.nificrm.api.queue.ReceivedMessage;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.nifi.components.ConfigVerificationResult;
import org.apache.nifi.util.MockConfigurationContext;
import org.apache.nifi.controller.ControllerServiceLookup;
import org.apache.nifi.util.MockComponentLog;
import org.apache.nifi.util.NoOpProcessor;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * KafkaChangeQueue against a real broker (LocalKafka: kafka_2.13 in KRaft mode in this JVM): publish and poll round
 * trip, order per key with concurrent publishers and consumers, offsets committed only on acknowledge (released and
 * abandoned batches come again), replay by offset and time, and the start position of new groups.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class KafkaChangeQueueTest {
    private static final Duration WAIT = Duration.ofSeconds(10);
    private LocalKafka kafka;
    private TestRunner runner;
    private int services;

    @BeforeAll
    void startBroker() {
        kafka = LocalKafka.shared();
        runner = TestRunners.newTestRunner(NoOpProcessor.class);
    }

    private KafkaChangeQueue queue(String topic, String... properties) throws Exception {
        KafkaChangeQueue queue = new KafkaChangeQueue();
        runner.addControllerService("kafka-" + services++, queue);
        runner.setProperty(queue, KafkaChangeQueue.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        runner.setProperty(queue, KafkaChangeQueue.TOPIC, topic);
        for (int i = 0; i < properties.length; i += 2) {
            runner.setProperty(queue, properties[i], properties[i + 1]);
        }
        runner.enableControllerService(queue);
        return queue;
    }

    private static QueueMessage message(String key, String value) {
        return new QueueMessage(key, value.getBytes(StandardCharsets.UTF_8), Map.of("crm_operation", "update"));
    }

    private static String text(ReceivedMessage message) {
        return new String(message.value(), StandardCharsets.UTF_8);
    }

    /** Polls until {@code count} messages arrived (acknowledging each batch), or the wait is over. */
    private static List<ReceivedMessage> drain(KafkaChangeQueue queue, String topic, String group, int count) {
        List<ReceivedMessage> all = new ArrayList<>();
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (all.size() < count && System.nanoTime() < deadline) {
            QueueBatch batch = queue.poll(topic, group, 100, Duration.ofMillis(200));
            all.addAll(batch.messages());
            queue.acknowledge(batch);
        }
        return all;
    }

    private Map<TopicPartition, OffsetAndMetadata> committed(String group) throws Exception {
        try (Admin admin = kafka.admin()) {
            return admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void publishedMessagesArriveWithKeysValuesAndHeaders() throws Exception {
        kafka.createTopic("round-trip", 3);
        KafkaChangeQueue queue = queue("round-trip");
        List<QueueMessage> messages = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            messages.add(message("Contact/" + (i % 7), "{\"n\":" + i + "}"));
        }
        List<MessagePosition> positions = queue.publish("round-trip", messages);
        assertEquals(30, positions.size());
        assertTrue(positions.stream().allMatch(p -> p.offset() >= 0 && p.topic().equals("round-trip")));

        List<ReceivedMessage> received = drain(queue, "round-trip", "g-round-trip", 30);
        assertEquals(30, received.size());
        Map<String, Integer> partitionOfKey = new HashMap<>();
        for (ReceivedMessage m : received) {
            assertEquals("update", m.headers().get("crm_operation"));
            assertTrue(text(m).startsWith("{\"n\":"));
            assertTrue(m.timestamp() != null);
            Integer previous = partitionOfKey.put(m.key(), m.partition());
            assertTrue(previous == null || previous == m.partition(), "a key stays in one partition");
        }
        assertEquals("kafka://" + kafka.bootstrapServers() + "/round-trip", queue.transitUri("round-trip"));
        assertTrue(queue.poll("round-trip", "g-round-trip", 100, Duration.ofMillis(300)).isEmpty(), "acknowledged messages do not come again");
    }

    @Test
    void orderPerKeyHoldsWithConcurrentPublishersAndConsumers() throws Exception {
        kafka.createTopic("ordering", 4);
        KafkaChangeQueue queue = queue("ordering");
        int keys = 24;
        int perKey = 60;
        ExecutorService pool = Executors.newFixedThreadPool(7);
        try {
            // 4 publishers, each owning 6 keys, publishing their sequence numbers in small interleaved batches.
            List<Future<?>> publishers = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int thread = t;
                publishers.add(pool.submit(() -> {
                    for (int seq = 0; seq < perKey; seq += 4) {
                        List<QueueMessage> batch = new ArrayList<>();
                        for (int k = thread; k < keys; k += 4) {
                            for (int s = seq; s < seq + 4; s++) {
                                batch.add(message("key-" + k, Integer.toString(s)));
                            }
                        }
                        queue.publish("ordering", batch);
                        Thread.sleep(80);  // publishing goes on while consumers join
                    }
                    return null;
                }));
            }
            // 3 consumers of one group polling and acknowledging concurrently (they join at different times: rebalances).
            Map<String, List<Integer>> seen = new ConcurrentHashMap<>();
            AtomicInteger total = new AtomicInteger();
            List<Future<?>> consumers = new ArrayList<>();
            for (int c = 0; c < 3; c++) {
                int consumer = c;
                consumers.add(pool.submit(() -> {
                    Thread.sleep(consumer * 250L);
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
                    while (total.get() < keys * perKey && System.nanoTime() < deadline) {
                        QueueBatch batch = queue.poll("ordering", "g-ordering", 25, Duration.ofMillis(200));
                        synchronized (seen) {
                            for (ReceivedMessage m : batch.messages()) {
                                seen.computeIfAbsent(m.key(), k -> new ArrayList<>()).add(Integer.parseInt(text(m)));
                            }
                        }
                        total.addAndGet(batch.size());
                        Thread.sleep(20);  // "processing": other consumers poll meanwhile
                        queue.acknowledge(batch);
                    }
                    return null;
                }));
            }
            for (Future<?> f : publishers) {
                f.get(60, TimeUnit.SECONDS);
            }
            for (Future<?> f : consumers) {
                f.get(60, TimeUnit.SECONDS);
            }
            assertEquals(keys, seen.size());
            List<Integer> expected = new ArrayList<>();
            for (int s = 0; s < perKey; s++) {
                expected.add(s);
            }
            for (var entry : seen.entrySet()) {
                assertEquals(expected, entry.getValue(), "messages of " + entry.getKey() + " arrive once each, in publish order");
            }
            try (Admin admin = kafka.admin()) {
                int members = admin.describeConsumerGroups(List.of("g-ordering")).all().get(10, TimeUnit.SECONDS)
                        .get("g-ordering").members().size();
                assertTrue(members >= 2, "the group had " + members + " consumers sharing the partitions (rebalanced while consuming)");
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void offsetsAreCommittedOnlyWhenABatchIsAcknowledged() throws Exception {
        kafka.createTopic("commits", 1);
        KafkaChangeQueue queue = queue("commits");
        List<QueueMessage> messages = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            messages.add(message("k" + i, "m" + i));
        }
        queue.publish("commits", messages);

        QueueBatch first = pollUntilNotEmpty(queue, "commits", "g-commits", 4);
        assertEquals(List.of("m0", "m1", "m2", "m3"), first.messages().stream().map(KafkaChangeQueueTest::text).toList());
        assertNull(committed("g-commits").get(new TopicPartition("commits", 0)), "polling commits nothing");

        // A released batch (the session rolled back) comes again, from its first message.
        queue.release(first);
        QueueBatch again = pollUntilNotEmpty(queue, "commits", "g-commits", 4);
        assertEquals(List.of("m0", "m1", "m2", "m3"), again.messages().stream().map(KafkaChangeQueueTest::text).toList());
        assertNull(committed("g-commits").get(new TopicPartition("commits", 0)));

        // Acknowledged (the session committed): committed after its last offset, not delivered again.
        queue.acknowledge(again);
        assertEquals(4, committed("g-commits").get(new TopicPartition("commits", 0)).offset());
        QueueBatch next = pollUntilNotEmpty(queue, "commits", "g-commits", 3);
        assertEquals(List.of("m4", "m5", "m6"), next.messages().stream().map(KafkaChangeQueueTest::text).toList());

        // Never acknowledged, and the consumer goes away (service disabled, node lost): the batch comes again.
        runner.disableControllerService(queue);
        runner.enableControllerService(queue);
        QueueBatch afterRestart = pollUntilNotEmpty(queue, "commits", "g-commits", 100);
        assertEquals(List.of("m4", "m5", "m6", "m7", "m8", "m9"), afterRestart.messages().stream().map(KafkaChangeQueueTest::text).toList());
        queue.acknowledge(afterRestart);
        assertEquals(10, committed("g-commits").get(new TopicPartition("commits", 0)).offset());
        assertTrue(queue.poll("commits", "g-commits", 100, Duration.ofMillis(300)).isEmpty());
        queue.acknowledge(afterRestart);  // a second acknowledgement is harmless
    }

    private static QueueBatch pollUntilNotEmpty(KafkaChangeQueue queue, String topic, String group, int max) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (System.nanoTime() < deadline) {
            QueueBatch batch = queue.poll(topic, group, max, Duration.ofMillis(200));
            if (!batch.isEmpty()) {
                return batch;
            }
        }
        throw new AssertionError("nothing arrived on " + topic + " within " + WAIT);
    }

    @Test
    void aGroupReplaysFromAnOffsetOrATime() throws Exception {
        kafka.createTopic("replay", 1);
        KafkaChangeQueue queue = queue("replay");
        List<QueueMessage> early = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            early.add(message("k" + i, "m" + i));
        }
        queue.publish("replay", early);
        Thread.sleep(50);
        Instant middle = Instant.now();
        Thread.sleep(50);
        List<QueueMessage> late = new ArrayList<>();
        for (int i = 5; i < 10; i++) {
            late.add(message("k" + i, "m" + i));
        }
        queue.publish("replay", late);
        assertEquals(10, drain(queue, "replay", "g-replay", 10).size());

        queue.seek("replay", "g-replay", QueuePosition.offset(7));
        assertEquals(List.of("m7", "m8", "m9"), drain(queue, "replay", "g-replay", 3).stream().map(KafkaChangeQueueTest::text).toList());

        queue.seek("replay", "g-replay", QueuePosition.time(middle));
        assertEquals(List.of("m5", "m6", "m7", "m8", "m9"), drain(queue, "replay", "g-replay", 5).stream().map(KafkaChangeQueueTest::text).toList());

        queue.seek("replay", "g-replay", QueuePosition.parse("0:2"));
        assertEquals(8, drain(queue, "replay", "g-replay", 8).size());

        queue.seek("replay", "g-replay", QueuePosition.earliest());
        assertEquals(10, drain(queue, "replay", "g-replay", 10).size());

        queue.seek("replay", "g-replay", QueuePosition.latest());
        assertTrue(queue.poll("replay", "g-replay", 100, Duration.ofMillis(500)).isEmpty());
    }

    @Test
    void newGroupsStartAtTheStartOffset() throws Exception {
        kafka.createTopic("start", 1);
        KafkaChangeQueue specific = queue("start", "Start Offset", "specific", "Start Position", "6");
        List<QueueMessage> messages = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            messages.add(message("k" + i, "m" + i));
        }
        specific.publish("start", messages);
        assertEquals(List.of("m6", "m7", "m8", "m9"), drain(specific, "start", "g-specific", 4).stream().map(KafkaChangeQueueTest::text).toList());

        KafkaChangeQueue earliest = queue("start");
        assertEquals(10, drain(earliest, "start", "g-earliest", 10).size());

        KafkaChangeQueue latest = queue("start", "Start Offset", "latest");
        // The group's first poll fixes its position at the end; what is published after it arrives.
        assertTrue(latest.poll("start", "g-latest", 100, Duration.ofSeconds(3)).isEmpty());
        latest.publish("start", List.of(message("k", "new")));
        assertEquals(List.of("new"), drain(latest, "start", "g-latest", 1).stream().map(KafkaChangeQueueTest::text).toList());
    }

    @Test
    void failuresAreCrmExceptions() throws Exception {
        KafkaChangeQueue nowhere = queue("t", "Bootstrap Servers", "127.0.0.1:1", "Publish Timeout", "1 sec");
        CrmException e = org.junit.jupiter.api.Assertions.assertThrows(CrmException.class,
                () -> nowhere.publish("t", List.of(message("k", "v"))));
        assertTrue(e.isTransient(), e.getMessage());
        assertFalse(e.getMessage().contains("\"v\""));
    }

    @Test
    void verificationReportsBrokerTopicAndGroup() throws Exception {
        kafka.createTopic("verify", 2);
        KafkaChangeQueue queue = new KafkaChangeQueue();
        runner.addControllerService("kafka-verify", queue);
        runner.setProperty(queue, KafkaChangeQueue.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        runner.setProperty(queue, KafkaChangeQueue.TOPIC, "verify");
        Map<org.apache.nifi.components.PropertyDescriptor, String> properties = new HashMap<>();
        properties.put(KafkaChangeQueue.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
        properties.put(KafkaChangeQueue.TOPIC, "verify");
        properties.put(KafkaChangeQueue.CONSUMER_GROUP, "g-verify");
        properties.put(KafkaChangeQueue.START_OFFSET, "earliest");
        properties.put(KafkaChangeQueue.SASL_MECHANISM, "none");
        properties.put(KafkaChangeQueue.PUBLISH_TIMEOUT, "30 secs");
        ControllerServiceLookup lookup = (ControllerServiceLookup) runner.getProcessContext();
        List<ConfigVerificationResult> results = queue.verify(new MockConfigurationContext(queue, properties, lookup, Map.of()),
                new MockComponentLog("verify", queue), Map.of());
        assertEquals(3, results.size(), results.toString());
        assertTrue(results.stream().allMatch(r -> r.getOutcome() == ConfigVerificationResult.Outcome.SUCCESSFUL), results.toString());
        assertTrue(results.get(1).getExplanation().contains("2 partition"), results.get(1).getExplanation());
    }
}
