package io.nificrm.simulator;

import io.nificrm.simulator.fault.FaultRule;
import io.nificrm.simulator.seed.SeedConfig;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * How to start a simulator. Defaults: loopback, a free port, tokens valid two hours, each system's real default
 * request limits (HubSpot 190 per 10 s, Dataverse 6,000 per 5 min, Salesforce no short-term window), no seed data.
 */
public final class SimulatorConfig {
    /** A request budget: {@code requests} per {@code window} (0 = none) and {@code daily} calls per day (0 = none). */
    public record Limits(int requests, Duration window, long daily) {
        public static final Limits NONE = new Limits(0, Duration.ofSeconds(1), 0);
    }

    /** Seed data to load into one system at start. */
    public record Seed(String system, SeedConfig config) {
    }

    String host = "127.0.0.1";
    int port = 0;
    Duration tokenTtl = Duration.ofHours(2);
    long faultSeed = 7L;
    final Map<String, Limits> limits = new LinkedHashMap<>(Map.of(
            "salesforce", Limits.NONE,
            "hubspot", new Limits(190, Duration.ofSeconds(10), 0),
            "dynamics", new Limits(6000, Duration.ofMinutes(5), 0)));
    final List<FaultRule> faults = new ArrayList<>();
    final List<Seed> seeds = new ArrayList<>();

    public static SimulatorConfig defaults() {
        return new SimulatorConfig();
    }

    public SimulatorConfig host(String value) {
        this.host = value;
        return this;
    }

    public SimulatorConfig port(int value) {
        this.port = value;
        return this;
    }

    public SimulatorConfig tokenTtl(Duration value) {
        this.tokenTtl = value;
        return this;
    }

    public SimulatorConfig faultSeed(long value) {
        this.faultSeed = value;
        return this;
    }

    public SimulatorConfig limits(String system, Limits value) {
        if (!limits.containsKey(system)) {
            throw new IllegalArgumentException("Unknown system '" + system + "': expected one of " + limits.keySet());
        }
        limits.put(system, value);
        return this;
    }

    /** Switches off every short-term window and daily quota (for tests that are not about throttling). */
    public SimulatorConfig unlimited() {
        limits.replaceAll((k, v) -> Limits.NONE);
        return this;
    }

    public SimulatorConfig fault(FaultRule rule) {
        faults.add(rule);
        return this;
    }

    public SimulatorConfig seed(String system, SeedConfig config) {
        seeds.add(new Seed(system, config));
        return this;
    }
}
