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
}
