package io.nificrm.simulator.hubspot;

import com.fasterxml.jackson.databind.JsonNode;
import io.nificrm.simulator.http.Json;
import io.nificrm.simulator.query.Expr;
import io.nificrm.simulator.query.OrderBy;
import io.nificrm.simulator.store.FieldRole;
import io.nificrm.simulator.store.SimField;
import io.nificrm.simulator.store.SimRecord;
import io.nificrm.simulator.store.SimSchema;
import io.nificrm.simulator.store.ValueCoercion;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import java.util.regex.Pattern;

/**
 * The CRM search body turned into a record filter and an order. Filter groups are OR'd and the filters of a group
 * AND'd; comparisons become the simulator's {@link Expr} nodes. Two cases do not fit {@code Expr}: the record id
 * ({@code hs_object_id}) compares as a number, and {@code CONTAINS_TOKEN} matches words with {@code *} wildcards.
 */
final class HubSpotSearch {
    static final int MAX_GROUPS = 5;
    static final int MAX_FILTERS_PER_GROUP = 10;
    static final int MAX_FILTERS = 25;

    private HubSpotSearch() {
    }

    static Predicate<SimRecord> filter(SimSchema schema, JsonNode filterGroups) {
        if (filterGroups == null || filterGroups.isMissingNode() || filterGroups.isNull()
                || (filterGroups.isArray() && filterGroups.isEmpty())) {
            return r -> true;
        }
        if (!filterGroups.isArray()) {
            throw HubSpotException.validation("filterGroups must be an array");
        }
        if (filterGroups.size() > MAX_GROUPS) {
            throw HubSpotException.validation("Too many filter groups: " + filterGroups.size() + " (at most " + MAX_GROUPS + ")");
        }
        int total = 0;
        List<Predicate<SimRecord>> groups = new ArrayList<>();
        for (JsonNode group : filterGroups) {
            JsonNode filters = group.path("filters");
            if (!filters.isArray()) {
                throw HubSpotException.validation("Every filter group needs a filters array");
            }
            if (filters.size() > MAX_FILTERS_PER_GROUP) {
                throw HubSpotException.validation("Too many filters in a group: " + filters.size() + " (at most " + MAX_FILTERS_PER_GROUP + ")");
            }
            total += filters.size();
            Predicate<SimRecord> all = r -> true;
            for (JsonNode filter : filters) {
                all = all.and(leaf(schema, filter));
            }
            groups.add(all);
        }
        if (total > MAX_FILTERS) {
            throw HubSpotException.validation("Too many filters: " + total + " (at most " + MAX_FILTERS + " in all groups)");
        }
        return r -> groups.stream().anyMatch(g -> g.test(r));
    }

    private static Predicate<SimRecord> leaf(SimSchema schema, JsonNode filter) {
        String name = filter.path("propertyName").asText("");
        if (name.isEmpty()) {
            throw HubSpotException.validation("Every filter needs a propertyName");
        }
        SimField field = schema.field(name)
                .orElseThrow(() -> HubSpotException.validation("Cannot filter on property \"" + name + "\": it does not exist"));
        String operator = filter.path("operator").asText("EQ").toUpperCase(Locale.ROOT);
        if (field.role() == FieldRole.ID) {
            return idLeaf(operator, filter);
        }
        Expr expr = switch (operator) {
            case "EQ" -> compare(field, Expr.Op.EQ, filter, "value");
            case "NEQ" -> compare(field, Expr.Op.NE, filter, "value");
            case "LT" -> compare(field, Expr.Op.LT, filter, "value");
            case "LTE" -> compare(field, Expr.Op.LE, filter, "value");
            case "GT" -> compare(field, Expr.Op.GT, filter, "value");
            case "GTE" -> compare(field, Expr.Op.GE, filter, "value");
            case "BETWEEN" -> new Expr.And(List.of(compare(field, Expr.Op.GE, filter, "value"),
                    compare(field, Expr.Op.LE, filter, "highValue")));
            case "IN" -> new Expr.In(name, literals(field, filter), false);
            case "NOT_IN" -> new Expr.In(name, literals(field, filter), true);
            case "HAS_PROPERTY" -> new Expr.Compare(name, Expr.Op.NE, null);
            case "NOT_HAS_PROPERTY" -> new Expr.Compare(name, Expr.Op.EQ, null);
            case "CONTAINS_TOKEN", "NOT_CONTAINS_TOKEN" -> null;
            default -> throw HubSpotException.validation("Unsupported filter operator: " + operator);
        };
        if (expr == null) {
            Predicate<SimRecord> tokens = containsToken(field, text(filter, "value"));
            return operator.equals("CONTAINS_TOKEN") ? tokens : tokens.negate();
        }
        return r -> expr.test(r, schema);
    }

