package io.nificrm.nifitests.harness.model;

import com.fasterxml.jackson.databind.JsonNode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The parts of a ProcessorEntity the tests look at; {@code raw} is the whole entity. */
public record ProcessorInfo(String id, long revisionVersion, String name, String type, Bundle bundle, String state,
                            ValidationStatus validationStatus, List<String> validationErrors,
                            boolean extensionMissing, Map<String, String> properties,
                            Map<String, PropertyDescriptorInfo> descriptors, JsonNode raw) {

    public static ProcessorInfo from(JsonNode entity) {
        JsonNode component = entity.path("component");
        JsonNode config = component.path("config");
        Map<String, String> properties = new LinkedHashMap<>();
        config.path("properties").properties().forEach(e -> properties.put(e.getKey(), e.getValue().asText(null)));
        Map<String, PropertyDescriptorInfo> descriptors = new LinkedHashMap<>();
        config.path("descriptors").properties()
                .forEach(e -> descriptors.put(e.getKey(), PropertyDescriptorInfo.from(e.getValue())));
        return new ProcessorInfo(entity.path("id").asText(), entity.path("revision").path("version").asLong(),
                component.path("name").asText(null), component.path("type").asText(null),
                Bundle.from(component.path("bundle")), component.path("state").asText(null),
                ValidationStatus.parse(component.path("validationStatus").asText(null)),
                textList(component.path("validationErrors")), component.path("extensionMissing").asBoolean(false),
                Collections.unmodifiableMap(properties), Collections.unmodifiableMap(descriptors), entity);
    }

    public ComponentRef ref() {
        return new ComponentRef(id, revisionVersion);
    }

    static List<String> textList(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(value -> values.add(value.asText()));
        return List.copyOf(values);
    }
}
