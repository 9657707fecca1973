package io.nificrm.processors.push;

import java.nio.charset.StandardCharsets;
import java.util.List;

/** One sender's wire format: how a request is authenticated and parsed, and how it is answered. */
public interface WebhookFormat {

    /** What a valid request holds. */
    record Parsed(List<ChangeEvent> events, String replayKey, int skipped) {
    }

    /** An HTTP answer. */
    record Answer(int status, String contentType, byte[] body) {
        static Answer text(int status, String contentType, String body) {
            return new Answer(status, contentType, body.getBytes(StandardCharsets.UTF_8));
        }
    }

    /** The system notifications come from: hubspot, dynamics, salesforce. */
    String system();

    /**
     * Authenticates the request (signature, shared key, organization) and parses its notifications.
     *
     * @throws Rejected with the status to answer (401 unauthenticated, 403 wrong organization, 400 malformed)
     */
    Parsed parse(InboundRequest request) throws Rejected;

    /** The answer once the request's FlowFile is committed. */
    Answer accepted();

    /** The answer for a refused or failed request. {@code message} is safe to show (no secret, no value). */
    Answer refused(int status, String reason, String message);

    /** JSON error answers for the JSON formats. */
    static Answer jsonError(int status, String reason, String message) {
        String body = "{\"status\":\"error\",\"reason\":\"" + escape(reason) + "\",\"message\":\"" + escape(message) + "\"}";
        return Answer.text(status, "application/json; charset=UTF-8", body);
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
