package io.nificrm.services.hubspot;

import com.fasterxml.jackson.databind.JsonNode;
import io.nificrm.api.CrmException.Reason;
import io.nificrm.services.http.CrmHttpClient;
import io.nificrm.services.http.ResponsePolicy;
import io.nificrm.services.http.Verdict;

import java.net.http.HttpHeaders;
import java.time.Duration;

/**
 * HubSpot errors: {@code {status, message, category, policyName, errors[]}}. A 429 names the limit it hit:
 * DAILY means the account's daily quota is gone until midnight (reported at once); the ten-second and
 * per-second windows are waited out.
 */
final class HubSpotResponsePolicy extends ResponsePolicy {

    HubSpotResponsePolicy() {
        super("HubSpot");
    }

    @Override
    public ErrorDetail describe(String body) {
        try {
            JsonNode node = CrmHttpClient.JSON.readTree(body);
            String code = node.path("category").asText(node.path("policyName").asText(null));
            String message = node.path("message").asText(null);
            JsonNode first = node.path("errors").path(0);
            if (first.hasNonNull("message") && first.hasNonNull("in")) {
                message = message + " (" + first.path("in").asText() + ": " + first.path("message").asText() + ")";
            }
            return new ErrorDetail(code, message);
        } catch (Exception e) {
            return ErrorDetail.NONE;
        }
    }

    @Override
    public Verdict judge(String operation, int status, HttpHeaders headers, String body) {
        if (status == 429) {
            String policy = policyName(body);
            if ("DAILY".equals(policy)) {
                return new Verdict.Fail(failure(operation, status, describe(body), Reason.QUOTA_EXHAUSTED));
            }
            Duration wait = retryAfter(headers).orElseGet(() -> "TEN_SECONDLY_ROLLING".equals(policy)
                    ? Duration.ofMillis(headers.firstValueAsLong("X-HubSpot-RateLimit-Interval-Milliseconds").orElse(1000))
                    : Duration.ofSeconds(1));
            return new Verdict.Throttled(wait, describe(body).toString());
        }
        if (status == 400 && body != null && body.contains("Unable to infer object type")) {
            return new Verdict.Fail(failure(operation, status, describe(body), Reason.NOT_FOUND));
        }
        return super.judge(operation, status, headers, body);
    }

    private static String policyName(String body) {
        try {
            return CrmHttpClient.JSON.readTree(body).path("policyName").asText(null);
        } catch (Exception e) {
            return null;
        }
    }
}
