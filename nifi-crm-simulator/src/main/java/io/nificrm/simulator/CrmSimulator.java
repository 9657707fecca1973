package io.nificrm.simulator;

import io.nificrm.simulator.admin.AdminApi;
import io.nificrm.simulator.dynamics.DynamicsPersona;
import io.nificrm.simulator.fault.DailyQuota;
import io.nificrm.simulator.fault.FaultInjector;
import io.nificrm.simulator.fault.RateLimitWindow;
import io.nificrm.simulator.fault.RequestStats;
import io.nificrm.simulator.http.AbstractPersona;
import io.nificrm.simulator.http.Persona;
import io.nificrm.simulator.http.SimHttpServer;
import io.nificrm.simulator.hubspot.HubSpotPersona;
import io.nificrm.simulator.salesforce.SalesforcePersona;
import io.nificrm.simulator.seed.SeedConfig;
import io.nificrm.simulator.seed.SeedGenerator;
import io.nificrm.simulator.webhooks.HubSpotWebhookSender;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A local CRM sandbox: Salesforce-, HubSpot- and Dataverse-shaped REST APIs on one port, with seeded dirty data,
 * per-system rate limits, expiring tokens and fault injection. Embed it in a test:
 * <pre>{@code
 * try (CrmSimulator sim = CrmSimulator.start(SimulatorConfig.defaults().seed("salesforce", SeedConfig.ofContacts(10_000)))) {
 *     String url = sim.baseUrl();
 *     ...
 * }
 * }</pre>
 * or run it standalone with {@link CrmSimulatorMain}. The admin API under {@code /sim} is described in the README.
 */
public final class CrmSimulator implements AutoCloseable {
    private final Map<String, AbstractPersona> personas = new LinkedHashMap<>();
    private final FaultInjector faults;
    private final RequestStats stats = new RequestStats();
    private final SimHttpServer server;
    private final HubSpotWebhookSender hubspotWebhooks;

    private CrmSimulator(SimulatorConfig config) throws IOException {
        faults = new FaultInjector(config.faultSeed);
        config.faults.forEach(faults::add);
        personas.put(SalesforcePersona.SYSTEM, new SalesforcePersona(faults, config.tokenTtl,
                window(config, SalesforcePersona.SYSTEM), quota(config, SalesforcePersona.SYSTEM)));
        personas.put(HubSpotPersona.SYSTEM, new HubSpotPersona(faults, config.tokenTtl,
                window(config, HubSpotPersona.SYSTEM), quota(config, HubSpotPersona.SYSTEM)));
        personas.put(DynamicsPersona.SYSTEM, new DynamicsPersona(faults, config.tokenTtl,
                window(config, DynamicsPersona.SYSTEM), quota(config, DynamicsPersona.SYSTEM)));
        hubspotWebhooks = new HubSpotWebhookSender(personas.get(HubSpotPersona.SYSTEM).stores());
        server = new SimHttpServer(config.host, config.port, Map.copyOf(personas),
                java.util.stream.Stream.concat(new AdminApi(this).routes().stream(), hubspotWebhooks.routes().stream()).toList(),
                faults, stats);
        server.start();
        String baseUrl = "http://" + config.host + ":" + server.port();
        personas.values().forEach(p -> p.setBaseUrl(baseUrl));
        config.seeds.forEach(seed -> seed(seed.system(), seed.config()));
    }

    public static CrmSimulator start(SimulatorConfig config) {
        try {
            return new CrmSimulator(config);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start the CRM simulator: " + e.getMessage(), e);
        }
    }

    private static RateLimitWindow window(SimulatorConfig config, String system) {
        SimulatorConfig.Limits limits = config.limits.get(system);
        return new RateLimitWindow(limits.requests(), limits.window());
    }

    private static DailyQuota quota(SimulatorConfig config, String system) {
        return new DailyQuota(config.limits.get(system).daily());
    }

    /** {@code http://host:port}: every system answers here. */
    public String baseUrl() {
        return personas.get(SalesforcePersona.SYSTEM).baseUrl();
    }

    public int port() {
        return server.port();
    }

    public SalesforcePersona salesforce() {
        return (SalesforcePersona) personas.get(SalesforcePersona.SYSTEM);
    }

    public HubSpotPersona hubspot() {
        return (HubSpotPersona) personas.get(HubSpotPersona.SYSTEM);
    }

    public DynamicsPersona dynamics() {
        return (DynamicsPersona) personas.get(DynamicsPersona.SYSTEM);
    }

    /** The persona of a system by name. */
    public AbstractPersona system(String name) {
        AbstractPersona persona = personas.get(name);
        if (persona == null) {
            throw new IllegalArgumentException("Unknown system '" + name + "': expected one of " + personas.keySet());
        }
        return persona;
    }

    public Map<String, ? extends Persona> systems() {
        return personas;
    }

    /** The HubSpot persona's app webhooks (off until enabled). */
    public HubSpotWebhookSender hubspotWebhooks() {
        return hubspotWebhooks;
    }

    /** Refuses connections from {@code delay} on for {@code duration}, then listens again on the same port (data kept). */
    public void outage(java.time.Duration delay, java.time.Duration duration) {
        server.outage(delay, duration);
    }

    public FaultInjector faults() {
        return faults;
    }

    public RequestStats stats() {
        return stats;
    }

    /** Generates data with {@link SeedGenerator} and loads it into one system. */
    public void seed(String system, SeedConfig config) {
        system(system).load(SeedGenerator.generate(config));
    }

    @Override
    public void close() {
        hubspotWebhooks.close();
        server.close();
    }
}
