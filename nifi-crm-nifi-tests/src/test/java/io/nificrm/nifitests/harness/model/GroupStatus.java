package io.nificrm.nifitests.harness.model;

import com.fasterxml.jackson.databind.JsonNode;

/** The aggregate snapshot of {@code /flow/process-groups/{id}/status}; {@code raw} is the whole entity. */
public record GroupStatus(String id, String name, long flowFilesIn, long bytesIn, long flowFilesOut, long bytesOut,
                          long flowFilesQueued, long bytesQueued, int activeThreadCount, JsonNode raw) {

    public static GroupStatus from(JsonNode entity) {
        JsonNode status = entity.path("processGroupStatus");
        JsonNode s = status.path("aggregateSnapshot");
        return new GroupStatus(status.path("id").asText(), status.path("name").asText(null),
                s.path("flowFilesIn").asLong(), s.path("bytesIn").asLong(), s.path("flowFilesOut").asLong(),
                s.path("bytesOut").asLong(), s.path("flowFilesQueued").asLong(), s.path("bytesQueued").asLong(),
                s.path("activeThreadCount").asInt(), entity);
    }
}
