package io.nificrm.processors.push;

import com.fasterxml.jackson.databind.JsonNode;

/** The JSON senders (HubSpot, Dataverse): an empty 200 accepts, a small JSON body explains a refusal. */
abstract class JsonWebhookFormat implements WebhookFormat {

    @Override
    public Answer accepted() {
        return new Answer(200, null, new byte[0]);
    }

    @Override
    public Answer refused(int status, String reason, String message) {
        String body = "{\"status\":\"error\",\"reason\":\"" + escape(reason) + "\",\"message\":\"" + escape(message) + "\"}";
        return Answer.text(status, "application/json; charset=UTF-8", body);
    }

    /** A scalar field as text; null when absent, null or not a scalar. */
    static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() || !value.isValueNode() ? null : value.asText();
    }

    private static String escape(String s) {
        StringBuilder out = new StringBuilder();
        for (char c : (s == null ? "" : s).toCharArray()) {
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c < 0x20) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
