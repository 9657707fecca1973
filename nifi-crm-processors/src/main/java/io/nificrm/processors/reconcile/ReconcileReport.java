package io.nificrm.processors.reconcile;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The counts of one reconciliation, with a few example keys per finding, as JSON. */
public final class ReconcileReport {
    private static final ObjectMapper JSON = new ObjectMapper();

    String sourceSystem;
    String sourceObject;
    String targetSystem;
    String targetObject;
    String sourceKeyField;
    String targetKeyField;
    List<String> compared = List.of();
    String scope;
    Instant windowFrom;
    Instant windowUntil;
    int partitions = 1;
    Instant started;
    Instant finished;

    long sourceRecords;
    long unmappable;
    long sourceWithoutKey;
    long targetRecords;
    long targetWithoutKey;
    long targetDuplicateKeys;
    long matched;
    long missing;
    long extra;
    long different;
    final Map<String, Long> fieldDifferences = new LinkedHashMap<>();
    private final int sampleSize;
    final List<String> missingSamples = new ArrayList<>();
    final List<String> extraSamples = new ArrayList<>();
    final List<String> differentSamples = new ArrayList<>();
    final List<String> unmappableSamples = new ArrayList<>();

    ReconcileReport(int sampleSize) {
        this.sampleSize = sampleSize;
    }

    void sample(List<String> samples, String key) {
        if (samples.size() < sampleSize && key != null) {
            samples.add(key);
        }
    }

    public long matched() {
        return matched;
    }

    public long missing() {
        return missing;
    }

    public long extra() {
        return extra;
    }

    public long different() {
        return different;
    }

    public long sourceRecords() {
        return sourceRecords;
    }

    public long targetRecords() {
        return targetRecords;
    }

    public long unmappable() {
        return unmappable;
    }

    public Map<String, Long> fieldDifferences() {
        return fieldDifferences;
    }

    /** True when nothing is missing, extra, different or unmappable. */
    public boolean inSync() {
        return missing == 0 && extra == 0 && different == 0 && unmappable == 0 && sourceWithoutKey == 0;
    }

    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        root.put("inSync", inSync());
        root.put("scope", scope);
        if (windowFrom != null || windowUntil != null) {
            ObjectNode window = root.putObject("window");
            window.put("from", windowFrom == null ? null : windowFrom.toString());
            window.put("until", windowUntil == null ? null : windowUntil.toString());
        }
        ObjectNode source = root.putObject("source");
        source.put("system", sourceSystem);
        source.put("object", sourceObject);
        source.put("keyField", sourceKeyField);
        source.put("records", sourceRecords);
        source.put("unmappable", unmappable);
        source.put("withoutKey", sourceWithoutKey);
        ObjectNode target = root.putObject("target");
        target.put("system", targetSystem);
        target.put("object", targetObject);
        target.put("keyField", targetKeyField);
        if (windowFrom == null && windowUntil == null) {
            target.put("records", targetRecords);
            target.put("withoutKey", targetWithoutKey);
            target.put("duplicateKeys", targetDuplicateKeys);
        } else {
            target.put("recordsLookedUp", targetRecords);
        }
        root.put("matched", matched);
        root.put("missingInTarget", missing);
        if (windowFrom == null && windowUntil == null) {
            root.put("extraInTarget", extra);
        } else {
            root.putNull("extraInTarget");
        }
        root.put("different", different);
        ObjectNode fields = root.putObject("fieldDifferences");
        fieldDifferences.forEach(fields::put);
        ArrayNode compare = root.putArray("comparedFields");
        compared.forEach(compare::add);
        ObjectNode samples = root.putObject("samples");
        array(samples, "missing", missingSamples);
        array(samples, "extra", extraSamples);
        array(samples, "different", differentSamples);
        array(samples, "unmappable", unmappableSamples);
        root.put("partitions", partitions);
        root.put("started", started == null ? null : started.toString());
        root.put("finished", finished == null ? null : finished.toString());
        root.put("durationMillis", started == null || finished == null ? 0 : finished.toEpochMilli() - started.toEpochMilli());
        return root.toPrettyString();
    }

    private static void array(ObjectNode parent, String name, List<String> values) {
        ArrayNode array = parent.putArray(name);
        values.forEach(array::add);
    }
}
