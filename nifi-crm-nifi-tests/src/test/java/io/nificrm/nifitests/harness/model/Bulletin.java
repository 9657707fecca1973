package io.nificrm.nifitests.harness.model;

import com.fasterxml.jackson.databind.JsonNode;

/** One bulletin of {@code /flow/bulletin-board}. */
public record Bulletin(long id, String level, String category, String sourceId, String sourceName,
                       String sourceType, String groupId, String nodeAddress, String message, String timestamp) {

    public static Bulletin from(JsonNode bulletinEntity) {
        JsonNode b = bulletinEntity.path("bulletin");
        return new Bulletin(bulletinEntity.path("id").asLong(), b.path("level").asText(null),
                b.path("category").asText(null), b.path("sourceId").asText(null), b.path("sourceName").asText(null),
                b.path("sourceType").asText(null), b.path("groupId").asText(null), b.path("nodeAddress").asText(null),
                b.path("message").asText(null), b.path("timestamp").asText(null));
    }

    public boolean isError() {
        return "ERROR".equalsIgnoreCase(level);
    }

    @Override
    public String toString() {
        return level + " " + sourceType + " '" + sourceName + "' (" + sourceId + "): " + message;
    }
}
