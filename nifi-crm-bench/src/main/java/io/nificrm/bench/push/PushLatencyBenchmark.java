package io.nificrm.bench.push;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.bench.BenchServices;
import io.nificrm.bench.Table;
import io.nificrm.processors.FetchCrmRecords;
import io.nificrm.processors.ListenCrmWebhook;
import io.nificrm.processors.UpsertCrmRecords;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.simulator.store.ObjectStore;
import io.nificrm.simulator.store.SimRecord;
import io.nificrm.simulator.webhooks.HubSpotWebhookSender;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;

import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Push end-to-end latency: a change written in the simulator's HubSpot portal (webhooks on) until the record holds it in the
 * simulator's Salesforce org. The flow: HubSpot webhook sender (v3-signed, batches up to 100 events, 4 deliveries in flight)
 * → ListenCrmWebhook → FetchCrmRecords (HubSpot batch read) → field mapping → UpsertCrmRecords (Salesforce Contact by
 * External_Id__c). Each processor runs in its own nifi-mock runner on its own thread, handing FlowFiles on through a queue,
 * as NiFi's connections do. Changes are made at a steady rate: half creates of new contacts, half updates of contacts that
 * were synced before the run (each updated once, so no change overtakes another). A change's latency ends when the
 * Salesforce store is written with its unique LastName marker.
 * Usage: {@code ./bench.sh push [changes] [rates per second, comma-separated]}.
 */
