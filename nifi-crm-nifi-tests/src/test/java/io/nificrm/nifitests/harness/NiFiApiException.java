package io.nificrm.nifitests.harness;

/** A NiFi REST call answered with a non-2xx status (or could not be made); the message has status and body. */
public final class NiFiApiException extends RuntimeException {

    private final int status;
    private final String body;

    NiFiApiException(String method, String uri, int status, String body) {
        super(method + " " + uri + " -> HTTP " + status + ": " + abbreviate(body));
        this.status = status;
        this.body = body;
    }

    NiFiApiException(String method, String uri, Throwable cause) {
        super(method + " " + uri + " failed: " + cause, cause);
        this.status = -1;
        this.body = "";
    }

    /** The HTTP status, or -1 when no response arrived. */
    public int status() {
        return status;
    }

    public String body() {
        return body;
    }

    /** HTTP 409: NiFi refuses because of the component's state (running, enabled, queued data, stale revision). */
    public boolean isConflict() {
        return status == 409;
    }

    private static String abbreviate(String body) {
        return body == null ? "" : body.length() > 4000 ? body.substring(0, 4000) + "..." : body;
    }
}
