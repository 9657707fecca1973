package io.nificrm.simulator.fault;

import java.util.concurrent.atomic.AtomicLong;

/** A daily API call quota (Salesforce's org limit, HubSpot's daily limit). A limit of 0 or less means none. */
public final class DailyQuota {
    private final AtomicLong used = new AtomicLong();
    private volatile long limit;

    public DailyQuota(long limit) {
        this.limit = limit;
    }

    /** Counts one call; false when the quota was already used up. */
    public boolean consume() {
        long now = used.incrementAndGet();
        return limit <= 0 || now <= limit;
    }

    public long used() {
        return Math.min(used.get(), limit > 0 ? limit : Long.MAX_VALUE);
    }

    public long limit() {
        return limit;
    }

    public long remaining() {
        return limit <= 0 ? Long.MAX_VALUE : Math.max(0, limit - used.get());
    }

    public void configure(long newLimit) {
        this.limit = newLimit;
        used.set(0);
    }
}
