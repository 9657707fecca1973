package io.nificrm.processors.push;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BiConsumer;

/**
 * Counts what the HTTP threads decide (accepted, rejected by reason, duplicates) until the processor moves the counts
 * into NiFi counters with its next session.
 */
public final class WebhookCounters {
    private final Map<String, LongAdder> counts = new ConcurrentHashMap<>();

    public void add(String name, long delta) {
        if (delta != 0) {
            counts.computeIfAbsent(name, k -> new LongAdder()).add(delta);
        }
    }

    /** Hands every non-zero count to {@code sink} and subtracts it. */
    public void drain(BiConsumer<String, Long> sink) {
        counts.forEach((name, adder) -> {
            long n = adder.sumThenReset();
            if (n != 0) {
                sink.accept(name, n);
            }
        });
    }

    /** Puts counts back (their session was rolled back). */
    public void restore(Map<String, Long> drained) {
        drained.forEach(this::add);
    }
}
