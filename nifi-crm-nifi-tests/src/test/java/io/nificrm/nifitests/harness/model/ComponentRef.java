package io.nificrm.nifitests.harness.model;

import com.fasterxml.jackson.databind.JsonNode;

/** A component id with the revision version the next modifying call must send. */
public record ComponentRef(String id, long revisionVersion) {

    public static ComponentRef from(JsonNode entity) {
        return new ComponentRef(entity.path("id").asText(), entity.path("revision").path("version").asLong());
    }
}
