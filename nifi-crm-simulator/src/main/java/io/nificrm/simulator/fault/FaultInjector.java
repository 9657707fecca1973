package io.nificrm.simulator.fault;

import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Holds the active fault rules and decides, per request, which faults hit it. Rules can be added and cleared
 * at start-up and at run time (admin endpoint {@code /sim/faults}). Draws come from one seeded generator so a
 * single-threaded run is repeatable.
 */
public final class FaultInjector {
    private final List<ActiveRule> rules = new CopyOnWriteArrayList<>();
    private final Random random;
    private final java.util.concurrent.atomic.LongAdder partialFailures = new java.util.concurrent.atomic.LongAdder();

    /** Records failed on purpose in batch writes since start. */
    public long partialFailures() {
        return partialFailures.sum();
    }

    public FaultInjector(long seed) {
        this.random = new Random(seed);
    }

    public void add(FaultRule rule) {
        rules.add(new ActiveRule(rule));
    }

    public void clear() {
        rules.clear();
    }

    public List<FaultRule> rules() {
        return rules.stream().filter(ActiveRule::live).map(r -> r.rule).toList();
    }

    public FaultDecision decide(String system, String endpoint, String method) {
        long latency = 0;
        boolean drop = false;
        int status = 0;
        long retryAfter = 0;
        boolean malformed = false;
        for (ActiveRule active : rules) {
            FaultRule rule = active.rule;
            if (!rule.matches(system, endpoint, method) || !active.consume()) {
                continue;
            }
            latency += rule.latencyMs();
            if (hit(rule.timeoutRate())) {
                latency += rule.timeoutMs();
                drop = true;
            }
            if (hit(rule.dropRate())) {
                drop = true;
            }
            if (status == 0 && hit(rule.throttleRate())) {
                status = 429;
                retryAfter = rule.retryAfterSeconds();
            }
            if (status == 0 && hit(rule.errorRate())) {
                status = rule.errorStatus();
            }
            malformed |= hit(rule.malformedRate());
        }
        rules.removeIf(r -> !r.live());
        return latency == 0 && !drop && status == 0 && !malformed ? FaultDecision.NONE
                : new FaultDecision(latency, drop, status, retryAfter, malformed);
    }

    /** Whether one record of a batch write should fail transiently. */
    public boolean failRecord(String system, String endpoint) {
        for (ActiveRule active : rules) {
            if (active.rule.matches(system, endpoint, "*") && active.live() && active.started() && hit(active.rule.partialFailureRate())) {
                partialFailures.increment();
                return true;
            }
        }
        return false;
    }

    private boolean hit(double rate) {
        if (rate <= 0) {
            return false;
        }
        synchronized (random) {
            return random.nextDouble() < rate;
        }
    }

    private static final class ActiveRule {
        final FaultRule rule;
        long remaining;
        long toSkip;

        ActiveRule(FaultRule rule) {
            this.rule = rule;
            this.remaining = rule.remaining();
            this.toSkip = rule.startAfter();
        }

        synchronized boolean consume() {
            if (toSkip > 0) {
                toSkip--;
                return false;
            }
            if (remaining < 0) {
                return true;
            }
            if (remaining == 0) {
                return false;
            }
            remaining--;
            return true;
        }

        synchronized boolean started() {
            return toSkip == 0;
        }

        synchronized boolean live() {
            return remaining != 0;
        }
    }
}
