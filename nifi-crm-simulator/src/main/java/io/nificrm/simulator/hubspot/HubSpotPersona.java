package io.nificrm.simulator.hubspot;

import io.nificrm.simulator.fault.DailyQuota;
import io.nificrm.simulator.fault.FaultInjector;
import io.nificrm.simulator.fault.RateLimitWindow;
import io.nificrm.simulator.http.AbstractPersona;
import io.nificrm.simulator.http.Route;
import io.nificrm.simulator.http.SimResponse;
import io.nificrm.simulator.seed.SeedData;
import io.nificrm.simulator.store.SimClock;

import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;

/** PLACEHOLDER: being written. */
public final class HubSpotPersona extends AbstractPersona {
    public static final String SYSTEM = "hubspot";

    public HubSpotPersona(FaultInjector faults, Duration tokenTtl, RateLimitWindow rateLimit, DailyQuota dailyQuota) {
        super(new SimClock(ChronoUnit.MILLIS), faults, tokenTtl, rateLimit, dailyQuota);
    }

    @Override
    public String system() {
        return SYSTEM;
    }

    @Override
    public List<Route> routes() {
        return List.of();
    }

    @Override
    public SimResponse error(int status, String code, String message) {
        return SimResponse.json(status, Map.of("message", message));
    }

    @Override
    public SimResponse throttled(long retryAfterSeconds, String policy) {
        return error(429, "RATE_LIMIT", "throttled");
    }

    @Override
    public void load(SeedData data) {
    }
}
