package io.nificrm.bench.queue;

import com.fasterxml.jackson.databind.JsonNode;
import io.nificrm.bench.Table;
import io.nificrm.processors.ConsumeCrmChanges;
import io.nificrm.processors.MapCrmFields;
import io.nificrm.processors.PublishCrmChanges;
import io.nificrm.processors.QueryCrmEntities;
import io.nificrm.processors.UpsertCrmRecords;
import io.nificrm.services.hubspot.HubSpotConnectionService;
import io.nificrm.services.jdbc.TestDbcpService;
import io.nificrm.services.queue.KafkaChangeQueue;
import io.nificrm.services.queue.LocalKafka;
import io.nificrm.services.queue.OutboxChangeQueue;
import io.nificrm.services.salesforce.SalesforceConnectionService;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.simulator.SimulatorCredentials;
import io.nificrm.simulator.postgres.LocalPostgres;
import io.nificrm.simulator.seed.SeedConfig;
import io.nificrm.simulator.store.ObjectStore;
import io.nificrm.simulator.store.SimRecord;
import org.apache.nifi.json.JsonRecordSetWriter;
import org.apache.nifi.json.JsonTreeReader;
import org.apache.nifi.processor.Processor;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code ./bench.sh queue [changes] [perSecond]}: end-to-end latency of the queue sync mode, from a change written in
 * the source to the target holding it, for both change queues.
 * <p>
 * Flow (each stage a processor in its own nifi-mock runner and thread, FlowFiles handed on through in-memory
 * queues as NiFi connections would): Salesforce (simulator) → QueryCrmEntities, incremental, run every 250 ms, Age
 * Delay 0, Lookback 5 s → PublishCrmChanges → queue → ConsumeCrmChanges (Max Wait 1 s) → MapCrmFields (Salesforce
 * contact → HubSpot contact, source_id ← crm_key) → UpsertCrmRecords into HubSpot (simulator) by source_id.
 * Queues: KafkaChangeQueue on a real broker (kafka_2.13, KRaft, started here; topic of 3 partitions; acks=all,
 * idempotent producer, offsets committed after each consumer session), and OutboxChangeQueue on PostgreSQL
 * (LocalPostgres; defaults: Poll Interval 100 ms, 5 min lease).
 * <p>
 * After an initial full window (1,000 contacts, which also warms up the JVM) the benchmark changes one contact's
 * LastName every 1/perSecond seconds (round robin over contacts HubSpot accepted, so no contact changes twice within
 * a Salesforce timestamp second) and a watcher polls the HubSpot store every millisecond for the new value. Latency =
 * the write's return → the value seen in HubSpot. The first 20 changes are warm-up and not counted.
 */
public final class QueueLatencyBenchmark {
    private static final int CONTACTS = 1_000;
    private static final int WARM_UP = 20;
    private static final long QUERY_EVERY_MS = 250;
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

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper();

