package io.nificrm.nifitests.harness;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.nifitests.harness.model.Bulletin;
import io.nificrm.nifitests.harness.model.Bundle;
import io.nificrm.nifitests.harness.model.ComponentRef;
import io.nificrm.nifitests.harness.model.ComponentType;
import io.nificrm.nifitests.harness.model.ControllerServiceInfo;
import io.nificrm.nifitests.harness.model.GroupStatus;
import io.nificrm.nifitests.harness.model.ProcessorInfo;
import io.nificrm.nifitests.harness.model.ValidationStatus;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Typed helper over NiFi's REST API ({@code http://host:port/nifi-api}, unsecured: no auth headers) for what the
 * real-NiFi tests do: inspect the extension types, build components, upload and run flow definitions, read status
 * and bulletins, and tear groups down. Every non-2xx answer throws a {@link NiFiApiException} with status and body.
 */
public final class NiFiRestClient {

    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration TEARDOWN_TIMEOUT = Duration.ofSeconds(60);

    private final URI apiUri;
    private final String clientId = "nifi-tests-" + UUID.randomUUID();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final ObjectMapper mapper = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    /** @param apiUri e.g. {@code http://127.0.0.1:18080/nifi-api} */
    public NiFiRestClient(URI apiUri) {
        String uri = apiUri.toString();
        this.apiUri = URI.create(uri.endsWith("/") ? uri.substring(0, uri.length() - 1) : uri);
    }

    public URI apiUri() {
        return apiUri;
    }

    /** The client id sent with every revisioned change. */
    public String clientId() {
        return clientId;
    }

    // ---- flow: about, types, root ----------------------------------------------------------------------------------

    /** {@code GET /flow/about}: the {@code about} object (title, version, ...). */
    public JsonNode about() {
        return get("/flow/about").path("about");
    }

    public List<ComponentType> processorTypes() {
        return types(get("/flow/processor-types").path("processorTypes"));
    }

    public List<ComponentType> controllerServiceTypes() {
        return types(get("/flow/controller-service-types").path("controllerServiceTypes"));
    }

    public String rootProcessGroupId() {
        return get("/flow/process-groups/root").path("processGroupFlow").path("id").asText();
    }

    // ---- process groups --------------------------------------------------------------------------------------------

    /** Creates an empty child group. */
    public ComponentRef createProcessGroup(String parentGroupId, String name) {
        ObjectNode body = revisioned(0);
        ObjectNode component = body.putObject("component");
        component.put("name", name);
        position(component, 0, 0);
        return ComponentRef.from(post("/process-groups/" + parentGroupId + "/process-groups", body));
    }

    /** {@code GET /process-groups/{id}}: the group with its current revision. */
    public ComponentRef processGroup(String groupId) {
        return ComponentRef.from(get("/process-groups/" + groupId));
    }

    /**
     * Uploads a flow definition (a versioned flow snapshot JSON: {@code flowContents}, {@code parameterContexts},
     * ...) as a new child group. NiFi remaps the controller-service references in it.
     */
    public ComponentRef uploadFlowDefinition(String parentGroupId, String groupName, byte[] flowDefinitionJson) {
        Multipart form = new Multipart()
                .field("groupName", groupName)
                .field("positionX", "0")
                .field("positionY", "0")
                .field("clientId", clientId)
                .file("file", "flow.json", "application/json", flowDefinitionJson);
        HttpRequest request = request("/process-groups/" + parentGroupId + "/process-groups/upload")
                .header("Content-Type", form.contentType())
                .POST(HttpRequest.BodyPublishers.ofByteArray(form.bytes()))
                .build();
        return ComponentRef.from(send(request));
    }