    private static Expr compare(SimField field, Expr.Op op, JsonNode filter, String key) {
        return new Expr.Compare(field.name(), op, literal(field, filter.get(key), key));
    }

    private static List<Object> literals(SimField field, JsonNode filter) {
        JsonNode values = filter.path("values");
        if (!values.isArray() || values.isEmpty()) {
            throw HubSpotException.validation("IN and NOT_IN filters need a non-empty values array (property " + field.name() + ")");
        }
        List<Object> out = new ArrayList<>();
        values.forEach(v -> out.add(literal(field, v, "values")));
        return out;
    }

    /** The filter value, checked against the property's type now so a bad value is a 400, not a failed match. */
    private static Object literal(SimField field, JsonNode node, String key) {
        Object raw = Json.scalar(node);
        if (raw == null) {
            throw HubSpotException.validation("The filter on " + field.name() + " needs a " + key);
        }
        try {
            ValueCoercion.coerce(field.type(), raw);
        } catch (IllegalArgumentException e) {
            throw HubSpotException.validation("Invalid filter value for property " + field.name() + ": " + e.getMessage());
        }
        return raw;
    }

    private static String text(JsonNode filter, String key) {
        Object raw = Json.scalar(filter.get(key));
        if (raw == null) {
            throw HubSpotException.validation("The filter on " + filter.path("propertyName").asText() + " needs a " + key);
        }
        return raw.toString();
    }

    /** hs_object_id compares as a number. */
    private static Predicate<SimRecord> idLeaf(String operator, JsonNode filter) {
        return switch (operator) {
            case "EQ" -> idCompare(filter, "value", c -> c == 0);
            case "NEQ" -> idCompare(filter, "value", c -> c != 0);
            case "LT" -> idCompare(filter, "value", c -> c < 0);
            case "LTE" -> idCompare(filter, "value", c -> c <= 0);
            case "GT" -> idCompare(filter, "value", c -> c > 0);
            case "GTE" -> idCompare(filter, "value", c -> c >= 0);
            case "BETWEEN" -> idCompare(filter, "value", c -> c >= 0).and(idCompare(filter, "highValue", c -> c <= 0));
            case "IN", "NOT_IN" -> {
                JsonNode values = filter.path("values");
                if (!values.isArray() || values.isEmpty()) {
                    throw HubSpotException.validation("IN and NOT_IN filters need a non-empty values array (property hs_object_id)");
                }
                List<String> ids = new ArrayList<>();
                values.forEach(v -> ids.add(idValue(v.asText())));
                Predicate<SimRecord> in = r -> ids.stream().anyMatch(id -> HubSpotIds.compare(r.id(), id) == 0);
                yield operator.equals("IN") ? in : in.negate();
            }
            case "HAS_PROPERTY" -> r -> true;
            case "NOT_HAS_PROPERTY" -> r -> false;
            case "CONTAINS_TOKEN" -> r -> r.id().equals(text(filter, "value"));
            case "NOT_CONTAINS_TOKEN" -> r -> !r.id().equals(text(filter, "value"));
            default -> throw HubSpotException.validation("Unsupported filter operator: " + operator);
        };
    }

