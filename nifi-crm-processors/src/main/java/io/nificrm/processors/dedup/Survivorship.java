package io.nificrm.processors.dedup;

import com.fasterxml.jackson.databind.JsonNode;
import io.nificrm.processors.common.JsonSettings;
import org.apache.nifi.serialization.record.Record;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Builds one golden record per cluster. The strategy orders a cluster's members and the first one is the
 * master; the golden record starts as the master's values, fields the master leaves blank are filled from the
 * next member in order that has a value (an e-mail only counts when it is well-formed), and per-field rules
 * override single fields. The id field always keeps the master's id.
 */
public final class Survivorship {

    /** How members are ordered; the first is the master. */
    public enum Strategy {
        MOST_RECENT("most_recent", "The most recently modified record wins; ties go to the most complete."),
        MOST_COMPLETE("most_complete", "The record with the most non-empty fields wins; ties go to the most recent."),
        SOURCE_PRIORITY("source_priority", "The record whose source comes first in Source Priority wins; ties go to the most recent.");

        private final String value;
        private final String description;

        Strategy(String value, String description) {
            this.value = value;
            this.description = description;
        }

        public String value() {
            return value;
        }

        public String description() {
            return description;
        }

        public static Strategy of(String value) {
            for (Strategy s : values()) {
                if (s.value.equalsIgnoreCase(value.trim())) {
                    return s;
                }
            }
            throw new IllegalArgumentException("unknown survivorship strategy '" + value + "'");
        }
    }

    /** Where one field's golden value comes from. */
    public enum Rule {
        MASTER, MOST_RECENT, OLDEST, MOST_COMPLETE, SOURCE_PRIORITY, LONGEST, MOST_FREQUENT;

        public String value() {
            return name().toLowerCase(Locale.ROOT);
        }

        static Rule of(String value) {
            for (Rule r : values()) {
                if (r.value().equalsIgnoreCase(value.trim())) {
                    return r;
                }
            }
            List<String> names = new ArrayList<>();
            for (Rule r : values()) {
                names.add(r.value());
            }
            throw new IllegalArgumentException("unknown rule '" + value + "'; known rules: " + String.join(", ", names));
        }
    }

    private final Strategy strategy;
    private final Map<String, Rule> fieldRules;
    private final Set<String> idFields;
    private final Set<String> emailFields;
    private final Comparator<Features> order;

    public Survivorship(Strategy strategy, Map<String, Rule> fieldRules, Set<String> idFields, Set<String> emailFields) {
        this.strategy = strategy;
        this.fieldRules = Map.copyOf(fieldRules);
        this.idFields = Set.copyOf(idFields);
        this.emailFields = Set.copyOf(emailFields);
        Comparator<Features> recent = Comparator.comparingLong((Features f) -> f.modified).reversed();
        Comparator<Features> complete = Comparator.comparingInt((Features f) -> f.completeness).reversed();
        Comparator<Features> source = Comparator.comparingInt((Features f) -> f.sourceRank);
        Comparator<Features> byId = Comparator.comparing((Features f) -> f.id);
        this.order = switch (strategy) {
            case MOST_RECENT -> recent.thenComparing(complete).thenComparing(source).thenComparing(byId);
            case MOST_COMPLETE -> complete.thenComparing(recent).thenComparing(source).thenComparing(byId);
            case SOURCE_PRIORITY -> source.thenComparing(recent).thenComparing(complete).thenComparing(byId);
        };
    }

    public Strategy strategy() {
        return strategy;
    }

    /** Orders members best first. */
    public Comparator<Features> order() {
        return order;
    }

