package io.nificrm.simulator.fault;

import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FaultInjectorTest {

    @Test
    void ratesAreHonouredOverManyDraws() {
        FaultInjector faults = new FaultInjector(1);
        faults.add(FaultRule.on("hubspot", "upsert").withErrors(0.25, 503));
        int errors = 0;
        for (int i = 0; i < 10_000; i++) {
            errors += faults.decide("hubspot", "upsert", "POST").status() == 503 ? 1 : 0;
        }
        assertTrue(errors > 2_200 && errors < 2_800, "about a quarter: " + errors);
        assertEquals(FaultDecision.NONE, faults.decide("salesforce", "upsert", "POST"), "other systems are untouched");
    }

    @Test
    void countedRulesExpire() {
        FaultInjector faults = new FaultInjector(1);
        faults.add(FaultRule.on("*", "*").withThrottling(1.0, 3).times(2));
        assertEquals(429, faults.decide("dynamics", "query", "GET").status());
        assertEquals(3, faults.decide("dynamics", "query", "GET").retryAfterSeconds());
        assertEquals(0, faults.decide("dynamics", "query", "GET").status());
        assertTrue(faults.rules().isEmpty());
    }

    @Test
    void timeoutsHangThenDrop() {
        FaultInjector faults = new FaultInjector(1);
        faults.add(FaultRule.on("salesforce", "*").withTimeouts(1.0, 1234).withLatency(10));
        FaultDecision decision = faults.decide("salesforce", "query", "GET");
        assertTrue(decision.dropConnection());
        assertEquals(1244, decision.latencyMs());
    }

    @Test
    void ratesOutsideZeroToOneAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> FaultRule.on("*", "*").withErrors(1.5, 500));
    }

    @Test
    void serverWindowAdmitsExactlyTheLimit() {
        RateLimitWindow window = new RateLimitWindow(3, Duration.ofSeconds(10));
        assertTrue(window.admit().admitted());
        assertTrue(window.admit().admitted());
        RateLimitWindow.Admission third = window.admit();
        assertTrue(third.admitted());
        assertEquals(0, third.remaining());
        RateLimitWindow.Admission fourth = window.admit();
        assertFalse(fourth.admitted());
        assertTrue(fourth.retryAfterMillis() > 9_000);
    }
}
