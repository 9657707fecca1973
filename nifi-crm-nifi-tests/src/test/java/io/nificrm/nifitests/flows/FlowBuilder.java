package io.nificrm.nifitests.flows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * Writes a NiFi 2.x flow definition (the JSON "Download flow definition" produces and "Upload flow definition"
 * imports: a versioned flow snapshot with {@code flowContents}, {@code parameterContexts}, ...) from a small fluent
 * description. Identifiers are name-based UUIDs of the flow and the component key, so regenerating a template gives
 * the same file.
 */
public final class FlowBuilder {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String NIFI = "2.3.0";

    /** Bundle coordinates of a component type. */
    public record BundleRef(String group, String artifact, String version) {
        ObjectNode json() {
            ObjectNode node = JSON.createObjectNode();
            node.put("group", group).put("artifact", artifact).put("version", version);
            return node;
        }
    }

    /** Our NAR. */
    public static final BundleRef OURS = new BundleRef("io.nificrm", "nifi-crm-nar", projectVersion());
    public static final BundleRef SERVICES_API = new BundleRef("org.apache.nifi", "nifi-standard-services-api-nar", NIFI);
    public static final BundleRef RECORD_SERVICES = new BundleRef("org.apache.nifi", "nifi-record-serialization-services-nar", NIFI);
    public static final BundleRef DBCP = new BundleRef("org.apache.nifi", "nifi-dbcp-service-nar", NIFI);
    public static final BundleRef CACHE = new BundleRef("org.apache.nifi", "nifi-distributed-cache-services-nar", NIFI);
    /** NiFi's stock processors (ListFile, FetchFile, ConvertRecord, ...). */
    public static final BundleRef STANDARD = new BundleRef("org.apache.nifi", "nifi-standard-nar", NIFI);

    /** The project version the templates name for our bundle (the build passes it; the default is this release). */
    static String projectVersion() {
        return System.getProperty("project.version", "0.1.0-SNAPSHOT");
    }

    /** Something a connection can start or end at. */
    public interface Endpoint {
        String id();

        String name();

        String componentType();
    }

    private final String flowKey;
    private final String groupId;
    private final ObjectNode contents = JSON.createObjectNode();
    private final List<ObjectNode> processors = new ArrayList<>();
    private final List<ObjectNode> services = new ArrayList<>();
    private final List<ObjectNode> connections = new ArrayList<>();
    private final List<ObjectNode> funnels = new ArrayList<>();
    private final List<ObjectNode> labels = new ArrayList<>();
    private final Map<String, ObjectNode> parameters = new LinkedHashMap<>();
    private final String parameterContextName;
    private final String parameterContextDescription;

    public FlowBuilder(String flowKey, String name, String comments, String parameterContextName, String parameterContextDescription) {
        this.flowKey = flowKey;
        this.groupId = id("group");
        this.parameterContextName = parameterContextName;
        this.parameterContextDescription = parameterContextDescription;
        contents.put("identifier", groupId);
        contents.put("name", name);
        contents.put("comments", comments);
    }

    String id(String key) {
        return UUID.nameUUIDFromBytes((flowKey + "/" + key).getBytes(StandardCharsets.UTF_8)).toString();
    }

    // ---- parameters ------------------------------------------------------------------------------------------------

    /** A parameter; {@code value} null leaves it unset (the user must fill it, or it means "not used"). */
    public FlowBuilder parameter(String name, String value, String description) {
        return parameter(name, value, false, description);
    }

    public FlowBuilder sensitiveParameter(String name, String description) {
        return parameter(name, null, true, description);
    }

    private FlowBuilder parameter(String name, String value, boolean sensitive, String description) {
        if (parameters.containsKey(name)) {
            throw new IllegalArgumentException("Parameter " + name + " is defined twice");
        }
        ObjectNode p = JSON.createObjectNode();
        p.put("name", name);
        p.put("description", description);
        p.put("sensitive", sensitive);
        p.put("provided", false);
        if (value == null) {
            p.putNull("value");
        } else {
            p.put("value", value);
        }
        parameters.put(name, p);
        return this;
    }

