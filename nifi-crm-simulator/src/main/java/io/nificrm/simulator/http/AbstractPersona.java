package io.nificrm.simulator.http;

import io.nificrm.simulator.auth.TokenRegistry;
import io.nificrm.simulator.fault.DailyQuota;
import io.nificrm.simulator.fault.FaultInjector;
import io.nificrm.simulator.fault.RateLimitWindow;
import io.nificrm.simulator.seed.GroundTruth;
import io.nificrm.simulator.seed.SeedData;
import io.nificrm.simulator.store.ObjectStore;
import io.nificrm.simulator.store.SimClock;
import io.nificrm.simulator.store.SimSchema;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * What every simulated system has: object stores, issued tokens, a request-rate window, a daily quota, a ground
 * truth for seeded data, and access to the fault injector. Subclasses add routes and wire formats.
 */
public abstract class AbstractPersona implements Persona {
    protected final Map<String, ObjectStore> stores = new LinkedHashMap<>();
    protected final TokenRegistry tokens;
    protected final RateLimitWindow rateLimit;
    protected final DailyQuota dailyQuota;
    protected final FaultInjector faults;
    protected final GroundTruth groundTruth = new GroundTruth();
    protected final SimClock clock;
    private volatile String baseUrl = "http://127.0.0.1";

    protected AbstractPersona(SimClock clock, FaultInjector faults, Duration tokenTtl, RateLimitWindow rateLimit,
                              DailyQuota dailyQuota) {
        this.clock = clock;
        this.faults = faults;
        this.tokens = new TokenRegistry(tokenTtl);
        this.rateLimit = rateLimit;
        this.dailyQuota = dailyQuota;
    }

    protected final void addObject(SimSchema schema, Supplier<String> ids) {
        stores.put(schema.object(), new ObjectStore(schema, clock, ids));
    }

    /** Loads generated data under this system's field names, recording the ground truth. */
    public abstract void load(SeedData data);

    public Optional<ObjectStore> store(String object) {
        return Optional.ofNullable(stores.get(object));
    }

    public Map<String, ObjectStore> stores() {
        return stores;
    }

    public TokenRegistry tokens() {
        return tokens;
    }

    public RateLimitWindow rateLimit() {
        return rateLimit;
    }

    public DailyQuota dailyQuota() {
        return dailyQuota;
    }

    public GroundTruth groundTruth() {
        return groundTruth;
    }

    /** Empties every store and forgets the ground truth; tokens and limits stay. */
    public void reset() {
        stores.values().forEach(ObjectStore::clear);
        groundTruth.clear();
    }

    /** The simulator's own address, for URLs the system hands out (instance URL, next-page links). */
    public String baseUrl() {
        return baseUrl;
    }

    public void setBaseUrl(String url) {
        this.baseUrl = url;
    }
}