    private QueueLatencyBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        try {
            measure(args);
        } catch (Throwable e) {
            e.printStackTrace();
            System.exit(1);  // the broker's and the pool's threads are not daemons
        }
        System.exit(0);
    }

    private static void measure(String[] args) throws Exception {
        int changes = args.length > 0 ? Integer.parseInt(args[0]) : 300;
        double perSecond = args.length > 1 ? Double.parseDouble(args[1]) : 10;
        System.out.printf("Starting Kafka (KRaft) and PostgreSQL...%n");
        LocalKafka kafka = LocalKafka.shared();
        LocalPostgres.Database database = LocalPostgres.shared().createDatabase("queue_latency_bench");
        Table table = new Table("queue", "changes", "p50 ms", "p90 ms", "p99 ms", "max ms", "mean ms", "queue hop p50 / p99 ms",
                "initial window (records / s)");
        try {
            for (String kind : List.of("kafka", "outbox")) {
                Result result = run(kind, kafka, database, changes, perSecond);
                List<Long> l = result.latencies();
                table.row(kind, (long) l.size(), percentile(l, 50), percentile(l, 90), percentile(l, 99), l.get(l.size() - 1),
                        l.stream().mapToLong(Long::longValue).average().orElse(0),
                        result.hops().isEmpty() ? "-" : percentile(result.hops(), 50) + " / " + percentile(result.hops(), 99), result.initial());
            }
        } finally {
            LocalPostgres.shared().dropDatabase(database.name());
        }
        System.out.printf("%nQueue end-to-end latency: Salesforce change -> QueryCrmEntities (incremental, every %d ms) -> "
                + "PublishCrmChanges -> queue -> ConsumeCrmChanges -> MapCrmFields -> UpsertCrmRecords -> HubSpot updated.%n"
                + "%d changes per queue at %.1f/s after %d warm-up changes. Queue hop: PublishCrmChanges done (stored) -> "
                + "ConsumeCrmChanges emitted the FlowFile.%nCommand: ./bench.sh queue %d %s%n%n",
                QUERY_EVERY_MS, changes, perSecond, WARM_UP, changes, stripZeros(perSecond));
        table.print();
    }

    private static String stripZeros(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }

    private record Result(List<Long> latencies, List<Long> hops, String initial) {
    }

    private record Handoff(byte[] content, Map<String, String> attributes) {
    }

    private static Result run(String kind, LocalKafka kafka, LocalPostgres.Database database, int changes, double perSecond) throws Exception {
        String topic = "latency-" + kind + "-" + System.nanoTime();
        if (kind.equals("kafka")) {
            kafka.createTopic(topic, 3);
        }
        try (CrmSimulator sim = CrmSimulator.start(SimulatorConfig.defaults().unlimited()
                .seed("salesforce", SeedConfig.ofContacts(CONTACTS).withDuplicateRate(0)))) {
            ObjectStore source = sim.salesforce().store("Contact").orElseThrow();
            ObjectStore target = sim.hubspot().store("contacts").orElseThrow();
            Pipeline pipeline = new Pipeline(kind, topic, sim, kafka, database);
            pipeline.start();
            try {
                // Initial window: every contact, which also warms up the JVM.
                long started = System.nanoTime();
                long deadline = started + TimeUnit.MINUTES.toNanos(3);
                long last = -1;
                long stableSince = System.nanoTime();
                while (System.nanoTime() < deadline) {
                    long count = target.count(false);
                    if (count != last) {
                        last = count;
                        stableSince = System.nanoTime();
                    } else if (count > 0 && System.nanoTime() - stableSince > TimeUnit.SECONDS.toNanos(3)) {
                        break;
                    }
                    Thread.sleep(50);
                }
                pipeline.failIfBroken();
                double initialSeconds = (stableSince - started) / 1e9;
                String initial = String.format("%,d / %.1f", last, initialSeconds);
                List<String> ids = new ArrayList<>();
                target.stream().forEach(r -> ids.add((String) r.fields().get("source_id")));
                Collections.sort(ids);
                if (ids.size() < 100) {
                    throw new IllegalStateException("Only " + ids.size() + " contacts reached HubSpot in the initial window");
                }

                Map<String, long[]> pending = new ConcurrentHashMap<>();
                Map<String, String> markers = new ConcurrentHashMap<>();
                List<Long> latencies = Collections.synchronizedList(new ArrayList<>());
                AtomicBoolean watching = new AtomicBoolean(true);
                Thread watcher = new Thread(() -> {
                    while (watching.get()) {
                        for (var entry : pending.entrySet()) {
                            SimRecord record = target.findByUnique("source_id", entry.getKey()).orElse(null);
                            if (record != null && markers.get(entry.getKey()).equals(record.fields().get("lastname"))) {
                                long[] change = entry.getValue();
                                pending.remove(entry.getKey());
                                if (change[1] >= WARM_UP) {
                                    latencies.add(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - change[0]));
                                }
                            }
                        }
                        try {
                            Thread.sleep(1);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }, "latency-watcher");
                watcher.start();
                long interval = (long) (1_000_000_000L / perSecond);
                long next = System.nanoTime();
                for (int i = 0; i < changes + WARM_UP; i++) {
                    String id = ids.get(i % ids.size());
                    String marker = "Latency" + i;
                    markers.put(id, marker);
                    source.update(id, Map.of("LastName", marker));
                    pending.put(id, new long[]{System.nanoTime(), i});
                    next += interval;
                    long sleep = next - System.nanoTime();
                    if (sleep > 0) {
                        TimeUnit.NANOSECONDS.sleep(sleep);
                    }
                }
                long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (!pending.isEmpty() && System.nanoTime() < waitUntil) {
                    Thread.sleep(20);
                }
                watching.set(false);
                watcher.join();
                pipeline.failIfBroken();
                if (!pending.isEmpty()) {
                    throw new IllegalStateException(pending.size() + " changes never reached HubSpot through " + kind);
                }
                List<Long> sorted = new ArrayList<>(latencies);
                Collections.sort(sorted);
                List<Long> hops = new ArrayList<>();
                for (int i = WARM_UP; i < changes + WARM_UP; i++) {
                    String change = ids.get(i % ids.size()) + "|Latency" + i;
                    Long in = pipeline.published.get(change);
                    Long out = pipeline.consumed.get(change);
                    if (in != null && out != null) {
                        hops.add(TimeUnit.NANOSECONDS.toMillis(out - in));
                    }
                }
                Collections.sort(hops);
                return new Result(sorted, hops, initial);
            } finally {
                pipeline.stop();
            }
        }
    }

    private static long percentile(List<Long> sorted, int p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, index)));
    }

    /** The five processors, each run by its own thread like a NiFi processor with one concurrent task. */
    private static final class Pipeline {
        private final TestRunner query;
        private final TestRunner publish;
        private final TestRunner consume;
        private final TestRunner map;
        private final TestRunner upsert;
        private final BlockingQueue<Handoff> toPublish = new LinkedBlockingQueue<>();
        private final BlockingQueue<Handoff> toMap = new LinkedBlockingQueue<>();
        private final BlockingQueue<Handoff> toUpsert = new LinkedBlockingQueue<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final List<Thread> threads = new ArrayList<>();
        /** Id|LastName → when PublishCrmChanges had it stored in the queue, and when ConsumeCrmChanges emitted it. */
        final Map<String, Long> published = new ConcurrentHashMap<>();
        final Map<String, Long> consumed = new ConcurrentHashMap<>();

        Pipeline(String kind, String topic, CrmSimulator sim, LocalKafka kafka, LocalPostgres.Database database) throws Exception {
            query = runner(QueryCrmEntities.class);
            SalesforceConnectionService salesforce = new SalesforceConnectionService();
            query.addControllerService("salesforce", salesforce);
            query.setProperty(salesforce, SalesforceConnectionService.LOGIN_URL, sim.baseUrl());
            query.setProperty(salesforce, SalesforceConnectionService.CLIENT_ID, SimulatorCredentials.SALESFORCE_CLIENT_ID);
            query.setProperty(salesforce, SalesforceConnectionService.CLIENT_SECRET, SimulatorCredentials.SALESFORCE_CLIENT_SECRET);
            query.enableControllerService(salesforce);
            query.setProperty("CRM Connection Service", "salesforce");
            query.setProperty("Object", "Contact");
            query.setProperty("Fields", "FirstName, LastName, Email");
            query.setProperty("Load Mode", "incremental");
            query.setProperty("Age Delay", "0 sec");
            query.setProperty("Lookback Window", "5 secs");
            query.setProperty("Record Writer", "writer");

            publish = runner(PublishCrmChanges.class);
            queue(publish, kind, topic, kafka, database);
            publish.setProperty("Change Queue", "queue");
            publish.setProperty("Record Reader", "reader");
            publish.setProperty("Record Writer", "writer");

            consume = runner(ConsumeCrmChanges.class);
            queue(consume, kind, topic, kafka, database);
            consume.setProperty("Change Queue", "queue");
            consume.setProperty("Record Writer", "writer");
            consume.setProperty("Max Wait", "1 sec");

            map = runner(MapCrmFields.class);
            map.setProperty("Mapping", MAPPING);
            map.setProperty("Record Reader", "reader");
            map.setProperty("Record Writer", "writer");

            upsert = runner(UpsertCrmRecords.class);
            HubSpotConnectionService hubspot = new HubSpotConnectionService();
            upsert.addControllerService("hubspot", hubspot);
            upsert.setProperty(hubspot, HubSpotConnectionService.BASE_URL, sim.baseUrl());
            upsert.setProperty(hubspot, HubSpotConnectionService.ACCESS_TOKEN, SimulatorCredentials.HUBSPOT_PRIVATE_APP_TOKEN);
            upsert.enableControllerService(hubspot);
            upsert.setProperty("CRM Connection Service", "hubspot");
            upsert.setProperty("Object", "contacts");
            upsert.setProperty("Key Field", "source_id");
            upsert.setProperty("Record Reader", "reader");
            upsert.setProperty("Record Writer", "writer");
        }

        private static TestRunner runner(Class<? extends Processor> processor) throws Exception {
            TestRunner runner = TestRunners.newTestRunner(processor);
            JsonTreeReader reader = new JsonTreeReader();
            runner.addControllerService("reader", reader);
            runner.enableControllerService(reader);
            JsonRecordSetWriter writer = new JsonRecordSetWriter();
            runner.addControllerService("writer", writer);
            runner.setProperty(writer, "Timestamp Format", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
            runner.enableControllerService(writer);
            return runner;
        }

        private static void queue(TestRunner runner, String kind, String topic, LocalKafka kafka, LocalPostgres.Database database)
                throws Exception {
            if (kind.equals("kafka")) {
                KafkaChangeQueue queue = new KafkaChangeQueue();
                runner.addControllerService("queue", queue);
                runner.setProperty(queue, KafkaChangeQueue.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
                runner.setProperty(queue, KafkaChangeQueue.TOPIC, topic);
                runner.enableControllerService(queue);
                return;
            }
            TestDbcpService dbcp = new TestDbcpService();
            runner.addControllerService("dbcp", dbcp);
            runner.setProperty(dbcp, TestDbcpService.URL, database.jdbcUrl());
            runner.setProperty(dbcp, TestDbcpService.USER, database.user());
            runner.setProperty(dbcp, TestDbcpService.PASSWORD, database.password());
            runner.enableControllerService(dbcp);
            OutboxChangeQueue queue = new OutboxChangeQueue();
            runner.addControllerService("queue", queue);
            runner.setProperty(queue, OutboxChangeQueue.DBCP_SERVICE, "dbcp");
            runner.setProperty(queue, OutboxChangeQueue.TOPIC, topic);
            runner.enableControllerService(queue);
        }

        void start() {
            stage("query", () -> {
                long started = System.nanoTime();
                runOnce(query);
                handOn(query, "success", toPublish);
                long sleep = QUERY_EVERY_MS - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
                if (sleep > 0) {
                    Thread.sleep(sleep);
                }
            });
            stage("publish", () -> {
                feed(toPublish, publish, "success", null);
                stamp(publish, "Id", published);
            });
            stage("consume", () -> {
                runOnce(consume);
                stamp(consume, "crm_key", consumed);
                handOn(consume, "success", toMap);
            });
            stage("map", () -> feed(toMap, map, "success", toUpsert));
            stage("upsert", () -> feed(toUpsert, upsert, "success", null));
        }

        private interface Step {
            void run() throws Exception;
        }

        private void stage(String name, Step step) {
            Thread thread = new Thread(() -> {
                while (running.get()) {
                    try {
                        step.run();
                    } catch (InterruptedException e) {
                        return;
                    } catch (Throwable e) {
                        failure.compareAndSet(null, new IllegalStateException("Stage " + name + " failed: " + e, e));
                        running.set(false);
                        return;
                    }
                }
            }, "bench-" + name);
            threads.add(thread);
            thread.start();
        }

        private final Map<TestRunner, Boolean> initialized = new ConcurrentHashMap<>();

        private void runOnce(TestRunner runner) {
            runner.clearTransferState();
            boolean first = initialized.putIfAbsent(runner, Boolean.TRUE) == null;
            runner.run(1, false, first);
        }

        /** Takes what arrived, runs the processor once per FlowFile, hands its output on. */
        private void feed(BlockingQueue<Handoff> inbox, TestRunner runner, String relationship, BlockingQueue<Handoff> next) throws Exception {
            Handoff first = inbox.poll(5, TimeUnit.MILLISECONDS);
            if (first == null) {
                return;
            }
            List<Handoff> batch = new ArrayList<>();
            batch.add(first);
            inbox.drainTo(batch);
            for (Handoff handoff : batch) {
                runner.enqueue(handoff.content(), handoff.attributes());
            }
            runner.clearTransferState();
            boolean firstRun = initialized.putIfAbsent(runner, Boolean.TRUE) == null;
            runner.run(batch.size(), false, firstRun);
            if (next != null) {
                handOn(runner, relationship, next);
            }
            for (String failed : List.of("failure", "retry")) {
                if (runner.getProcessor().getRelationships().stream().anyMatch(r -> r.getName().equals(failed))
                        && !runner.getFlowFilesForRelationship(failed).isEmpty() && runner.getProcessor() instanceof PublishCrmChanges) {
                    throw new IllegalStateException("PublishCrmChanges routed records to " + failed);
                }
            }
        }

        /** Notes when each change (id and last name) left a processor, for the queue's own share of the latency. */
        private static void stamp(TestRunner runner, String idField, Map<String, Long> times) throws java.io.IOException {
            long now = System.nanoTime();
            for (MockFlowFile flowFile : runner.getFlowFilesForRelationship("success")) {
                for (JsonNode record : JSON.readTree(flowFile.toByteArray())) {
                    String lastName = record.path("LastName").asText("");
                    if (lastName.startsWith("Latency")) {
                        times.putIfAbsent(record.path(idField).asText() + "|" + lastName, now);
                    }
                }
            }
        }

        private static void handOn(TestRunner from, String relationship, BlockingQueue<Handoff> to) {
            for (MockFlowFile flowFile : from.getFlowFilesForRelationship(relationship)) {
                to.add(new Handoff(flowFile.toByteArray(), flowFile.getAttributes()));
            }
        }

        void failIfBroken() {
            Throwable e = failure.get();
            if (e != null) {
                throw new IllegalStateException(e.getMessage(), e);
            }
        }

        void stop() throws InterruptedException {
            running.set(false);
            for (Thread thread : threads) {
                thread.join(5_000);
            }
            for (TestRunner runner : List.of(query, publish, consume, map, upsert)) {
                try {
                    runner.shutdown();
                } catch (RuntimeException e) {
                    // stopping anyway
                }
            }
            for (TestRunner runner : List.of(publish, consume)) {
                try {
                    runner.disableControllerService(runner.getControllerService("queue"));
                } catch (RuntimeException e) {
                    // stopping anyway
                }
            }
        }
    }
}