    // ---- components ------------------------------------------------------------------------------------------------

    public Service service(String key, String name, String type, BundleRef bundle, String apiType, BundleRef apiBundle) {
        ObjectNode s = JSON.createObjectNode();
        s.put("identifier", id("service/" + key));
        s.put("name", name);
        s.put("comments", "");
        s.put("type", type);
        s.set("bundle", bundle.json());
        s.putObject("properties");
        s.putObject("propertyDescriptors");
        ArrayNode apis = s.putArray("controllerServiceApis");
        ObjectNode api = apis.addObject();
        api.put("type", apiType);
        api.set("bundle", apiBundle.json());
        s.put("scheduledState", "DISABLED");
        s.put("bulletinLevel", "WARN");
        s.put("componentType", "CONTROLLER_SERVICE");
        s.put("groupIdentifier", groupId);
        services.add(s);
        return new Service(s);
    }

    public Processor processor(String key, String name, String type, BundleRef bundle, double x, double y) {
        ObjectNode p = JSON.createObjectNode();
        p.put("identifier", id("processor/" + key));
        p.put("name", name);
        p.put("comments", "");
        p.put("type", type);
        p.set("bundle", bundle.json());
        p.putObject("properties");
        p.putObject("propertyDescriptors");
        p.putObject("style");
        p.put("schedulingPeriod", "0 sec");
        p.put("schedulingStrategy", "TIMER_DRIVEN");
        p.put("executionNode", "ALL");
        p.put("penaltyDuration", "30 sec");
        p.put("yieldDuration", "1 sec");
        p.put("bulletinLevel", "WARN");
        p.put("runDurationMillis", 0);
        p.put("concurrentlySchedulableTaskCount", 1);
        p.putArray("autoTerminatedRelationships");
        p.put("scheduledState", "ENABLED");
        p.put("retryCount", 10);
        p.putArray("retriedRelationships");
        p.put("backoffMechanism", "PENALIZE_FLOWFILE");
        p.put("maxBackoffPeriod", "10 mins");
        p.put("componentType", "PROCESSOR");
        p.put("groupIdentifier", groupId);
        position(p, x, y);
        processors.add(p);
        return new Processor(p);
    }

    public Funnel funnel(String key, double x, double y) {
        ObjectNode f = JSON.createObjectNode();
        f.put("identifier", id("funnel/" + key));
        position(f, x, y);
        f.put("componentType", "FUNNEL");
        f.put("groupIdentifier", groupId);
        funnels.add(f);
        return new Funnel(f, key);
    }

    public void label(String text, double x, double y, double width, double height) {
        ObjectNode l = JSON.createObjectNode();
        l.put("identifier", id("label/" + labels.size()));
        l.put("label", text);
        l.put("width", width);
        l.put("height", height);
        l.putObject("style").put("font-size", "14px");
        position(l, x, y);
        l.put("zIndex", 0);
        l.put("componentType", "LABEL");
        l.put("groupIdentifier", groupId);
        labels.add(l);
    }

    /** A connection for the given relationships (none for a funnel source). */
    public Connection connect(Endpoint from, Endpoint to, String... relationships) {
        ObjectNode c = JSON.createObjectNode();
        StringBuilder key = new StringBuilder("connection/" + from.id() + "->" + to.id());
        for (String r : relationships) {
            key.append('/').append(r);
        }
        c.put("identifier", id(key.toString()));
        c.put("name", "");
        c.set("source", endpoint(from));
        c.set("destination", endpoint(to));
        ArrayNode selected = c.putArray("selectedRelationships");
        for (String r : relationships) {
            selected.add(r);
        }
        c.put("backPressureObjectThreshold", 10000);
        c.put("backPressureDataSizeThreshold", "1 GB");
        c.put("flowFileExpiration", "0 sec");
        c.putArray("prioritizers").add("org.apache.nifi.prioritizer.FirstInFirstOutPrioritizer");
        c.putArray("bends");
        c.put("labelIndex", 0);
        c.put("zIndex", 0);
        c.put("loadBalanceStrategy", "DO_NOT_LOAD_BALANCE");
        c.put("loadBalanceCompression", "DO_NOT_COMPRESS");
        c.put("partitioningAttribute", "");
        c.put("componentType", "CONNECTION");
        c.put("groupIdentifier", groupId);
        connections.add(c);
        return new Connection(c);
    }

