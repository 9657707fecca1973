package io.nificrm.services.http;

import io.nificrm.api.CrmException;
import io.nificrm.api.CrmException.Reason;

import java.net.http.HttpHeaders;
import java.time.Duration;
import java.util.Optional;

/**
 * Turns unsuccessful HTTP answers into {@link Verdict}s. The defaults follow HTTP; each system overrides
 * {@link #describe} to read its own error body, and {@link #judge} where its codes mean more than the status
 * (Salesforce's 403 REQUEST_LIMIT_EXCEEDED, HubSpot's DAILY 429).
 */
public class ResponsePolicy {
    private final String systemLabel;

    public ResponsePolicy(String systemLabel) {
        this.systemLabel = systemLabel;
    }

    /** The system's error code and message found in an error body. */
    public record ErrorDetail(String code, String message) {
        public static final ErrorDetail NONE = new ErrorDetail(null, null);

        @Override
        public String toString() {
            if (code == null && message == null) {
                return "no error details";
            }
            return code == null ? message : message == null ? code : code + ": " + message;
        }
    }

    public Verdict judge(String operation, int status, HttpHeaders headers, String body) {
        ErrorDetail detail = describe(body);
        return switch (status) {
            case 401 -> new Verdict.Reauthenticate(detail.toString());
            case 429 -> new Verdict.Throttled(retryAfter(headers).orElse(Duration.ofSeconds(1)), detail.toString());
            case 408, 500, 502, 503, 504 -> new Verdict.Transient("HTTP " + status + " (" + detail + ")");
            default -> new Verdict.Fail(failure(operation, status, detail, reasonFor(status)));
        };
    }

    /** Reads the system's error code and message from a body; never fails. */
    public ErrorDetail describe(String body) {
        return ErrorDetail.NONE;
    }

    protected static Reason reasonFor(int status) {
        return switch (status) {
            case 401 -> Reason.AUTHENTICATION;
            case 403 -> Reason.PERMISSION;
            case 404 -> Reason.NOT_FOUND;
            case 429 -> Reason.RATE_LIMITED;
            default -> status >= 500 ? Reason.UNAVAILABLE : Reason.INVALID_REQUEST;
        };
    }

    public CrmException failure(String operation, int status, ErrorDetail detail, Reason reason) {
        return new CrmException(reason, detail.code(), status,
                systemLabel + " refused " + operation + " with HTTP " + status + ": " + detail, null);
    }

    public String systemLabel() {
        return systemLabel;
    }

    /** Retry-After in seconds (the HTTP-date form is rare for these APIs and treated as one second). */
    public static Optional<Duration> retryAfter(HttpHeaders headers) {
        return headers.firstValue("Retry-After").map(v -> {
            try {
                return Duration.ofMillis((long) (Double.parseDouble(v.trim()) * 1000));
            } catch (NumberFormatException e) {
                return Duration.ofSeconds(1);
            }
        });
    }
}
