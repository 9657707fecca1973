package io.nificrm.nifitests.flows;

import com.fasterxml.jackson.databind.JsonNode;
import io.nificrm.nifitests.flows.ExtensionCatalog.Coordinate;
import io.nificrm.nifitests.flows.ExtensionCatalog.Dependency;
import io.nificrm.nifitests.flows.ExtensionCatalog.ExtensionInfo;
import io.nificrm.nifitests.flows.ExtensionCatalog.PropertyInfo;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Static check of a NiFi flow definition against the extension manifests of the bundles it uses, without NiFi:
 * <ul>
 *   <li>every processor and controller service type exists in the bundle the definition names (ours at this
 *       project's version, or a stock NiFi bundle);</li>
 *   <li>every property is known to its type (or the type takes dynamic properties), every required property whose
 *       dependencies hold is set, has a default or is parameterized, literal values are among the allowable values
 *       (and so are the values of parameters used alone), service references point to a service of the flow that
 *       provides the API the property needs, and sensitive properties take sensitive parameters only;</li>
 *   <li>every relationship of every processor is connected or deliberately auto-terminated, connections name real
 *       relationships, retried relationships have a bounded count and a dead-letter connection;</li>
 *   <li>input requirements, primary-node-only sources, funnels, back-pressure, prioritizers, load balancing and
 *       timer periods are sound;</li>
 *   <li>every parameter referenced is defined in the group's parameter context, and every parameter defined is used.</li>
 * </ul>
 * Each problem names the component (kind, name, type) so a broken definition says where it is broken.
 */
public final class FlowDefinitionCheck {

    private static final Pattern PARAMETER = Pattern.compile("(?<!#)#\\{([A-Za-z0-9 ._-]+)}");
    private static final Pattern TIME_PERIOD = Pattern.compile(
            "\\d+\\s*(ns|nanos?|nanoseconds?|ms|millis?|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?|w|wks?|weeks?)",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern DATA_SIZE = Pattern.compile("\\d+(\\.\\d+)?\\s*(B|KB|MB|GB|TB)", Pattern.CASE_INSENSITIVE);
    /** The prioritizers NiFi's framework (nifi-framework-nar 2.3.0, nifi-standard-prioritizers) provides. */
    public static final Set<String> PRIORITIZERS = Set.of(
            "org.apache.nifi.prioritizer.FirstInFirstOutPrioritizer",
            "org.apache.nifi.prioritizer.NewestFlowFileFirstPrioritizer",
            "org.apache.nifi.prioritizer.OldestFlowFileFirstPrioritizer",
            "org.apache.nifi.prioritizer.PriorityAttributePrioritizer");
    private static final Set<String> LOAD_BALANCE = Set.of("DO_NOT_LOAD_BALANCE", "ROUND_ROBIN", "SINGLE_NODE", "PARTITION_BY_ATTRIBUTE");
    /** More retries than this is not "bounded" in any useful sense. */
    static final int MAX_RETRIES = 100;

    private final ExtensionCatalog catalog;
    private final Coordinate ownBundle;
    private final List<String> problems = new ArrayList<>();

    private FlowDefinitionCheck(ExtensionCatalog catalog, Coordinate ownBundle) {
        this.catalog = catalog;
        this.ownBundle = ownBundle;
    }

    /**
     * @param ownBundle our NAR's coordinates: a component naming our group and artifact must name this version
     * @return the problems found, empty when the definition is sound
     */
    public static List<String> check(JsonNode flowDefinition, ExtensionCatalog catalog, Coordinate ownBundle) {
        FlowDefinitionCheck check = new FlowDefinitionCheck(catalog, ownBundle);
        check.run(flowDefinition);
        return List.copyOf(check.problems);
    }

    private void run(JsonNode definition) {
        JsonNode contents = definition.path("flowContents");
        if (!contents.isObject()) {
            problems.add("Flow definition: no flowContents (not a NiFi flow definition)");
            return;
        }
        Map<String, JsonNode> contexts = new HashMap<>();
        definition.path("parameterContexts").forEach(c -> contexts.put(c.path("name").asText(), c));
        group(contents, contexts, new HashMap<>());
    }

    /** A process group, with the services visible to it (its own and its ancestors'). */
    private void group(JsonNode group, Map<String, JsonNode> contexts, Map<String, JsonNode> inheritedServices) {
        String groupName = "Process group '" + group.path("name").asText() + "'";
        Map<String, Parameter> parameters = new LinkedHashMap<>();
        String contextName = group.path("parameterContextName").asText(null);
        if (contextName != null) {
            JsonNode context = contexts.get(contextName);
            if (context == null) {
                problems.add(groupName + ": parameter context '" + contextName + "' is not in the flow definition");
            } else {
                context.path("parameters").forEach(p -> parameters.put(p.path("name").asText(),
                        new Parameter(p.path("name").asText(), p.path("sensitive").asBoolean(),
                                p.path("value").isNull() ? null : p.path("value").asText(null))));
            }
        }
        Set<String> used = new HashSet<>();

        Map<String, JsonNode> services = new HashMap<>(inheritedServices);
        group.path("controllerServices").forEach(s -> services.put(s.path("identifier").asText(), s));
        Map<String, JsonNode> components = new LinkedHashMap<>();
        group.path("processors").forEach(p -> components.put(p.path("identifier").asText(), p));
        group.path("funnels").forEach(f -> components.put(f.path("identifier").asText(), f));
        group.path("inputPorts").forEach(p -> components.put(p.path("identifier").asText(), p));
        group.path("outputPorts").forEach(p -> components.put(p.path("identifier").asText(), p));
        group.path("processGroups").forEach(g -> components.put(g.path("identifier").asText(), g));

        for (JsonNode service : group.path("controllerServices")) {
            String what = "Controller service '" + service.path("name").asText() + "' [" + service.path("type").asText() + "]";
            type(service, what, false).ifPresent(info -> properties(service, info, what, parameters, used, services));
        }

        Map<String, Set<String>> outgoing = new HashMap<>();
        Map<String, Integer> incoming = new HashMap<>();
        Map<String, Integer> outgoingCount = new HashMap<>();
        for (JsonNode connection : group.path("connections")) {
            connection(connection, components, parameters, used);
            String from = connection.path("source").path("id").asText();
            String to = connection.path("destination").path("id").asText();
            connection.path("selectedRelationships").forEach(r -> outgoing.computeIfAbsent(from, k -> new HashSet<>()).add(r.asText()));
            outgoingCount.merge(from, 1, Integer::sum);
            if (!from.equals(to)) {
                incoming.merge(to, 1, Integer::sum);
            }
        }

        for (JsonNode processor : group.path("processors")) {
            String id = processor.path("identifier").asText();
            String what = "Processor '" + processor.path("name").asText() + "' [" + processor.path("type").asText() + "]";
            Optional<ExtensionInfo> info = type(processor, what, true);
            info.ifPresent(i -> properties(processor, i, what, parameters, used, services));
            info.ifPresent(i -> relationships(processor, i, what, outgoing.getOrDefault(id, Set.of()),
                    incoming.getOrDefault(id, 0)));
            scheduling(processor, what, parameters, used);
        }
        for (JsonNode funnel : group.path("funnels")) {
            String id = funnel.path("identifier").asText();
            if (incoming.getOrDefault(id, 0) == 0 || outgoingCount.getOrDefault(id, 0) == 0) {
                problems.add("Funnel " + id + ": needs connections in and out (it has " + incoming.getOrDefault(id, 0) + " in, "
                        + outgoingCount.getOrDefault(id, 0) + " out)");
            }
        }
        for (JsonNode label : group.path("labels")) {
            references(label.path("label").asText(), "Label '" + firstLine(label.path("label").asText()) + "'", parameters, used);
        }

        for (Parameter p : parameters.values()) {
            if (!used.contains(p.name())) {
                problems.add(groupName + ": parameter '" + p.name() + "' is defined in '" + contextName + "' but never used");
            }
        }
        for (JsonNode child : group.path("processGroups")) {
            group(child, contexts, services);
        }
    }

    private record Parameter(String name, boolean sensitive, String value) {
    }

    // ---- types -----------------------------------------------------------------------------------------------------

    private Optional<ExtensionInfo> type(JsonNode component, String what, boolean processor) {
        String type = component.path("type").asText();
        JsonNode b = component.path("bundle");
        Coordinate bundle = new Coordinate(b.path("group").asText(), b.path("artifact").asText(), b.path("version").asText());
        if (bundle.group().equals(ownBundle.group()) && bundle.artifact().equals(ownBundle.artifact())
                && !bundle.version().equals(ownBundle.version())) {
            problems.add(what + ": names our bundle at version " + bundle.version() + ", but this build is " + ownBundle.version());
        }
        Optional<ExtensionInfo> info = catalog.find(bundle, type);
        if (info.isEmpty()) {
            Set<String> elsewhere = new LinkedHashSet<>();
            catalog.bundlesOf(type).forEach(c -> elsewhere.add(c.toString()));
            problems.add(what + ": unknown type " + type + " in bundle " + bundle
                    + (!catalog.hasBundle(bundle) ? " (no such bundle)" : "")
                    + (elsewhere.isEmpty() ? "" : "; it exists in " + elsewhere));
            return Optional.empty();
        }
        if (info.get().isProcessor() != processor) {
            problems.add(what + ": " + type + " is a " + info.get().kind() + ", not a " + (processor ? "processor" : "controller service"));
            return Optional.empty();
        }
        return info;
    }

    // ---- properties ------------------------------------------------------------------------------------------------

    private void properties(JsonNode component, ExtensionInfo info, String what, Map<String, Parameter> parameters,
                            Set<String> used, Map<String, JsonNode> services) {
        Map<String, String> values = new LinkedHashMap<>();
        component.path("properties").fields().forEachRemaining(e -> values.put(e.getKey(), e.getValue().isNull() ? null : e.getValue().asText()));
        for (Map.Entry<String, String> e : values.entrySet()) {
            references(e.getValue(), what + " property '" + e.getKey() + "'", parameters, used);
            PropertyInfo property = info.properties().get(e.getKey());
            if (property == null) {
                boolean declaredDynamic = component.path("propertyDescriptors").path(e.getKey()).path("dynamic").asBoolean(false);
                if (!info.dynamicProperties()) {
                    problems.add(what + ": unknown property '" + e.getKey() + "' (the type has no such property and takes no dynamic properties)");
                } else if (!declaredDynamic) {
                    problems.add(what + ": property '" + e.getKey() + "' is not one of the type's properties; declare it as a dynamic property");
                }
            }
        }
        for (PropertyInfo property : info.properties().values()) {
            if (!dependenciesHold(property, info, values, parameters, 0)) {
                continue;
            }
            String raw = values.get(property.name());
            String label = what + ": property '" + property.displayName() + "'";
            boolean set = raw != null && !raw.isEmpty();
            if (property.required() && !set && property.defaultValue() == null) {
                problems.add(what + ": required property '" + property.displayName() + "' is not set, defaulted or parameterized");
                continue;
            }
            if (!set) {
                continue;
            }
            String sole = soleParameter(raw);
            if (property.sensitive()) {
                if (sole == null) {
                    problems.add(label + " is sensitive: reference a sensitive parameter (#{name}) instead of a value");
                } else if (parameters.containsKey(sole) && !parameters.get(sole).sensitive()) {
                    problems.add(label + " is sensitive but parameter '" + sole + "' is not");
                }
            } else {
                for (String name : parameterNames(raw)) {
                    if (parameters.containsKey(name) && parameters.get(name).sensitive()) {
                        problems.add(label + " is not sensitive but references the sensitive parameter '" + name + "'");
                    }
                }
            }
            String resolved = resolve(raw, parameters);
            if (!property.allowableValues().isEmpty() && resolved != null && !resolved.contains("${")
                    && !property.allowableValues().contains(resolved)) {
                problems.add(label + " = '" + resolved + "' is not one of " + property.allowableValues());
            }
            if (property.serviceApi() != null && resolved != null) {
                JsonNode service = services.get(resolved);
                if (service == null) {
                    problems.add(label + " references controller service " + resolved + ", which is not in the flow");
                } else {
                    Set<String> provided = provided(service);
                    if (provided != null && !provided.contains(property.serviceApi())) {
                        problems.add(label + " needs a " + property.serviceApi() + " but '" + service.path("name").asText()
                                + "' provides " + provided);
                    }
                }
            }
        }
    }

    private Set<String> provided(JsonNode service) {
        JsonNode b = service.path("bundle");
        Coordinate bundle = new Coordinate(b.path("group").asText(), b.path("artifact").asText(), b.path("version").asText());
        return catalog.find(bundle, service.path("type").asText()).map(ExtensionInfo::providedApis).orElse(null);
    }

    /** Whether the property is in effect: each property it depends on is in effect and has one of the values. */
    private boolean dependenciesHold(PropertyInfo property, ExtensionInfo info, Map<String, String> values,
                                     Map<String, Parameter> parameters, int depth) {
        if (depth > 10) {
            return true;
        }
        for (Dependency dependency : property.dependencies()) {
            PropertyInfo on = info.properties().get(dependency.property());
            if (on == null) {
                continue;
            }
            if (!dependenciesHold(on, info, values, parameters, depth + 1)) {
                return false;
            }
            String raw = values.containsKey(on.name()) ? values.get(on.name()) : on.defaultValue();
            if (raw == null || raw.isEmpty()) {
                return false;
            }
            String value = resolve(raw, parameters);
            if (value == null) {
                continue; // set by the user through a parameter left empty here: assume it holds, so it is checked
            }
            if (!dependency.values().isEmpty() && !dependency.values().contains(value)) {
                return false;
            }
        }
        return true;
    }

    // ---- relationships ---------------------------------------------------------------------------------------------

    private void relationships(JsonNode processor, ExtensionInfo info, String what, Set<String> connected, int incomingCount) {
        Set<String> autoTerminated = strings(processor.path("autoTerminatedRelationships"));
        Set<String> retried = strings(processor.path("retriedRelationships"));
        // Types with dynamic relationships (RouteOnAttribute, QueryRecord) have one per dynamic property.
        Set<String> all = new java.util.LinkedHashSet<>(info.relationships());
        if (info.dynamicRelationships()) {
            processor.path("properties").fieldNames().forEachRemaining(name -> {
                if (!info.properties().containsKey(name)) {
                    all.add(name);
                }
            });
        }
        for (String relationship : all) {
            boolean isConnected = connected.contains(relationship);
            boolean terminated = autoTerminated.contains(relationship);
            if (!isConnected && !terminated) {
                problems.add(what + ": relationship '" + relationship + "' is neither connected nor auto-terminated");
            } else if (isConnected && terminated) {
                problems.add(what + ": relationship '" + relationship + "' is both connected and auto-terminated");
            }
        }
        for (Set<String> declared : List.of(connected, autoTerminated, retried)) {
            for (String relationship : declared) {
                if (!all.contains(relationship)) {
                    problems.add(what + ": has no relationship '" + relationship + "' (it has " + all + ")");
                }
            }
        }
        if (!retried.isEmpty()) {
            int count = processor.path("retryCount").asInt(0);
            if (count < 1 || count > MAX_RETRIES) {
                problems.add(what + ": retries " + retried + " with retryCount " + count + "; bound it between 1 and " + MAX_RETRIES);
            }
            for (String relationship : retried) {
                if (!connected.contains(relationship)) {
                    problems.add(what + ": retried relationship '" + relationship
                            + "' has no dead-letter connection for when the retries are exhausted");
                }
            }
        }
        String input = info.inputRequirement();
        if ("INPUT_REQUIRED".equals(input) && incomingCount == 0) {
            problems.add(what + ": requires input but has no incoming connection");
        } else if ("INPUT_FORBIDDEN".equals(input) && incomingCount > 0) {
            problems.add(what + ": takes no input but has an incoming connection");
        }
        if (info.primaryNodeOnly() && !"PRIMARY".equals(processor.path("executionNode").asText())) {
            problems.add(what + ": runs on the primary node only; set its execution node to PRIMARY");
        }
        if ((info.primaryNodeOnly() || "PRIMARY".equals(processor.path("executionNode").asText())) && incomingCount > 0) {
            problems.add(what + ": runs on the primary node only but has an incoming connection, which NiFi refuses to schedule");
        }
    }

    private void connection(JsonNode connection, Map<String, JsonNode> components, Map<String, Parameter> parameters, Set<String> used) {
        JsonNode source = connection.path("source");
        JsonNode destination = connection.path("destination");
        String what = "Connection '" + source.path("name").asText() + "' " + strings(connection.path("selectedRelationships"))
                + " → '" + destination.path("name").asText() + "'";
        for (JsonNode end : List.of(source, destination)) {
            if (!components.containsKey(end.path("id").asText())) {
                problems.add(what + ": " + end.path("type").asText() + " " + end.path("id").asText() + " is not in the group");
            }
        }
        boolean fromProcessor = "PROCESSOR".equals(source.path("type").asText());
        if (fromProcessor && connection.path("selectedRelationships").isEmpty()) {
            problems.add(what + ": a connection from a processor must select at least one relationship");
        }
        if (connection.path("backPressureObjectThreshold").asLong(0) <= 0
                || !DATA_SIZE.matcher(connection.path("backPressureDataSizeThreshold").asText("")).matches()) {
            problems.add(what + ": set back-pressure thresholds (objects > 0 and a data size), got "
                    + connection.path("backPressureObjectThreshold") + " / " + connection.path("backPressureDataSizeThreshold"));
        }
        if (connection.path("prioritizers").isEmpty()) {
            problems.add(what + ": choose a prioritizer");
        }
        for (JsonNode prioritizer : connection.path("prioritizers")) {
            if (!PRIORITIZERS.contains(prioritizer.asText())) {
                problems.add(what + ": unknown prioritizer " + prioritizer.asText() + " (NiFi has " + PRIORITIZERS + ")");
            }
        }
        if (!LOAD_BALANCE.contains(connection.path("loadBalanceStrategy").asText())) {
            problems.add(what + ": unknown load-balance strategy " + connection.path("loadBalanceStrategy").asText());
        }
        references(connection.path("name").asText(""), what, parameters, used);
    }

    private void scheduling(JsonNode processor, String what, Map<String, Parameter> parameters, Set<String> used) {
        String period = processor.path("schedulingPeriod").asText();
        references(period, what + " scheduling period", parameters, used);
        String strategy = processor.path("schedulingStrategy").asText();
        String resolved = resolve(period, parameters);
        if ("TIMER_DRIVEN".equals(strategy)) {
            if (resolved != null && !TIME_PERIOD.matcher(resolved.trim()).matches()) {
                problems.add(what + ": timer period '" + resolved + "' is not a time period");
            }
        } else if (!"CRON_DRIVEN".equals(strategy)) {
            problems.add(what + ": unknown scheduling strategy " + strategy);
        }
        for (String field : List.of("penaltyDuration", "yieldDuration", "maxBackoffPeriod")) {
            String value = resolve(processor.path(field).asText(), parameters);
            if (value != null && !TIME_PERIOD.matcher(value.trim()).matches()) {
                problems.add(what + ": " + field + " '" + value + "' is not a time period");
            }
        }
    }

    // ---- parameters ------------------------------------------------------------------------------------------------

    private void references(String text, String where, Map<String, Parameter> parameters, Set<String> used) {
        for (String name : parameterNames(text)) {
            used.add(name);
            if (!parameters.containsKey(name)) {
                problems.add(where + " references parameter '" + name + "', which is not defined");
            }
        }
    }

    private static List<String> parameterNames(String text) {
        List<String> names = new ArrayList<>();
        if (text == null) {
            return names;
        }
        Matcher m = PARAMETER.matcher(text);
        while (m.find()) {
            names.add(m.group(1));
        }
        return names;
    }

    private static String soleParameter(String value) {
        Matcher m = PARAMETER.matcher(value.trim());
        return m.matches() ? m.group(1) : null;
    }

    /** The value with parameters substituted, or null when a parameter it uses has no value (set by the user). */
    private static String resolve(String value, Map<String, Parameter> parameters) {
        if (value == null) {
            return null;
        }
        Matcher m = PARAMETER.matcher(value);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            Parameter p = parameters.get(m.group(1));
            if (p == null || p.value() == null) {
                return null;
            }
            m.appendReplacement(out, Matcher.quoteReplacement(p.value()));
        }
        m.appendTail(out);
        return out.toString().replace("##{", "#{");
    }

    private static Set<String> strings(JsonNode array) {
        Set<String> set = new LinkedHashSet<>();
        array.forEach(n -> set.add(n.asText()));
        return set;
    }

    private static String firstLine(String text) {
        int newline = text.indexOf('\n');
        String line = newline < 0 ? text : text.substring(0, newline);
        return line.length() > 60 ? line.substring(0, 60) + "…" : line;
    }
}
