package io.nificrm.api;

/**
 * A call to a CRM or database failed as a whole. The message says what failed in plain words and never holds
 * secrets or record values.
 */
public class CrmException extends RuntimeException {

    /** Why a call failed. */
    public enum Reason {
        /** Credentials missing, wrong or expired beyond refresh. */
        AUTHENTICATION(false),
        /** Authenticated but not allowed (missing scope, permission or licence). */
        PERMISSION(false),
        /** The object, field or record does not exist. */
        NOT_FOUND(false),
        /** The request was refused as invalid (bad query, bad field, bad value). */
        INVALID_REQUEST(false),
        /** Throttled and still throttled after the service's retries. */
        RATE_LIMITED(true),
        /** The daily or monthly API quota is used up; it comes back when the quota resets. */
        QUOTA_EXHAUSTED(true),
        /** Server errors, timeouts, refused connections, after the service's retries. */
        UNAVAILABLE(true),
        /** The system answered with a body that could not be understood. */
        MALFORMED_RESPONSE(true),
        /** Our own configuration cannot work (e.g. an upsert key that is not an external id). */
        CONFIGURATION(false);

        private final boolean transientByDefault;

        Reason(boolean transientByDefault) {
            this.transientByDefault = transientByDefault;
        }

        public boolean isTransient() {
            return transientByDefault;
        }
    }

    private final Reason reason;
    private final String code;
    private final int httpStatus;

    public CrmException(Reason reason, String message) {
        this(reason, null, 0, message, null);
    }

    public CrmException(Reason reason, String code, int httpStatus, String message, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        this.code = code;
        this.httpStatus = httpStatus;
    }

    public Reason reason() {
        return reason;
    }

    /** The system's error code (e.g. {@code INVALID_SESSION_ID}, {@code RATE_LIMIT}), or null. */
    public String code() {
        return code;
    }

    /** The HTTP status of the failed call, or 0 when there was no HTTP answer. */
    public int httpStatus() {
        return httpStatus;
    }

    /** Whether trying the same call later may succeed. */
    public boolean isTransient() {
        return reason.isTransient();
    }
}