    public ComponentRef uploadFlowDefinition(String parentGroupId, String groupName, Path flowDefinitionFile) {
        try {
            return uploadFlowDefinition(parentGroupId, groupName, Files.readAllBytes(flowDefinitionFile));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Uploads a flow definition with its (single, top-level) parameter context renamed. NiFi binds an uploaded group
     * to an existing context of the same name instead of creating one, so two uploads of the same template would
     * share their parameters; a name per upload keeps them apart.
     */
    public ComponentRef uploadFlowDefinition(String parentGroupId, String groupName, JsonNode flowDefinition,
                                             String parameterContextName) {
        ObjectNode copy = flowDefinition.deepCopy();
        ObjectNode contexts = (ObjectNode) copy.path("parameterContexts");
        String original = copy.path("flowContents").path("parameterContextName").asText(null);
        if (original != null && contexts.has(original)) {
            ObjectNode context = (ObjectNode) contexts.remove(original);
            context.put("name", parameterContextName);
            contexts.set(parameterContextName, context);
            ((ObjectNode) copy.path("flowContents")).put("parameterContextName", parameterContextName);
        }
        try {
            return uploadFlowDefinition(parentGroupId, groupName, mapper.writeValueAsBytes(copy));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** {@code GET /process-groups/{id}/download}: the group as a flow definition (round trip of an upload). */
    public JsonNode downloadFlowDefinition(String groupId) {
        return get("/process-groups/" + groupId + "/download");
    }

    /** Enables every controller service in the group and its descendants (NiFi does this asynchronously). */
    public void enableControllerServices(String groupId) {
        put("/flow/process-groups/" + groupId + "/controller-services", activation(groupId, "ENABLED"));
    }

    public void disableControllerServices(String groupId) {
        put("/flow/process-groups/" + groupId + "/controller-services", activation(groupId, "DISABLED"));
    }

    /** Starts every processor (and port) in the group and its descendants. */
    public void startProcessGroup(String groupId) {
        put("/flow/process-groups/" + groupId, activation(groupId, "RUNNING"));
    }

    public void stopProcessGroup(String groupId) {
        put("/flow/process-groups/" + groupId, activation(groupId, "STOPPED"));
    }

    /** The controller services of the group and its descendants. */
    public List<ControllerServiceInfo> controllerServices(String groupId) {
        JsonNode services = get("/flow/process-groups/" + groupId
                + "/controller-services?includeAncestorGroups=false&includeDescendantGroups=true")
                .path("controllerServices");
        List<ControllerServiceInfo> result = new ArrayList<>();
        services.forEach(service -> result.add(ControllerServiceInfo.from(service)));
        return result;
    }

    /** {@code GET /flow/process-groups/{id}/status?recursive=true}: counts aggregated over the group. */
    public GroupStatus processGroupStatus(String groupId) {
        return GroupStatus.from(get("/flow/process-groups/" + groupId + "/status?recursive=true"));
    }

    /** Drops every FlowFile queued in the group's connections (and its descendants') and waits until done. */
    public void emptyAllQueues(String groupId) {
        String requests = "/process-groups/" + groupId + "/empty-all-connections-requests";
        String requestId = post(requests, null).path("dropRequest").path("id").asText();
        try {
            JsonNode drop = Await.until("emptying the queues of group " + groupId, TEARDOWN_TIMEOUT,
                    Duration.ofMillis(250), () -> get(requests + "/" + requestId).path("dropRequest"),
                    d -> d.path("finished").asBoolean());
            if (drop.hasNonNull("failureReason") && !drop.path("failureReason").asText().isEmpty()) {
                throw new IllegalStateException("Emptying the queues of group " + groupId + " failed: "
                        + drop.path("failureReason").asText());
            }
        } finally {
            delete(requests + "/" + requestId);
        }
    }

    /** Deletes a group that is stopped, has no enabled services and no queued data (else HTTP 409). */
    public void deleteProcessGroup(String groupId) {
        ComponentRef group = processGroup(groupId);
        delete("/process-groups/" + groupId + "?version=" + group.revisionVersion() + "&clientId="
                + URLEncoder.encode(clientId, StandardCharsets.UTF_8));
    }

    /**
     * Full teardown of a test group: stop, disable services, empty queues, delete; steps NiFi refuses with 409 while
     * threads finish or services disable are retried for up to a minute.
     */
    public void stopAndDeleteProcessGroup(String groupId) {
        retryOnConflict("stopping group " + groupId, () -> stopProcessGroup(groupId));
        retryOnConflict("disabling the services of group " + groupId, () -> disableControllerServices(groupId));
        retryOnConflict("emptying the queues of group " + groupId, () -> emptyAllQueues(groupId));
        retryOnConflict("deleting group " + groupId, () -> deleteProcessGroup(groupId));
    }

    // ---- parameter contexts ----------------------------------------------------------------------------------------

    /** The id of the parameter context bound to the group, or null. */
    public String parameterContextId(String groupId) {
        return get("/process-groups/" + groupId).path("component").path("parameterContext").path("id").asText(null);
    }

    /** {@code GET /parameter-contexts/{id}}: name → value (sensitive values show as asterisks). */
    public Map<String, String> parameters(String contextId) {
        Map<String, String> values = new LinkedHashMap<>();
        get("/parameter-contexts/" + contextId).path("component").path("parameters")
                .forEach(p -> values.put(p.path("parameter").path("name").asText(), p.path("parameter").path("value").asText(null)));
        return values;
    }

    /**
     * Sets parameter values (a {@code null} value unsets one) through NiFi's asynchronous update request:
     * {@code POST /parameter-contexts/{id}/update-requests}, poll {@code GET .../update-requests/{requestId}} until
     * complete (NiFi stops and restarts the components that use them), then {@code DELETE} the request.
     */
    public void setParameters(String contextId, Map<String, String> values, Set<String> sensitive) {
        JsonNode context = get("/parameter-contexts/" + contextId);
        ObjectNode body = revisioned(context.path("revision").path("version").asLong());
        body.put("id", contextId);
        ObjectNode component = body.putObject("component");
        component.put("id", contextId);
        var parameters = component.putArray("parameters");
        values.forEach((name, value) -> {
            ObjectNode parameter = parameters.addObject().putObject("parameter");
            parameter.put("name", name);
            parameter.put("sensitive", sensitive.contains(name));
            if (value == null) {
                parameter.putNull("value");
            } else {
                parameter.put("value", value);
            }
        });
        String requests = "/parameter-contexts/" + contextId + "/update-requests";
        String requestId = post(requests, body).path("request").path("requestId").asText();
        try {
            JsonNode request = Await.until("the parameter update of context " + contextId, TEARDOWN_TIMEOUT, Duration.ofMillis(250),
                    () -> get(requests + "/" + requestId).path("request"), r -> r.path("complete").asBoolean());
            String failure = request.path("failureReason").asText("");
            if (!failure.isEmpty() && !"null".equals(failure)) {
                throw new IllegalStateException("Updating the parameters of context " + contextId + " failed: " + failure);
            }
        } finally {
            delete(requests + "/" + requestId + "?clientId=" + URLEncoder.encode(clientId, StandardCharsets.UTF_8));
        }
    }

    /** Deletes a parameter context no group is bound to any more. */
    public void deleteParameterContext(String contextId) {
        long version = get("/parameter-contexts/" + contextId).path("revision").path("version").asLong();
        delete("/parameter-contexts/" + contextId + "?version=" + version + "&clientId="
                + URLEncoder.encode(clientId, StandardCharsets.UTF_8));
    }

    // ---- counters --------------------------------------------------------------------------------------------------

    /**
     * {@code GET /counters}: counter name → value summed over the processors that have it (e.g. "Records Read").
     * NiFi lists each counter per processor ("Fetch accounts (id)") and again per type ("All FetchCrmPartition's");
     * only the former are summed.
     */
    public Map<String, Long> counters() {
        return counters(null);
    }

    /** As {@link #counters()}, over the given processors only (null: all). */
    public Map<String, Long> counters(Set<String> processorIds) {
        Map<String, Long> totals = new LinkedHashMap<>();
        get("/counters").path("counters").path("aggregateSnapshot").path("counters").forEach(c -> {
            String context = c.path("context").asText("");
            int open = context.lastIndexOf('(');
            String id = open >= 0 && context.endsWith(")") ? context.substring(open + 1, context.length() - 1) : null;
            if (id != null && (processorIds == null || processorIds.contains(id))) {
                totals.merge(c.path("name").asText(), c.path("valueCount").asLong(), Long::sum);
            }
        });
        return totals;
    }

    /** Counter values per processor: "processor name (id)" → counter name → value. */
    public JsonNode rawCounters() {
        return get("/counters").path("counters").path("aggregateSnapshot").path("counters");
    }

    // ---- processors ------------------------------------------------------------------------------------------------

    /** {@code POST /process-groups/{id}/processors} with type and bundle; properties stay unset. */
    public ProcessorInfo createProcessor(String groupId, String type, Bundle bundle) {
        ObjectNode body = revisioned(0);
        ObjectNode component = body.putObject("component");
        component.put("type", type);
        component.set("bundle", mapper.valueToTree(bundle));
        position(component, 0, 0);
        return ProcessorInfo.from(post("/process-groups/" + groupId + "/processors", body));
    }

    /** The processors directly in the group. */
    public List<ProcessorInfo> processors(String groupId) {
        List<ProcessorInfo> result = new ArrayList<>();
        get("/process-groups/" + groupId + "/processors").path("processors").forEach(p -> result.add(ProcessorInfo.from(p)));
        return result;
    }

    /** {@code PUT /processors/{id}/run-status}: RUNNING, STOPPED, DISABLED or RUN_ONCE. */
    public void setProcessorRunStatus(String processorId, String state) {
        ProcessorInfo current = processor(processorId);
        ObjectNode body = revisioned(current.revisionVersion());
        body.put("state", state);
        put("/processors/" + processorId + "/run-status", body);
    }

    public ProcessorInfo processor(String processorId) {
        return ProcessorInfo.from(get("/processors/" + processorId));
    }

    /** Sets the given properties (a {@code null} value removes one); others keep their values. */
    public ProcessorInfo updateProcessorProperties(String processorId, Map<String, String> properties) {
        ProcessorInfo current = processor(processorId);
        ObjectNode body = revisioned(current.revisionVersion());
        ObjectNode component = body.putObject("component");
        component.put("id", processorId);
        component.putObject("config").set("properties", mapper.valueToTree(new LinkedHashMap<>(properties)));
        return ProcessorInfo.from(put("/processors/" + processorId, body));
    }

    /** Polls the processor until NiFi has finished validating it (status VALID or INVALID). */
    public ProcessorInfo awaitProcessorValidation(String processorId, Duration timeout) {
        return Await.until("validation of processor " + processorId, timeout, Duration.ofMillis(250),
                () -> processor(processorId), p -> p.validationStatus() != ValidationStatus.VALIDATING);
    }

    // ---- controller services ---------------------------------------------------------------------------------------

    /** {@code POST /process-groups/{id}/controller-services} with type and bundle; properties stay unset. */
    public ControllerServiceInfo createControllerService(String groupId, String type, Bundle bundle) {
        ObjectNode body = revisioned(0);
        ObjectNode component = body.putObject("component");
        component.put("type", type);
        component.set("bundle", mapper.valueToTree(bundle));
        return ControllerServiceInfo.from(post("/process-groups/" + groupId + "/controller-services", body));
    }

    public ControllerServiceInfo controllerService(String serviceId) {
        return ControllerServiceInfo.from(get("/controller-services/" + serviceId));
    }

    // ---- bulletins -------------------------------------------------------------------------------------------------

    /** The bulletin board (NiFi keeps recent bulletins only, a few minutes' worth). */
    public List<Bulletin> bulletins() {
        JsonNode bulletins = get("/flow/bulletin-board?limit=1000").path("bulletinBoard").path("bulletins");
        List<Bulletin> result = new ArrayList<>();
        bulletins.forEach(b -> result.add(Bulletin.from(b)));
        return result;
    }

    // ---- generic calls (for what has no typed method yet) ----------------------------------------------------------

    public JsonNode get(String path) {
        return send(request(path).GET().build());
    }

    public JsonNode post(String path, JsonNode body) {
        return send(request(path).header("Content-Type", "application/json")
                .POST(json(body)).build());
    }

    public JsonNode put(String path, JsonNode body) {
        return send(request(path).header("Content-Type", "application/json")
                .PUT(json(body)).build());
    }

    public JsonNode delete(String path) {
        return send(request(path).DELETE().build());
    }

    public ObjectMapper mapper() {
        return mapper;
    }

    // ---- internals -------------------------------------------------------------------------------------------------

    private HttpRequest.Builder request(String path) {
        return HttpRequest.newBuilder(URI.create(apiUri + path))
                .timeout(REQUEST_TIMEOUT)
                .header("Accept", "application/json");
    }

    private HttpRequest.BodyPublisher json(JsonNode body) {
        if (body == null) {
            return HttpRequest.BodyPublishers.ofString("{}");
        }
        try {
            return HttpRequest.BodyPublishers.ofByteArray(mapper.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private JsonNode send(HttpRequest request) {
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new NiFiApiException(request.method(), request.uri().toString(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new NiFiApiException(request.method(), request.uri().toString(), e);
        }
        if (response.statusCode() / 100 != 2) {
            throw new NiFiApiException(request.method(), request.uri().toString(), response.statusCode(),
                    response.body());
        }
        String body = response.body();
        if (body == null || body.isBlank()) {
            return mapper.createObjectNode();
        }
        try {
            return mapper.readTree(body);
        } catch (IOException e) {
            throw new NiFiApiException(request.method(), request.uri().toString(), response.statusCode(),
                    "(not JSON) " + body);
        }
    }

    private ObjectNode revisioned(long version) {
        ObjectNode body = mapper.createObjectNode();
        body.putObject("revision").put("version", version).put("clientId", clientId);
        return body;
    }

    private ObjectNode activation(String groupId, String state) {
        return mapper.createObjectNode().put("id", groupId).put("state", state);
    }

    private static void position(ObjectNode component, double x, double y) {
        component.putObject("position").put("x", x).put("y", y);
    }

    private static List<ComponentType> types(JsonNode array) {
        List<ComponentType> result = new ArrayList<>();
        array.forEach(type -> result.add(ComponentType.from(type)));
        return result;
    }

    /** Runs the call until NiFi stops answering 409 (threads still active, services still disabling, ...). */
    private static void retryOnConflict(String description, Runnable call) {
        long deadline = System.nanoTime() + TEARDOWN_TIMEOUT.toNanos();
        while (true) {
            try {
                call.run();
                return;
            } catch (NiFiApiException e) {
                if (!e.isConflict() || System.nanoTime() - deadline >= 0) {
                    throw new IllegalStateException("Failed " + description, e);
                }
            }
            Await.sleep(Duration.ofMillis(500));
        }
    }

    /** A multipart/form-data body. */
    private static final class Multipart {
        private final String boundary = "----nifi-tests-" + UUID.randomUUID();
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Multipart field(String name, String value) {
            write("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value
                    + "\r\n");
            return this;
        }

        Multipart file(String name, String fileName, String contentType, byte[] content) {
            write("--" + boundary + "\r\nContent-Disposition: form-data; name=\"" + name + "\"; filename=\""
                    + fileName + "\"\r\nContent-Type: " + contentType + "\r\n\r\n");
            out.writeBytes(content);
            write("\r\n");
            return this;
        }

        String contentType() {
            return "multipart/form-data; boundary=" + boundary;
        }

        byte[] bytes() {
            write("--" + boundary + "--\r\n");
            return out.toByteArray();
        }

        private void write(String text) {
            out.writeBytes(text.getBytes(StandardCharsets.UTF_8));
        }
    }
}
