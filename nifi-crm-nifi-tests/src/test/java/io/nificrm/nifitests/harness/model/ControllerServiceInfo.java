package io.nificrm.nifitests.harness.model;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.List;

/** The parts of a ControllerServiceEntity the tests look at; {@code raw} is the whole entity. */
public record ControllerServiceInfo(String id, long revisionVersion, String name, String type, Bundle bundle,
                                    String state, ValidationStatus validationStatus, List<String> validationErrors,
                                    boolean extensionMissing, JsonNode raw) {

    public static ControllerServiceInfo from(JsonNode entity) {
        JsonNode component = entity.path("component");
        return new ControllerServiceInfo(entity.path("id").asText(), entity.path("revision").path("version").asLong(),
                component.path("name").asText(null), component.path("type").asText(null),
                Bundle.from(component.path("bundle")), component.path("state").asText(null),
                ValidationStatus.parse(component.path("validationStatus").asText(null)),
                ProcessorInfo.textList(component.path("validationErrors")),
                component.path("extensionMissing").asBoolean(false), entity);
    }

    public ComponentRef ref() {
        return new ComponentRef(id, revisionVersion);
    }
}
