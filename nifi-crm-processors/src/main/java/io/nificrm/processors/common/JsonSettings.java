package io.nificrm.processors.common;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.util.LinkedHashMap;
import java.util.Map;

/** Small JSON objects operators type into a property (weights, rules): parsed with messages that say what is wrong. */
public final class JsonSettings {
    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonSettings() {
    }

    /**
     * The entries of a JSON object, in order; empty for a blank value.
     *
     * @param shape what the object maps, for the message, e.g. "field name to rule"
     * @throws IllegalArgumentException on invalid JSON or a value that is not an object
     */
    public static Map<String, JsonNode> entries(String json, String shape) {
        if (json == null || json.isBlank()) {
            return Map.of();
        }
        JsonNode node;
        try {
            node = JSON.readTree(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not valid JSON: " + e.getOriginalMessage());
        }
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException("must be a JSON object of " + shape);
        }
        Map<String, JsonNode> entries = new LinkedHashMap<>();
        node.fields().forEachRemaining(e -> entries.put(e.getKey(), e.getValue()));
        return entries;
    }
}
