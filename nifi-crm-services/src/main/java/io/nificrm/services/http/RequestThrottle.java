package io.nificrm.services.http;

import io.nificrm.api.CrmCapabilities.RateLimit;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.Semaphore;

/**
 * The client side of a system's rate limit, shared by every processor that uses one connection service.
 * <ul>
 *   <li>A sliding window admits at most {@code requests} calls in any {@code interval} — the same shape as HubSpot's
 *       and Dataverse's server-side windows, so a steady stream runs at the limit instead of bursting into 429s.
 *       The window is stretched by a small margin so network jitter cannot push the server over.</li>
 *   <li>A 429's Retry-After, or a "0 remaining" header, pauses every caller until the server's window reopens.</li>
 *   <li>An optional concurrency cap bounds requests in flight (Dataverse's concurrent-request limit).</li>
 * </ul>
 */
public final class RequestThrottle {
    /**
     * Slack added to the window: 2% plus 40 ms. Less lets scheduling jitter push the server over its limit, and each
     * 429 then costs a whole Retry-After pause; with it, ≥ 94% of a one-second budget stays usable and no 429 occurs.
     */
    private static final double WINDOW_STRETCH = 1.02;
    private static final long WINDOW_SLACK_NANOS = 40_000_000L;

    private final int limit;
    private final long windowNanos;
    private final ArrayDeque<Long> admitted = new ArrayDeque<>();
    private final Semaphore inFlight;
    private long pausedUntilNanos;

    public RequestThrottle(RateLimit rateLimit, int maxConcurrent) {
        this.limit = rateLimit.isUnlimited() ? 0 : rateLimit.requests();
        this.windowNanos = rateLimit.isUnlimited() ? 0
                : (long) (rateLimit.interval().toNanos() * WINDOW_STRETCH) + WINDOW_SLACK_NANOS;
        this.inFlight = maxConcurrent > 0 ? new Semaphore(maxConcurrent, true) : null;
    }

    /**
     * Waits for a slot, then holds it until the returned permit is closed (end of the request).
     *
     * @throws InterruptedException when the thread is interrupted while waiting (e.g. the processor stops)
     */
    public Permit acquire() throws InterruptedException {
        if (inFlight != null) {
            inFlight.acquire();
        }
        try {
            waitForWindow();
        } catch (InterruptedException e) {
            if (inFlight != null) {
                inFlight.release();
            }
            throw e;
        }
        return inFlight == null ? () -> { } : inFlight::release;
    }

    private void waitForWindow() throws InterruptedException {
        while (true) {
            long waitNanos;
            synchronized (this) {
                long now = System.nanoTime();
                waitNanos = Math.max(0, pausedUntilNanos - now);
                if (waitNanos == 0 && limit > 0) {
                    while (!admitted.isEmpty() && now - admitted.peekFirst() >= windowNanos) {
                        admitted.pollFirst();
                    }
                    if (admitted.size() >= limit) {
                        waitNanos = windowNanos - (now - admitted.peekFirst());
                    }
                }
                if (waitNanos == 0) {
                    if (limit > 0) {
                        admitted.addLast(now);
                    }
                    return;
                }
            }
            Thread.sleep(Math.max(1, waitNanos / 1_000_000), (int) (waitNanos % 1_000_000 / 1000));
        }
    }

    /** Stops every caller for {@code duration}: the server said it is throttling us. */
    public synchronized void pause(Duration duration) {
        long until = System.nanoTime() + duration.toNanos();
        pausedUntilNanos = Math.max(pausedUntilNanos, until);
    }

    /** How long callers are paused from now (zero when not paused). */
    public synchronized Duration pausedFor() {
        return Duration.ofNanos(Math.max(0, pausedUntilNanos - System.nanoTime()));
    }

    /** A held request slot; closing it lets the next request in when a concurrency cap is set. */
    @FunctionalInterface
    public interface Permit extends AutoCloseable {
        @Override
        void close();
    }
}