    private ObjectNode endpoint(Endpoint e) {
        ObjectNode node = JSON.createObjectNode();
        node.put("id", e.id());
        node.put("type", e.componentType());
        node.put("groupId", groupId);
        node.put("name", e.name());
        return node;
    }

    private static void position(ObjectNode node, double x, double y) {
        node.putObject("position").put("x", x).put("y", y);
    }

    // ---- output ----------------------------------------------------------------------------------------------------

    public ObjectNode build() {
        contents.putObject("position").put("x", 0.0).put("y", 0.0);
        contents.putArray("processGroups");
        contents.putArray("remoteProcessGroups");
        contents.putArray("inputPorts");
        contents.putArray("outputPorts");
        contents.putArray("labels").addAll(labels);
        contents.putArray("funnels").addAll(funnels);
        contents.putArray("controllerServices").addAll(services);
        contents.putArray("processors").addAll(processors);
        contents.putArray("connections").addAll(connections);
        contents.put("flowFileConcurrency", "UNBOUNDED");
        contents.put("flowFileOutboundPolicy", "STREAM_WHEN_AVAILABLE");
        contents.put("defaultFlowFileExpiration", "0 sec");
        contents.put("defaultBackPressureObjectThreshold", 10000);
        contents.put("defaultBackPressureDataSizeThreshold", "1 GB");
        contents.put("scheduledState", "ENABLED");
        contents.put("executionEngine", "INHERITED");
        contents.put("maxConcurrentTasks", 1);
        contents.put("statelessFlowTimeout", "1 min");
        contents.put("componentType", "PROCESS_GROUP");
        contents.put("parameterContextName", parameterContextName);

        ObjectNode root = JSON.createObjectNode();
        root.set("flowContents", contents);
        root.putObject("externalControllerServices");
        ObjectNode contexts = root.putObject("parameterContexts");
        ObjectNode context = contexts.putObject(parameterContextName);
        context.put("name", parameterContextName);
        context.put("description", parameterContextDescription);
        context.putArray("parameters").addAll(parameters.values());
        context.putArray("inheritedParameterContexts");
        context.put("componentType", "PARAMETER_CONTEXT");
        root.put("flowEncodingVersion", "1.0");
        root.putObject("parameterProviders");
        root.put("latest", false);
        return root;
    }

    // ---- component handles -----------------------------------------------------------------------------------------

    /** A controller service being described. */
    public static final class Service {
        private final ObjectNode node;

        Service(ObjectNode node) {
            this.node = node;
        }

        public String id() {
            return node.path("identifier").asText();
        }

        public Service property(String name, String value) {
            ((ObjectNode) node.get("properties")).put(name, value);
            return this;
        }

        public Service property(String name, Service service) {
            return property(name, service.id());
        }

        public Service comments(String text) {
            node.put("comments", text);
            return this;
        }
    }

    /** A processor being described. */
    public static final class Processor implements Endpoint {
        private final ObjectNode node;

        Processor(ObjectNode node) {
            this.node = node;
        }

        @Override
        public String id() {
            return node.path("identifier").asText();
        }

        @Override
        public String name() {
            return node.path("name").asText();
        }

        @Override
        public String componentType() {
            return "PROCESSOR";
        }

