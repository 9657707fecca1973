package io.nificrm.nifitests.harness;

import com.fasterxml.jackson.databind.JsonNode;
import io.nificrm.nifitests.harness.model.ComponentRef;
import io.nificrm.nifitests.harness.model.ControllerServiceInfo;
import io.nificrm.nifitests.harness.model.GroupStatus;
import io.nificrm.nifitests.harness.model.ProcessorInfo;
import io.nificrm.nifitests.harness.model.ValidationStatus;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * A flow definition deployed in a real NiFi the way a user does it, all over the REST API: upload it as a new group
 * (its parameter context renamed after the group), fill its parameters, enable its controller services, check that
 * every processor is valid, start it; and tear it all down again.
 */
public final class DeployedFlow implements AutoCloseable {

    private static final Duration ENABLE_TIMEOUT = Duration.ofSeconds(60);

    private final NiFiRestClient api;
    private final String groupId;
    private final String contextId;
    private final String name;

    private DeployedFlow(NiFiRestClient api, String groupId, String contextId, String name) {
        this.api = api;
        this.groupId = groupId;
        this.contextId = contextId;
        this.name = name;
    }

    /**
     * Uploads, sets the parameters, enables the services and waits until every processor is valid.
     *
     * @param parameters values to set (the definition's defaults stay for the others)
     * @param sensitive  which of them are sensitive parameters
     */
    public static DeployedFlow deploy(NiFiRestClient api, String name, JsonNode definition, Map<String, String> parameters,
                                      Set<String> sensitive) {
        ComponentRef group = api.uploadFlowDefinition(api.rootProcessGroupId(), name, definition, name);
        String contextId = api.parameterContextId(group.id());
        DeployedFlow flow = new DeployedFlow(api, group.id(), contextId, name);
        try {
            if (contextId == null) {
                throw new IllegalStateException("The uploaded flow " + name + " has no parameter context");
            }
            api.setParameters(contextId, parameters, sensitive);
            flow.enableServices();
            flow.awaitValidProcessors();
            return flow;
        } catch (RuntimeException | Error e) {
            flow.close();
            throw e;
        }
    }

    public String groupId() {
        return groupId;
    }

    public String contextId() {
        return contextId;
    }

    public String name() {
        return name;
    }

    public void start() {
        api.startProcessGroup(groupId);
    }

    public void stop() {
        api.stopProcessGroup(groupId);
    }

    public GroupStatus status() {
        return api.processGroupStatus(groupId);
    }

    public ProcessorInfo processor(String processorName) {
        return api.processors(groupId).stream().filter(p -> processorName.equals(p.name())).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("No processor '" + processorName + "' in " + name));
    }

    /** The ids of the group's processors (e.g. to read their counters). */
    public Set<String> processorIds() {
        return api.processors(groupId).stream().map(ProcessorInfo::id).collect(Collectors.toSet());
    }

    /** Enables every service and waits until all are ENABLED; a service that stays invalid fails with its errors. */
    public void enableServices() {
        api.enableControllerServices(groupId);
        try {
            Await.until("the services of " + name + " to be ENABLED", ENABLE_TIMEOUT, Duration.ofMillis(250),
                    () -> api.controllerServices(groupId), services -> services.stream().allMatch(s -> "ENABLED".equals(s.state())));
        } catch (AssertionError e) {
            String states = api.controllerServices(groupId).stream()
                    .map(s -> s.type() + " " + s.state() + " " + s.validationStatus() + " " + s.validationErrors())
                    .collect(Collectors.joining("\n  "));
            throw new AssertionError(e.getMessage() + "\n  " + states, e);
        }
    }

    /** Waits until NiFi has validated every processor and fails with the validation errors of the invalid ones. */
    public void awaitValidProcessors() {
        List<ProcessorInfo> processors = Await.until("validation of the processors of " + name, ENABLE_TIMEOUT, Duration.ofMillis(250),
                () -> api.processors(groupId), ps -> ps.stream().noneMatch(p -> p.validationStatus() == ValidationStatus.VALIDATING));
        List<String> invalid = processors.stream().filter(p -> p.validationStatus() != ValidationStatus.VALID)
                .map(p -> p.name() + ": " + p.validationErrors()).toList();
        if (!invalid.isEmpty()) {
            throw new AssertionError("Invalid processors in " + name + ":\n  " + String.join("\n  ", invalid));
        }
    }

    /** Stops the group, disables its services, empties its queues, deletes it and its parameter context. */
    @Override
    public void close() {
        try {
            api.stopAndDeleteProcessGroup(groupId);
        } finally {
            if (contextId != null) {
                try {
                    api.deleteParameterContext(contextId);
                } catch (RuntimeException e) {
                    System.err.println("Could not delete parameter context " + contextId + ": " + e.getMessage());
                }
            }
        }
    }

    /** The services' states, for messages. */
    public String describeServices() {
        return api.controllerServices(groupId).stream().map(ControllerServiceInfo::toString).collect(Collectors.joining("\n"));
    }
}
