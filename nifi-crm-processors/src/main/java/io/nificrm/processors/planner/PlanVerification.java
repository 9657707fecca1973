package io.nificrm.processors.planner;

import io.nificrm.api.CrmCapabilities;
import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmException;
import io.nificrm.api.CrmField;
import io.nificrm.api.CrmObjectSchema;
import org.apache.nifi.components.ConfigVerificationResult;
import org.apache.nifi.components.ConfigVerificationResult.Outcome;
import org.apache.nifi.controller.NodeTypeProvider;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The planner as verification steps, one call per processor: {@link #forPartitions} for GenerateCrmPartitions (the
 * source side of one object), {@link #forUpsert} for UpsertCrmRecords (the target side), {@link #steps} for a whole
 * migration. Problems become FAILED steps with the planner's message, never exceptions.
 * <p>
 * Attributes of the verification dialog refine the plan: {@value #RECORDS} (records to migrate, needed by the upsert
 * side, which cannot count the source), {@value #NODES} (NiFi nodes; default: the cluster's size),
 * {@value #THREADS} (concurrent tasks per processor per node), {@value #LATENCY} (milliseconds per call).
 */
public final class PlanVerification {
    public static final String RECORDS = "crm.plan.records";
    public static final String NODES = "crm.plan.nodes";
    public static final String THREADS = "crm.plan.threads";
    public static final String LATENCY = "crm.plan.latency.ms";

    private PlanVerification() {
    }

    /** NiFi nodes of the cluster (1 when standalone or unknown). */
    public static int nodes(NodeTypeProvider provider) {
        if (provider == null || !provider.isClustered()) {
            return 1;
        }
        return Math.max(1, provider.getClusterMembers().size());
    }

    /** Steps for a whole migration spec. */
    public static List<ConfigVerificationResult> steps(MigrationSpec spec) {
        List<ConfigVerificationResult> results = new ArrayList<>();
        MigrationPlan plan;
        try {
            plan = MigrationPlanner.plan(spec);
        } catch (PlanningException e) {
            results.add(result("Plan migration", Outcome.FAILED, e.getMessage()));
            return results;
        }
        results.add(result("Plan migration order", Outcome.SUCCESSFUL, String.join(" → ",
                plan.stages().stream().map(MigrationPlan.StagePlan::stage).toList())));
        results.add(result("Plan duration", Outcome.SUCCESSFUL, summary(plan)));
        quotaStep(plan).ifPresent(results::add);
        return results;
    }

    /**
     * Steps for GenerateCrmPartitions: the object's references (what must be loaded first), the partitions and fetch
     * tasks that keep the source's budget busy against the configured Partitions, how long reading takes at the
     * source's limits, and the daily quota.
     */
    public static List<ConfigVerificationResult> forPartitions(CrmConnectionService source, String object, int configuredPartitions,
                                                               NodeTypeProvider nodeTypes, Map<String, String> attributes) {
        List<ConfigVerificationResult> results = new ArrayList<>();
        try {
            Options options = Options.of(attributes, nodes(nodeTypes));
            CrmObjectSchema schema = source.describe(object);
            results.add(result("Plan migration order", Outcome.SUCCESSFUL, orderAdvice(schema)));
            Long count = options.records;
            boolean exact = true;
            if (count == null) {
                CrmConnectionService.RecordCount counted = source.count(object);
                count = counted.count();
                exact = counted.exact();
            }
            MigrationSpec spec = MigrationSpec.builder()
                    .object(new ObjectSpec(object, null, count, exact, Map.of(), 1))
                    .source(SystemSpec.of(source.system(), source.capabilities(), options.latency))
                    .target(SystemSpec.unknown("target"))
                    .nodes(options.nodes).threadsPerNode(options.threads).build();
            MigrationPlan plan = MigrationPlanner.plan(spec);
            MigrationPlan.StagePlan stage = plan.stages().get(0);
            String fetchTasks = plan.fetchTasksPerNode() + (plan.fetchTasksPerNode() == 1 ? " concurrent task" : " concurrent tasks") + " per node";
            long pages = MigrationPlanner.ceilDiv(Math.max(1, count), plan.pageSize());
            StringBuilder partitions = new StringBuilder("For " + PlanFormat.count(count) + (exact ? "" : " (estimated)")
                    + " records the plan is " + stage.partitions() + " partition(s) of ~" + PlanFormat.count(stage.recordsPerPartition())
                    + " records read by FetchCrmPartition with " + fetchTasks + " (Page Size " + plan.pageSize() + "). ");
            if (configuredPartitions == stage.partitions()) {
                partitions.append("Partitions (").append(configuredPartitions).append(") matches the plan.");
            } else if (configuredPartitions > pages) {
                partitions.append("Partitions is ").append(configuredPartitions).append(", more than the ").append(PlanFormat.count(pages))
                        .append(" pages the object fills: every partition costs at least one query, so the extra ones only add calls.");
            } else if (configuredPartitions < stage.readConcurrency()) {
                partitions.append("Partitions is ").append(configuredPartitions).append(": fewer page streams than the ")
                        .append(stage.readConcurrency()).append(" needed to keep ").append(source.system())
                        .append("'s budget busy, so reading will be slower than planned.");
            } else {
                partitions.append("Partitions is ").append(configuredPartitions).append(", which also keeps the budget busy.");
            }
            results.add(result("Plan partitions", Outcome.SUCCESSFUL, partitions.toString()));
            results.add(result("Plan read duration", Outcome.SUCCESSFUL, "Reading takes about " + PlanFormat.seconds(plan.workingSeconds())
                    + " in " + PlanFormat.count(plan.sourceRequests()) + " calls at " + source.system() + "'s limits (binding: "
                    + stage.binding() + "). The target's limits are not known here: UpsertCrmRecords' verification plans the write side."));
            quotaStep(plan).ifPresent(results::add);
        } catch (PlanningException | IllegalArgumentException e) {
            results.add(result("Plan migration", Outcome.FAILED, e.getMessage()));
        } catch (CrmException e) {
            results.add(result("Plan migration", Outcome.FAILED, "Cannot plan " + object + ": " + e.getMessage()));
        }
        return results;
    }

    /**
     * Steps for UpsertCrmRecords: the batch size against the target's maximum, the write duration at the target's limits
     * (when the {@value #RECORDS} attribute says how many records come), the write calls to keep in flight against the
     * configured concurrent tasks, and the daily quota.
     *
     * @param batchSize       the configured Batch Size, or null for the target's maximum
     * @param concurrentTasks the processor's concurrent tasks per node
     */
    public static List<ConfigVerificationResult> forUpsert(CrmConnectionService target, String object, Integer batchSize,
                                                           int concurrentTasks, NodeTypeProvider nodeTypes, Map<String, String> attributes) {
        List<ConfigVerificationResult> results = new ArrayList<>();
        try {
            Options options = Options.of(attributes, nodes(nodeTypes));
            CrmCapabilities capabilities = target.capabilities();
            if (batchSize != null && batchSize > capabilities.maxBatchSize()) {
                results.add(result("Plan batch size", Outcome.FAILED, "Batch Size " + PlanFormat.count(batchSize) + " is above "
                        + target.system() + "'s maximum of " + PlanFormat.count(capabilities.maxBatchSize())
                        + " records per write call: set it to " + PlanFormat.count(capabilities.maxBatchSize()) + " or less (or leave it empty)."));
                return results;
            }
            int batch = batchSize == null ? capabilities.maxBatchSize() : batchSize;
            results.add(result("Plan batch size", Outcome.SUCCESSFUL, "Batches of " + PlanFormat.count(batch) + " records"
                    + (batch < capabilities.maxBatchSize() ? "; the target takes up to " + PlanFormat.count(capabilities.maxBatchSize())
                    + " per call, and fewer records per call means more calls against its limits" : ", the target's maximum")));
            long records = options.records == null ? 1_000_000 : options.records;
            MigrationSpec spec = MigrationSpec.builder()
                    .object(new ObjectSpec(object, object, records, true, Map.of(), 1))
                    .source(SystemSpec.unknown("source"))
                    .target(SystemSpec.of(target.system(), capabilities, options.latency))
                    .batchSize(batch).nodes(options.nodes).threadsPerNode(options.threads).build();
            MigrationPlan plan = MigrationPlanner.plan(spec);
            MigrationPlan.StagePlan stage = plan.stages().get(0);
            int tasks = plan.upsertTasksPerNode();
            String concurrency = " Keep " + tasks * options.nodes + " batches in flight: Concurrent Tasks " + tasks + " per node"
                    + (concurrentTasks >= tasks ? " (configured " + concurrentTasks + ": enough)."
                    : " (configured " + concurrentTasks + ": too few, writing will be slower than planned).");
            if (options.records == null) {
                results.add(result("Plan write duration", Outcome.SKIPPED, "No record count: add the attribute " + RECORDS
                        + " (the source's count) to estimate the duration. " + target.system() + " takes at most about "
                        + PlanFormat.rate(stage.recordsPerSecond()) + " records/s into " + object + " (binding: " + stage.binding() + ")."
                        + concurrency));
                return results;
            }
            String chains = stage.binding().contains("write chains") ? " Each FlowFile's batches are written one after another: "
                    + "smaller FlowFiles upstream (FetchCrmPartition's Max Records Per FlowFile) let more batches run at once." : "";
            results.add(result("Plan write duration", Outcome.SUCCESSFUL, "Writing " + PlanFormat.count(records) + " records takes about "
                    + PlanFormat.seconds(plan.workingSeconds()) + " in " + PlanFormat.count(plan.targetRequests()) + " calls at "
                    + target.system() + "'s limits (binding: " + stage.binding() + ")." + concurrency + chains));
            quotaStep(plan).ifPresent(results::add);
        } catch (PlanningException | IllegalArgumentException e) {
            results.add(result("Plan migration", Outcome.FAILED, e.getMessage()));
        } catch (CrmException e) {
            results.add(result("Plan migration", Outcome.FAILED, "Cannot plan writes to " + object + ": " + e.getMessage()));
        }
        return results;
    }

    private static String orderAdvice(CrmObjectSchema schema) {
        Map<String, List<String>> parents = new LinkedHashMap<>();
        List<String> self = new ArrayList<>();
        for (CrmField field : schema.fields()) {
            String to = field.referenceTo();
            if (to == null || to.isBlank()) {
                continue;
            }
            if (to.equals(schema.name())) {
                self.add(field.name());
            } else {
                parents.computeIfAbsent(to, k -> new ArrayList<>()).add(field.name());
            }
        }
        StringBuilder sb = new StringBuilder();
        if (parents.isEmpty()) {
            sb.append(schema.name()).append(" references no other object: it can be loaded first.");
        } else {
            List<String> list = new ArrayList<>();
            parents.forEach((to, fields) -> list.add(to + " (" + String.join(", ", fields) + ")"));
            sb.append(schema.name()).append(" references ").append(String.join(", ", list)).append(": load ")
                    .append(String.join(" and ", parents.keySet())).append(" first (or leave those fields out of the mapping), "
                            + "and trigger this processor when they are written.");
        }
        if (!self.isEmpty()) {
            sb.append(' ').append(schema.name()).append('.').append(String.join(", " + schema.name() + ".", self))
                    .append(" references ").append(schema.name()).append(" itself: fill it by a second update pass once every record exists.");
        }
        return sb.toString();
    }

    private static String summary(MigrationPlan plan) {
        return "About " + PlanFormat.seconds(plan.durationSeconds()) + " for " + PlanFormat.count(plan.records()) + " records ("
                + (plan.days() > 1 ? plan.days() + " days because of the daily quota; " : "") + "lower bound "
                + PlanFormat.seconds(plan.lowerBoundSeconds()) + "); binding: " + plan.binding() + ".";
    }

    private static java.util.Optional<ConfigVerificationResult> quotaStep(MigrationPlan plan) {
        if (plan.quotas().isEmpty()) {
            return java.util.Optional.empty();
        }
        List<String> parts = new ArrayList<>();
        plan.quotas().forEach(q -> parts.add(q.system() + ": " + PlanFormat.count(q.requests()) + " calls of "
                + PlanFormat.count(q.dailyQuota()) + " a day (" + PlanFormat.count(q.availableFirstDay()) + " left today) → "
                + q.days() + (q.days() == 1 ? " day" : " days")));
        if (!plan.checkpoints().isEmpty()) {
            MigrationPlan.Checkpoint first = plan.checkpoints().get(0);
            List<String> where = new ArrayList<>();
            first.inProgress().forEach(p -> where.add(p.describe()));
            parts.add("day 1 ends after " + PlanFormat.seconds(first.atSeconds()) + " at " + (where.isEmpty() ? "a stage boundary"
                    : String.join("; ", where)));
        }
        return java.util.Optional.of(result("Plan daily quota", Outcome.SUCCESSFUL, String.join("; ", parts)));
    }

    private static ConfigVerificationResult result(String step, Outcome outcome, String explanation) {
        return new ConfigVerificationResult.Builder().verificationStepName(step).outcome(outcome).explanation(explanation).build();
    }

    /** Plan settings read from the verification attributes. */
    private record Options(Long records, int nodes, int threads, Duration latency) {
        static Options of(Map<String, String> attributes, int clusterNodes) {
            Map<String, String> a = attributes == null ? Map.of() : attributes;
            Long records = number(a, RECORDS);
            Long nodes = number(a, NODES);
            Long threads = number(a, THREADS);
            Long latency = number(a, LATENCY);
            return new Options(records, nodes == null ? clusterNodes : (int) Math.min(Integer.MAX_VALUE, nodes),
                    threads == null ? MigrationSpec.DEFAULT_THREADS_PER_NODE : (int) Math.min(Integer.MAX_VALUE, threads),
                    latency == null ? SystemSpec.DEFAULT_LATENCY : Duration.ofMillis(latency));
        }

        private static Long number(Map<String, String> attributes, String name) {
            String value = attributes.get(name);
            if (value == null || value.isBlank()) {
                return null;
            }
            try {
                return Long.parseLong(value.trim().replace(",", "").replace("_", ""));
            } catch (NumberFormatException e) {
                throw new PlanningException("The attribute " + name + " must be a whole number, got '" + value + "'.");
            }
        }
    }
}