    /**
     * Parses per-field rules: a JSON object of field name → rule, e.g. {@code {"Title": "most_recent"}}.
     *
     * @throws IllegalArgumentException on invalid JSON or unknown rules
     */
    public static Map<String, Rule> parseRules(String json) {
        Map<String, Rule> rules = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : JsonSettings.entries(json, "field name to rule").entrySet()) {
            if (!e.getValue().isTextual()) {
                throw new IllegalArgumentException("the rule of field '" + e.getKey() + "' must be a string");
            }
            try {
                rules.put(e.getKey(), Rule.of(e.getValue().asText()));
            } catch (IllegalArgumentException ex) {
                throw new IllegalArgumentException("field '" + e.getKey() + "': " + ex.getMessage());
            }
        }
        return rules;
    }

    /**
     * The golden record's values.
     *
     * @param members  the cluster's records, best first (by {@link #order()})
     * @param features their features, in the same order
     */
    public Map<String, Object> golden(List<Record> members, List<Features> features) {
        Record master = members.getFirst();
        Map<String, Object> values = new LinkedHashMap<>(master.toMap());
        for (String field : master.getSchema().getFieldNames()) {
            if (idFields.contains(field)) {
                continue;
            }
            Rule rule = fieldRules.getOrDefault(field, Rule.MASTER);
            Object value = switch (rule) {
                case MASTER -> firstPresent(field, members);
                case MOST_RECENT -> best(field, members, features, Comparator.comparingLong((Features f) -> f.modified).reversed());
                case OLDEST -> best(field, members, features, Comparator.comparingLong((Features f) -> f.modified == Features.UNKNOWN_TIME ? Long.MAX_VALUE : f.modified));
                case MOST_COMPLETE -> best(field, members, features, Comparator.comparingInt((Features f) -> f.completeness).reversed());
                case SOURCE_PRIORITY -> best(field, members, features, Comparator.comparingInt((Features f) -> f.sourceRank));
                case LONGEST -> longest(field, members);
                case MOST_FREQUENT -> mostFrequent(field, members);
            };
            values.put(field, value);
        }
        return values;
    }

    private boolean present(String field, Object value) {
        if (value == null || value instanceof String s && s.isBlank()) {
            return false;
        }
        return !emailFields.contains(field) || !(value instanceof String s) || Normalize.isValidEmail(Normalize.email(s));
    }

    private Object firstPresent(String field, List<Record> members) {
        for (Record member : members) {
            Object value = member.getValue(field);
            if (present(field, value)) {
                return value;
            }
        }
        return members.getFirst().getValue(field);
    }

    private Object best(String field, List<Record> members, List<Features> features, Comparator<Features> by) {
        int best = -1;
        for (int i = 0; i < members.size(); i++) {
            if (present(field, members.get(i).getValue(field)) && (best < 0 || by.compare(features.get(i), features.get(best)) < 0)) {
                best = i;
            }
        }
        return best < 0 ? firstPresent(field, members) : members.get(best).getValue(field);
    }

    private Object longest(String field, List<Record> members) {
        Object best = null;
        int length = -1;
        for (Record member : members) {
            Object value = member.getValue(field);
            if (present(field, value) && String.valueOf(value).strip().length() > length) {
                best = value;
                length = String.valueOf(value).strip().length();
            }
        }
        return best == null ? firstPresent(field, members) : best;
    }

    private Object mostFrequent(String field, List<Record> members) {
        Map<String, Integer> counts = new HashMap<>();
        Map<String, Object> firstValue = new HashMap<>();
        for (Record member : members) {
            Object value = member.getValue(field);
            if (present(field, value)) {
                String key = String.valueOf(value).strip().toLowerCase(Locale.ROOT);
                counts.merge(key, 1, Integer::sum);
                firstValue.putIfAbsent(key, value);
            }
        }
        String bestKey = null;
        for (Record member : members) {
            Object value = member.getValue(field);
            if (present(field, value)) {
                String key = String.valueOf(value).strip().toLowerCase(Locale.ROOT);
                if (bestKey == null || counts.get(key) > counts.get(bestKey)) {
                    bestKey = key;
                }
            }
        }
        return bestKey == null ? firstPresent(field, members) : firstValue.get(bestKey);
    }
}
