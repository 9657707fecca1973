package io.nificrm.processors.planner;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * The order constraints of a migration: an object that references another (a child) is loaded after it (its parent),
 * so the referenced record exists in the target when the child is written. Builds the stages (one per object, plus a
 * second update pass per object with deferred references), a topological order, and names every cycle.
 */
final class DependencyGraph {

    /**
     * One stage: an object's load, or its second pass that fills deferred reference fields.
     *
     * @param parents stages that must finish first (indexes into the stage list)
     * @param reasons why, per parent: {@code Contact.AccountId → Account}
     */
    record StageDef(String label, ObjectSpec object, List<String> deferredFields, List<Integer> parents, List<String> reasons) {
        boolean secondPass() {
            return !deferredFields.isEmpty();
        }
    }

    final List<StageDef> stages = new ArrayList<>();
    final List<Integer> order = new ArrayList<>();
    final List<String> notes = new ArrayList<>();

    private DependencyGraph() {
    }

    private record Ref(String field, int to) {
    }

    /** Builds the graph, adding what is wrong to {@code problems}; the graph is usable only when none were added. */
    static DependencyGraph build(List<ObjectSpec> objects, Set<String> deferred, Set<String> ignored, List<String> problems) {
        DependencyGraph graph = new DependencyGraph();
        Map<String, Integer> index = new HashMap<>();
        for (int i = 0; i < objects.size(); i++) {
            String name = objects.get(i).name();
            if (name == null || name.isBlank()) {
                problems.add("Object #" + (i + 1) + " has no name.");
            } else if (index.putIfAbsent(name, i) != null) {
                problems.add("Object " + name + " is listed twice; list each object once.");
            }
        }
        checkFieldList("deferredReferences", deferred, objects, index, problems);
        checkFieldList("ignoredReferences", ignored, objects, index, problems);
        for (String both : deferred) {
            if (ignored.contains(both)) {
                problems.add(both + " is both deferred and ignored: a field is either loaded by a second pass (deferredReferences) "
                        + "or not migrated at all (ignoredReferences), not both.");
            }
        }
        int n = objects.size();
        List<List<Ref>> refs = new ArrayList<>();
        List<Map<String, List<Integer>>> deferredOf = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            refs.add(new ArrayList<>());
            deferredOf.add(new LinkedHashMap<>());
        }
        for (int x = 0; x < n; x++) {
            ObjectSpec object = objects.get(x);
            if (object.name() == null || index.get(object.name()) != x) {
                continue;
            }
            for (Map.Entry<String, String> ref : object.references().entrySet()) {
                String key = object.name() + "." + ref.getKey();
                Integer y = ref.getValue() == null ? null : index.get(ref.getValue());
                if (ignored.contains(key)) {
                    continue;
                }
                if (y == null) {
                    graph.notes.add(key + " references " + ref.getValue() + ", which is not migrated: its values must already exist "
                            + "in the target (or be mapped), or list the field in ignoredReferences.");
                } else if (y == x) {
                    deferredOf.get(x).computeIfAbsent(ref.getKey(), f -> new ArrayList<>()).add(y);
                    if (!deferred.contains(key)) {
                        graph.notes.add(key + " references " + object.name() + " itself: a record's parent may come later in the "
                                + "same load, so the field is filled by a second update pass (list it in ignoredReferences if the "
                                + "mapping drops it).");
                    }
                } else if (deferred.contains(key)) {
                    deferredOf.get(x).computeIfAbsent(ref.getKey(), f -> new ArrayList<>()).add(y);
                } else {
                    refs.get(x).add(new Ref(ref.getKey(), y));
                }
            }
        }
        if (!problems.isEmpty()) {
            return graph;
        }
        for (List<Integer> cycle : cycles(refs)) {
            problems.add(describeCycle(cycle, refs, objects));
        }
        if (!problems.isEmpty()) {
            return graph;
        }
        for (int x = 0; x < n; x++) {
            List<Integer> parents = new ArrayList<>();
            List<String> reasons = new ArrayList<>();
            for (Ref ref : refs.get(x)) {
                if (!parents.contains(ref.to())) {
                    parents.add(ref.to());
                    reasons.add(objects.get(x).name() + "." + ref.field() + " → " + objects.get(ref.to()).name());
                }
            }
            graph.stages.add(new StageDef(objects.get(x).name(), objects.get(x), List.of(), parents, reasons));
        }
        for (int x = 0; x < n; x++) {
            Map<String, List<Integer>> fields = deferredOf.get(x);
            if (fields.isEmpty()) {
                continue;
            }
            List<Integer> parents = new ArrayList<>(List.of(x));
            List<String> reasons = new ArrayList<>(List.of("first pass of " + objects.get(x).name()));
            for (Map.Entry<String, List<Integer>> field : fields.entrySet()) {
                for (int y : field.getValue()) {
                    if (!parents.contains(y)) {
                        parents.add(y);
                        reasons.add(objects.get(x).name() + "." + field.getKey() + " → " + objects.get(y).name());
                    }
                }
            }
            String label = objects.get(x).name() + " (2nd pass: " + String.join(", ", fields.keySet()) + ")";
            graph.stages.add(new StageDef(label, objects.get(x), List.copyOf(fields.keySet()), parents, reasons));
        }
        graph.order.addAll(topological(graph.stages));
        return graph;
    }

    private static void checkFieldList(String what, Set<String> keys, List<ObjectSpec> objects, Map<String, Integer> index,
                                       List<String> problems) {
        for (String key : keys) {
            int dot = key == null ? -1 : key.indexOf('.');
            if (dot <= 0 || dot == key.length() - 1) {
                problems.add(what + " entry '" + key + "' is not of the form Object.field (e.g. Account.ParentId).");
                continue;
            }
            Integer x = index.get(key.substring(0, dot));
            if (x == null) {
                problems.add(what + " names " + key + ", but " + key.substring(0, dot) + " is not one of the objects to migrate.");
            } else if (!objects.get(x).references().containsKey(key.substring(dot + 1))) {
                problems.add(what + " names " + key + ", but " + key.substring(0, dot) + " has no such reference field (its references: "
                        + (objects.get(x).references().isEmpty() ? "none" : String.join(", ", objects.get(x).references().keySet())) + ").");
            }
        }
    }

    /** Kahn's algorithm, taking the ready stage that comes first in the input whenever there is a choice. */
    private static List<Integer> topological(List<StageDef> stages) {
        int[] missing = new int[stages.size()];
        List<List<Integer>> children = new ArrayList<>();
        for (int i = 0; i < stages.size(); i++) {
            children.add(new ArrayList<>());
        }
        for (int i = 0; i < stages.size(); i++) {
            missing[i] = stages.get(i).parents().size();
            for (int p : stages.get(i).parents()) {
                children.get(p).add(i);
            }
        }
        PriorityQueue<Integer> ready = new PriorityQueue<>();
        for (int i = 0; i < stages.size(); i++) {
            if (missing[i] == 0) {
                ready.add(i);
            }
        }
        List<Integer> order = new ArrayList<>();
        while (!ready.isEmpty()) {
            int i = ready.poll();
            order.add(i);
            for (int c : children.get(i)) {
                if (--missing[c] == 0) {
                    ready.add(c);
                }
            }
        }
        return order;
    }

    /** One cycle per strongly connected component with more than one object (Tarjan), as object indexes in reference order. */
    private static List<List<Integer>> cycles(List<List<Ref>> refs) {
        int n = refs.size();
        int[] idx = new int[n];
        int[] low = new int[n];
        boolean[] onStack = new boolean[n];
        java.util.Arrays.fill(idx, -1);
        Deque<Integer> stack = new ArrayDeque<>();
        int[] counter = {0};
        List<List<Integer>> components = new ArrayList<>();
        for (int v = 0; v < n; v++) {
            if (idx[v] < 0) {
                strongConnect(v, refs, idx, low, onStack, stack, counter, components);
            }
        }
        List<List<Integer>> cycles = new ArrayList<>();
        components.stream().filter(c -> c.size() > 1)
                .sorted(java.util.Comparator.comparingInt(c -> c.stream().mapToInt(Integer::intValue).min().orElse(0)))
                .forEach(component -> cycles.add(cycleThrough(component, refs)));
        return cycles;
    }

    private static void strongConnect(int v, List<List<Ref>> refs, int[] idx, int[] low, boolean[] onStack, Deque<Integer> stack,
                                      int[] counter, List<List<Integer>> components) {
        // Iterative Tarjan, so long reference chains cannot overflow the stack.
        Deque<int[]> work = new ArrayDeque<>();
        work.push(new int[]{v, 0});
        idx[v] = low[v] = counter[0]++;
        stack.push(v);
        onStack[v] = true;
        while (!work.isEmpty()) {
            int[] frame = work.peek();
            int node = frame[0];
            if (frame[1] < refs.get(node).size()) {
                int w = refs.get(node).get(frame[1]++).to();
                if (idx[w] < 0) {
                    idx[w] = low[w] = counter[0]++;
                    stack.push(w);
                    onStack[w] = true;
                    work.push(new int[]{w, 0});
                } else if (onStack[w]) {
                    low[node] = Math.min(low[node], idx[w]);
                }
            } else {
                work.pop();
                if (!work.isEmpty()) {
                    int parent = work.peek()[0];
                    low[parent] = Math.min(low[parent], low[node]);
                }
                if (low[node] == idx[node]) {
                    List<Integer> component = new ArrayList<>();
                    int w;
                    do {
                        w = stack.pop();
                        onStack[w] = false;
                        component.add(w);
                    } while (w != node);
                    components.add(component);
                }
            }
        }
    }

    /** The shortest cycle through the component's first object (breadth-first within the component). */
    private static List<Integer> cycleThrough(List<Integer> component, List<List<Ref>> refs) {
        int start = component.stream().mapToInt(Integer::intValue).min().orElseThrow();
        Set<Integer> inside = new java.util.HashSet<>(component);
        Map<Integer, Integer> previous = new HashMap<>();
        Deque<Integer> queue = new ArrayDeque<>(List.of(start));
        while (!queue.isEmpty()) {
            int v = queue.poll();
            for (Ref ref : refs.get(v)) {
                if (ref.to() == start) {
                    List<Integer> path = new ArrayList<>();
                    for (Integer at = v; at != null; at = previous.get(at)) {
                        path.add(0, at);
                    }
                    return path;
                }
                if (inside.contains(ref.to()) && !previous.containsKey(ref.to()) && ref.to() != start) {
                    previous.put(ref.to(), v);
                    queue.add(ref.to());
                }
            }
        }
        return List.copyOf(component);
    }

    private static String describeCycle(List<Integer> cycle, List<List<Ref>> refs, List<ObjectSpec> objects) {
        List<String> names = new ArrayList<>();
        List<String> fields = new ArrayList<>();
        for (int k = 0; k < cycle.size(); k++) {
            int from = cycle.get(k);
            int to = cycle.get((k + 1) % cycle.size());
            names.add(objects.get(from).name());
            String field = refs.get(from).stream().filter(r -> r.to() == to).map(Ref::field).findFirst().orElse("?");
            fields.add(objects.get(from).name() + "." + field);
        }
        names.add(objects.get(cycle.get(0)).name());
        return "Cyclic references: " + String.join(" → ", names) + " (" + String.join(", ", fields.stream()
                .map(f -> f + " → " + objects.get(cycle.get((fields.indexOf(f) + 1) % cycle.size())).name()).toList())
                + "). No order loads every parent before its children. Break the cycle by loading one of these fields in a "
                + "second update pass (deferredReferences: " + String.join(" or ", fields) + "), or by listing it in "
                + "ignoredReferences if the mapping does not migrate it.";
    }
}
