package io.nificrm.processors.planner;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A migration plan: the order of the stages, partitions, batch size and concurrency per stage, the limit that binds
 * each stage, the estimated duration with its lower bound and assumptions, and the days and checkpoints a daily quota
 * imposes. {@link #toTable()} renders it for people, {@link #toJson()} for tools.
 *
 * @param source               the source system
 * @param target               the target system
 * @param nodes                NiFi nodes
 * @param threadsPerNode       concurrent tasks per processor per node allowed
 * @param pageSize             records per query page
 * @param batchSize            records per write call
 * @param maxRecordsPerFlowFile records per FlowFile for FetchCrmPartition (a multiple of page and batch size)
 * @param fetchTasksPerNode    concurrent tasks of FetchCrmPartition per node (0 when the source is not modeled)
 * @param upsertTasksPerNode   concurrent tasks of UpsertCrmRecords per node (0 when the target is not modeled)
 * @param stages               stages in a dependency-respecting order
 * @param records              records of all objects (second passes not counted again)
 * @param sourceRequests       calls on the source (reads, describes, partition bounds), or -1 when not modeled
 * @param targetRequests       calls on the target (writes, describes), or -1 when not modeled
 * @param durationSeconds      estimated wall time, including waits for the daily quota
 * @param workingSeconds       the part of it spent transferring (duration minus quota waits)
 * @param lowerBoundSeconds    no schedule of these stages under these limits can be shorter (quota waits excluded)
 * @param lowerBoundReason     what sets the lower bound
 * @param binding              the limit that caps the migration as a whole
 * @param days                 calendar days the daily quotas spread the job over (1 when it fits in one)
 * @param quotas               daily quota use per side that has one
 * @param checkpoints          where the job stands each time a daily quota runs out
 * @param settings             processor and service settings that carry the plan out
 * @param notes                things to know or check (self-references, unknown parents, estimates)
 * @param assumptions          what the estimate takes for granted
 */
public record MigrationPlan(String source, String target, int nodes, int threadsPerNode, int pageSize, int batchSize,
                            int maxRecordsPerFlowFile, int fetchTasksPerNode, int upsertTasksPerNode, List<StagePlan> stages, long records, long sourceRequests,
                            long targetRequests, double durationSeconds, double workingSeconds, double lowerBoundSeconds,
                            String lowerBoundReason, String binding, int days, List<QuotaUse> quotas,
                            List<Checkpoint> checkpoints, List<Setting> settings, List<String> notes, List<String> assumptions) {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * One stage: an object's load (or its second pass).
     *
     * @param order            position in the plan, from 1
     * @param stage            label ({@code Contact}, {@code Account (2nd pass: ParentId)})
     * @param object           the source object
     * @param targetObject     the target object
     * @param records          records to move
     * @param exactCount       false when the count is an estimate
     * @param dependsOn        stages that must finish first
     * @param after            why, per stage it depends on ({@code Contact.AccountId → Account})
     * @param partitions       partitions for GenerateCrmPartitions (1: a single query stream)
     * @param recordsPerPartition records per partition (about)
     * @param readRequests     source calls (pages, partition bounds, describe)
     * @param writeRequests    target calls (batches, describe)
     * @param readConcurrency  partitions read at once when the stage runs alone (partitions, at most the fetch tasks)
     * @param writeConcurrency FlowFiles written at once when the stage runs alone (FlowFiles, at most the upsert tasks)
     * @param binding          the limit that caps this stage's throughput
     * @param recordsPerSecond throughput when the stage runs alone (records over its transfer time)
     * @param startSeconds     when the stage starts in the schedule
     * @param endSeconds       when its last write returns
     * @param sharedWith       stages that run at the same time and share the budgets
     */
    public record StagePlan(int order, String stage, String object, String targetObject, long records, boolean exactCount,
                            List<String> dependsOn, List<String> after, int partitions, long recordsPerPartition, long readRequests, long writeRequests,
                            int readConcurrency, int writeConcurrency, String binding, double recordsPerSecond,
                            double startSeconds, double endSeconds, List<String> sharedWith) {
    }

    /** A side's daily quota against the job's calls. */
    public record QuotaUse(String system, long dailyQuota, long availableFirstDay, long requests, int days) {
    }

    /**
     * Where the job stands when a daily quota runs out.
     *
     * @param day        the day that ends here (1 = the first)
     * @param system     whose quota ran out
     * @param atSeconds  when, from the start
     * @param completed  stages finished
     * @param inProgress stages under way, with how far they got
     * @param notStarted stages not started
     */
    public record Checkpoint(int day, String system, double atSeconds, List<String> completed, List<Progress> inProgress,
                             List<String> notStarted) {
    }

    /** How far a stage got: {@code recordsDone} of {@code records}, spread over its partitions. */
    public record Progress(String stage, long recordsDone, long records, int partitions) {
        public String describe() {
            double share = records == 0 ? 1 : (double) recordsDone / records;
            return String.format(Locale.ROOT, "%s: ~%s of %s records (%.0f%%)%s", stage, PlanFormat.count(recordsDone),
                    PlanFormat.count(records), share * 100, partitions > 1
                            ? "; each of its " + partitions + " partitions is about that far, its cursor kept on the partition FlowFile" : "");
        }
    }

    /** A setting that carries the plan out. */
    public record Setting(String component, String property, String value, String reason) {
    }

    /** A plain-text rendering (the stage table is valid Markdown). */
    public String toTable() {
        StringBuilder out = new StringBuilder();
        out.append("Migration plan: ").append(source).append(" → ").append(target).append(", ").append(nodes)
                .append(nodes == 1 ? " node" : " nodes").append(", up to ").append(threadsPerNode)
                .append(" tasks per processor per node\n");
        out.append("Records: ").append(PlanFormat.count(records)).append(" in ").append(stages.size()).append(" stage(s). Calls: ")
                .append(calls(source, sourceRequests)).append(", ").append(calls(target, targetRequests)).append('\n');
        out.append("Estimated duration: ").append(PlanFormat.seconds(durationSeconds));
        if (workingSeconds < durationSeconds - 1) {
            out.append(" (").append(PlanFormat.seconds(workingSeconds)).append(" transferring, the rest waiting for the daily quota)");
        }
        out.append(". Lower bound: ").append(PlanFormat.seconds(lowerBoundSeconds)).append(" (").append(lowerBoundReason);
        out.append(String.format(Locale.ROOT, "): no schedule of these stages can be shorter, and this one is %.1f%% above it.%n", gapPercent()));
        out.append("Binding constraint: ").append(binding).append('\n');
        if (days > 1) {
            out.append("Days: ").append(days).append(" (the daily quota cannot cover the job in one)\n");
        }
        out.append('\n');
        List<List<String>> rows = new ArrayList<>();
        rows.add(List.of("#", "stage", "records", "after", "partitions", "reads", "writes", "read streams", "write streams",
                "binding constraint", "records/s", "start", "end"));
        for (StagePlan s : stages) {
            rows.add(List.of(Integer.toString(s.order()), s.stage() + (s.targetObject().equals(s.object()) ? "" : " → " + s.targetObject()),
                    (s.exactCount() ? "" : "~") + PlanFormat.count(s.records()),
                    s.after().isEmpty() ? "-" : String.join(", ", s.after()),
                    s.partitions() + (s.partitions() > 1 ? " × ~" + PlanFormat.count(s.recordsPerPartition()) : ""),
                    requestCell(s.readRequests()), requestCell(s.writeRequests()),
                    Integer.toString(s.readConcurrency()), Integer.toString(s.writeConcurrency()),
                    s.binding() + (s.sharedWith().isEmpty() ? "" : "; shares budgets with " + String.join(", ", s.sharedWith())),
                    PlanFormat.rate(s.recordsPerSecond()), PlanFormat.seconds(s.startSeconds()), PlanFormat.seconds(s.endSeconds())));
        }
        table(out, rows);
        if (!quotas.isEmpty()) {
            out.append("\nDaily quota:\n");
            for (QuotaUse q : quotas) {
                out.append("  - ").append(q.system()).append(": ").append(PlanFormat.count(q.requests())).append(" calls, ")
                        .append(PlanFormat.count(q.dailyQuota())).append(" a day (").append(PlanFormat.count(q.availableFirstDay()))
                        .append(" left today) → ").append(q.days()).append(q.days() == 1 ? " day" : " days").append('\n');
            }
        }
        if (!checkpoints.isEmpty()) {
            out.append("\nCheckpoints (the job pauses until the quota resets, then resumes from here):\n");
            for (Checkpoint c : checkpoints) {
                out.append("  - End of day ").append(c.day()).append(" (").append(c.system()).append(" quota used up after ")
                        .append(PlanFormat.seconds(c.atSeconds() - (c.day() - 1) * FluidScheduler.DAY)).append(" of that day): ");
                List<String> parts = new ArrayList<>();
                parts.add("done " + (c.completed().isEmpty() ? "nothing yet" : String.join(", ", c.completed())));
                c.inProgress().forEach(p -> parts.add(p.describe()));
                if (!c.notStarted().isEmpty()) {
                    parts.add("not started " + String.join(", ", c.notStarted()));
                }
                out.append(String.join("; ", parts)).append('\n');
            }
        }
        if (!settings.isEmpty()) {
            out.append("\nSettings:\n");
            settings.forEach(s -> out.append("  - ").append(s.component()).append(" / ").append(s.property()).append(" = ")
                    .append(s.value()).append(s.reason() == null ? "" : " (" + s.reason() + ")").append('\n'));
        }
        if (!notes.isEmpty()) {
            out.append("\nNotes:\n");
            notes.forEach(n -> out.append("  - ").append(n).append('\n'));
        }
        out.append("\nAssumptions:\n");
        assumptions.forEach(a -> out.append("  - ").append(a).append('\n'));
        return out.toString();
    }

    /** How far the estimate is above the lower bound, in percent. */
    public double gapPercent() {
        return lowerBoundSeconds <= 0 ? 0 : Math.max(0, (workingSeconds / lowerBoundSeconds - 1) * 100);
    }

    private static String calls(String system, long requests) {
        return requests < 0 ? system + " not modeled" : system + " " + PlanFormat.count(requests);
    }

    private static String requestCell(long requests) {
        return requests < 0 ? "-" : PlanFormat.count(requests);
    }

    private static void table(StringBuilder out, List<List<String>> rows) {
        int[] widths = new int[rows.get(0).size()];
        for (List<String> row : rows) {
            for (int i = 0; i < widths.length; i++) {
                widths[i] = Math.max(widths[i], row.get(i).length());
            }
        }
        for (int r = 0; r < rows.size(); r++) {
            StringBuilder line = new StringBuilder("|");
            for (int i = 0; i < widths.length; i++) {
                line.append(' ').append(String.format("%-" + widths[i] + "s", rows.get(r).get(i))).append(" |");
            }
            out.append(line).append('\n');
            if (r == 0) {
                StringBuilder rule = new StringBuilder("|");
                for (int w : widths) {
                    rule.append("-".repeat(w + 2)).append('|');
                }
                out.append(rule).append('\n');
            }
        }
    }

    /** The plan as a JSON document (durations in seconds). */
    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("source", source).put("target", target).put("nodes", nodes).put("threadsPerNode", threadsPerNode)
                .put("pageSize", pageSize).put("batchSize", batchSize).put("maxRecordsPerFlowFile", maxRecordsPerFlowFile)
                .put("fetchTasksPerNode", fetchTasksPerNode).put("upsertTasksPerNode", upsertTasksPerNode)
                .put("records", records);
        if (sourceRequests >= 0) {
            root.put("sourceRequests", sourceRequests);
        }
        if (targetRequests >= 0) {
            root.put("targetRequests", targetRequests);
        }
        root.put("durationSeconds", round(durationSeconds)).put("workingSeconds", round(workingSeconds))
                .put("lowerBoundSeconds", round(lowerBoundSeconds)).put("lowerBoundReason", lowerBoundReason)
                .put("gapPercent", round(gapPercent())).put("binding", binding).put("days", days);
        ArrayNode stageArray = root.putArray("stages");
        for (StagePlan s : stages) {
            ObjectNode node = stageArray.addObject();
            node.put("order", s.order()).put("stage", s.stage()).put("object", s.object()).put("targetObject", s.targetObject())
                    .put("records", s.records()).put("exactCount", s.exactCount());
            s.dependsOn().forEach(node.putArray("dependsOn")::add);
            s.after().forEach(node.putArray("after")::add);
            node.put("partitions", s.partitions()).put("recordsPerPartition", s.recordsPerPartition());
            if (s.readRequests() >= 0) {
                node.put("readRequests", s.readRequests());
            }
            if (s.writeRequests() >= 0) {
                node.put("writeRequests", s.writeRequests());
            }
            node.put("readConcurrency", s.readConcurrency()).put("writeConcurrency", s.writeConcurrency())
                    .put("binding", s.binding()).put("recordsPerSecond", round(s.recordsPerSecond()))
                    .put("startSeconds", round(s.startSeconds())).put("endSeconds", round(s.endSeconds()));
            s.sharedWith().forEach(node.putArray("sharedWith")::add);
        }
        ArrayNode quotaArray = root.putArray("quotas");
        quotas.forEach(q -> quotaArray.addObject().put("system", q.system()).put("dailyQuota", q.dailyQuota())
                .put("availableFirstDay", q.availableFirstDay()).put("requests", q.requests()).put("days", q.days()));
        ArrayNode checkpointArray = root.putArray("checkpoints");
        for (Checkpoint c : checkpoints) {
            ObjectNode node = checkpointArray.addObject().put("day", c.day()).put("system", c.system()).put("atSeconds", round(c.atSeconds()));
            c.completed().forEach(node.putArray("completed")::add);
            ArrayNode progress = node.putArray("inProgress");
            c.inProgress().forEach(p -> progress.addObject().put("stage", p.stage()).put("recordsDone", p.recordsDone())
                    .put("records", p.records()).put("partitions", p.partitions()));
            c.notStarted().forEach(node.putArray("notStarted")::add);
        }
        ArrayNode settingArray = root.putArray("settings");
        settings.forEach(s -> settingArray.addObject().put("component", s.component()).put("property", s.property())
                .put("value", s.value()).put("reason", s.reason()));
        notes.forEach(root.putArray("notes")::add);
        assumptions.forEach(root.putArray("assumptions")::add);
        try {
            return JSON.writeValueAsString(root);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static double round(double value) {
        return Math.round(value * 1000) / 1000.0;
    }
}
