package io.nificrm.processors.planner;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A {@link MigrationSpec} as JSON, for tools and the command line. Every problem of the document (unknown keys,
 * wrong types) is reported with its path, all at once.
 * <pre>{@code
 * {
 *   "nodes": 1, "threadsPerNode": 8, "pageSize": 2000, "batchSize": 100,
 *   "source": {"system": "salesforce", "maxPageSize": 2000, "maxBatchSize": 200,
 *              "rateLimit": {"requests": 10, "intervalSeconds": 1}, "dailyQuota": 15000, "quotaUsed": 0,
 *              "maxConcurrentRequests": 25, "latencyMs": 300},
 *   "target": {"system": "hubspot", "maxPageSize": 100, "maxBatchSize": 100,
 *              "rateLimit": {"requests": 190, "intervalSeconds": 10}, "latencyMs": 250},
 *   "objects": [{"name": "Account", "target": "companies", "count": 1000, "references": {"ParentId": "Account"}},
 *               {"name": "Contact", "target": "contacts", "count": 5000, "references": {"AccountId": "Account"}}],
 *   "deferredReferences": [], "ignoredReferences": ["Account.ParentId"]
 * }
 * }</pre>
 * No {@code rateLimit} means the system has no request window; {@code dailyQuota} 0 (or absent) means no quota;
 * {@code maxConcurrentRequests} 0 (or absent) means no cap; a missing {@code latencyMs} is
 * {@link SystemSpec#DEFAULT_LATENCY}; a missing {@code count} is reported by the planner.
 */
public final class SpecJson {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    private static final Set<String> ROOT_KEYS = Set.of("nodes", "threadsPerNode", "pageSize", "batchSize", "source", "target",
            "objects", "deferredReferences", "ignoredReferences");
    private static final Set<String> SIDE_KEYS = Set.of("system", "maxPageSize", "maxBatchSize", "rateLimit", "dailyQuota",
            "quotaUsed", "maxConcurrentRequests", "latencyMs");
    private static final Set<String> RATE_KEYS = Set.of("requests", "intervalSeconds");
    private static final Set<String> OBJECT_KEYS = Set.of("name", "target", "count", "exactCount", "references", "writeCallsPerBatch");

    private SpecJson() {
    }

    /**
     * @throws PlanningException naming every problem of the document
     */
    public static MigrationSpec parse(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            // Drop the parser's "(... [Source: ...])" aside; the line and column follow.
            String reason = e.getOriginalMessage();
            int source = reason.indexOf("[Source:");
            int open = source < 0 ? -1 : reason.lastIndexOf(" (", source);
            int close = source < 0 ? -1 : reason.indexOf("])", source);
            if (open >= 0 && close > 0) {
                reason = reason.substring(0, open) + reason.substring(close + 2);
            }
            throw new PlanningException("The plan specification is not valid JSON: " + reason
                    + (e.getLocation() == null ? "" : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")"));
        }
        if (root == null || !root.isObject()) {
            throw new PlanningException("The plan specification must be a JSON object.");
        }
        List<String> problems = new ArrayList<>();
        keys(root, ROOT_KEYS, "", problems);
        MigrationSpec.Builder builder = MigrationSpec.builder();
        Integer nodes = integer(root, "nodes", "", problems);
        Integer threads = integer(root, "threadsPerNode", "", problems);
        builder.nodes(nodes == null ? 1 : nodes).threadsPerNode(threads == null ? MigrationSpec.DEFAULT_THREADS_PER_NODE : threads)
                .pageSize(integer(root, "pageSize", "", problems)).batchSize(integer(root, "batchSize", "", problems));
        builder.source(side(root.get("source"), "source", problems));
        builder.target(side(root.get("target"), "target", problems));
        JsonNode objects = root.get("objects");
        if (objects == null || !objects.isArray()) {
            problems.add("objects must be a list of objects to migrate.");
        } else {
            for (int i = 0; i < objects.size(); i++) {
                ObjectSpec object = object(objects.get(i), "objects[" + i + "].", problems);
                if (object != null) {
                    builder.object(object);
                }
            }
        }
        strings(root, "deferredReferences", problems).forEach(builder::defer);
        strings(root, "ignoredReferences", problems).forEach(builder::ignore);
        if (!problems.isEmpty()) {
            throw new PlanningException(problems);
        }
        return builder.build();
    }

    /** The spec as JSON (the inverse of {@link #parse}). */
    public static String write(MigrationSpec spec) {
        ObjectNode root = JSON.createObjectNode();
        root.put("nodes", spec.nodes()).put("threadsPerNode", spec.threadsPerNode());
        if (spec.pageSize() != null) {
            root.put("pageSize", spec.pageSize());
        }
        if (spec.batchSize() != null) {
            root.put("batchSize", spec.batchSize());
        }
        root.set("source", side(spec.source()));
        root.set("target", side(spec.target()));
        var objects = root.putArray("objects");
        for (ObjectSpec o : spec.objects()) {
            ObjectNode node = objects.addObject().put("name", o.name());
            if (o.targetName() != null) {
                node.put("target", o.targetName());
            }
            if (o.count() != null) {
                node.put("count", o.count());
            }
            if (!o.exactCount()) {
                node.put("exactCount", false);
            }
            if (!o.references().isEmpty()) {
                ObjectNode refs = node.putObject("references");
                o.references().forEach(refs::put);
            }
            if (o.writeCallsPerBatch() != 1) {
                node.put("writeCallsPerBatch", o.writeCallsPerBatch());
            }
        }
        spec.deferredReferences().forEach(root.putArray("deferredReferences")::add);
        spec.ignoredReferences().forEach(root.putArray("ignoredReferences")::add);
        try {
            return JSON.writeValueAsString(root);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ObjectNode side(SystemSpec side) {
        ObjectNode node = JSON.createObjectNode().put("system", side.system()).put("maxPageSize", side.maxPageSize())
                .put("maxBatchSize", side.maxBatchSize());
        if (side.rateRequests() != null) {
            node.putObject("rateLimit").put("requests", side.rateRequests())
                    .put("intervalSeconds", side.rateInterval() == null ? 0 : side.rateInterval().toMillis() / 1000.0);
        }
        if (side.dailyQuota() != 0) {
            node.put("dailyQuota", side.dailyQuota());
        }
        if (side.quotaUsed() != 0) {
            node.put("quotaUsed", side.quotaUsed());
        }
        if (side.maxConcurrent() != 0) {
            node.put("maxConcurrentRequests", side.maxConcurrent());
        }
        node.put("latencyMs", side.latency() == null ? 0 : side.latency().toMillis());
        return node;
    }

    private static SystemSpec side(JsonNode node, String role, List<String> problems) {
        if (node == null || node.isNull()) {
            problems.add(role + " is missing: give the " + role + "'s system and limits.");
            return null;
        }
        if (!node.isObject()) {
            problems.add(role + " must be an object.");
            return null;
        }
        String path = role + ".";
        keys(node, SIDE_KEYS, path, problems);
        String system = node.hasNonNull("system") ? node.get("system").asText() : role;
        Integer page = integer(node, "maxPageSize", path, problems);
        Integer batch = integer(node, "maxBatchSize", path, problems);
        if (role.equals("source") && page == null && !node.has("maxPageSize")) {
            problems.add("source.maxPageSize is missing: how many records does one query page of " + system + " return?");
        }
        if (role.equals("target") && batch == null && !node.has("maxBatchSize")) {
            problems.add("target.maxBatchSize is missing: how many records does one write call of " + system + " accept?");
        }
        Integer requests = null;
        Duration interval = null;
        JsonNode rate = node.get("rateLimit");
        if (rate != null && !rate.isNull()) {
            if (!rate.isObject()) {
                problems.add(path + "rateLimit must be an object {\"requests\": N, \"intervalSeconds\": S}, or absent for no window.");
            } else {
                keys(rate, RATE_KEYS, path + "rateLimit.", problems);
                requests = integer(rate, "requests", path + "rateLimit.", problems);
                Double seconds = decimal(rate, "intervalSeconds", path + "rateLimit.", problems);
                if (!rate.hasNonNull("requests")) {
                    problems.add(path + "rateLimit.requests is missing (leave rateLimit out for a system without a request window).");
                }
                interval = seconds == null ? Duration.ofSeconds(1) : Duration.ofNanos((long) (seconds * 1e9));
            }
        }
        Long quota = whole(node, "dailyQuota", path, problems);
        Long used = whole(node, "quotaUsed", path, problems);
        Integer concurrent = integer(node, "maxConcurrentRequests", path, problems);
        Double latency = decimal(node, "latencyMs", path, problems);
        return new SystemSpec(system, page == null ? 0 : page, batch == null ? 0 : batch, requests, interval,
                quota == null ? 0 : quota, used == null ? 0 : used, concurrent == null ? 0 : concurrent,
                latency == null ? SystemSpec.DEFAULT_LATENCY : Duration.ofNanos((long) (latency * 1e6)), true);
    }

    private static ObjectSpec object(JsonNode node, String path, List<String> problems) {
        if (node == null || !node.isObject()) {
            problems.add(path.substring(0, path.length() - 1) + " must be an object with at least a name and a count.");
            return null;
        }
        keys(node, OBJECT_KEYS, path, problems);
        String name = node.hasNonNull("name") ? node.get("name").asText() : null;
        if (name == null || name.isBlank()) {
            problems.add(path + "name is missing.");
        }
        Map<String, String> references = new LinkedHashMap<>();
        JsonNode refs = node.get("references");
        if (refs != null && !refs.isNull()) {
            if (!refs.isObject()) {
                problems.add(path + "references must map each reference field to the object it references, e.g. {\"AccountId\": \"Account\"}.");
            } else {
                refs.fields().forEachRemaining(e -> references.put(e.getKey(), e.getValue().asText()));
            }
        }
        Long count = whole(node, "count", path, problems);
        Integer calls = integer(node, "writeCallsPerBatch", path, problems);
        boolean exact = !node.has("exactCount") || node.get("exactCount").asBoolean(true);
        return new ObjectSpec(name, node.hasNonNull("target") ? node.get("target").asText() : null, count, exact, references,
                calls == null ? 1 : calls);
    }

    private static void keys(JsonNode node, Set<String> allowed, String path, List<String> problems) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String key = it.next();
            if (!allowed.contains(key)) {
                problems.add("Unknown key " + path + key + " (expected one of " + new java.util.TreeSet<>(allowed) + ").");
            }
        }
    }

    private static Integer integer(JsonNode node, String key, String path, List<String> problems) {
        Long value = whole(node, key, path, problems);
        if (value != null && (value > Integer.MAX_VALUE || value < Integer.MIN_VALUE)) {
            problems.add(path + key + " is too large (" + value + ").");
            return null;
        }
        return value == null ? null : value.intValue();
    }

    private static Long whole(JsonNode node, String key, String path, List<String> problems) {
        JsonNode value = node.get(key);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isIntegralNumber()) {
            problems.add(path + key + " must be a whole number, got " + value + ".");
            return null;
        }
        return value.asLong();
    }

    private static Double decimal(JsonNode node, String key, String path, List<String> problems) {
        JsonNode value = node.get(key);
        if (value == null || value.isNull()) {
            return null;
        }
        if (!value.isNumber()) {
            problems.add(path + key + " must be a number, got " + value + ".");
            return null;
        }
        return value.asDouble();
    }

    private static List<String> strings(JsonNode root, String key, List<String> problems) {
        JsonNode value = root.get(key);
        List<String> out = new ArrayList<>();
        if (value == null || value.isNull()) {
            return out;
        }
        if (!value.isArray()) {
            problems.add(key + " must be a list of \"Object.field\" strings.");
            return out;
        }
        value.forEach(v -> out.add(v.asText()));
        return out;
    }
}
