package io.nificrm.nifitests.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nificrm.nifitests.harness.SimulatorAdmin;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * Where every record of a Salesforce → HubSpot run ended, read from the real systems: the simulator's Salesforce
 * (the source), its HubSpot (the target, keyed by {@code source_id}) and the flow's review directory (what
 * StoreCrmReview wrote: invalid, refused, retries exhausted, merged duplicates, each with its reason).
 */
final class Ledger {

    /** Source object → target object. */
    static final Map<String, String> OBJECTS = new LinkedHashMap<>(Map.of("Account", "companies", "Contact", "contacts",
            "Opportunity", "deals"));
    private static final Map<String, String> SOURCE_OF = Map.of("Account", "Account", "companies", "Account",
            "Contact", "Contact", "contacts", "Contact", "Opportunity", "Opportunity", "deals", "Opportunity");
    /** Fields in a review record that say why it is there. */
    private static final List<String> REASON_FIELDS = List.of("crm_invalid_reason", "crm_error_message", "crm_golden_id",
            "crm_review_reason", "crm_failure_reason", "crm_candidate_id", "crm_duplicate_of");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One record set aside in the review directory. */
    record Reviewed(String object, String stage, String relationship, String sourceId, String reason, String file) {
    }

    /** Records per object: live source ids, target source ids (with repeats), review entries. */
    final Map<String, Set<String>> source = new LinkedHashMap<>();
    final Map<String, List<String>> target = new LinkedHashMap<>();
    final Map<String, Map<String, String>> targetFields = new HashMap<>();
    final List<Reviewed> reviewed = new ArrayList<>();

    static Ledger read(SimulatorAdmin sim, Path reviewDirectory) {
        Ledger ledger = new Ledger();
        OBJECTS.forEach((src, tgt) -> {
            Set<String> ids = new TreeSet<>();
            sim.records("salesforce", src).forEach(r -> ids.add(r.path("id").asText()));
            ledger.source.put(src, ids);
            List<String> keys = new ArrayList<>();
            Map<String, String> titles = new HashMap<>();
            for (JsonNode r : sim.records("hubspot", tgt)) {
                String key = r.path("fields").path("source_id").asText("");
                keys.add(key);
                titles.put(key, r.path("fields").path("contacts".equals(tgt) ? "jobtitle" : "name").asText(null));
            }
            ledger.target.put(src, keys);
            ledger.targetFields.put(src, titles);
        });
        ledger.reviewed.addAll(review(reviewDirectory));
        return ledger;
    }

    static List<Reviewed> review(Path dir) {
        List<Reviewed> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        List<Path> files;
        try (Stream<Path> list = Files.list(dir)) {
            files = list.filter(f -> f.getFileName().toString().endsWith(".json") && !f.getFileName().toString().startsWith("."))
                    .sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        for (Path file : files) {
            String name = file.getFileName().toString();
            String[] parts = name.split("-", 4);
            String object = SOURCE_OF.getOrDefault(parts[0], parts[0]);
            String stage = parts.length > 1 ? parts[1] : "?";
            String relationship = parts.length > 2 ? parts[2] : "?";
            try {
                if (Files.size(file) == 0) {
                    out.add(new Reviewed(object, stage, relationship, null, null, name));
                    continue;
                }
                JsonNode content = JSON.readTree(file.toFile());
                for (JsonNode r : content.isArray() ? content : JSON.createArrayNode().add(content)) {
                    String id = r.hasNonNull("source_id") ? r.get("source_id").asText() : r.path("Id").asText(null);
                    String reason = null;
                    for (String field : REASON_FIELDS) {
                        if (!r.path(field).asText("").isBlank()) {
                            reason = field + "=" + r.path(field).asText();
                            break;
                        }
                    }
                    out.add(new Reviewed(object, stage, relationship, id, reason, name));
                }
            } catch (IOException e) {
                out.add(new Reviewed(object, stage, relationship, null, null, name + " (unreadable: " + e.getMessage() + ")"));
            }
        }
        return out;
    }

    /** Source ids set aside (any stage) per object. */
    Set<String> reviewedIds(String object) {
        Set<String> ids = new HashSet<>();
        reviewed.stream().filter(r -> object.equals(r.object()) && r.sourceId() != null).forEach(r -> ids.add(r.sourceId()));
        return ids;
    }

    long reviewedCount(String... relationships) {
        Set<String> wanted = Set.of(relationships);
        return reviewed.stream().filter(r -> wanted.contains(r.stage() + "." + r.relationship())).count();
    }

    /** Review entries without a reason (or without a record id: a whole FlowFile set aside). */
    List<Reviewed> withoutReason() {
        return reviewed.stream().filter(r -> r.reason() == null || r.sourceId() == null).toList();
    }

    long sourceCount() {
        return source.values().stream().mapToLong(Set::size).sum();
    }

    long targetCount() {
        return target.values().stream().mapToLong(List::size).sum();
    }

    /** Target records beyond the first per source id, plus target records without a source id. */
    long duplicates() {
        long n = 0;
        for (List<String> keys : target.values()) {
            Set<String> seen = new HashSet<>();
            for (String key : keys) {
                if (key.isEmpty() || !seen.add(key)) {
                    n++;
                }
            }
        }
        return n;
    }

    /** Source records of {@code expected} (per object) that are neither in the target nor set aside. */
    Map<String, Set<String>> lost(Map<String, Set<String>> expected) {
        Map<String, Set<String>> lost = new LinkedHashMap<>();
        expected.forEach((object, ids) -> {
            Set<String> missing = new TreeSet<>(ids);
            missing.removeAll(target.get(object));
            missing.removeAll(reviewedIds(object));
            if (!missing.isEmpty()) {
                lost.put(object, missing);
            }
        });
        return lost;
    }

    /** Target records whose source record is gone (deleted, or never existed). */
    long zombies() {
        long n = 0;
        for (var e : target.entrySet()) {
            for (String key : new HashSet<>(e.getValue())) {
                if (!source.get(e.getKey()).contains(key)) {
                    n++;
                }
            }
        }
        return n;
    }

    static int size(Map<String, Set<String>> byObject) {
        return byObject.values().stream().mapToInt(Set::size).sum();
    }
}
