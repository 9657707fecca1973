package io.nificrm.processors.push;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WebhookReplayCacheTest {
    private final AtomicLong now = new AtomicLong(1_000);
    private final ReplayCache cache = new ReplayCache(100, 10, 5, now::get);

    @Test
    void aClaimIsPendingUntilCommittedOrReleased() {
        assertEquals(ReplayCache.Claim.NEW, cache.claim("a"));
        assertEquals(ReplayCache.Claim.PENDING, cache.claim("a"));
        cache.commit(List.of("a"));
        assertEquals(ReplayCache.Claim.COMMITTED, cache.claim("a"));
        assertTrue(cache.isCommitted("a"));
        assertEquals(ReplayCache.Claim.NEW, cache.claim("b"));
        cache.release(List.of("b"));
        assertEquals(ReplayCache.Claim.NEW, cache.claim("b"), "a released key may be delivered again");
    }

    @Test
    void committedKeysAreForgottenAfterTheWindowAndAbandonedClaimsAfterTheirTimeout() {
        cache.claim("a");
        cache.commit(List.of("a"));
        cache.claim("p");
        now.addAndGet(20);
        assertEquals(ReplayCache.Claim.NEW, cache.claim("p"), "an abandoned claim expires");
        assertEquals(ReplayCache.Claim.COMMITTED, cache.claim("a"));
        now.addAndGet(100);
        assertFalse(cache.isCommitted("a"));
        assertEquals(ReplayCache.Claim.NEW, cache.claim("a"));
    }

    @Test
    void isBoundedOldestFirst() {
        for (int i = 0; i < 8; i++) {
            cache.claim("k" + i);
            cache.commit(List.of("k" + i));
        }
        assertEquals(5, cache.size());
        assertFalse(cache.isCommitted("k0"));
        assertTrue(cache.isCommitted("k7"));
    }
}
