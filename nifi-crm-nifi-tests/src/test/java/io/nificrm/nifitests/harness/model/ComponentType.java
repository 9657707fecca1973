package io.nificrm.nifitests.harness.model;

import com.fasterxml.jackson.databind.JsonNode;

/** One entry of {@code /flow/processor-types} or {@code /flow/controller-service-types}. */
public record ComponentType(String type, Bundle bundle) {

    public static ComponentType from(JsonNode typeDto) {
        return new ComponentType(typeDto.path("type").asText(), Bundle.from(typeDto.path("bundle")));
    }

    public boolean isFrom(String bundleGroup, String bundleArtifact) {
        return bundle != null && bundleGroup.equals(bundle.group()) && bundleArtifact.equals(bundle.artifact());
    }
}
