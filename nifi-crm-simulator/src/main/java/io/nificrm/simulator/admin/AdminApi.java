package io.nificrm.simulator.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.fault.FaultRule;
import io.nificrm.simulator.http.AbstractPersona;
import io.nificrm.simulator.http.BadRequestException;
import io.nificrm.simulator.http.Json;
import io.nificrm.simulator.http.Route;
import io.nificrm.simulator.http.SimRequest;
import io.nificrm.simulator.http.SimResponse;
import io.nificrm.simulator.seed.SeedConfig;
import io.nificrm.simulator.store.ObjectStore;
import io.nificrm.simulator.store.SimField;
import io.nificrm.simulator.store.SimRecord;
import io.nificrm.simulator.store.ValueCoercion;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The simulator's own control API under {@code /sim}: health, request statistics, fault rules, token expiry,
 * rate limits, seeding, and per-object count, dump, write and delete so tests can verify a target exactly and
 * stage changes with chosen timestamps. Not part of any CRM's API; needs no authentication.
 */
public final class AdminApi {
    private static final String SYSTEM = "admin";
    private final CrmSimulator sim;

    public AdminApi(CrmSimulator sim) {
        this.sim = sim;
    }

    public List<Route> routes() {
        String obj = "/sim/([a-z]+)/([A-Za-z_0-9]+)";
        return List.of(
                Route.of(SYSTEM, "GET", "/sim/health", "health", r -> SimResponse.json(200, Map.of("status", "UP", "systems", sim.systems().keySet()))),
                Route.of(SYSTEM, "GET", "/sim/stats", "stats", r -> {
                    Map<String, Object> snapshot = new java.util.TreeMap<>(sim.stats().snapshot());
                    snapshot.put("partialFailures", sim.faults().partialFailures());
                    return SimResponse.json(200, snapshot);
                }),
                Route.of(SYSTEM, "POST", "/sim/stats/reset", "stats", r -> {
                    sim.stats().reset();
                    return SimResponse.empty(204);
                }),
                Route.of(SYSTEM, "GET", "/sim/faults", "faults", r -> SimResponse.json(200, sim.faults().rules())),
                Route.of(SYSTEM, "POST", "/sim/faults", "faults", this::addFault),
                Route.of(SYSTEM, "DELETE", "/sim/faults", "faults", r -> {
                    sim.faults().clear();
                    return SimResponse.empty(204);
                }),
                Route.of(SYSTEM, "POST", "/sim/outage", "outage", r -> {
                    // {"seconds": N, "delayMs": M}: answers first, then refuses connections for N seconds
                    long seconds = r.json().path("seconds").asLong(0);
                    if (seconds <= 0 || seconds > 3600) {
                        throw new BadRequestException("seconds must be between 1 and 3600");
                    }
                    sim.outage(Duration.ofMillis(r.json().path("delayMs").asLong(200)), Duration.ofSeconds(seconds));
                    return SimResponse.json(202, Map.of("outageSeconds", seconds));
                }),
                Route.of(SYSTEM, "POST", "/sim/([a-z]+)/tokens/expire", "tokens", r -> {
                    sim.system(r.pathGroup(1)).tokens().expireAll();
                    return SimResponse.empty(204);
                }),
                Route.of(SYSTEM, "PUT", "/sim/([a-z]+)/tokens/ttl", "tokens", r -> {
                    sim.system(r.pathGroup(1)).tokens().setTtl(Duration.ofSeconds(r.json().path("seconds").asLong()));
                    return SimResponse.empty(204);
                }),
                Route.of(SYSTEM, "GET", "/sim/([a-z]+)/limits", "limits", this::getLimits),
                Route.of(SYSTEM, "PUT", "/sim/([a-z]+)/limits", "limits", this::setLimits),
                Route.of(SYSTEM, "POST", "/sim/([a-z]+)/seed", "seed", this::seed),
                Route.of(SYSTEM, "POST", "/sim/([a-z]+)/reset", "reset", r -> {
                    sim.system(r.pathGroup(1)).reset();
                    return SimResponse.empty(204);
                }),
                Route.of(SYSTEM, "GET", obj + "/count", "count", r -> SimResponse.json(200, Map.of("count",
                        store(r).count(Boolean.parseBoolean(r.param("includeDeleted", "false")))))),
                Route.of(SYSTEM, "GET", obj + "/ground-truth", "ground-truth", r ->
                        SimResponse.json(200, persona(r).groundTruth().clusters(r.pathGroup(2)))),
                Route.of(SYSTEM, "GET", obj + "/records", "records", this::dump),
                Route.of(SYSTEM, "POST", obj + "/records", "records", this::put),
                Route.of(SYSTEM, "DELETE", obj + "/records/([^/]+)", "records", r -> store(r).delete(r.pathGroup(3))
                        .map(rec -> SimResponse.empty(204))
                        .orElse(SimResponse.json(404, Map.of("message", "No live record " + r.pathGroup(3))))));
    }

