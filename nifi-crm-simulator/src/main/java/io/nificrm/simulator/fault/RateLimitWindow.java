package io.nificrm.simulator.fault;

import java.time.Duration;
import java.util.ArrayDeque;

/**
 * A server-side sliding-window limit: at most {@code limit} requests in any {@code window}. This is how HubSpot's
 * ten-second and Dataverse's five-minute limits behave; a limit of 0 or less switches it off.
 */
public final class RateLimitWindow {
    private final ArrayDeque<Long> admitted = new ArrayDeque<>();
    private volatile int limit;
    private volatile long windowNanos;

    public RateLimitWindow(int limit, Duration window) {
        this.limit = limit;
        this.windowNanos = window.toNanos();
    }

    /** The outcome of one request: admitted or not, what is left, and how long to wait when refused. */
    public record Admission(boolean admitted, int remaining, long retryAfterMillis) {
    }

    public synchronized Admission admit() {
        if (limit <= 0) {
            return new Admission(true, Integer.MAX_VALUE, 0);
        }
        long now = System.nanoTime();
        while (!admitted.isEmpty() && now - admitted.peekFirst() >= windowNanos) {
            admitted.pollFirst();
        }
        if (admitted.size() >= limit) {
            long waitNanos = windowNanos - (now - admitted.peekFirst());
            return new Admission(false, 0, Math.max(1, waitNanos / 1_000_000));
        }
        admitted.addLast(now);
        return new Admission(true, limit - admitted.size(), 0);
    }

    public int limit() {
        return limit;
    }

    public Duration window() {
        return Duration.ofNanos(windowNanos);
    }

    public synchronized void configure(int newLimit, Duration newWindow) {
        this.limit = newLimit;
        this.windowNanos = newWindow.toNanos();
        admitted.clear();
    }
}
