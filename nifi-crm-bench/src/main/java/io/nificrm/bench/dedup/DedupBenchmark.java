package io.nificrm.bench.dedup;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.management.GarbageCollectionNotificationInfo;
import io.nificrm.processors.DeduplicateCrmRecords;
import io.nificrm.simulator.seed.SeedConfig;
import io.nificrm.simulator.seed.SeedData;
import io.nificrm.simulator.seed.SeedGenerator;
import org.apache.nifi.controller.AbstractControllerService;
import org.apache.nifi.json.JsonRecordSetWriter;
import org.apache.nifi.json.JsonTreeReader;
import org.apache.nifi.logging.ComponentLog;
import org.apache.nifi.serialization.AbstractRecordSetWriter;
import org.apache.nifi.serialization.RecordReader;
import org.apache.nifi.serialization.RecordReaderFactory;
import org.apache.nifi.serialization.RecordSetWriter;
import org.apache.nifi.serialization.RecordSetWriterFactory;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.serialization.record.RecordSchema;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;

import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code ./bench.sh dedup [sizes...]}: DeduplicateCrmRecords with its shipped defaults on the simulator's dirty
 * contacts (10% near-duplicates), one FlowFile per run, through nifi-mock.
 * <ul>
 *   <li>"processor": records come from an in-memory reader and are counted and dropped by the writer, so the time
 *       and the heap are the processor's own (normalization, blocking, scoring, clustering, survivorship, routing).
 *       Heap is the live-set high-water mark: the largest heap occupancy right after a GC during the run, minus the
 *       occupancy before it (the generated people themselves are in the baseline).</li>
 *   <li>"JSON": the same with JsonTreeReader / JsonRecordSetWriter and the content in the FlowFile, as in a flow
 *       (nifi-mock keeps input and output content on the heap, so no heap figure).</li>
 * </ul>
 * Sizes default to 100,000 and 1,000,000; median of 3 runs below 1,000,000, 1 run from there, after a warm-up.
 */
public final class DedupBenchmark {
    private static final RecordSchema SCHEMA = new SimpleRecordSchema(List.of(text("Id"), text("FirstName"), text("LastName"),
            text("Email"), text("Phone"), text("MobilePhone"), text("Title"), text("AccountId"), text("MailingCity"),
            text("MailingCountry"), text("LeadSource"), text("LastModifiedDate")));

    private DedupBenchmark() {
    }

    private static RecordField text(String name) {
        return new RecordField(name, RecordFieldType.STRING.getDataType(), true);
    }

    record Result(int records, String mode, double recordsPerSecond, long heapBytes, long pairs, long golden, long duplicates,
                  long review, long failure, double precision, double recall) {
    }