        public Processor property(String name, String value) {
            ((ObjectNode) node.get("properties")).put(name, value);
            return this;
        }

        public Processor property(String name, Service service) {
            return property(name, service.id());
        }

        /** A dynamic (user-defined) property, declared as such. */
        public Processor dynamicProperty(String name, String value) {
            property(name, value);
            ObjectNode descriptor = ((ObjectNode) node.get("propertyDescriptors")).putObject(name);
            descriptor.put("name", name);
            descriptor.put("displayName", name);
            descriptor.put("identifiesControllerService", false);
            descriptor.put("sensitive", false);
            descriptor.put("dynamic", true);
            return this;
        }

        public Processor timer(String period) {
            node.put("schedulingStrategy", "TIMER_DRIVEN");
            node.put("schedulingPeriod", period);
            return this;
        }

        /** Runs on the primary node only (sources that must not run once per node). */
        public Processor primaryNode() {
            node.put("executionNode", "PRIMARY");
            return this;
        }

        public Processor tasks(int concurrentTasks) {
            node.put("concurrentlySchedulableTaskCount", concurrentTasks);
            return this;
        }

        public Processor penalty(String duration) {
            node.put("penaltyDuration", duration);
            return this;
        }

        public Processor yield(String duration) {
            node.put("yieldDuration", duration);
            return this;
        }

        public Processor autoTerminate(String... relationships) {
            ArrayNode array = (ArrayNode) node.get("autoTerminatedRelationships");
            for (String r : relationships) {
                array.add(r);
            }
            return this;
        }

        /**
         * NiFi's bounded retry: a FlowFile routed to one of these relationships goes back to the input queue, with
         * the backoff growing from the penalty duration to {@code maxBackoff}, at most {@code count} times; then it
         * really goes out through the relationship (to the dead-letter path).
         */
        public Processor retry(int count, String maxBackoff, String... relationships) {
            node.put("retryCount", count);
            node.put("backoffMechanism", "PENALIZE_FLOWFILE");
            node.put("maxBackoffPeriod", maxBackoff);
            ArrayNode array = (ArrayNode) node.get("retriedRelationships");
            for (String r : relationships) {
                array.add(r);
            }
            return this;
        }

        public Processor comments(String text) {
            node.put("comments", text);
            return this;
        }
    }

    /** A funnel: merges connections. */
    public static final class Funnel implements Endpoint {
        private final ObjectNode node;
        private final String key;

        Funnel(ObjectNode node, String key) {
            this.node = node;
            this.key = key;
        }

        @Override
        public String id() {
            return node.path("identifier").asText();
        }

        @Override
        public String name() {
            return key;
        }

        @Override
        public String componentType() {
            return "FUNNEL";
        }
    }

    /** A connection being described. */
    public static final class Connection {
        private final ObjectNode node;

        Connection(ObjectNode node) {
            this.node = node;
        }

        public Connection name(String name) {
            node.put("name", name);
            return this;
        }

        /** Back-pressure: the source stops when the queue holds this many FlowFiles or this much data. */
        public Connection backPressure(long objects, String dataSize) {
            node.put("backPressureObjectThreshold", objects);
            node.put("backPressureDataSizeThreshold", dataSize);
            return this;
        }

        /** Replaces the default (first in, first out). */
        public Connection prioritizers(String... classNames) {
            ArrayNode array = (ArrayNode) node.get("prioritizers");
            array.removeAll();
            for (String c : classNames) {
                array.add(c);
            }
            return this;
        }

        /** ROUND_ROBIN spreads FlowFiles over the cluster's nodes; SINGLE_NODE sends them all to one node. */
        public Connection loadBalance(String strategy) {
            node.put("loadBalanceStrategy", strategy);
            return this;
        }

        public Connection bend(double x, double y) {
            ((ArrayNode) node.get("bends")).addObject().put("x", x).put("y", y);
            return this;
        }
    }
}
