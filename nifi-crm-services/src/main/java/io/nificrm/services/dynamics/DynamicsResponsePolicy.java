package io.nificrm.services.dynamics;

import com.fasterxml.jackson.databind.JsonNode;
import io.nificrm.api.CrmException.Reason;
import io.nificrm.services.http.CrmHttpClient;
import io.nificrm.services.http.ResponsePolicy;
import io.nificrm.services.http.Verdict;

import java.net.http.HttpHeaders;
import java.time.Duration;

/**
 * Dataverse errors: {@code {"error":{"code":"0x8006088a","message":"..."}}}, where {@code code} is often empty.
 * Service protection answers 429 with {@code Retry-After} (requests, execution time or concurrency over the
 * 5-minute window): the shared client waits those out. A 429 asking to wait more than ten minutes is an exhausted
 * entitlement, not a burst, and is reported at once as {@link Reason#QUOTA_EXHAUSTED}.
 */
final class DynamicsResponsePolicy extends ResponsePolicy {
    static final String LABEL = "Dynamics 365";
    private static final Duration LONGEST_THROTTLE = Duration.ofMinutes(10);

    DynamicsResponsePolicy() {
        super(LABEL);
    }

    @Override
    public ErrorDetail describe(String body) {
        if (body == null || body.isBlank()) {
            return ErrorDetail.NONE;
        }
        try {
            JsonNode node = CrmHttpClient.JSON.readTree(body);
            JsonNode error = node.path("error");
            if (!error.isObject()) {
                return ErrorDetail.NONE;
            }
            String code = error.path("code").asText("");
            String message = error.path("message").asText(null);
            return new ErrorDetail(code.isBlank() ? null : code, message);
        } catch (Exception e) {
            return ErrorDetail.NONE;
        }
    }

    @Override
    public Verdict judge(String operation, int status, HttpHeaders headers, String body) {
        if (status == 429) {
            Duration wait = retryAfter(headers).orElse(Duration.ofSeconds(1));
            if (wait.compareTo(LONGEST_THROTTLE) > 0) {
                return new Verdict.Fail(failure(operation, status, describe(body), Reason.QUOTA_EXHAUSTED));
            }
        }
        return super.judge(operation, status, headers, body);
    }
}