    public static void main(String[] args) throws Exception {
        int[] sizes = args.length == 0 ? new int[]{100_000, 1_000_000} : Arrays.stream(args).mapToInt(Integer::parseInt).toArray();
        System.out.printf(Locale.ROOT, "DeduplicateCrmRecords benchmark, shipped defaults, heap max %d MiB, %d cores%n",
                Runtime.getRuntime().maxMemory() >> 20, Runtime.getRuntime().availableProcessors());
        List<Result> results = new ArrayList<>();
        // Warm-up: JIT the whole path once.
        run(people(20_000), false);
        for (int size : sizes) {
            List<SeedData.Person> people = people(size);
            int runs = size < 1_000_000 ? 3 : 1;
            List<Result> processor = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                processor.add(run(people, false));
            }
            results.add(median(processor));
            if (size <= 200_000) {
                List<Result> json = new ArrayList<>();
                for (int i = 0; i < runs; i++) {
                    json.add(run(people, true));
                }
                results.add(median(json));
            }
        }
        System.out.println();
        System.out.println("| records | input/output | records/s | heap (live peak) | bytes/record | pairs compared | golden | duplicates | review | failure | precision | recall |");
        System.out.println("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        for (Result r : results) {
            System.out.printf(Locale.ROOT, "| %,d | %s | %,.0f | %s | %s | %,d | %,d | %,d | %,d | %,d | %s | %s |%n", r.records, r.mode,
                    r.recordsPerSecond, r.heapBytes < 0 ? "—" : String.format(Locale.ROOT, "%,d MiB", r.heapBytes >> 20),
                    r.heapBytes < 0 ? "—" : String.format(Locale.ROOT, "%,d", r.heapBytes / r.records), r.pairs, r.golden,
                    r.duplicates, r.review, r.failure, r.precision < 0 ? "—" : String.format(Locale.ROOT, "%.4f", r.precision),
                    r.recall < 0 ? "—" : String.format(Locale.ROOT, "%.4f", r.recall));
        }
        Result small = results.stream().filter(r -> r.mode.equals("processor")).findFirst().orElseThrow();
        Result large = results.stream().filter(r -> r.mode.equals("processor")).reduce((a, b) -> b).orElseThrow();
        if (large.records > small.records) {
            double n = (double) large.records / small.records;
            System.out.printf(Locale.ROOT, "%nGrowth from %,d to %,d records (×%.0f): time ×%.1f, heap ×%.1f, pairs ×%.1f "
                            + "(linear would be ×%.0f, quadratic ×%.0f)%n", small.records, large.records, n,
                    n * small.recordsPerSecond / large.recordsPerSecond, (double) large.heapBytes / small.heapBytes,
                    (double) large.pairs / small.pairs, n, n * n);
        }
    }

    private static List<SeedData.Person> people(int contacts) {
        return SeedGenerator.generate(new SeedConfig(Math.max(1, contacts / 10), contacts, 0, 0.10, 42L)).people();
    }

    private static Result median(List<Result> runs) {
        List<Result> sorted = new ArrayList<>(runs);
        sorted.sort((a, b) -> Double.compare(a.recordsPerSecond, b.recordsPerSecond));
        return sorted.get(sorted.size() / 2);
    }

    private static Result run(List<SeedData.Person> people, boolean json) throws Exception {
        TestRunner runner = TestRunners.newTestRunner(DeduplicateCrmRecords.class);
        byte[] content;
        CountingWriter counting = null;
        if (json) {
            JsonTreeReader reader = new JsonTreeReader();
            runner.addControllerService("reader", reader);
            runner.enableControllerService(reader);
            JsonRecordSetWriter writer = new JsonRecordSetWriter();
            runner.addControllerService("writer", writer);
            runner.enableControllerService(writer);
            content = json(people);
        } else {
            PeopleReader reader = new PeopleReader(people);
            runner.addControllerService("reader", reader);
            runner.enableControllerService(reader);
            CountingWriter writer = new CountingWriter(people);
            runner.addControllerService("writer", writer);
            runner.enableControllerService(writer);
            counting = writer;
            content = new byte[0];
        }
        runner.setProperty("Record Reader", "reader");
        runner.setProperty("Record Writer", "writer");
        runner.enqueue(content);
        HeapWatch watch = json ? null : new HeapWatch();
        long started = System.nanoTime();
        runner.run();
        double seconds = (System.nanoTime() - started) / 1e9;
        long heap = watch == null ? -1 : watch.stop();
        double[] quality = counting == null ? new double[]{-1, -1} : counting.quality(people);
        return new Result(people.size(), json ? "JSON" : "processor", people.size() / seconds, heap,
                runner.getCounterValue("Pairs Compared"), counter(runner, "Golden Records"), counter(runner, "Duplicate Records"),
                counter(runner, "Review Records"), counter(runner, "Failed Records"), quality[0], quality[1]);
    }

    private static long counter(TestRunner runner, String name) {
        Long value = runner.getCounterValue(name);
        return value == null ? 0 : value;
    }

    private static byte[] json(List<SeedData.Person> people) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream(people.size() * 300);
        try (JsonGenerator g = new ObjectMapper().getFactory().createGenerator(out)) {
            g.writeStartArray();
            for (SeedData.Person p : people) {
                g.writeStartObject();
                for (Map.Entry<String, Object> e : values(p).entrySet()) {
                    g.writeStringField(e.getKey(), (String) e.getValue());
                }
                g.writeEndObject();
            }
            g.writeEndArray();
        }
        return out.toByteArray();
    }

    private static Map<String, Object> values(SeedData.Person p) {
        Map<String, Object> v = new HashMap<>(24);
        v.put("Id", "003" + p.key());
        v.put("FirstName", p.firstName());
        v.put("LastName", p.lastName());
        v.put("Email", p.email());
        v.put("Phone", p.phone());
        v.put("MobilePhone", p.mobile());
        v.put("Title", p.title());
        v.put("AccountId", p.companyKey() == null ? null : "001" + p.companyKey());
        v.put("MailingCity", p.city());
        v.put("MailingCountry", p.country());
        v.put("LeadSource", p.leadSource());
        v.put("LastModifiedDate", p.modifiedAt().toString());
        return v;
    }

    /** Largest heap occupancy right after any GC while it watches, minus the occupancy when it started. */
    private static final class HeapWatch {
        private final long baseline;
        private final AtomicLong peak = new AtomicLong();
        private final List<Runnable> detach = new ArrayList<>();

        HeapWatch() {
            System.gc();
            baseline = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
            peak.set(baseline);
            for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
                if (gc instanceof NotificationEmitter emitter) {
                    javax.management.NotificationListener listener = (notification, handback) -> {
                        if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
                            GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from((CompositeData) notification.getUserData());
                            long used = info.getGcInfo().getMemoryUsageAfterGc().values().stream().mapToLong(MemoryUsage::getUsed).sum();
                            peak.accumulateAndGet(used, Math::max);
                        }
                    };
                    emitter.addNotificationListener(listener, null, null);
                    detach.add(() -> {
                        try {
                            emitter.removeNotificationListener(listener);
                        } catch (javax.management.ListenerNotFoundException ignored) {
                            // already gone
                        }
                    });
                }
            }
        }

        long stop() {
            detach.forEach(Runnable::run);
            return Math.max(0, peak.get() - baseline);
        }
    }

    /** Reads the people as Contact records, whatever the FlowFile holds; each read starts over (two passes). */
    static final class PeopleReader extends AbstractControllerService implements RecordReaderFactory {
        private final List<SeedData.Person> people;

        PeopleReader(List<SeedData.Person> people) {
            this.people = people;
        }

        @Override
        public RecordReader createRecordReader(Map<String, String> variables, InputStream in, long inputLength, ComponentLog logger) {
            return new RecordReader() {
                private int next;

                @Override
                public Record nextRecord(boolean coerceTypes, boolean dropUnknownFields) {
                    return next < people.size() ? new MapRecord(SCHEMA, values(people.get(next++))) : null;
                }

                @Override
                public RecordSchema getSchema() {
                    return SCHEMA;
                }

                @Override
                public void close() {
                }
            };
        }
    }

    /**
     * Writes nothing; notes the cluster of each merged record (a 64-bit hash per record, in one array allocated
     * before the heap baseline) so pairwise precision and recall can be computed after the run.
     */
    static final class CountingWriter extends AbstractControllerService implements RecordSetWriterFactory {
        private final long[] clusterOf;
        private final int[] positionOfKey;

        CountingWriter(List<SeedData.Person> people) {
            clusterOf = new long[people.size()];
            positionOfKey = new int[people.size()];
            java.util.Arrays.fill(positionOfKey, -1);
            for (int i = 0; i < people.size(); i++) {
                int key = Integer.parseInt(people.get(i).key().substring(1));
                if (key < positionOfKey.length) {
                    positionOfKey[key] = i;
                }
            }
        }

        @Override
        public RecordSchema getSchema(Map<String, String> variables, RecordSchema readSchema) {
            return readSchema;
        }

        @Override
        public RecordSetWriter createWriter(ComponentLog logger, RecordSchema schema, OutputStream out, Map<String, String> variables) {
            boolean merged = schema.getField("crm_golden_id").isPresent() && schema.getField("crm_candidate_id").isEmpty();
            return new AbstractRecordSetWriter(out) {
                @Override
                protected Map<String, String> writeRecord(Record record) {
                    if (merged) {
                        // Ids are "003P<n>", n the number in the person's key; positionOfKey maps it to the list.
                        String id = record.getAsString("Id");
                        int key = Integer.parseInt(id, 4, id.length(), 10);
                        int index = key < positionOfKey.length ? positionOfKey[key] : -1;
                        if (index >= 0) {
                            clusterOf[index] = record.getAsString("crm_cluster_id").hashCode() * 0x9E3779B97F4A7C15L
                                    ^ record.getAsString("crm_cluster_id").length();
                        }
                    }
                    return Map.of();
                }

                @Override
                public String getMimeType() {
                    return "application/octet-stream";
                }
            };
        }

        /** Pairwise precision and recall against the people's cluster keys (unmerged records are singletons). */
        double[] quality(List<SeedData.Person> people) {
            Map<Long, Long> predicted = new HashMap<>();
            Map<String, Long> truth = new HashMap<>();
            Map<String, Long> both = new HashMap<>();
            for (int i = 0; i < people.size(); i++) {
                long cluster = clusterOf[i] == 0 ? ~(long) i : clusterOf[i];
                predicted.merge(cluster, 1L, Long::sum);
                truth.merge(people.get(i).clusterKey(), 1L, Long::sum);
                both.merge(cluster + "/" + people.get(i).clusterKey(), 1L, Long::sum);
            }
            long p = predicted.values().stream().mapToLong(n -> n * (n - 1) / 2).sum();
            long t = truth.values().stream().mapToLong(n -> n * (n - 1) / 2).sum();
            long c = both.values().stream().mapToLong(n -> n * (n - 1) / 2).sum();
            return new double[]{p == 0 ? 1 : (double) c / p, t == 0 ? 1 : (double) c / t};
        }
    }
}
