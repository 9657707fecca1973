package io.nificrm.nifitests.harness;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

/** Polls a probe until its value is accepted, or fails with the last value or error seen. */
public final class Await {

    private Await() {
    }

    /**
     * @param description what is awaited, for the failure message
     * @param probe       called every {@code interval}; an exception counts as "not yet" and is kept for the message
     * @return the first accepted value
     * @throws AssertionError on timeout
     */
    public static <T> T until(String description, Duration timeout, Duration interval, Callable<T> probe,
                              Predicate<? super T> accepted) {
        long deadline = System.nanoTime() + timeout.toNanos();
        T last = null;
        Exception lastError = null;
        while (true) {
            try {
                last = probe.call();
                lastError = null;
                if (accepted.test(last)) {
                    return last;
                }
            } catch (Exception e) {
                lastError = e;
            }
            if (System.nanoTime() - deadline >= 0) {
                AssertionError error = new AssertionError("Timed out after " + timeout.toSeconds() + " s waiting for "
                        + description + (lastError != null ? "; last error: " + lastError : "; last value: " + last));
                if (lastError != null) {
                    error.initCause(lastError);
                }
                throw error;
            }
            sleep(interval);
        }
    }

    /** Polls until the probe returns {@code true}. */
    public static void until(String description, Duration timeout, Callable<Boolean> condition) {
        until(description, timeout, Duration.ofMillis(500), condition, Boolean.TRUE::equals);
    }

    public static void sleep(Duration duration) {
        try {
            Thread.sleep(duration);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted", e);
        }
    }
}
