package io.nificrm.nifitests.flows;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.controller.ControllerService;
import org.apache.nifi.processor.Processor;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs a flow definition in nifi-mock, one {@link TestRunner} per processor, without NiFi: the definition's own
 * processors, properties, services and connections (through funnels), with its parameters substituted. FlowFiles a
 * processor routes are handed to the processors its connections lead to; auto-terminated ones are dropped. What
 * nifi-mock does not do: scheduling periods, back-pressure, load balancing and the framework's retry of a retried
 * relationship (a FlowFile routed there goes straight on to the connection, as after the last retry).
 */
public final class MockFlowRunner {

    private static final Pattern PARAMETER = Pattern.compile("(?<!#)#\\{([A-Za-z0-9 ._-]+)}");

    private final Map<String, JsonNode> services = new HashMap<>();
    private final Map<String, Node> processors = new LinkedHashMap<>();
    /** Component id → the connections leaving it: (relationships, destination id). */
    private final Map<String, List<Link>> links = new HashMap<>();
    private final Map<String, String> parameters;
    private final Map<String, Integer> transfers = new LinkedHashMap<>();

    private record Link(Set<String> relationships, String destination) {
    }

    private static final class Node {
        final JsonNode definition;
        final TestRunner runner;
        final Deque<MockFlowFile> queue = new ArrayDeque<>();
        boolean scheduled;
        final boolean source;

        Node(JsonNode definition, TestRunner runner, boolean source) {
            this.definition = definition;
            this.runner = runner;
            this.source = source;
        }

        String name() {
            return definition.path("name").asText();
        }
    }

    /**
     * @param definition a flow definition (templates/*.json)
     * @param overrides  parameter values that replace the definition's
     */
    public MockFlowRunner(JsonNode definition, Map<String, String> overrides) throws Exception {
        JsonNode contents = definition.path("flowContents");
        parameters = new HashMap<>();
        definition.path("parameterContexts").path(contents.path("parameterContextName").asText()).path("parameters")
                .forEach(p -> parameters.put(p.path("name").asText(), p.path("value").isNull() ? null : p.path("value").asText()));
        parameters.putAll(overrides);
        contents.path("controllerServices").forEach(s -> services.put(s.path("identifier").asText(), s));
        Set<String> hasInput = new LinkedHashSet<>();
        for (JsonNode c : contents.path("connections")) {
            Set<String> relationships = new LinkedHashSet<>();
            c.path("selectedRelationships").forEach(r -> relationships.add(r.asText()));
            String from = c.path("source").path("id").asText();
            String to = c.path("destination").path("id").asText();
            links.computeIfAbsent(from, k -> new ArrayList<>()).add(new Link(relationships, to));
            if (!from.equals(to)) {
                hasInput.add(to);
            }
        }
        for (JsonNode p : contents.path("processors")) {
            String id = p.path("identifier").asText();
            Processor processor = (Processor) Class.forName(p.path("type").asText()).getDeclaredConstructor().newInstance();
            TestRunner runner = TestRunners.newTestRunner(processor);
            Set<String> added = new LinkedHashSet<>();
            for (var property : properties(p).entrySet()) {
                addServiceIfReferenced(runner, property.getValue(), added);
            }
            for (var property : properties(p).entrySet()) {
                runner.setProperty(property.getKey(), property.getValue());
            }
            processors.put(id, new Node(p, runner, !hasInput.contains(id)));
        }
    }

    private Map<String, String> properties(JsonNode component) {
        Map<String, String> values = new LinkedHashMap<>();
        component.path("properties").fields().forEachRemaining(e -> {
            String value = substitute(e.getValue().isNull() ? null : e.getValue().asText());
            if (value != null) {
                values.put(e.getKey(), value);
            }
        });
        return values;
    }

