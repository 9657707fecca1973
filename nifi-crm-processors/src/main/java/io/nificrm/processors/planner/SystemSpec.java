package io.nificrm.processors.planner;

import io.nificrm.api.CrmCapabilities;

import java.time.Duration;

/**
 * One side of a migration (the source or the target) as the planner sees it: what one call carries, the request
 * budget, the daily quota, the concurrency cap and how long one call takes.
 *
 * @param system        a label for messages ({@code salesforce}, {@code hubspot}, ...)
 * @param maxPageSize   most records one query page returns
 * @param maxBatchSize  most records one write call accepts
 * @param rateRequests  requests allowed per {@code rateInterval} by the system (shared by every node and stage), or
 *                      null when the system has no short-term window. 0 or less is a configuration error: nothing
 *                      could ever be sent
 * @param rateInterval  the window of {@code rateRequests}
 * @param dailyQuota    API calls allowed per day, or 0 when there is none
 * @param quotaUsed     calls of today's quota already used (or kept for other integrations) when the job starts
 * @param maxConcurrent requests the system accepts at once, or 0 when unlimited
 * @param latency       how long one call takes at the planned page or batch size (measured, or an assumption)
 * @param modeled       false for a side the caller does not know (a one-sided plan): its limits are not modeled
 */
public record SystemSpec(String system, int maxPageSize, int maxBatchSize, Integer rateRequests, Duration rateInterval,
                         long dailyQuota, long quotaUsed, int maxConcurrent, Duration latency, boolean modeled) {

    /** Latency assumed for one call of an HTTP CRM API when nothing was measured. */
    public static final Duration DEFAULT_LATENCY = Duration.ofMillis(300);

    public SystemSpec {
        system = system == null || system.isBlank() ? "system" : system;
    }

    /** A side with these limits (no daily quota, default latency). */
    public static SystemSpec of(String system, int maxPageSize, int maxBatchSize, Integer rateRequests, Duration rateInterval,
                                int maxConcurrent) {
        return new SystemSpec(system, maxPageSize, maxBatchSize, rateRequests, rateInterval, 0, 0, maxConcurrent,
                DEFAULT_LATENCY, true);
    }

    /** The side a connection service describes; {@link CrmCapabilities.RateLimit#UNLIMITED} becomes "no window". */
    public static SystemSpec of(String system, CrmCapabilities capabilities, Duration latency) {
        CrmCapabilities.RateLimit rate = capabilities.rateLimit();
        return new SystemSpec(system, capabilities.maxPageSize(), capabilities.maxBatchSize(),
                rate.isUnlimited() ? null : rate.requests(), rate.isUnlimited() ? null : rate.interval(),
                capabilities.dailyQuota(), 0, capabilities.maxConcurrentRequests(), latency == null ? DEFAULT_LATENCY : latency, true);
    }

    /** A side the caller does not know (a plan from one processor's point of view): no limits are modeled for it. */
    public static SystemSpec unknown(String label) {
        return new SystemSpec(label, Integer.MAX_VALUE, Integer.MAX_VALUE, null, null, 0, 0, 0, Duration.ZERO, false);
    }

    public SystemSpec withLatency(Duration value) {
        return new SystemSpec(system, maxPageSize, maxBatchSize, rateRequests, rateInterval, dailyQuota, quotaUsed, maxConcurrent, value, modeled);
    }

    public SystemSpec withRateLimit(Integer requests, Duration interval) {
        return new SystemSpec(system, maxPageSize, maxBatchSize, requests, interval, dailyQuota, quotaUsed, maxConcurrent, latency, modeled);
    }

    public SystemSpec withDailyQuota(long quota, long used) {
        return new SystemSpec(system, maxPageSize, maxBatchSize, rateRequests, rateInterval, quota, used, maxConcurrent, latency, modeled);
    }

    public SystemSpec withMaxConcurrent(int value) {
        return new SystemSpec(system, maxPageSize, maxBatchSize, rateRequests, rateInterval, dailyQuota, quotaUsed, value, latency, modeled);
    }

    /** "10 req / 1 s", or "no request window". */
    public String describeRate() {
        return rateRequests == null ? "no request window" : rateRequests + " req / " + PlanFormat.duration(rateInterval);
    }
}
