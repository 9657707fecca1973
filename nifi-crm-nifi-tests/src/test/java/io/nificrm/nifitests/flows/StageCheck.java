package io.nificrm.nifitests.flows;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The exact accounting of one object of a migration into an initially empty target: every source record ended in
 * exactly one named place, and the run report says so.
 * <ul>
 *   <li>in the target, once, under its own source id;</li>
 *   <li>rejected, in the review directory with its reason: invalid for the target (map.invalid), refused by the
 *       target (upsert.failure), retries exhausted (upsert.retry);</li>
 *   <li>merged as a duplicate into a golden record: in the review directory (dedup.duplicates, same FlowFile), or
 *       merged into a golden record written earlier in the run (a later FlowFile; the upsert reports it as updated).</li>
 * </ul>
 * With the seed's ground truth, no two target records may be the same entity, and every merge must be right.
 */
public final class StageCheck {

    public final String stage;
    public final Set<String> source;
    public final Set<String> target;
    public final Set<String> invalid;
    public final Map<String, String> duplicates;
    public final Set<String> failed;
    public final Set<String> retried;
    public final Set<String> mergedLater;
    public final JsonNode report;
    private final Map<String, String> truth;

    /**
     * @param sourceObject  the source object name in the review files (map and dedup stages)
     * @param targetObject  the target object name in the review files (upsert stage) and the report
     * @param targetKeys    the source ids the target holds, one per target record
     * @param truth         ground truth: source id → entity key (empty when the seed has none for this object)
     */
    public StageCheck(String stage, Collection<String> sourceIds, List<String> targetKeys, RunOutputs outputs,
                      String sourceObject, String targetObject, Map<String, String> truth) {
        this.stage = stage;
        this.truth = truth;
        this.source = new LinkedHashSet<>(sourceIds);
        this.report = outputs.report(targetObject);
        Set<String> seen = new HashSet<>();
        List<String> twice = new ArrayList<>();
        for (String key : targetKeys) {
            if (!seen.add(key)) {
                twice.add(key);
            }
        }
        assertTrue(twice.isEmpty(), stage + ": source ids written more than once to the target: " + twice);
        this.target = seen;
        this.invalid = ids(outputs.records(sourceObject, "map.invalid"), "Id");
        this.duplicates = new HashMap<>();
        outputs.records(sourceObject, "dedup.duplicates").forEach(r -> duplicates.put(r.path("source_id").asText(), r.path("crm_golden_id").asText()));
        this.failed = ids(outputs.records(targetObject, "upsert.failure"), "source_id");
        this.retried = ids(outputs.records(targetObject, "upsert.retry"), "source_id");
        this.mergedLater = new TreeSet<>(source);
        mergedLater.removeAll(target);
        mergedLater.removeAll(invalid);
        mergedLater.removeAll(duplicates.keySet());
        mergedLater.removeAll(failed);
        mergedLater.removeAll(retried);

        outputs.records(sourceObject, "map.invalid").forEach(r -> assertFalse(r.path("crm_invalid_reason").asText("").isBlank(),
                stage + ": an invalid record without its reason: " + r));
        outputs.records(targetObject, "upsert.failure").forEach(r -> assertFalse(r.path("crm_error_message").asText("").isBlank(),
                stage + ": a refused record without its reason: " + r));
        assertTrue(outputs.records(sourceObject, "map.failure").isEmpty(), stage + ": whole FlowFiles failed mapping");
        assertTrue(outputs.records(sourceObject, "dedup.failure").isEmpty(), stage + ": records failed deduplication: "
                + outputs.records(sourceObject, "dedup.failure"));
        assertTrue(outputs.records(sourceObject, "flow.review").isEmpty(), stage + ": partitions or triggers failed: "
                + outputs.records(sourceObject, "flow.review"));
    }

    private static Set<String> ids(List<JsonNode> records, String field) {
        Set<String> ids = new LinkedHashSet<>();
        records.forEach(r -> ids.add(r.path(field).asText()));
        return ids;
    }

    /** The accounting and the report agree, exactly. */
    public StageCheck assertAccounted() {
        Set<String> unknown = new TreeSet<>(target);
        unknown.removeAll(source);
        assertTrue(unknown.isEmpty(), stage + ": target records with source ids the source does not have: " + unknown);
        for (Set<String> rejected : List.of(invalid, duplicates.keySet(), failed, retried)) {
            Set<String> both = new TreeSet<>(rejected);
            both.retainAll(target);
            assertTrue(both.isEmpty(), stage + ": records both written and set aside: " + both);
        }
        String where = stage + " report " + report.toPrettyString();
        assertEquals(source.size(), report.path("read").asLong(), "read, " + where);
        assertEquals(invalid.size(), report.path("invalid").asLong(), "invalid, " + where);
        assertEquals(duplicates.size(), report.path("duplicatesMerged").asLong(), "duplicates merged, " + where);
        assertEquals(failed.size(), report.path("failed").asLong(), "failed, " + where);
        assertEquals(retried.size(), report.path("retriesExhausted").asLong(), "retries exhausted, " + where);
        assertEquals(target.size(), report.path("created").asLong(), "created = records in the (initially empty) target, " + where);
        assertEquals(mergedLater.size(), report.path("updated").asLong(),
                "updated = records merged into a golden record written earlier in the run, " + where);
        assertEquals(source.size(), target.size() + invalid.size() + duplicates.size() + failed.size() + retried.size() + mergedLater.size(),
                stage + ": every source record ended in exactly one place");
        return this;
    }

    /** Against the seed's ground truth: no entity twice in the target, and every merge joined the same entity. */
    public StageCheck assertDeduplicatedExactly() {
        Map<String, String> byEntity = new HashMap<>();
        List<String> twice = new ArrayList<>();
        for (String id : target) {
            String entity = truth.get(id);
            String other = byEntity.put(entity, id);
            if (other != null) {
                twice.add(other + " and " + id + " (" + entity + ")");
            }
        }
        assertTrue(twice.isEmpty(), stage + ": the same entity is in the target more than once: " + twice);
        List<String> wrong = new ArrayList<>();
        duplicates.forEach((id, golden) -> {
            if (!truth.get(id).equals(truth.get(golden))) {
                wrong.add(id + " merged into " + golden);
            }
        });
        for (String id : mergedLater) {
            if (!byEntity.containsKey(truth.get(id))) {
                wrong.add(id + " merged into a record of another entity");
            }
        }
        assertTrue(wrong.isEmpty(), stage + ": wrong merges: " + wrong);
        return this;
    }

    /** The target record a source record ended in: itself, or the golden record its entity was merged into. */
    public String endedAs(String sourceId) {
        if (target.contains(sourceId)) {
            return sourceId;
        }
        if (duplicates.containsKey(sourceId) || mergedLater.contains(sourceId)) {
            String entity = truth.get(sourceId);
            for (String t : target) {
                if (entity != null && entity.equals(truth.get(t))) {
                    return t;
                }
            }
        }
        return null;
    }

    public String summary() {
        return String.format("%s: %d read → %d in the target, %d invalid, %d duplicates merged in their FlowFile, %d merged "
                        + "into earlier golden records, %d refused, %d retries exhausted", stage, source.size(), target.size(),
                invalid.size(), duplicates.size(), mergedLater.size(), failed.size(), retried.size());
    }
}
