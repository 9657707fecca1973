package io.nificrm.processors;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.processors.common.CrmAttributes;
import org.apache.nifi.annotation.behavior.InputRequirement;
import org.apache.nifi.annotation.behavior.ReadsAttribute;
import org.apache.nifi.annotation.behavior.ReadsAttributes;
import org.apache.nifi.annotation.behavior.Stateful;
import org.apache.nifi.annotation.behavior.TriggerSerially;
import org.apache.nifi.annotation.behavior.WritesAttribute;
import org.apache.nifi.annotation.behavior.WritesAttributes;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.SeeAlso;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.state.Scope;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.processor.AbstractProcessor;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.exception.ProcessException;
import org.apache.nifi.processor.util.StandardValidators;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Knows when a partitioned load is finished: every partition was read and every record it read has reached the end of
 * the flow (written, rejected, merged as a duplicate, set aside for review). Then it emits the load's report, which can
 * also start the next stage (parents before children).
 */
@InputRequirement(InputRequirement.Requirement.INPUT_REQUIRED)
@TriggerSerially
@Stateful(scopes = Scope.CLUSTER, description = "Per load in progress: records read, partitions completed, and records that "
        + "reached the end of the flow, by stage and relationship.")
@Tags({"crm", "migration", "report", "barrier", "tracker", "progress"})
@CapabilityDescription("Tracks partitioned loads (GenerateCrmPartitions → FetchCrmPartition → ... ) to their end. Connect to it "
        + "FetchCrmPartition's 'completed' relationship and every relationship where records leave the flow (UpsertCrmRecords "
        + "success/failure and its exhausted retries, MapCrmFields invalid, DeduplicateCrmRecords duplicates/review/failure...). "
        + "It counts records by crm.stage and crm.relationship per crm.load.id; when all partitions are read and as many "
        + "records have ended as were read, it emits one FlowFile on 'complete' with the load's report (JSON content and "
        + "crm.report.* attributes): use it to start the next object's load (parents before children) and to keep the run "
        + "report. In a cluster, give its incoming connection the 'Single node' load-balancing strategy so one node sees the "
        + "whole load; the counts are kept in cluster state.")
@ReadsAttributes({
        @ReadsAttribute(attribute = CrmAttributes.LOAD_ID, description = "The load a FlowFile belongs to"),
        @ReadsAttribute(attribute = "crm.partition.records", description = "On completed partitions: records the partition held"),
        @ReadsAttribute(attribute = "crm.partition.count", description = "On completed partitions: how many partitions the load has"),
        @ReadsAttribute(attribute = "record.count", description = "Records in a FlowFile that reached the end of the flow"),
        @ReadsAttribute(attribute = CrmAttributes.STAGE, description = "Where it ended: map, dedup, upsert..."),
        @ReadsAttribute(attribute = CrmAttributes.RELATIONSHIP, description = "How it ended there: success, failure, invalid, duplicates...")})
@WritesAttributes({
        @WritesAttribute(attribute = "crm.report.read", description = "Records read"),
        @WritesAttribute(attribute = "crm.report.created", description = "Records created in the target"),
        @WritesAttribute(attribute = "crm.report.updated", description = "Records updated in the target"),
        @WritesAttribute(attribute = "crm.report.failed", description = "Records the target refused"),
        @WritesAttribute(attribute = "crm.report.elapsed.seconds", description = "From the first to the last FlowFile of the load")})
@SeeAlso({GenerateCrmPartitions.class, FetchCrmPartition.class, UpsertCrmRecords.class, StoreCrmReview.class})
public class TrackCrmLoad extends AbstractProcessor {
    private static final ObjectMapper JSON = new ObjectMapper();

    static final PropertyDescriptor BATCH = new PropertyDescriptor.Builder()
            .name("FlowFiles Per Run")
            .description("Most FlowFiles counted per run; state is saved once per run.")
            .required(true)
            .defaultValue("1000")
            .addValidator(StandardValidators.POSITIVE_INTEGER_VALIDATOR)
            .build();

    static final Relationship REL_COMPLETE = new Relationship.Builder().name("complete")
            .description("One FlowFile per finished load, holding its report as JSON").build();
    static final Relationship REL_FAILURE = new Relationship.Builder().name("failure")
            .description("FlowFiles that belong to no load (no crm.load.id)").build();

