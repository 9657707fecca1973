package io.nificrm.nifitests.harness.model;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.List;

/**
 * A property descriptor as the REST API reports it for a component.
 *
 * @param dependent                    {@code true} when the property depends on other properties, so NiFi
 *                                     validates it only when those dependencies are satisfied
 * @param identifiesControllerService  the service API type the property references, or {@code null}
 */
public record PropertyDescriptorInfo(String name, String displayName, boolean required, boolean sensitive,
                                     String defaultValue, boolean dependent, List<String> allowableValues,
                                     String identifiesControllerService) {

    static PropertyDescriptorInfo from(JsonNode descriptor) {
        JsonNode dependencies = descriptor.path("dependencies");
        List<String> allowable = new ArrayList<>();
        descriptor.path("allowableValues")
                .forEach(v -> allowable.add(v.path("allowableValue").path("value").asText()));
        return new PropertyDescriptorInfo(descriptor.path("name").asText(), descriptor.path("displayName").asText(),
                descriptor.path("required").asBoolean(false), descriptor.path("sensitive").asBoolean(false),
                descriptor.path("defaultValue").asText(null), dependencies.isArray() && !dependencies.isEmpty(),
                List.copyOf(allowable), descriptor.path("identifiesControllerService").asText(null));
    }

    /** Required, without a default and without dependencies: NiFi must report it as missing when unset. */
    public boolean mustBeSet() {
        return required && defaultValue == null && !dependent;
    }
}