    private static Predicate<SimRecord> idCompare(JsonNode filter, String key, java.util.function.IntPredicate test) {
        String value = idValue(text(filter, key));
        return r -> test.test(HubSpotIds.compare(r.id(), value));
    }

    private static String idValue(String text) {
        String trimmed = text.trim();
        if (!HubSpotIds.isNumeric(trimmed)) {
            throw HubSpotException.validation("Invalid filter value for property hs_object_id: '" + text + "' is not a number");
        }
        return trimmed;
    }

    /**
     * CONTAINS_TOKEN: the value (case-insensitive, {@code *} as wildcard) matches the whole property value or one of
     * its words.
     */
    private static Predicate<SimRecord> containsToken(SimField field, String token) {
        String regex = java.util.Arrays.stream(token.trim().split("\\*", -1)).map(Pattern::quote)
                .collect(java.util.stream.Collectors.joining(".*"));
        Pattern pattern = Pattern.compile(regex, Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
        return r -> {
            Object value = r.value(field);
            if (value == null) {
                return false;
            }
            String text = value.toString().trim();
            if (pattern.matcher(text).matches()) {
                return true;
            }
            for (String word : text.split("[\\s,;:/()\\[\\]]+")) {
                if (!word.isEmpty() && pattern.matcher(word).matches()) {
                    return true;
                }
            }
            return false;
        };
    }

    /** Free-text {@code query}: a case-insensitive substring of one of the object's searchable text properties. */
    static Predicate<SimRecord> query(SimSchema schema, String query, List<String> searchable) {
        if (query == null || query.isBlank()) {
            return r -> true;
        }
        String needle = query.trim().toLowerCase(Locale.ROOT);
        List<SimField> fields = searchable.stream().map(schema::field).flatMap(java.util.Optional::stream).toList();
        return r -> fields.stream().map(r::value).anyMatch(v -> v != null && v.toString().toLowerCase(Locale.ROOT).contains(needle));
    }

    /** One sort ({@code propertyName} + {@code direction}, or {@code "-name"}); the default is by record id. */
    static Comparator<SimRecord> sort(SimSchema schema, JsonNode sorts) {
        Comparator<SimRecord> byId = (a, b) -> HubSpotIds.compare(a.id(), b.id());
        if (sorts == null || sorts.isMissingNode() || sorts.isNull() || (sorts.isArray() && sorts.isEmpty())) {
            return byId;
        }
        if (!sorts.isArray()) {
            throw HubSpotException.validation("sorts must be an array");
        }
        if (sorts.size() > 1) {
            throw HubSpotException.validation("Only one sort is supported, got " + sorts.size());
        }
        JsonNode sort = sorts.get(0);
        String name;
        boolean descending;
        if (sort.isTextual()) {
            name = sort.asText().startsWith("-") ? sort.asText().substring(1) : sort.asText();
            descending = sort.asText().startsWith("-");
        } else {
            name = sort.path("propertyName").asText("");
            String direction = sort.path("direction").asText("ASCENDING").toUpperCase(Locale.ROOT);
            if (!direction.equals("ASCENDING") && !direction.equals("DESCENDING")) {
                throw HubSpotException.validation("Sort direction must be ASCENDING or DESCENDING, got " + direction);
            }
            descending = direction.equals("DESCENDING");
        }
        SimField field = schema.field(name)
                .orElseThrow(() -> HubSpotException.validation("Cannot sort on property \"" + name + "\": it does not exist"));
        if (field.role() == FieldRole.ID) {
            return descending ? byId.reversed() : byId;
        }
        Comparator<SimRecord> primary = OrderBy.comparator(List.of(new OrderBy(field.name(), descending)), schema);
        return primary.thenComparing(byId);
    }
}
