package io.nificrm.services.salesforce;

import com.fasterxml.jackson.databind.JsonNode;
import io.nificrm.api.CrmException.Reason;
import io.nificrm.services.http.CrmHttpClient;
import io.nificrm.services.http.ResponsePolicy;
import io.nificrm.services.http.Verdict;

import java.net.http.HttpHeaders;

/**
 * Salesforce errors: a JSON array of {@code {message, errorCode}}. A 403 REQUEST_LIMIT_EXCEEDED means the org's
 * rolling 24-hour API quota is used up: waiting seconds does not help, so it is reported at once.
 */
final class SalesforceResponsePolicy extends ResponsePolicy {

    SalesforceResponsePolicy() {
        super("Salesforce");
    }

    @Override
    public ErrorDetail describe(String body) {
        try {
            JsonNode node = CrmHttpClient.JSON.readTree(body);
            JsonNode first = node.isArray() && !node.isEmpty() ? node.get(0) : node;
            return new ErrorDetail(first.path("errorCode").asText(first.path("error").asText(null)),
                    first.path("message").asText(first.path("error_description").asText(null)));
        } catch (Exception e) {
            return ErrorDetail.NONE;
        }
    }

    @Override
    public Verdict judge(String operation, int status, HttpHeaders headers, String body) {
        ErrorDetail detail = describe(body);
        if (status == 403 && "REQUEST_LIMIT_EXCEEDED".equals(detail.code())) {
            return new Verdict.Fail(failure(operation, status, detail, Reason.QUOTA_EXHAUSTED));
        }
        if (status == 400 && "INVALID_TYPE".equals(detail.code()) || status == 404) {
            return new Verdict.Fail(failure(operation, status, detail, Reason.NOT_FOUND));
        }
        return super.judge(operation, status, headers, body);
    }
}