    private SimResponse addFault(SimRequest request) {
        try {
            sim.faults().add(Json.MAPPER.treeToValue(request.json(), FaultRule.class));
        } catch (Exception e) {
            throw new BadRequestException("Not a valid fault rule: " + e.getMessage());
        }
        return SimResponse.json(201, sim.faults().rules());
    }

    private SimResponse getLimits(SimRequest request) {
        AbstractPersona persona = sim.system(request.pathGroup(1));
        return SimResponse.json(200, Map.of("requests", persona.rateLimit().limit(),
                "windowMs", persona.rateLimit().window().toMillis(), "daily", persona.dailyQuota().limit(),
                "dailyUsed", persona.dailyQuota().used()));
    }

    private SimResponse setLimits(SimRequest request) {
        JsonNode body = request.json();
        AbstractPersona persona = sim.system(request.pathGroup(1));
        persona.rateLimit().configure(body.path("requests").asInt(0), Duration.ofMillis(body.path("windowMs").asLong(1000)));
        persona.dailyQuota().configure(body.path("daily").asLong(0));
        return getLimits(request);
    }

    private SimResponse seed(SimRequest request) {
        JsonNode body = request.json();
        int contacts = body.path("contacts").asInt(0);
        SeedConfig base = SeedConfig.ofContacts(contacts);
        SeedConfig config = new SeedConfig(body.path("accounts").asInt(base.accounts()), contacts,
                body.path("opportunities").asInt(base.opportunities()), body.path("duplicateRate").asDouble(base.duplicateRate()),
                body.path("randomSeed").asLong(base.randomSeed()));
        sim.seed(request.pathGroup(1), config);
        return SimResponse.json(201, config);
    }

    private SimResponse dump(SimRequest request) {
        ObjectStore store = store(request);
        boolean includeDeleted = Boolean.parseBoolean(request.param("includeDeleted", "true"));
        ArrayNode out = Json.array();
        store.stream().filter(r -> includeDeleted || !r.deleted()).forEach(r -> out.add(toJson(r)));
        return SimResponse.json(200, out);
    }

    /** Creates or replaces a record with chosen timestamps: {@code {id?, createdAt?, modifiedAt?, deleted?, fields:{}}}. */
    private SimResponse put(SimRequest request) {
        ObjectStore store = store(request);
        JsonNode body = request.json();
        String id = body.hasNonNull("id") ? body.get("id").asText() : store.newId();
        SimRecord existing = store.get(id).orElse(null);
        Map<String, Object> fields = new LinkedHashMap<>(existing == null ? Map.of() : existing.fields());
        body.path("fields").fields().forEachRemaining(e -> {
            SimField field = store.schema().field(e.getKey())
                    .orElseThrow(() -> new BadRequestException("No field " + e.getKey() + " on " + store.schema().object()));
            fields.put(e.getKey(), ValueCoercion.coerce(field.type(), Json.scalar(e.getValue())));
        });
        Instant now = store.clock().now();
        Instant created = body.hasNonNull("createdAt") ? ValueCoercion.toInstant(body.get("createdAt").asText())
                : existing != null ? existing.createdAt() : now;
        Instant modified = body.hasNonNull("modifiedAt") ? ValueCoercion.toInstant(body.get("modifiedAt").asText()) : now;
        boolean deleted = body.path("deleted").asBoolean(false);
        SimRecord record = store.put(new SimRecord(id, fields, store.clock().truncate(created), store.clock().truncate(modified),
                deleted, deleted ? modified : null));
        return SimResponse.json(existing == null ? 201 : 200, toJson(record));
    }

    public static ObjectNode toJson(SimRecord r) {
        ObjectNode node = Json.object();
        node.put("id", r.id());
        node.put("createdAt", r.createdAt().toString());
        node.put("modifiedAt", r.modifiedAt().toString());
        node.put("deleted", r.deleted());
        ObjectNode fields = node.putObject("fields");
        r.fields().forEach((k, v) -> fields.set(k, Json.MAPPER.valueToTree(v == null || v instanceof Number || v instanceof Boolean ? v : v.toString())));
        return node;
    }

    private AbstractPersona persona(SimRequest request) {
        return sim.system(request.pathGroup(1));
    }

    private ObjectStore store(SimRequest request) {
        return persona(request).store(request.pathGroup(2))
                .orElseThrow(() -> new BadRequestException("No object " + request.pathGroup(2) + " in " + request.pathGroup(1)));
    }
}