    private String substitute(String value) {
        if (value == null) {
            return null;
        }
        Matcher m = PARAMETER.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String parameter = parameters.get(m.group(1));
            if (parameter == null) {
                if (m.start() == 0 && m.end() == value.length()) {
                    return null; // a property set to an unset parameter is unset
                }
                throw new IllegalArgumentException("Parameter " + m.group(1) + " has no value (used in '" + value + "')");
            }
            m.appendReplacement(out, Matcher.quoteReplacement(parameter));
        }
        m.appendTail(out);
        return out.toString().replace("##{", "#{");
    }

    /** Adds (and enables) a service a property value names, after the services it references itself. */
    private void addServiceIfReferenced(TestRunner runner, String value, Set<String> added) throws Exception {
        JsonNode service = services.get(value);
        if (service == null || added.contains(value)) {
            return;
        }
        added.add(value);
        Map<String, String> properties = properties(service);
        for (String v : properties.values()) {
            addServiceIfReferenced(runner, v, added);
        }
        ControllerService instance = (ControllerService) Class.forName(service.path("type").asText()).getDeclaredConstructor().newInstance();
        runner.addControllerService(value, instance);
        for (var e : properties.entrySet()) {
            PropertyDescriptor descriptor = instance.getPropertyDescriptor(e.getKey());
            runner.setProperty(instance, descriptor == null ? new PropertyDescriptor.Builder().name(e.getKey()).dynamic(true).build()
                    : descriptor, e.getValue());
        }
        runner.enableControllerService(instance);
    }

    /**
     * Runs the flow until nothing is queued: each round triggers the source processors once and every processor with
     * queued FlowFiles on all of them. Fails when a processor is invalid (nifi-mock says why) or after {@code maxRounds}.
     */
    public void runUntilIdle(int maxRounds) {
        for (int round = 0; round < maxRounds; round++) {
            boolean moved = false;
            for (Node node : processors.values()) {
                if (node.source && round == 0) {
                    trigger(node, 1);
                    moved = true;
                } else if (!node.queue.isEmpty()) {
                    int count = node.queue.size();
                    while (!node.queue.isEmpty()) {
                        MockFlowFile f = node.queue.poll();
                        node.runner.enqueue(f.toByteArray(), f.getAttributes());
                    }
                    trigger(node, count);
                    moved = true;
                }
            }
            if (!moved) {
                return;
            }
        }
        throw new AssertionError("The flow did not come to rest within " + maxRounds + " rounds; queued: " + queued());
    }

    /** Triggers a source processor once more (e.g. a file lister after a file was dropped) and runs to rest. */
    public void triggerSourcesAndRun(int maxRounds) {
        for (Node node : processors.values()) {
            if (node.source) {
                trigger(node, 1);
            }
        }
        runUntilIdle(maxRounds);
    }

    private void trigger(Node node, int iterations) {
        node.runner.run(Math.max(1, iterations), false, !node.scheduled);
        node.scheduled = true;
        // Some processors (e.g. a partition reader) send a FlowFile back to their own queue: run until it is drained.
        for (int guard = 0; node.runner.getQueueSize().getObjectCount() > 0 && guard < 10_000; guard++) {
            node.runner.run(1, false, false);
        }
        String id = node.definition.path("identifier").asText();
        for (Relationship relationship : node.runner.getProcessor().getRelationships()) {
            List<MockFlowFile> out = node.runner.getFlowFilesForRelationship(relationship);
            if (out.isEmpty()) {
                continue;
            }
            transfers.merge(node.name() + "." + relationship.getName(), out.size(), Integer::sum);
            for (MockFlowFile flowFile : out) {
                route(id, relationship.getName(), flowFile, 0);
            }
        }
        node.runner.clearTransferState();
    }

    private void route(String from, String relationship, MockFlowFile flowFile, int depth) {
        if (depth > 20) {
            throw new IllegalStateException("Funnels loop around " + from);
        }
        for (Link link : links.getOrDefault(from, List.of())) {
            boolean funnelSource = !processors.containsKey(from);
            if (!funnelSource && !link.relationships().contains(relationship)) {
                continue;
            }
            Node destination = processors.get(link.destination());
            if (destination != null) {
                destination.queue.add(flowFile);
            } else {
                route(link.destination(), relationship, flowFile, depth + 1); // a funnel
            }
        }
    }

    private Map<String, Integer> queued() {
        Map<String, Integer> queued = new LinkedHashMap<>();
        processors.values().forEach(n -> queued.put(n.name(), n.queue.size()));
        return queued;
    }

    /** FlowFiles routed per "processor name.relationship", for messages and assertions. */
    public Map<String, Integer> transfers() {
        return transfers;
    }

    /** The runner of a processor (to read its counters or state). */
    public TestRunner runner(String processorName) {
        return processors.values().stream().filter(n -> n.name().equals(processorName)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("No processor " + processorName)).runner;
    }
}
