package io.nificrm.services.http;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential backoff with full jitter for transient failures (5xx, timeouts, refused connections): the n-th
 * retry waits a random time in {@code [0, min(maxDelay, baseDelay * 2^n)]}, so many clients recovering from one
 * outage do not retry in lock step.
 *
 * @param maxRetries how many times one call is retried before its failure is reported
 * @param baseDelay  the scale of the first wait
 * @param maxDelay   the cap of any one wait
 */
public record RetryPolicy(int maxRetries, Duration baseDelay, Duration maxDelay) {

    public static final RetryPolicy DEFAULT = new RetryPolicy(5, Duration.ofMillis(200), Duration.ofSeconds(10));

    public RetryPolicy {
        if (maxRetries < 0) {
            throw new IllegalArgumentException("Max retries cannot be negative");
        }
    }

    /** The wait before retry number {@code attempt} (0-based). */
    public Duration delay(int attempt) {
        long cap = Math.min(maxDelay.toMillis(), baseDelay.toMillis() * (1L << Math.min(attempt, 20)));
        return Duration.ofMillis(cap <= 0 ? 0 : ThreadLocalRandom.current().nextLong(cap + 1));
    }
}
