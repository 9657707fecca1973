package io.nificrm.api;

import java.time.Duration;
import java.util.Objects;

/**
 * What a connection can do and how fast it may go.
 *
 * @param maxBatchSize         most records one {@link CrmConnectionService#write write} call accepts
 * @param maxPageSize          most records one {@link CrmConnectionService#query query} page returns
 * @param rateLimit            the request budget the service keeps to (shared by every processor using it)
 * @param dailyQuota           API calls allowed per day, or 0 when the system sets no daily quota
 * @param maxConcurrentRequests requests the system accepts at once, or 0 when unlimited
 * @param supportsDeletes      whether queries can return deleted records ({@link CrmQuery#includeDeleted()})
 * @param supportsChangeTracking whether the system reports changes since a point in time natively
 * @param supportsBulk         whether large volumes go through a bulk API
 */
public record CrmCapabilities(int maxBatchSize, int maxPageSize, RateLimit rateLimit, long dailyQuota,
                              int maxConcurrentRequests, boolean supportsDeletes, boolean supportsChangeTracking,
                              boolean supportsBulk) {

    public CrmCapabilities {
        if (maxBatchSize < 1 || maxPageSize < 1) {
            throw new IllegalArgumentException("batch and page sizes must be positive");
        }
        Objects.requireNonNull(rateLimit, "rateLimit");
    }

    /**
     * A request budget: at most {@code requests} calls in any {@code interval}.
     * {@link #UNLIMITED} means the service does not throttle itself.
     */
    public record RateLimit(int requests, Duration interval) {
        public static final RateLimit UNLIMITED = new RateLimit(Integer.MAX_VALUE, Duration.ofSeconds(1));

        public RateLimit {
            if (requests < 1 || interval == null || interval.isZero() || interval.isNegative()) {
                throw new IllegalArgumentException("a rate limit needs a positive request count and interval");
            }
        }

        public boolean isUnlimited() {
            return requests == Integer.MAX_VALUE;
        }

        /** Requests per second this budget allows. */
        public double perSecond() {
            return requests / (interval.toNanos() / 1e9);
        }
    }
}