    static final String READ = "read";
    static final String PARTITIONS_DONE = "partitions.done";
    static final String PARTITIONS = "partitions";
    static final String STARTED = "started";
    static final String LAST = "last";
    static final String OBJECT = "object";
    static final String ENDED_PREFIX = "ended.";

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return List.of(BATCH);
    }

    @Override
    public Set<Relationship> getRelationships() {
        return Set.of(REL_COMPLETE, REL_FAILURE);
    }

    @Override
    public void onTrigger(ProcessContext context, ProcessSession session) throws ProcessException {
        List<FlowFile> flowFiles = session.get(context.getProperty(BATCH).asInteger());
        if (flowFiles.isEmpty()) {
            return;
        }
        Map<String, String> state;
        try {
            state = new HashMap<>(session.getState(Scope.CLUSTER).toMap());
        } catch (IOException e) {
            throw new ProcessException("Cannot read the loads' counts from cluster state", e);
        }
        Set<String> touched = new java.util.HashSet<>();
        long now = System.currentTimeMillis();
        for (FlowFile flowFile : flowFiles) {
            String load = flowFile.getAttribute(CrmAttributes.LOAD_ID);
            if (load == null) {
                session.transfer(session.putAttribute(flowFile, CrmAttributes.ERROR_MESSAGE, "The FlowFile has no " + CrmAttributes.LOAD_ID), REL_FAILURE);
                continue;
            }
            touched.add(load);
            state.putIfAbsent(key(load, STARTED), Long.toString(now));
            state.put(key(load, LAST), Long.toString(now));
            if (flowFile.getAttribute(CrmAttributes.OBJECT) != null) {
                state.put(key(load, OBJECT), flowFile.getAttribute(CrmAttributes.OBJECT));
            }
            if (flowFile.getAttribute("crm.partition.count") != null && flowFile.getAttribute(CrmAttributes.STAGE) == null) {
                add(state, key(load, READ), number(flowFile.getAttribute("crm.partition.records")));
                add(state, key(load, PARTITIONS_DONE), 1);
                state.put(key(load, PARTITIONS), flowFile.getAttribute("crm.partition.count"));
            } else {
                String where = flowFile.getAttribute(CrmAttributes.STAGE) + "." + flowFile.getAttribute(CrmAttributes.RELATIONSHIP);
                add(state, key(load, ENDED_PREFIX + where), number(flowFile.getAttribute(CrmAttributes.RECORD_COUNT)));
                for (String outcome : List.of("created", "updated", "unchanged", "deleted")) {
                    String count = flowFile.getAttribute(CrmAttributes.OUTCOME_COUNT_PREFIX + outcome);
                    if (count != null) {
                        add(state, key(load, "outcome." + outcome), number(count));
                    }
                }
            }
            session.remove(flowFile);
        }
        for (String load : touched) {
            if (finished(state, load)) {
                emitReport(session, state, load);
            }
        }
        try {
            session.setState(state, Scope.CLUSTER);
        } catch (IOException e) {
            throw new ProcessException("Cannot save the loads' counts to cluster state", e);
        }
    }

    private static boolean finished(Map<String, String> state, String load) {
        String partitions = state.get(key(load, PARTITIONS));
        return partitions != null && number(state.get(key(load, PARTITIONS_DONE))) == number(partitions)
                && ended(state, load) == number(state.get(key(load, READ)));
    }

    private static long ended(Map<String, String> state, String load) {
        String prefix = key(load, ENDED_PREFIX);
        return state.entrySet().stream().filter(e -> e.getKey().startsWith(prefix)).mapToLong(e -> number(e.getValue())).sum();
    }

    private void emitReport(ProcessSession session, Map<String, String> state, String load) {
        String prefix = load + ".";
        Map<String, Long> endedBy = new TreeMap<>();
        state.forEach((k, v) -> {
            if (k.startsWith(prefix + ENDED_PREFIX)) {
                endedBy.put(k.substring((prefix + ENDED_PREFIX).length()), number(v));
            }
        });
        long read = number(state.get(key(load, READ)));
        Instant started = Instant.ofEpochMilli(number(state.get(key(load, STARTED))));
        Instant last = Instant.ofEpochMilli(number(state.get(key(load, LAST))));
        double seconds = Math.max(0.001, Duration.between(started, last).toMillis() / 1000.0);
        ObjectNode report = JSON.createObjectNode();
        report.put("load", load);
        report.put("object", state.get(key(load, OBJECT)));
        report.put("read", read);
        report.put("invalid", endedBy.getOrDefault("map.invalid", 0L));
        report.put("duplicatesMerged", endedBy.getOrDefault("dedup.duplicates", 0L));
        report.put("review", endedBy.getOrDefault("dedup.review", 0L));
        for (String outcome : List.of("created", "updated", "unchanged", "deleted")) {
            report.put(outcome, number(state.get(key(load, "outcome." + outcome))));
        }
        report.put("failed", endedBy.getOrDefault("upsert.failure", 0L));
        report.put("retriesExhausted", endedBy.getOrDefault("upsert.retry", 0L));
        report.put("started", started.toString());
        report.put("finished", last.toString());
        report.put("elapsedSeconds", seconds);
        report.put("recordsPerSecond", read / seconds);
        ObjectNode where = report.putObject("endedBy");
        endedBy.forEach(where::put);
        FlowFile out = session.create();
        out = session.write(out, stream -> stream.write(report.toPrettyString().getBytes(StandardCharsets.UTF_8)));
        Map<String, String> attributes = new HashMap<>();
        attributes.put(CrmAttributes.LOAD_ID, load);
        if (report.hasNonNull("object")) {
            attributes.put(CrmAttributes.OBJECT, report.get("object").asText());
        }
        attributes.put("mime.type", "application/json");
        report.fields().forEachRemaining(e -> {
            if (e.getValue().isValueNode()) {
                attributes.put("crm.report." + e.getKey().replaceAll("([A-Z])", ".$1").toLowerCase(), e.getValue().asText());
            }
        });
        attributes.put("crm.report.elapsed.seconds", String.format("%.3f", seconds));
        out = session.putAllAttributes(out, attributes);
        session.transfer(out, REL_COMPLETE);
        session.adjustCounter("Loads Completed", 1, false);
        getLogger().info("Load {} of {} finished: {} read in {} s ({})", load, report.path("object").asText(), read,
                String.format("%.1f", seconds), endedBy);
        state.keySet().removeIf(k -> k.startsWith(prefix));
    }

    private static String key(String load, String name) {
        return load + "." + name;
    }

    private static void add(Map<String, String> state, String key, long amount) {
        state.put(key, Long.toString(number(state.get(key)) + amount));
    }

    private static long number(String value) {
        try {
            return value == null ? 0 : Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