public final class PushLatencyBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SECRET = "bench-hubspot-app-secret";

    private PushLatencyBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int changes = args.length > 0 ? Integer.parseInt(args[0]) : 2_000;
        int[] rates = args.length > 1 ? Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray() : new int[]{20, 100};
        Table table = new Table("rate/s", "changes", "synced", "lost", "p50 ms", "p90 ms", "p99 ms", "max ms", "received p50 ms",
                "received p99 ms", "webhook requests", "events/request", "503 answers");
        runOnce(200, 50, null);  // warm-up: JIT, connections, tokens
        for (int rate : rates) {
            runOnce(changes, rate, table);
        }
        System.out.printf("Push latency: HubSpot change -> webhook -> ListenCrmWebhook -> FetchCrmRecords -> UpsertCrmRecords -> Salesforce, "
                + "%d changes per rate (half creates, half updates), simulator on loopback, no rate limits%n", changes);
        table.print();
    }

    private static void runOnce(int changes, int rate, Table table) throws Exception {
        try (CrmSimulator sim = CrmSimulator.start(SimulatorConfig.defaults().unlimited())) {
            ObjectStore hubspot = sim.hubspot().store("contacts").orElseThrow();
            ObjectStore salesforce = sim.salesforce().store("Contact").orElseThrow();
            // Contacts already in sync before the run, to be updated once each.
            int updates = changes / 2;
            List<String> existing = new ArrayList<>();
            for (int i = 0; i < updates; i++) {
                SimRecord r = hubspot.create(Map.of("email", "old" + i + "@example.com", "firstname", "Old", "lastname", "seed" + i));
                existing.add(r.id());
                salesforce.create(Map.of("External_Id__c", r.id(), "FirstName", "Old", "LastName", "seed" + i, "Email", "old" + i + "@example.com"));
            }

            Map<String, Long> written = new ConcurrentHashMap<>();
            Map<String, Long> latencies = new ConcurrentHashMap<>();
            Map<String, Long> received = new ConcurrentHashMap<>();
            salesforce.addChangeListener((store, before, after) -> {
                Object marker = after.fields().get("LastName");
                Long start = marker == null ? null : written.get(marker.toString());
                if (start != null) {
                    latencies.putIfAbsent(marker.toString(), System.nanoTime() - start);
                }
            });

            TestRunner listen = TestRunners.newTestRunner(ListenCrmWebhook.class);
            BenchServices.json(listen);
            int port;
            try (ServerSocket socket = new ServerSocket(0)) {
                port = socket.getLocalPort();
            }
            listen.setProperty("Listening Port", Integer.toString(port));
            listen.setProperty("Path", "/crm/webhook");
            listen.setProperty("Webhook Format", "hubspot-v3");
            listen.setProperty("HubSpot Client Secret", SECRET);
            listen.setProperty("Record Writer", BenchServices.WRITER);
            listen.run(1, false, true);

            TestRunner fetch = BenchServices.runner(FetchCrmRecords.class, "hubspot", sim, Map.of("Rate Limit Requests", "0"));
            BenchServices.json(fetch);
            fetch.setProperty("CRM Connection Service", "hubspot");
            fetch.setProperty("Fields", "email, firstname, lastname");
            fetch.setProperty("Batch Size", "100");
            fetch.setProperty("Record Reader", BenchServices.READER);
            fetch.setProperty("Record Writer", BenchServices.WRITER);

            TestRunner upsert = BenchServices.runner(UpsertCrmRecords.class, "salesforce", sim, Map.of("Rate Limit Requests", "0"));
            BenchServices.json(upsert);
            upsert.setProperty("CRM Connection Service", "salesforce");
            upsert.setProperty("Object", "Contact");
            upsert.setProperty("Operation", "upsert");
            upsert.setProperty("Key Field", "External_Id__c");
            upsert.setProperty("Record Reader", BenchServices.READER);
            upsert.setProperty("Record Writer", BenchServices.WRITER);

            String url = "http://127.0.0.1:" + port + "/crm/webhook";
            sim.hubspotWebhooks().enable(HubSpotWebhookSender.Settings.of(url, SECRET));

            AtomicBoolean running = new AtomicBoolean(true);
            BlockingQueue<FlowFileData> toFetch = new LinkedBlockingQueue<>();
            BlockingQueue<FlowFileData> toUpsert = new LinkedBlockingQueue<>();
            AtomicLong unexpected = new AtomicLong();
            List<Thread> threads = List.of(
                    Thread.ofPlatform().name("listen").start(() -> {
                        while (running.get()) {
                            listen.run(1, false, false);
                            handOn(listen, "success", toFetch, written, received);
                        }
                    }),
                    Thread.ofPlatform().name("fetch").start(() -> stage(running, toFetch, fetch, toUpsert, unexpected, true)),
                    Thread.ofPlatform().name("upsert").start(() -> stage(running, toUpsert, upsert, null, unexpected, false)));

            // The load: one change every 1/rate seconds.
            long interval = TimeUnit.SECONDS.toNanos(1) / rate;
            long next = System.nanoTime();
            for (int i = 0; i < changes; i++) {
                while (System.nanoTime() < next) {
                    LockSupport.parkNanos(next - System.nanoTime());
                }
                next += interval;
                String marker = "v" + i;
                written.put(marker, System.nanoTime());
                if (i % 2 == 0) {
                    hubspot.create(Map.of("email", "new" + i + "@example.com", "firstname", "New", "lastname", marker));
                } else {
                    hubspot.update(existing.get(i / 2), Map.of("lastname", marker));
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (latencies.size() < changes && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            running.set(false);
            for (Thread t : threads) {
                t.join(10_000);
            }
            HubSpotWebhookSender.Stats stats = sim.hubspotWebhooks().stats();
            long unavailable = stats.statuses().getOrDefault("503", 0L);
            listen.stop();
            if (table != null) {
                long[] sorted = latencies.values().stream().mapToLong(Long::longValue).sorted().toArray();
                long[] leg = received.values().stream().mapToLong(Long::longValue).sorted().toArray();
                table.row(rate, changes, sorted.length, changes - sorted.length, ms(percentile(sorted, 50)), ms(percentile(sorted, 90)),
                        ms(percentile(sorted, 99)), ms(sorted.length == 0 ? 0 : sorted[sorted.length - 1]), ms(percentile(leg, 50)),
                        ms(percentile(leg, 99)), stats.requests(),
                        stats.requests() == 0 ? 0 : (double) stats.eventsDelivered() / stats.requests(), unavailable);
                if (unexpected.get() > 0) {
                    System.out.println("Records outside success: " + unexpected.get());
                }
            }
        }
    }

    /** Content and attributes of a FlowFile, handed from one runner to the next. */
    private record FlowFileData(byte[] content, Map<String, String> attributes) {
    }

    /** Takes the runner's FlowFiles of a relationship and clears them (on the runner's own thread). */
    private static void handOn(TestRunner runner, String relationship, BlockingQueue<FlowFileData> next, Map<String, Long> written,
                               Map<String, Long> received) {
        List<MockFlowFile> out = runner.getFlowFilesForRelationship(relationship);
        if (out.isEmpty()) {
            return;
        }
        long now = System.nanoTime();
        runner.clearTransferState();
        runner.clearProvenanceEvents();
        for (MockFlowFile flowFile : out) {
            next.add(new FlowFileData(flowFile.toByteArray(), flowFile.getAttributes()));
            // Updates carry their marker as the changed lastname: when it left ListenCrmWebhook (committed and acknowledged).
            try {
                for (JsonNode change : JSON.readTree(flowFile.toByteArray())) {
                    String marker = change.path("lastname").asText(null);
                    Long start = marker == null ? null : written.get(marker);
                    if (start != null) {
                        received.putIfAbsent(marker, now - start);
                    }
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
    }

    /** A processor stage: waits for FlowFiles, runs the processor once per FlowFile, hands the success output on. */
    private static void stage(AtomicBoolean running, BlockingQueue<FlowFileData> in, TestRunner runner, BlockingQueue<FlowFileData> next,
                              AtomicLong unexpected, boolean map) {
        List<FlowFileData> batch = new ArrayList<>();
        while (running.get()) {
            try {
                FlowFileData first = in.poll(20, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.clear();
                batch.add(first);
                in.drainTo(batch);
            } catch (InterruptedException e) {
                return;
            }
            for (FlowFileData flowFile : batch) {
                runner.enqueue(flowFile.content(), flowFile.attributes());
            }
            runner.run(batch.size());
            for (String other : List.of("failure", "retry", "not found")) {
                if (runner.getProcessor().getRelationships().stream().anyMatch(r -> r.getName().equals(other))) {
                    unexpected.addAndGet(runner.getFlowFilesForRelationship(other).size());
                }
            }
            if (next == null) {
                runner.clearTransferState();
                runner.clearProvenanceEvents();
                continue;
            }
            List<MockFlowFile> out = runner.getFlowFilesForRelationship("success");
            runner.clearTransferState();
            runner.clearProvenanceEvents();
            for (MockFlowFile flowFile : out) {
                next.add(new FlowFileData(map ? toSalesforce(flowFile.toByteArray()) : flowFile.toByteArray(), flowFile.getAttributes()));
            }
        }
    }

    /** The field mapping of this flow (HubSpot contact → Salesforce Contact), as MapCrmFields would apply it. */
    private static byte[] toSalesforce(byte[] hubspotRecords) {
        try {
            ArrayNode out = JSON.createArrayNode();
            for (JsonNode record : JSON.readTree(hubspotRecords)) {
                ObjectNode contact = out.addObject();
                contact.put("External_Id__c", record.path("hs_object_id").asText());
                contact.put("FirstName", record.path("firstname").asText(null));
                contact.put("LastName", record.path("lastname").asText(null));
                contact.put("Email", record.path("email").asText(null));
            }
            return JSON.writeValueAsBytes(out);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static long percentile(long[] sorted, int p) {
        if (sorted.length == 0) {
            return 0;
        }
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }
}
