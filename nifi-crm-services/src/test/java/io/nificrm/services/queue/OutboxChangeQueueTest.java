package io.nificrm.services.queue;

import io.nificrm.api.CrmException;
import io.nificrm.api.queue.MessagePosition;
import io.nificrm.api.queue.QueueBatch;
import io.nificrm.api.queue.QueueMessage;
import io.nificrm.api.queue.QueuePosition;
import io.nificrm.api.queue.ReceivedMessage;
import io.nificrm.services.jdbc.TestDbcpService;
import io.nificrm.simulator.postgres.LocalPostgres;
import org.apache.nifi.util.NoOpProcessor;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * OutboxChangeQueue against a real PostgreSQL (LocalPostgres): round trip, the table it creates, SKIP LOCKED claims
 * by concurrent consumers (never the same row twice, order per key), keys held back while an earlier message is
 * claimed, release and lease expiry (redelivery), acknowledgement by the claimant only, replay, and the
 * transactional outbox (rows inserted in an application's transaction that rolls back are never delivered).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class OutboxChangeQueueTest {
    private LocalPostgres.Database database;
    private TestRunner runner;
    private TestDbcpService dbcp;
    private int services;

    @BeforeAll
    void startDatabase() throws Exception {
        database = LocalPostgres.shared().createDatabase("outbox_queue_test");
        runner = TestRunners.newTestRunner(NoOpProcessor.class);
        dbcp = new TestDbcpService();
        runner.addControllerService("dbcp", dbcp);
        runner.setProperty(dbcp, TestDbcpService.URL, database.jdbcUrl());
        runner.setProperty(dbcp, TestDbcpService.USER, database.user());
        runner.setProperty(dbcp, TestDbcpService.PASSWORD, database.password());
        runner.enableControllerService(dbcp);
    }

    @AfterAll
    void dropDatabase() {
        runner.disableControllerService(dbcp);
        LocalPostgres.shared().dropDatabase(database.name());
    }

    private OutboxChangeQueue queue(String topic, String... properties) throws Exception {
        OutboxChangeQueue queue = new OutboxChangeQueue();
        runner.addControllerService("outbox-" + services++, queue);
        runner.setProperty(queue, OutboxChangeQueue.DBCP_SERVICE, "dbcp");
        runner.setProperty(queue, OutboxChangeQueue.TOPIC, topic);
        runner.setProperty(queue, OutboxChangeQueue.POLL_INTERVAL, "20 millis");
        for (int i = 0; i < properties.length; i += 2) {
            runner.setProperty(queue, properties[i], properties[i + 1]);
        }
        runner.enableControllerService(queue);
        return queue;
    }

    private static QueueMessage message(String key, String json) {
        return new QueueMessage(key, json.getBytes(StandardCharsets.UTF_8), Map.of("crm_operation", "update"));
    }

    private static List<QueueMessage> messages(String prefix, int count) {
        List<QueueMessage> messages = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            messages.add(message(prefix + i, "{\"n\": " + i + "}"));
        }
        return messages;
    }

    private static int n(ReceivedMessage message) {
        String text = new String(message.value(), StandardCharsets.UTF_8);
        return Integer.parseInt(text.replaceAll("\\D+", ""));
    }

    private long scalar(String sql) throws Exception {
        try (Connection c = database.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void publishedMessagesArriveOnceAcknowledged() throws Exception {
        OutboxChangeQueue queue = queue("round-trip");
        List<MessagePosition> positions = queue.publish("round-trip", messages("Contact/", 20));
        assertEquals(20, positions.size());
        for (int i = 1; i < positions.size(); i++) {
            assertTrue(positions.get(i).offset() > positions.get(i - 1).offset(), "row ids grow in publish order");
        }
        QueueBatch batch = queue.poll("round-trip", "g", 100, Duration.ofSeconds(1));
        assertEquals(20, batch.size());
        ReceivedMessage first = batch.messages().get(0);
        assertEquals("Contact/0", first.key());
        assertEquals(Map.of("crm_operation", "update"), first.headers());
        assertEquals("{\"n\": 0}", new String(first.value(), StandardCharsets.UTF_8));
        assertEquals(0, first.partition());
        assertTrue(first.timestamp() != null);
        assertTrue(queue.poll("round-trip", "g", 100, Duration.ofMillis(100)).isEmpty(), "claimed rows are not handed out twice");
        queue.acknowledge(batch);
        assertTrue(queue.poll("round-trip", "g", 100, Duration.ofMillis(100)).isEmpty());
        assertEquals(20, scalar("SELECT count(*) FROM crm_outbox WHERE topic = 'round-trip' AND done_at IS NOT NULL"));
        assertTrue(queue.transitUri("round-trip").startsWith("jdbc:postgresql://"));
        assertTrue(queue.transitUri("round-trip").endsWith("/crm_outbox/round-trip"));
    }

    @Test
    void concurrentConsumersNeverGetTheSameRowAndKeepEachKeysOrder() throws Exception {
        OutboxChangeQueue queue = queue("concurrent");
        int keys = 50;
        int perKey = 20;
        List<QueueMessage> all = new ArrayList<>();
        for (int seq = 0; seq < perKey; seq++) {
            for (int k = 0; k < keys; k++) {
                all.add(message("key-" + k, "{\"n\": " + seq + "}"));
            }
        }
        for (int i = 0; i < all.size(); i += 250) {
            queue.publish("concurrent", all.subList(i, Math.min(all.size(), i + 250)));
        }
        Map<Long, String> claimedBy = new ConcurrentHashMap<>();
        Set<Long> duplicates = ConcurrentHashMap.newKeySet();
        Map<String, List<Integer>> seen = new HashMap<>();
        Map<String, String> keyHolder = new HashMap<>();
        List<String> violations = new ArrayList<>();
        AtomicInteger total = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(6);
        try {
            List<Future<?>> consumers = new ArrayList<>();
            for (int c = 0; c < 6; c++) {
                String name = "consumer-" + c;
                consumers.add(pool.submit(() -> {
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
                    while (total.get() < keys * perKey && System.nanoTime() < deadline) {
                        QueueBatch batch = queue.poll("concurrent", "g", 37, Duration.ofMillis(100));
                        synchronized (seen) {
                            for (ReceivedMessage m : batch.messages()) {
                                if (claimedBy.putIfAbsent(m.offset(), name) != null) {
                                    duplicates.add(m.offset());
                                }
                                String holder = keyHolder.putIfAbsent(m.key(), batch.id());
                                if (holder != null && !holder.equals(batch.id())) {
                                    violations.add(m.key() + " handed to two batches at once");
                                }
                                seen.computeIfAbsent(m.key(), k -> new ArrayList<>()).add(n(m));
                            }
                        }
                        total.addAndGet(batch.size());
                        Thread.sleep(3);
                        synchronized (seen) {
                            for (ReceivedMessage m : batch.messages()) {
                                keyHolder.remove(m.key(), batch.id());
                            }
                            queue.acknowledge(batch);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : consumers) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertEquals(Set.of(), duplicates, "no row went to two consumers");
        assertEquals(List.of(), violations);
        assertEquals(keys * perKey, claimedBy.size());
        assertTrue(new HashSet<>(claimedBy.values()).size() >= 3, "the consumers shared the work: " + new HashSet<>(claimedBy.values()));
        List<Integer> expected = new ArrayList<>();
        for (int s = 0; s < perKey; s++) {
            expected.add(s);
        }
        seen.forEach((key, order) -> assertEquals(expected, order, "order of " + key));
        assertEquals(0, scalar("SELECT count(*) FROM crm_outbox WHERE topic = 'concurrent' AND done_at IS NULL"));
    }

    @Test
    void aKeyIsHeldBackWhileAnEarlierMessageOfItIsClaimed() throws Exception {
        OutboxChangeQueue queue = queue("held");
        queue.publish("held", List.of(message("A", "{\"n\": 1}"), message("B", "{\"n\": 2}"), message("A", "{\"n\": 3}"),
                message("C", "{\"n\": 4}"), message("A", "{\"n\": 5}")));
        QueueBatch first = queue.poll("held", "g", 1, Duration.ofMillis(200));
        assertEquals(List.of(1), first.messages().stream().map(OutboxChangeQueueTest::n).toList());
        QueueBatch second = queue.poll("held", "g", 10, Duration.ofMillis(200));
        assertEquals(List.of(2, 4), second.messages().stream().map(OutboxChangeQueueTest::n).toList(), "A waits for its first message");
        queue.acknowledge(first);
        QueueBatch third = queue.poll("held", "g", 10, Duration.ofMillis(200));
        assertEquals(List.of(3, 5), third.messages().stream().map(OutboxChangeQueueTest::n).toList(), "then A's next ones, in order");
        queue.acknowledge(second);
        queue.acknowledge(third);
    }

    @Test
    void releasedAndExpiredBatchesAreDeliveredAgain() throws Exception {
        OutboxChangeQueue queue = queue("lease", "Lease Duration", "1 sec");
        queue.publish("lease", messages("k", 5));
        QueueBatch first = queue.poll("lease", "g", 3, Duration.ofMillis(200));
        assertEquals(List.of(0, 1, 2), first.messages().stream().map(OutboxChangeQueueTest::n).toList());

        // Rolled back: released, so the next poll gets the same rows at once.
        queue.release(first);
        QueueBatch again = queue.poll("lease", "g", 3, Duration.ofMillis(200));
        assertEquals(first.messages().stream().map(ReceivedMessage::offset).toList(), again.messages().stream().map(ReceivedMessage::offset).toList());

        // Never acknowledged (the consumer died): held for the lease, then delivered again.
        QueueBatch rest = queue.poll("lease", "g", 10, Duration.ofMillis(200));
        assertEquals(List.of(3, 4), rest.messages().stream().map(OutboxChangeQueueTest::n).toList());
        assertTrue(queue.poll("lease", "g", 10, Duration.ofMillis(100)).isEmpty());
        Thread.sleep(1_100);
        QueueBatch redelivered = queue.poll("lease", "g", 10, Duration.ofMillis(200));
        assertEquals(List.of(0, 1, 2, 3, 4), redelivered.messages().stream().map(OutboxChangeQueueTest::n).toList());

        // The first claimant acknowledging late changes nothing: the rows belong to the new claim.
        queue.acknowledge(again);
        assertEquals(5, scalar("SELECT count(*) FROM crm_outbox WHERE topic = 'lease' AND done_at IS NULL"));
        queue.acknowledge(redelivered);
        assertEquals(0, scalar("SELECT count(*) FROM crm_outbox WHERE topic = 'lease' AND done_at IS NULL"));
    }

    @Test
    void aTopicReplaysFromAnOffsetOrATime() throws Exception {
        OutboxChangeQueue queue = queue("replay");
        List<MessagePosition> early = queue.publish("replay", messages("k", 5));
        Thread.sleep(50);
        Instant middle = Instant.now();
        Thread.sleep(50);
        List<QueueMessage> late = new ArrayList<>();
        for (int i = 5; i < 10; i++) {
            late.add(message("k" + i, "{\"n\": " + i + "}"));
        }
        List<MessagePosition> positions = new ArrayList<>(early);
        positions.addAll(queue.publish("replay", late));
        QueueBatch all = queue.poll("replay", "g", 100, Duration.ofMillis(200));
        assertEquals(10, all.size());
        queue.acknowledge(all);

        queue.seek("replay", "g", QueuePosition.offset(positions.get(7).offset()));
        QueueBatch fromOffset = queue.poll("replay", "g", 100, Duration.ofMillis(200));
        assertEquals(List.of(7, 8, 9), fromOffset.messages().stream().map(OutboxChangeQueueTest::n).toList());
        queue.acknowledge(fromOffset);

        queue.seek("replay", "g", QueuePosition.time(middle));
        QueueBatch fromTime = queue.poll("replay", "g", 100, Duration.ofMillis(200));
        assertEquals(List.of(5, 6, 7, 8, 9), fromTime.messages().stream().map(OutboxChangeQueueTest::n).toList());
        // A replay while a batch is out: its late acknowledgement does not undo the replay.
        queue.seek("replay", "g", QueuePosition.earliest());
        queue.acknowledge(fromTime);
        QueueBatch fromStart = queue.poll("replay", "g", 100, Duration.ofMillis(200));
        assertEquals(10, fromStart.size());

        queue.seek("replay", "g", QueuePosition.latest());
        assertTrue(queue.poll("replay", "g", 100, Duration.ofMillis(100)).isEmpty());
        assertThrows(CrmException.class, () -> queue.seek("replay", "g", QueuePosition.offsets(Map.of(3, 1L))));
    }

    @Test
    void rowsInsertedInARolledBackTransactionAreNeverDelivered() throws Exception {
        OutboxChangeQueue queue = queue("tx");
        queue.publish("tx", List.of());  // creates the table
        try (Connection c = database.connect()) {
            c.setAutoCommit(false);
            OutboxChangeQueue.insert(c, "crm_outbox", "tx", List.of(message("k", "{\"n\": 1}")));
            c.rollback();
            OutboxChangeQueue.insert(c, "crm_outbox", "tx", List.of(message("k", "{\"n\": 2}")));
            try (Statement s = c.createStatement()) {
                // An application's own insert, in the same transaction as its change (JSON built by the database).
                s.execute("INSERT INTO crm_outbox (topic, msg_key, payload) VALUES ('tx', 'k', jsonb_build_object('n', 3))");
            }
            c.commit();
        }
        QueueBatch batch = queue.poll("tx", "g", 10, Duration.ofMillis(500));
        assertEquals(List.of(2, 3), batch.messages().stream().map(OutboxChangeQueueTest::n).toList());
        queue.acknowledge(batch);
    }

    @Test
    void zeroRetentionDeletesAcknowledgedRowsAndBadJsonIsRefused() throws Exception {
        OutboxChangeQueue queue = queue("no-retention", "Retention", "0 sec");
        queue.publish("no-retention", messages("k", 3));
        QueueBatch batch = queue.poll("no-retention", "g", 10, Duration.ofMillis(200));
        queue.acknowledge(batch);
        assertEquals(0, scalar("SELECT count(*) FROM crm_outbox WHERE topic = 'no-retention'"));
        CrmException e = assertThrows(CrmException.class, () -> queue.publish("no-retention",
                List.of(new QueueMessage("k", "not json".getBytes(StandardCharsets.UTF_8)))));
        assertEquals(CrmException.Reason.INVALID_REQUEST, e.reason());
        assertEquals(0, scalar("SELECT count(*) FROM crm_outbox WHERE topic = 'no-retention'"));
    }
}
