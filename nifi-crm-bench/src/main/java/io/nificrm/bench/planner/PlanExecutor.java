package io.nificrm.bench.planner;

import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmObjectSchema;
import io.nificrm.api.CrmPage;
import io.nificrm.api.CrmPartition;
import io.nificrm.api.CrmQuery;
import io.nificrm.api.CrmWriteRequest;
import io.nificrm.api.CrmWriteResult;
import io.nificrm.api.WriteOperation;
import io.nificrm.processors.planner.MigrationPlan;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.serialization.record.RecordSchema;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Carries a plan out through the connection services the way the NiFi flow does: a stage starts when the stages it
 * depends on are written; GenerateCrmPartitions' split (the service's {@code partitions}); FetchCrmPartition's reads,
 * one FlowFile of {@code maxRecordsPerFlowFile} records at a time per partition, the partition going back to the
 * queue after each FlowFile (so partitions take turns); UpsertCrmRecords' writes of each FlowFile in batches. The
 * fetch and upsert pools have the plan's concurrent tasks and are shared by all stages, as processors are.
 */
final class PlanExecutor {

    /** How one object is mapped: the source fields read, and a source record → target values (keyed by {@code key}). */
    record Mapping(List<String> fields, String key, List<String> targetFields, Function<Record, Map<String, Object>> map) {
        RecordSchema schema() {
            return new SimpleRecordSchema(targetFields.stream().map(f -> new RecordField(f, RecordFieldType.STRING.getDataType())).toList());
        }
    }

    /** What happened to one stage, in seconds from the start. */
    record StageRun(String stage, double start, double end, long written, long failed) {
    }

    record Outcome(double seconds, List<StageRun> stages, long written, long failed) {
    }

    private PlanExecutor() {
    }

    static Outcome run(MigrationPlan plan, CrmConnectionService source, CrmConnectionService target, Map<String, Mapping> mappings)
            throws Exception {
        ExecutorService fetch = Executors.newFixedThreadPool(Math.max(1, plan.fetchTasksPerNode() * plan.nodes()));
        ExecutorService upsert = Executors.newFixedThreadPool(Math.max(1, plan.upsertTasksPerNode() * plan.nodes()));
        ExecutorService control = Executors.newVirtualThreadPerTaskExecutor();
        long t0 = System.nanoTime();
        Map<String, CompletableFuture<StageRun>> stages = new HashMap<>();
        try {
            for (MigrationPlan.StagePlan stage : plan.stages()) {
                CompletableFuture<?>[] parents = stage.dependsOn().stream().map(stages::get).toArray(CompletableFuture[]::new);
                stages.put(stage.stage(), CompletableFuture.allOf(parents).thenComposeAsync(v -> new StageExecution(plan, stage,
                        mappings.get(stage.object()), source, target, fetch, upsert, t0).start(), control));
            }
            List<StageRun> runs = new ArrayList<>();
            for (MigrationPlan.StagePlan stage : plan.stages()) {
                runs.add(stages.get(stage.stage()).get());
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            return new Outcome(seconds, runs, runs.stream().mapToLong(StageRun::written).sum(), runs.stream().mapToLong(StageRun::failed).sum());
        } finally {
            fetch.shutdownNow();
            upsert.shutdownNow();
            control.shutdownNow();
        }
    }

    /** One stage: partitions, then reads and writes until every partition is read and every FlowFile written. */
    private static final class StageExecution {
        private final MigrationPlan plan;
        private final MigrationPlan.StagePlan stage;
        private final Mapping mapping;
        private final CrmConnectionService source;
        private final CrmConnectionService target;
        private final ExecutorService fetch;
        private final ExecutorService upsert;
        private final long t0;
        private final AtomicInteger pending = new AtomicInteger(1);
        private final AtomicLong written = new AtomicLong();
        private final AtomicLong failed = new AtomicLong();
        private final CompletableFuture<StageRun> done = new CompletableFuture<>();
        private double started;

        StageExecution(MigrationPlan plan, MigrationPlan.StagePlan stage, Mapping mapping, CrmConnectionService source,
                       CrmConnectionService target, ExecutorService fetch, ExecutorService upsert, long t0) {
            this.plan = plan;
            this.stage = stage;
            this.mapping = mapping;
            this.source = source;
            this.target = target;
            this.fetch = fetch;
            this.upsert = upsert;
            this.t0 = t0;
        }

        CompletableFuture<StageRun> start() {
            started = (System.nanoTime() - t0) / 1e9;
            try {
                CrmObjectSchema schema = source.describe(stage.object());
                List<CrmPartition> partitions = stage.partitions() > 1
                        ? source.partitions(stage.object(), schema.idField(), stage.partitions()) : Collections.singletonList(null);
                for (CrmPartition partition : partitions) {
                    submitRead(partition, null);
                }
                finishOne();
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
            }
            return done;
        }

        private void submitRead(CrmPartition partition, String cursor) {
            pending.incrementAndGet();
            fetch.execute(() -> guarded(() -> readFlowFile(partition, cursor)));
        }

        /** Reads up to one FlowFile of the partition, hands it to the upsert pool, and requeues the partition if not done. */
        private void readFlowFile(CrmPartition partition, String cursor) {
            List<Record> records = new ArrayList<>();
            String next = cursor;
            boolean first = true;
            while (records.size() < plan.maxRecordsPerFlowFile() && (first || next != null)) {
                first = false;
                CrmQuery query = CrmQuery.of(stage.object()).withFields(mapping.fields()).withPageSize(plan.pageSize())
                        .withPartition(partition).withCursor(next);
                CrmPage page = source.query(query);
                records.addAll(page.records());
                next = page.nextCursor();
            }
            if (!records.isEmpty()) {
                pending.incrementAndGet();
                upsert.execute(() -> guarded(() -> writeFlowFile(records)));
            }
            if (next != null) {
                submitRead(partition, next);
            }
        }

        private void writeFlowFile(List<Record> records) {
            RecordSchema schema = mapping.schema();
            for (int from = 0; from < records.size(); from += plan.batchSize()) {
                List<Record> batch = new ArrayList<>();
                for (Record record : records.subList(from, Math.min(records.size(), from + plan.batchSize()))) {
                    batch.add(new MapRecord(schema, new HashMap<>(mapping.map().apply(record))));
                }
                List<CrmWriteResult> results = target.write(new CrmWriteRequest(stage.targetObject(), WriteOperation.UPSERT,
                        mapping.key(), batch));
                long ok = results.stream().filter(CrmWriteResult::isSuccess).count();
                written.addAndGet(ok);
                failed.addAndGet(results.size() - ok);
            }
        }

        private void guarded(Runnable work) {
            try {
                work.run();
                finishOne();
            } catch (Throwable e) {
                done.completeExceptionally(e);
            }
        }

        private void finishOne() {
            if (pending.decrementAndGet() == 0) {
                done.complete(new StageRun(stage.stage(), started, (System.nanoTime() - t0) / 1e9, written.get(), failed.get()));
            }
        }
    }
}
