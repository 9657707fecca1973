package io.nificrm.processors.push;

/**
 * A request refused before anything was queued: its HTTP status, the counter reason ("bad signature") and a message
 * that is safe to log and to answer with (no secret, no payload value).
 */
public final class Rejected extends Exception {
    private final int status;
    private final String reason;

    public Rejected(int status, String reason, String message) {
        super(message, null, false, false);
        this.status = status;
        this.reason = reason;
    }

    public int status() {
        return status;
    }

    public String reason() {
        return reason;
    }
}
