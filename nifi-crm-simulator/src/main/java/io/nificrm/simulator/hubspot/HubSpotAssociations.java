package io.nificrm.simulator.hubspot;

import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Associations between records (v4): undirected links that can be read from either side, each with one or more
 * association types. HubSpot-defined types have a type id per direction (contact → company 279, company → contact
 * 280, ...); a user-defined label keeps its id in both directions here.
 */
final class HubSpotAssociations {

    /** An association type: {@code HUBSPOT_DEFINED}, {@code USER_DEFINED} or {@code INTEGRATOR_DEFINED}, and its id. */
    record Spec(String category, int typeId) {
        static final String HUBSPOT_DEFINED = "HUBSPOT_DEFINED";
    }

    /** Unlabeled (default) type ids by direction, as HubSpot documents them. */
    private static final Map<String, Integer> DEFAULT_TYPES = Map.of(
            "contacts>companies", 279, "companies>contacts", 280,
            "deals>contacts", 3, "contacts>deals", 4,
            "deals>companies", 341, "companies>deals", 342);

    /** Each HubSpot-defined type id and the id of the same association seen from the other side. */
    private static final Map<Integer, Integer> REVERSE = reverseTable(new int[][]{
            {279, 280}, {1, 2}, {3, 4}, {341, 342}, {5, 6}});

    /** "from:fromId:to" → toId → types. */
    private final Map<String, Map<String, Set<Spec>>> links = new HashMap<>();

    /** Primary (labelled "Primary") type ids by direction. */
    private static final Map<String, Integer> PRIMARY_TYPES = Map.of(
            "contacts>companies", 1, "companies>contacts", 2, "deals>companies", 5, "companies>deals", 6);

    /** The object type a HubSpot-defined association type from {@code from} points to, if it is one of the known ids. */
    static java.util.Optional<String> targetOf(String from, Spec spec) {
        if (!Spec.HUBSPOT_DEFINED.equals(spec.category())) {
            return java.util.Optional.empty();
        }
        return java.util.stream.Stream.of(DEFAULT_TYPES, PRIMARY_TYPES).flatMap(m -> m.entrySet().stream())
                .filter(e -> e.getKey().startsWith(from + ">") && e.getValue() == spec.typeId())
                .map(e -> e.getKey().substring(from.length() + 1)).findFirst();
    }

    static Spec defaultSpec(String from, String to) {
        Integer id = DEFAULT_TYPES.get(from + ">" + to);
        return new Spec(Spec.HUBSPOT_DEFINED, id == null ? 0 : id);
    }

    synchronized void add(String from, String fromId, String to, String toId, Spec spec) {
        links.computeIfAbsent(key(from, fromId, to), k -> new HashMap<>())
                .computeIfAbsent(toId, k -> new LinkedHashSet<>()).add(spec);
        Spec reverse = Spec.HUBSPOT_DEFINED.equals(spec.category()) && REVERSE.containsKey(spec.typeId())
                ? new Spec(spec.category(), REVERSE.get(spec.typeId())) : spec;
        links.computeIfAbsent(key(to, toId, from), k -> new HashMap<>())
                .computeIfAbsent(fromId, k -> new LinkedHashSet<>()).add(reverse);
    }

    /** Removes every type of association between the two records; true when there was one. */
    synchronized boolean remove(String from, String fromId, String to, String toId) {
        Map<String, Set<Spec>> forward = links.get(key(from, fromId, to));
        Map<String, Set<Spec>> backward = links.get(key(to, toId, from));
        boolean removed = forward != null && forward.remove(toId) != null;
        if (backward != null) {
            backward.remove(fromId);
        }
        return removed;
    }

    /** The records of type {@code to} linked to one record, by id in numeric order, with their types. */
    synchronized Map<String, List<Spec>> read(String from, String fromId, String to) {
        Map<String, List<Spec>> out = new TreeMap<>(HubSpotIds::compare);
        links.getOrDefault(key(from, fromId, to), Map.of()).forEach((id, specs) -> out.put(id, List.copyOf(specs)));
        return Collections.unmodifiableMap(out);
    }

    synchronized void clear() {
        links.clear();
    }

    private static String key(String object, String id, String to) {
        return object + ":" + id + ":" + to;
    }

    private static Map<Integer, Integer> reverseTable(int[][] pairs) {
        Map<Integer, Integer> map = new HashMap<>();
        for (int[] pair : pairs) {
            map.put(pair[0], pair[1]);
            map.put(pair[1], pair[0]);
        }
        return Map.copyOf(map);
    }
}
