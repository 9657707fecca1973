package io.nificrm.simulator.hubspot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.simulator.SimulatorCredentials;
import io.nificrm.simulator.auth.TokenRegistry;
import io.nificrm.simulator.fault.DailyQuota;
import io.nificrm.simulator.fault.FaultInjector;
import io.nificrm.simulator.fault.RateLimitWindow;
import io.nificrm.simulator.http.AbstractPersona;
import io.nificrm.simulator.http.BadRequestException;
import io.nificrm.simulator.http.Json;
import io.nificrm.simulator.http.Route;
import io.nificrm.simulator.http.SimRequest;
import io.nificrm.simulator.http.SimResponse;
import io.nificrm.simulator.hubspot.HubSpotAssociations.Spec;
import io.nificrm.simulator.hubspot.HubSpotObjects.ObjectType;
import io.nificrm.simulator.query.QueryException;
import io.nificrm.simulator.seed.SeedData;
import io.nificrm.simulator.store.FieldRole;
import io.nificrm.simulator.store.ObjectStore;
import io.nificrm.simulator.store.RecordValidator;
import io.nificrm.simulator.store.SimClock;
import io.nificrm.simulator.store.SimField;
import io.nificrm.simulator.store.SimRecord;
import io.nificrm.simulator.store.SimSchema;
import io.nificrm.simulator.store.SimType;
import io.nificrm.simulator.store.UniqueViolation;
import io.nificrm.simulator.store.Violation;

import java.math.BigDecimal;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * HubSpot CRM v3: OAuth refresh-token grant (plus an always-valid private-app token), the properties API, list with
 * {@code after} cursors and {@code archived}, get by id or unique property, CRM search (filter groups, one sort, at
 * most 10,000 results per query, its own five-per-second limit), batch read/create/update/upsert/archive with
 * 200/207 per-record results, and v4 associations. Every non-search call reports {@code X-HubSpot-RateLimit-*}
 * headers; the ten-second window and the daily quota answer 429 with {@code policyName}.
 */
public final class HubSpotPersona extends AbstractPersona {
    public static final String SYSTEM = "hubspot";
    static final int MAX_BATCH = 100;
    static final int MAX_ASSOCIATION_BATCH = 1000;
    static final int MAX_LIST_LIMIT = 100;
    static final int MAX_SEARCH_LIMIT = 200;
    static final int SEARCH_RESULT_CAP = 10_000;
    static final int DEFAULT_SEARCH_PER_SECOND = 5;

    private static final DateTimeFormatter TIMESTAMP = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'")
            .withZone(ZoneOffset.UTC);
    private static final String OBJ = "/crm/v3/objects/([^/]+)";
    private static final String ASSOC = "/crm/v4/objects/([^/]+)/([^/]+)/associations";
    private static final long DAY_MILLIS = 86_400_000L;
    private static final String TEN_SECONDLY = "TEN_SECONDLY_ROLLING";
    private static final List<String> SEARCHABLE = List.of("firstname", "lastname", "email", "phone", "mobilephone",
            "company", "name", "domain", "website", "dealname", "source_id");

    private final RateLimitWindow searchRateLimit;
    private final HubSpotAssociations associations = new HubSpotAssociations();
    /** Access tokens this persona issued, so an expired one gets EXPIRED_AUTHENTICATION rather than INVALID_AUTHENTICATION. */
    private final Set<String> issuedTokens = ConcurrentHashMap.newKeySet();

    public HubSpotPersona(FaultInjector faults, Duration tokenTtl, RateLimitWindow rateLimit, DailyQuota dailyQuota) {
        super(new SimClock(ChronoUnit.MILLIS), faults, tokenTtl, rateLimit, dailyQuota);
        HubSpotIds ids = new HubSpotIds();
        addObject(HubSpotObjects.contacts(), ids);
        addObject(HubSpotObjects.companies(), ids);
        addObject(HubSpotObjects.deals(), ids);
        tokens.registerStatic(SimulatorCredentials.HUBSPOT_PRIVATE_APP_TOKEN);
        // A simulator started without short-term limits (SimulatorConfig.unlimited()) gets no search limit either.
        this.searchRateLimit = new RateLimitWindow(rateLimit.limit() > 0 ? DEFAULT_SEARCH_PER_SECOND : 0, Duration.ofSeconds(1));
    }

    @Override
    public String system() {
        return SYSTEM;
    }

    /** The search endpoint's own limit (5 per second by default); {@code configure(0, ...)} switches it off. */
    public RateLimitWindow searchRateLimit() {
        return searchRateLimit;
    }

    /**
     * The ids of the records of type {@code to} associated with one record (types by name or id, e.g.
     * {@code contacts} or {@code 0-1}), in numeric order.
     */
    public List<String> associations(String from, String id, String to) {
        return List.copyOf(associations.read(typeOf(from).name(), id, typeOf(to).name()).keySet());
    }

    @Override
    public void reset() {
        super.reset();
        associations.clear();
    }

    @Override
    public List<Route> routes() {
        return List.of(
                Route.of(SYSTEM, "POST", "/oauth/(v1|v3|\\d{4}-\\d{2})/token/?", "token", this::token),
                Route.of(SYSTEM, "GET", "/crm/v3/properties/([^/]+)/?", "properties", api(this::properties)),
                Route.of(SYSTEM, "GET", "/crm/v3/properties/([^/]+)/([^/]+)", "properties", api(this::property)),
                Route.of(SYSTEM, "POST", OBJ + "/search/?", "search", search(this::search)),
                Route.of(SYSTEM, "POST", OBJ + "/batch/read/?", "batch-read", api(this::batchRead)),
                Route.of(SYSTEM, "POST", OBJ + "/batch/create/?", "create", api(this::batchCreate)),
                Route.of(SYSTEM, "POST", OBJ + "/batch/update/?", "update", api(this::batchUpdate)),
                Route.of(SYSTEM, "POST", OBJ + "/batch/upsert/?", "upsert", api(this::batchUpsert)),
                Route.of(SYSTEM, "POST", OBJ + "/batch/archive/?", "archive", api(this::batchArchive)),
                Route.of(SYSTEM, "GET", OBJ + "/?", "list", api(this::list)),
                Route.of(SYSTEM, "POST", OBJ + "/?", "create", api(this::createOne)),
                Route.of(SYSTEM, "GET", OBJ + "/([^/]+)", "get", api(this::getOne)),
                Route.of(SYSTEM, "PATCH", OBJ + "/([^/]+)", "update", api(this::updateOne)),
                Route.of(SYSTEM, "DELETE", OBJ + "/([^/]+)", "archive", api(this::archiveOne)),
                Route.of(SYSTEM, "PUT", ASSOC + "/default/([^/]+)/([^/]+)", "associations", api(this::associateDefault)),
                Route.of(SYSTEM, "PUT", ASSOC + "/([^/]+)/([^/]+)", "associations", api(this::associateLabelled)),
                Route.of(SYSTEM, "DELETE", ASSOC + "/([^/]+)/([^/]+)", "associations", api(this::dissociate)),
                Route.of(SYSTEM, "GET", ASSOC + "/([^/]+)/?", "associations", api(this::associationList)),
                Route.of(SYSTEM, "POST", "/crm/v4/associations/([^/]+)/([^/]+)/batch/(create|associate/default|read|archive)/?",
                        "associations", api(this::associationBatch)));
    }

    // ---- error shapes ----

    @Override
    public SimResponse error(int status, String code, String message) {
        String category = switch (code) {
            case "BAD_REQUEST" -> "VALIDATION_ERROR";
            case "SERVER_ERROR", "INJECTED_FAULT" -> categoryFor(status);
            default -> code.matches("[A-Z_]+") ? code : categoryFor(status);
        };
        return SimResponse.json(status, errorBody(category, message, Map.of()));
    }

    private static String categoryFor(int status) {
        return switch (status) {
            case 400 -> "VALIDATION_ERROR";
            case 401 -> "INVALID_AUTHENTICATION";
            case 403 -> "MISSING_SCOPES";
            case 404 -> "OBJECT_NOT_FOUND";
            case 409 -> "CONFLICT";
            case 429 -> "RATE_LIMITS";
            default -> status >= 500 ? "INTERNAL_ERROR" : "VALIDATION_ERROR";
        };
    }

    @Override
    public SimResponse throttled(long retryAfterSeconds, String policy) {
        String policyName = switch (policy) {
            case "DAILY", "SECONDLY", TEN_SECONDLY -> policy;
            default -> TEN_SECONDLY;
        };
        String message = switch (policyName) {
            case "DAILY" -> "You have reached your daily limit.";
            case "SECONDLY" -> "You have reached your secondly limit.";
            default -> "You have reached your ten_secondly_rolling limit.";
        };
        ObjectNode body = Json.object();
        body.put("status", "error");
        body.put("message", message);
        body.put("errorType", "RATE_LIMIT");
        body.put("correlationId", UUID.randomUUID().toString());
        body.put("policyName", policyName);
        body.put("requestId", UUID.randomUUID().toString());
        return SimResponse.json(429, body).header("Retry-After", Long.toString(Math.max(1, retryAfterSeconds)));
    }

    static ObjectNode errorBody(String category, String message, Map<String, List<String>> context) {
        ObjectNode body = Json.object();
        body.put("status", "error");
        body.put("message", message);
        body.put("correlationId", UUID.randomUUID().toString());
        if (!context.isEmpty()) {
            body.set("context", contextNode(context));
        }
        body.put("category", category);
        return body;
    }

    private static ObjectNode contextNode(Map<String, List<String>> context) {
        ObjectNode node = Json.object();
        context.forEach((k, values) -> {
            ArrayNode list = node.putArray(k);
            values.forEach(list::add);
        });
        return node;
    }

    // ---- authentication and limits ----

    private SimResponse token(SimRequest request) {
        Map<String, String> form = request.form();
        String grant = form.getOrDefault("grant_type", "");
        String status;
        String message;
        if (!grant.equals("refresh_token")) {
            status = "BAD_GRANT_TYPE";
            message = "grant_type must be refresh_token, got '" + grant + "'";
        } else if (!SimulatorCredentials.HUBSPOT_CLIENT_ID.equals(form.get("client_id"))) {
            status = "BAD_CLIENT_ID";
            message = "missing or unknown client id";
        } else if (!SimulatorCredentials.HUBSPOT_CLIENT_SECRET.equals(form.get("client_secret"))) {
            status = "BAD_CLIENT_SECRET";
            message = "client secret does not match the client id";
        } else if (!SimulatorCredentials.HUBSPOT_REFRESH_TOKEN.equals(form.get("refresh_token"))) {
            status = "BAD_REFRESH_TOKEN";
            message = "missing or unknown refresh token";
        } else {
            String token = tokens.issue("CO-sim-");
            issuedTokens.add(token);
            ObjectNode body = Json.object();
            body.put("token_type", "bearer");
            body.put("refresh_token", SimulatorCredentials.HUBSPOT_REFRESH_TOKEN);
            body.put("access_token", token);
            body.put("expires_in", tokens.ttlSeconds());
            return SimResponse.json(200, body);
        }
        ObjectNode body = Json.object();
        body.put("status", status);
        body.put("message", message);
        body.put("correlationId", UUID.randomUUID().toString());
        return SimResponse.json(400, body);
    }

    private SimResponse unauthorized(String token) {
        if (token != null && issuedTokens.contains(token)) {
            return SimResponse.json(401, errorBody("EXPIRED_AUTHENTICATION",
                    "The OAuth token used to make this call expired. Refresh it with the refresh token.", Map.of()));
        }
        return SimResponse.json(401, errorBody("INVALID_AUTHENTICATION",
                "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                Map.of()));
    }

    /** Wraps an API handler: bearer token → ten-second window → daily quota → handler, with the limit headers. */
    private Route.Handler api(Route.Handler handler) {
        return request -> {
            String token = TokenRegistry.bearer(request.header("Authorization"));
            if (!tokens.isValid(token)) {
                return unauthorized(token);
            }
            boolean oauth = !SimulatorCredentials.HUBSPOT_PRIVATE_APP_TOKEN.equals(token);
            RateLimitWindow.Admission admission = rateLimit.admit();
            if (!admission.admitted()) {
                return withLimits(throttled((admission.retryAfterMillis() + 999) / 1000, TEN_SECONDLY), admission, oauth);
            }
            if (!dailyQuota.consume()) {
                return withLimits(throttled(secondsToMidnight(), "DAILY"), admission, oauth);
            }
            return withLimits(handle(handler, request), admission, oauth);
        };
    }

    /** Search: bearer token → its own per-second limit → daily quota. Search answers carry no limit headers. */
    private Route.Handler search(Route.Handler handler) {
        return request -> {
            String token = TokenRegistry.bearer(request.header("Authorization"));
            if (!tokens.isValid(token)) {
                return unauthorized(token);
            }
            RateLimitWindow.Admission admission = searchRateLimit.admit();
            if (!admission.admitted()) {
                return throttled((admission.retryAfterMillis() + 999) / 1000, "SECONDLY");
            }
            if (!dailyQuota.consume()) {
                return throttled(secondsToMidnight(), "DAILY");
            }
            return handle(handler, request);
        };
    }

    private SimResponse handle(Route.Handler handler, SimRequest request) throws Exception {
        try {
            return handler.handle(request);
        } catch (HubSpotException e) {
            return SimResponse.json(e.status(), errorBody(e.category(), e.getMessage(), e.context()));
        } catch (BadRequestException | QueryException | IllegalArgumentException e) {
            return SimResponse.json(400, errorBody("VALIDATION_ERROR", e.getMessage(), Map.of()));
        }
    }

    private SimResponse withLimits(SimResponse response, RateLimitWindow.Admission admission, boolean oauth) {
        if (rateLimit.limit() > 0) {
            response.header("X-HubSpot-RateLimit-Max", Integer.toString(rateLimit.limit()));
            response.header("X-HubSpot-RateLimit-Remaining", Integer.toString(admission.admitted() ? admission.remaining() : 0));
            response.header("X-HubSpot-RateLimit-Interval-Milliseconds", Long.toString(rateLimit.window().toMillis()));
        }
        // OAuth-authenticated calls do not get the daily headers (crm-apis §2.7).
        if (dailyQuota.limit() > 0 && !oauth) {
            response.header("X-HubSpot-RateLimit-Daily", Long.toString(dailyQuota.limit()));
            response.header("X-HubSpot-RateLimit-Daily-Remaining", Long.toString(dailyQuota.remaining()));
        }
        return response;
    }

    private static long secondsToMidnight() {
        Instant now = Instant.now();
        Instant midnight = LocalDate.ofInstant(now, ZoneOffset.UTC).plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant();
        return Math.max(1, Duration.between(now, midnight).toSeconds());
    }

    // ---- object types ----

    private static ObjectType typeOf(String pathName) {
        return HubSpotObjects.objectType(pathName)
                .orElseThrow(() -> HubSpotException.validation("Unable to infer object type from: " + pathName));
    }

    private ObjectStore storeOf(ObjectType type) {
        return stores.get(type.name());
    }

    // ---- properties API ----

    private SimResponse properties(SimRequest request) {
        ObjectType type = typeOf(request.pathGroup(1));
        ArrayNode results = Json.array();
        if (!Boolean.parseBoolean(request.param("archived", "false"))) {
            storeOf(type).schema().fields().forEach(f -> results.add(propertyNode(type, f)));
        }
        ObjectNode body = Json.object();
        body.set("results", results);
        return SimResponse.json(200, body);
    }

    private SimResponse property(SimRequest request) {
        ObjectType type = typeOf(request.pathGroup(1));
        String name = request.pathGroup(2);
        return storeOf(type).schema().field(name)
                .map(f -> SimResponse.json(200, propertyNode(type, f)))
                .orElseGet(() -> SimResponse.json(404, errorBody("OBJECT_NOT_FOUND",
                        "property " + name + " does not exist", Map.of("name", List.of(name)))));
    }

    private static ObjectNode propertyNode(ObjectType type, SimField f) {
        boolean hubspotDefined = HubSpotObjects.hubspotDefined(f.name());
        ObjectNode p = Json.object();
        p.put("updatedAt", "2024-01-01T00:00:00.000Z");
        p.put("createdAt", "2019-08-06T02:41:52.261Z");
        p.put("name", f.name());
        p.put("label", f.label());
        p.put("type", HubSpotObjects.propertyType(f.type()));
        p.put("fieldType", HubSpotObjects.fieldType(f.type()));
        p.put("description", "");
        p.put("groupName", type.groupName());
        ArrayNode options = p.putArray("options");
        Map<String, String> labels = HubSpotObjects.OPTIONS.getOrDefault(f.name(), Map.of());
        int order = 0;
        for (String value : f.picklist()) {
            options.addObject().put("label", labels.getOrDefault(value, value)).put("value", value)
                    .put("displayOrder", order++).put("hidden", false).put("description", "");
        }
        p.put("displayOrder", -1);
        p.put("calculated", false);
        p.put("externalOptions", false);
        p.put("archived", false);
        // HubSpot reports hasUniqueValue=true only for properties created unique (source_id), not for email.
        p.put("hasUniqueValue", f.externalId());
        p.put("hidden", false);
        p.put("hubspotDefined", hubspotDefined);
        p.put("formField", !f.readOnly());
        ObjectNode meta = p.putObject("modificationMetadata");
        meta.put("archivable", !hubspotDefined);
        meta.put("readOnlyDefinition", hubspotDefined);
        meta.put("readOnlyValue", f.readOnly());
        return p;
    }

    // ---- rendering ----

    private static String timestamp(Instant instant) {
        return TIMESTAMP.format(instant);
    }

    /** A stored value as HubSpot writes it: always a string; datetimes ISO with millis, dates yyyy-MM-dd. */
    static String wire(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof Instant instant) {
            return timestamp(instant);
        }
        if (value instanceof LocalDate date) {
            return date.toString();
        }
        if (value instanceof Double d) {
            return d.isNaN() || d.isInfinite() ? d.toString() : BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
        }
        return value.toString();
    }

    /** The properties to return: the defaults when none were asked for, else the known requested ones plus the audit trio. */
    private static Collection<String> selected(ObjectType type, SimSchema schema, Collection<String> requested) {
        List<String> known = requested.stream().map(String::trim).filter(n -> schema.field(n).isPresent()).toList();
        if (requested.stream().allMatch(String::isBlank)) {
            return type.defaultProperties();
        }
        TreeSet<String> out = new TreeSet<>(known);
        out.add(HubSpotObjects.ID);
        out.add("createdate");
        out.add(type.modifiedField());
        return out;
    }

    private static List<String> csv(String value) {
        if (value == null || value.isBlank()) {
            return List.of();
        }
        return List.of(value.split(","));
    }

    private static List<String> textList(JsonNode array) {
        List<String> out = new ArrayList<>();
        if (array != null && array.isArray()) {
            array.forEach(n -> out.add(n.asText()));
        }
        return out;
    }

    private ObjectNode render(ObjectType type, SimRecord record, Collection<String> properties) {
        SimSchema schema = storeOf(type).schema();
        ObjectNode node = Json.object();
        node.put("id", record.id());
        ObjectNode props = node.putObject("properties");
        for (String name : properties) {
            schema.field(name).ifPresent(f -> {
                String value = wire(record.value(f));
                if (value == null) {
                    props.putNull(name);
                } else {
                    props.put(name, value);
                }
            });
        }
        node.put("createdAt", timestamp(record.createdAt()));
        node.put("updatedAt", timestamp(record.modifiedAt()));
        node.put("archived", record.deleted());
        if (record.deleted()) {
            node.put("archivedAt", timestamp(record.deletedAt() != null ? record.deletedAt() : record.modifiedAt()));
        }
        return node;
    }

    /** After a write: the properties written (with their stored values) plus the defaults. */
    private ObjectNode renderWritten(ObjectType type, SimRecord record, Collection<String> written) {
        TreeSet<String> names = new TreeSet<>(written);
        names.addAll(type.defaultProperties());
        return render(type, record, names);
    }

    /** {@code ?associations=companies,deals}: the associated ids per type, as the list and get endpoints embed them. */
    private void renderAssociations(ObjectNode node, ObjectType type, String id, List<String> toTypes) {
        if (toTypes.isEmpty()) {
            return;
        }
        ObjectNode out = Json.object();
        for (String to : toTypes) {
            Optional<ObjectType> target = HubSpotObjects.objectType(to.trim());
            if (target.isEmpty()) {
                continue;
            }
            Map<String, List<Spec>> linked = associations.read(type.name(), id, target.get().name());
            if (linked.isEmpty()) {
                continue;
            }
            ArrayNode results = out.putObject(target.get().name()).putArray("results");
            linked.keySet().forEach(toId -> results.addObject().put("id", toId)
                    .put("type", singular(type) + "_to_" + singular(target.get())));
        }
        if (!out.isEmpty()) {
            node.set("associations", out);
        }
    }

    private static String singular(ObjectType type) {
        return type.singular().toLowerCase(Locale.ROOT);
    }

    // ---- list and get ----

    private SimResponse list(SimRequest request) {
        ObjectType type = typeOf(request.pathGroup(1));
        ObjectStore store = storeOf(type);
        int limit = intParam(request.param("limit"), 10, "limit");
        if (limit < 1 || limit > MAX_LIST_LIMIT) {
            throw HubSpotException.validation("limit must be between 1 and " + MAX_LIST_LIMIT + ", got " + limit);
        }
        String afterId = decodeAfter(request.param("after"));
        boolean archived = Boolean.parseBoolean(request.param("archived", "false"));
        Collection<String> properties = selected(type, store.schema(), csv(request.param("properties")));
        List<String> assocTypes = csv(request.param("associations"));
        List<SimRecord> rows = store.streamAfter(afterId).filter(r -> r.deleted() == archived).limit(limit + 1L).toList();
        List<SimRecord> page = rows.subList(0, Math.min(limit, rows.size()));
        ArrayNode results = Json.array();
        for (SimRecord r : page) {
            ObjectNode node = render(type, r, properties);
            renderAssociations(node, type, r.id(), assocTypes);
            results.add(node);
        }
        ObjectNode body = Json.object();
        body.set("results", results);
        if (rows.size() > limit) {
            String after = encodeAfter(page.get(page.size() - 1).id());
            Map<String, String> query = new LinkedHashMap<>(request.params());
            query.put("after", after);
            String link = baseUrl() + request.path() + "?" + query.entrySet().stream()
                    .map(e -> enc(e.getKey()) + "=" + enc(e.getValue())).collect(Collectors.joining("&"));
            body.putObject("paging").putObject("next").put("after", after).put("link", link);
        }
        return SimResponse.json(200, body);
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    private static int intParam(String value, int defaultValue, String name) {
        if (value == null || value.isBlank()) {
            return defaultValue;
        }
        try {
            return Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            throw HubSpotException.validation(name + " must be a whole number, got '" + value + "'");
        }
    }

    /** The list cursor: the last id of the page, base64url-encoded (opaque to clients, stateless here). */
    static String encodeAfter(String id) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(id.getBytes(StandardCharsets.UTF_8));
    }

    /** The id to continue after; a plain number is accepted too. Ids are compared at the store's fixed width. */
    static String decodeAfter(String after) {
        if (after == null || after.isBlank()) {
            return null;
        }
        String id = after.trim();
        if (!HubSpotIds.isNumeric(id)) {
            try {
                id = new String(Base64.getUrlDecoder().decode(id), StandardCharsets.UTF_8);
            } catch (IllegalArgumentException e) {
                id = "";
            }
            if (!HubSpotIds.isNumeric(id)) {
                throw HubSpotException.validation("Invalid paging cursor after=" + after);
            }
        }
        int width = Long.toString(HubSpotIds.FIRST).length();
        if (id.length() < width) {
            return "0".repeat(width - id.length()) + id;
        }
        return id.length() > width ? "9".repeat(width) : id;
    }

    private SimResponse getOne(SimRequest request) {
        ObjectType type = typeOf(request.pathGroup(1));
        ObjectStore store = storeOf(type);
        String id = request.pathGroup(2);
        boolean archived = Boolean.parseBoolean(request.param("archived", "false"));
        String idProperty = idProperty(type, store, request.param("idProperty"), false);
        SimRecord record = find(store, idProperty, id, archived).orElseThrow(() -> notFound(id));
        ObjectNode node = render(type, record, selected(type, store.schema(), csv(request.param("properties"))));
        renderAssociations(node, type, record.id(), csv(request.param("associations")));
        return SimResponse.json(200, node);
    }

    private static HubSpotException notFound(String id) {
        return new HubSpotException(404, "OBJECT_NOT_FOUND", "Object not found.  objectId are usually numeric.",
                Map.of("id", List.of(id)));
    }

    /**
     * The property that identifies records in a request: null for the record id, else a unique property
     * ({@code email} on contacts, or one created with unique values such as {@code source_id}).
     */
    private static String idProperty(ObjectType type, ObjectStore store, String name, boolean upsert) {
        if (name == null || name.isBlank() || name.equals(HubSpotObjects.ID)) {
            if (upsert) {
                throw HubSpotException.validation("Upsert needs an idProperty naming a unique property (email on contacts, or "
                        + HubSpotObjects.SOURCE_ID + "); to update by record id use batch/update");
            }
            return null;
        }
        SimField field = store.schema().field(name).orElse(null);
        if (field == null || field.role() != FieldRole.DATA || !store.isIndexed(name)) {
            throw HubSpotException.validation("Unable to perform update/upsert by non-unique " + type.typeId() + " property " + name);
        }
        return name;
    }

    /** A record by id or unique property: live ones, or only archived ones when {@code archived}. */
    private static Optional<SimRecord> find(ObjectStore store, String idProperty, String id, boolean archived) {
        if (id == null || id.isBlank()) {
            return Optional.empty();
        }
        if (idProperty == null) {
            return store.get(id.trim()).filter(r -> r.deleted() == archived);
        }
        if (!archived) {
            return store.findByUnique(idProperty, id.trim());
        }
        String key = id.trim().toLowerCase(Locale.ROOT);
        return store.stream().filter(SimRecord::deleted)
                .filter(r -> r.fields().get(idProperty) != null
                        && r.fields().get(idProperty).toString().trim().toLowerCase(Locale.ROOT).equals(key))
                .findFirst();
    }

    // ---- search ----

    private SimResponse search(SimRequest request) {
        ObjectType type = typeOf(request.pathGroup(1));
        ObjectStore store = storeOf(type);
        JsonNode body = request.body().length == 0 ? Json.object() : request.json();
        int limit = body.has("limit") ? intOf(body.get("limit"), "limit") : 10;
        if (limit < 1 || limit > MAX_SEARCH_LIMIT) {
            throw HubSpotException.validation("limit must be between 1 and " + MAX_SEARCH_LIMIT + ", got " + limit);
        }
        int after = body.hasNonNull("after") && !body.get("after").asText().isBlank() ? intOf(body.get("after"), "after") : 0;
        if (after < 0) {
            throw HubSpotException.validation("after must not be negative, got " + after);
        }
        if ((long) after + limit > SEARCH_RESULT_CAP) {
            throw HubSpotException.validation("A search query returns at most " + SEARCH_RESULT_CAP + " results; after=" + after
                    + " with limit=" + limit + " goes past that. Narrow the filters (e.g. a smaller time window or an hs_object_id range) and query again.");
        }
        SimSchema schema = store.schema();
        Predicate<SimRecord> filter = HubSpotSearch.filter(schema, body.get("filterGroups"))
                .and(HubSpotSearch.query(schema, body.path("query").asText(null), SEARCHABLE));
        List<SimRecord> matched = store.stream().filter(r -> !r.deleted()).filter(filter)
                .sorted(HubSpotSearch.sort(schema, body.get("sorts"))).toList();
        Collection<String> properties = selected(type, schema, textList(body.get("properties")));
        ArrayNode results = Json.array();
        int end = Math.min(matched.size(), after + limit);
        for (int i = Math.min(after, end); i < end; i++) {
            results.add(render(type, matched.get(i), properties));
        }
        ObjectNode out = Json.object();
        out.put("total", matched.size());
        out.set("results", results);
        if (after + limit < matched.size()) {
            out.putObject("paging").putObject("next").put("after", Integer.toString(after + limit));
        }
        return SimResponse.json(200, out);
    }

    private static int intOf(JsonNode node, String name) {
        if (node.isIntegralNumber()) {
            return node.intValue();
        }
        try {
            return Integer.parseInt(node.asText().trim());
        } catch (NumberFormatException e) {
            throw HubSpotException.validation(name + " must be a whole number, got '" + node.asText() + "'");
        }
    }

    // ---- validation of written properties ----

    /** Typed values to write, or the property errors ({@code {isValid,message,error,name}}) that stop the write. */
    private record Checked(Map<String, Object> values, List<ObjectNode> problems) {
        boolean valid() {
            return problems.isEmpty();
        }
    }

    private static Map<String, Object> propertiesOf(JsonNode input) {
        JsonNode props = input.path("properties");
        if (props.isMissingNode() || props.isNull()) {
            return new LinkedHashMap<>();
        }
        if (!props.isObject()) {
            throw HubSpotException.validation("properties must be an object of property name to value");
        }
        Map<String, Object> out = new LinkedHashMap<>();
        props.fields().forEachRemaining(e -> out.put(e.getKey(), Json.scalar(e.getValue())));
        return out;
    }

    private Checked check(ObjectType type, ObjectStore store, Map<String, Object> wire, boolean creating) {
        SimSchema schema = store.schema();
        Map<String, Object> input = new LinkedHashMap<>();
        List<ObjectNode> problems = new ArrayList<>();
        for (var entry : wire.entrySet()) {
            SimField field = schema.field(entry.getKey()).orElse(null);
            Object raw = entry.getValue();
            if (field != null && raw != null && !raw.toString().isBlank() && !field.readOnly()) {
                String text = raw.toString().trim();
                if (field.type() == SimType.REFERENCE && !HubSpotIds.isNumeric(text)) {
                    problems.add(problem(field.name(), "INVALID_INTEGER", text + " was not a valid integer."));
                    continue;
                }
                if (field.type() == SimType.DATE && !atMidnight(raw)) {
                    problems.add(problem(field.name(), "INVALID_DATE", text + " is not a valid date: a date property takes midnight UTC "
                            + "(epoch milliseconds divisible by 86400000) or yyyy-MM-dd."));
                    continue;
                }
            }
            input.put(entry.getKey(), raw);
        }
        if (creating && type == HubSpotObjects.DEAL_TYPE && isBlank(input.get("pipeline"))) {
            input.put("pipeline", "default");
        }
        RecordValidator.Result result = RecordValidator.validate(schema, input, creating, List.of());
        for (Violation v : result.violations()) {
            SimField field = schema.field(v.field()).orElse(null);
            Object raw = input.get(v.field());
            problems.add(problem(v.field(), code(v.kind(), field), message(v, field, raw)));
        }
        Map<String, Object> values = new LinkedHashMap<>();
        // An empty string clears a property, as in HubSpot.
        result.values().forEach((k, v) -> values.put(k, v instanceof String s && s.isEmpty() ? null : v));
        return new Checked(values, problems);
    }

    /**
     * HubSpot date properties take midnight UTC: epoch milliseconds divisible by a day, or a date-time at 00:00Z.
     * Values that are no date at all are left to the validator.
     */
    private static boolean atMidnight(Object raw) {
        String text = raw.toString().trim();
        if (!(raw instanceof Number) && text.length() <= 10 && !text.matches("\\d{9,}")) {
            return true;
        }
        try {
            return io.nificrm.simulator.store.ValueCoercion.toInstant(raw instanceof Number n ? n.longValue() : raw)
                    .toEpochMilli() % DAY_MILLIS == 0;
        } catch (IllegalArgumentException e) {
            return true;
        }
    }

    private static boolean isBlank(Object value) {
        return value == null || value.toString().isBlank();
    }

    private static ObjectNode problem(String name, String code, String message) {
        ObjectNode p = Json.object();
        p.put("isValid", false);
        p.put("message", message);
        p.put("error", code);
        p.put("name", name);
        p.put("localizedErrorMessage", message);
        return p;
    }

    private static String code(Violation.Kind kind, SimField field) {
        return switch (kind) {
            case UNKNOWN_FIELD -> "PROPERTY_DOESNT_EXIST";
            case READ_ONLY -> "READ_ONLY_VALUE";
            case REQUIRED -> "REQUIRED_PROPERTY";
            case INVALID_EMAIL -> "INVALID_EMAIL";
            case INVALID_PICKLIST -> "INVALID_OPTION";
            case TOO_LONG -> "INVALID_STRING_LENGTH";
            case DUPLICATE -> "OBJECT_ALREADY_EXISTS";
            case INVALID_REFERENCE -> "INVALID_INTEGER";
            case INVALID_VALUE -> field == null ? "INVALID_VALUE" : switch (field.type()) {
                case INT, REFERENCE -> "INVALID_INTEGER";
                case DOUBLE, CURRENCY, PERCENT -> "INVALID_DOUBLE";
                case DATE, DATETIME -> "INVALID_DATE";
                case BOOLEAN -> "INVALID_BOOLEAN";
                default -> "INVALID_VALUE";
            };
        };
    }

    private static String message(Violation v, SimField field, Object raw) {
        return switch (v.kind()) {
            case UNKNOWN_FIELD -> "Property \"" + v.field() + "\" does not exist";
            case READ_ONLY -> "\"" + v.field() + "\" is a read only property; its value cannot be set.";
            case REQUIRED -> "Required property \"" + v.field() + "\" is missing";
            case INVALID_EMAIL -> "Email address " + raw + " is invalid";
            case INVALID_PICKLIST -> raw + " was not one of the allowed options: " + (field == null ? "[]" : field.picklist());
            case INVALID_VALUE -> raw + " was not a valid " + (field == null ? "value"
                    : switch (field.type()) {
                        case INT, REFERENCE -> "integer";
                        case DOUBLE, CURRENCY, PERCENT -> "number";
                        case DATE -> "date (yyyy-MM-dd or epoch milliseconds at midnight UTC)";
                        case DATETIME -> "datetime (ISO-8601 or epoch milliseconds)";
                        case BOOLEAN -> "boolean";
                        default -> "value";
                    }) + ".";
            default -> v.message();
        };
    }

    // ---- per-record and whole-request errors of writes ----

    /** One entry of a batch answer's {@code errors}: {@code {status, category, message, context, errors[]}}. */
    private static ObjectNode recordError(String category, String message, Map<String, List<String>> context,
                                          List<ObjectNode> details) {
        ObjectNode error = Json.object();
        error.put("status", "error");
        error.put("category", category);
        error.put("message", message);
        error.set("context", contextNode(context));
        if (!details.isEmpty()) {
            ArrayNode list = error.putArray("errors");
            details.forEach(list::add);
        }
        return error;
    }

    private static ObjectNode validationError(List<ObjectNode> problems, Map<String, List<String>> context) {
        List<ObjectNode> details = new ArrayList<>();
        for (ObjectNode p : problems) {
            ObjectNode d = Json.object();
            d.put("message", p.path("message").asText());
            d.put("code", p.path("error").asText());
            d.put("in", p.path("name").asText());
            details.add(d);
        }
        return recordError("VALIDATION_ERROR", "Property values were not valid: " + Json.MAPPER.valueToTree(problems),
                context, details);
    }

    private ObjectNode conflictError(ObjectType type, UniqueViolation e, Map<String, List<String>> context) {
        ObjectNode error = recordError("OBJECT_ALREADY_EXISTS", conflictMessage(type, e.field(), e.existingId()), context,
                List.of(detail(conflictMessage(type, e.field(), e.existingId()), "OBJECT_ALREADY_EXISTS", e.field())));
        if (type == HubSpotObjects.CONTACT_TYPE && e.field().equals("email")) {
            error.put("error", "CONTACT_EXISTS");
        }
        return error;
    }

    private static String conflictMessage(ObjectType type, String field, String existingId) {
        if (type == HubSpotObjects.CONTACT_TYPE && field.equals("email")) {
            return "Contact already exists. Existing ID: " + existingId;
        }
        return "A " + singular(type) + " with this " + field + " value already exists. Existing ID: " + existingId;
    }

    private static ObjectNode detail(String message, String code, String in) {
        ObjectNode d = Json.object();
        d.put("message", message);
        d.put("code", code);
        d.put("in", in);
        return d;
    }

    /** A transient per-record failure (fault injection): only this input failed; retrying it should work. */
    private static ObjectNode transientError(Map<String, List<String>> context) {
        return recordError("INTERNAL_ERROR", "An internal error occurred while writing this record. Retry it.", context, List.of());
    }

    private static SimResponse whole(int status, ObjectNode errorEntry) {
        ObjectNode body = errorEntry.deepCopy();
        body.put("correlationId", UUID.randomUUID().toString());
        return SimResponse.json(status, body);
    }

    private static Map<String, List<String>> context(String id, String traceId) {
        Map<String, List<String>> context = new LinkedHashMap<>();
        if (id != null) {
            context.put("ids", List.of(id));
        }
        if (traceId != null) {
            context.put("objectWriteTraceId", List.of(traceId));
        }
        return context;
    }

    private static String traceId(JsonNode input) {
        String trace = input.path("objectWriteTraceId").asText("");
        return trace.isBlank() ? null : trace;
    }

    private static List<JsonNode> inputs(JsonNode body, int max) {
        JsonNode inputs = body.path("inputs");
        if (!inputs.isArray()) {
            throw HubSpotException.validation("The body needs an inputs array");
        }
        if (inputs.size() > max) {
            throw HubSpotException.validation("Too many inputs: " + inputs.size() + ". A batch takes at most " + max + " inputs.");
        }
        List<JsonNode> out = new ArrayList<>();
        inputs.forEach(out::add);
        return out;
    }

    private static SimResponse batchAnswer(int okStatus, List<ObjectNode> results, List<ObjectNode> errors, Instant started) {
        ObjectNode body = Json.object();
        body.put("status", "COMPLETE");
        ArrayNode list = body.putArray("results");
        results.forEach(list::add);
        if (!errors.isEmpty()) {
            body.put("numErrors", errors.size());
            ArrayNode errs = body.putArray("errors");
            errors.forEach(errs::add);
        }
        body.put("startedAt", timestamp(started));
        body.put("completedAt", timestamp(Instant.now()));
        return SimResponse.json(errors.isEmpty() ? okStatus : 207, body);
    }

    /** HubSpot refuses a batch that names the same record twice. */
    private static void rejectDuplicateIds(List<JsonNode> inputs) {
        Set<String> seen = new HashSet<>();
        Set<String> duplicates = new TreeSet<>();
        for (JsonNode input : inputs) {
            String id = input.path("id").asText("").trim();
            if (!id.isEmpty() && !seen.add((input.path("idProperty").asText("") + "\u0000" + id).toLowerCase(Locale.ROOT))) {
                duplicates.add(id);
            }
        }
        if (!duplicates.isEmpty()) {
            throw new HubSpotException(400, "VALIDATION_ERROR", "Duplicate IDs found in batch input: " + duplicates
                    + ". IDs must be unique", Map.of("ids", List.copyOf(duplicates)));
        }
    }

    // ---- batch endpoints ----

    private SimResponse batchRead(SimRequest request) {
        Instant started = Instant.now();
        ObjectType type = typeOf(request.pathGroup(1));
        ObjectStore store = storeOf(type);
        JsonNode body = request.json();
        List<JsonNode> inputs = inputs(body, MAX_BATCH);
        String idProperty = idProperty(type, store, body.path("idProperty").asText(null), false);
        boolean archived = Boolean.parseBoolean(request.param("archived", "false"))
                || body.path("archived").asBoolean(false);
        Collection<String> properties = selected(type, store.schema(), textList(body.get("properties")));
        List<ObjectNode> results = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        Set<String> returned = new HashSet<>();
        for (JsonNode input : inputs) {
            String id = input.path("id").asText("");
            Optional<SimRecord> record = find(store, idProperty, id, archived);
            if (record.isEmpty()) {
                missing.add(id);
            } else if (returned.add(record.get().id())) {
                results.add(render(type, record.get(), properties));
            }
        }
        List<ObjectNode> errors = missing.isEmpty() ? List.of() : List.of(objectsNotFound(type, missing));
        return batchAnswer(200, results, errors, started);
    }

    private static ObjectNode objectsNotFound(ObjectType type, List<String> ids) {
        return recordError("OBJECT_NOT_FOUND", "Could not get some " + type.singular()
                + " objects, they may be deleted or not exist. Check that ids are valid.", Map.of("ids", ids), List.of());
    }

    /**
     * Batch create. With an {@code objectWriteTraceId} on every input, each input succeeds or fails on its own
     * (207). Without them the batch is all-or-nothing for invalid input: the first invalid record fails the whole
     * request with 400, an existing unique value with 409, and nothing is written.
     */
    private SimResponse batchCreate(SimRequest request) {
        Instant started = Instant.now();
        ObjectType type = typeOf(request.pathGroup(1));
        ObjectStore store = storeOf(type);
        List<JsonNode> inputs = inputs(request.json(), MAX_BATCH);
        boolean traced = !inputs.isEmpty() && inputs.stream().allMatch(i -> traceId(i) != null);
        List<Checked> checked = new ArrayList<>();
        List<List<PendingAssociation>> links = new ArrayList<>();
        for (JsonNode input : inputs) {
            Checked c = check(type, store, propertiesOf(input), true);
            List<PendingAssociation> pending = inlineAssociations(type, input, c.problems());
            checked.add(c);
            links.add(pending);
        }
        if (!traced) {
            for (Checked c : checked) {
                if (!c.valid()) {
                    return whole(400, validationError(c.problems(), Map.of()));
                }
            }
            Map<String, Set<String>> seen = new HashMap<>();
            for (Checked c : checked) {
                for (SimField f : store.schema().indexedFields()) {
                    Object value = c.values().get(f.name());
                    if (value == null) {
                        continue;
                    }
                    Optional<SimRecord> existing = store.findByUnique(f.name(), value);
                    if (existing.isPresent()) {
                        return whole(409, conflictError(type, new UniqueViolation(f.name(), existing.get().id()), Map.of()));
                    }
                    if (!seen.computeIfAbsent(f.name(), k -> new HashSet<>()).add(value.toString().trim().toLowerCase(Locale.ROOT))) {
                        throw HubSpotException.validation("Duplicate value of unique property " + f.name() + " in batch input: " + value);
                    }
                }
            }
        }
        List<ObjectNode> results = new ArrayList<>();
        List<ObjectNode> errors = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            String trace = traceId(inputs.get(i));
            Map<String, List<String>> context = context(null, trace);
            Checked c = checked.get(i);
            if (!c.valid()) {
                errors.add(withTrace(validationError(c.problems(), context), trace));
                continue;
            }
            if (faults.failRecord(SYSTEM, "create")) {
                errors.add(withTrace(transientError(context), trace));
                continue;
            }
            try {
                SimRecord created = store.create(c.values());
                links.get(i).forEach(l -> associations.add(type.name(), created.id(), l.to().name(), l.toId(), l.spec()));
                ObjectNode result = renderWritten(type, created, c.values().keySet());
                if (trace != null) {
                    result.put("objectWriteTraceId", trace);
                }
                results.add(result);
            } catch (UniqueViolation e) {
                errors.add(withTrace(conflictError(type, e, context), trace));
            }
        }
        return batchAnswer(201, results, errors, started);
    }

    private static ObjectNode withTrace(ObjectNode error, String trace) {
        if (trace != null) {
            error.put("objectWriteTraceId", trace);
        }
        return error;
    }

    /** An association given inline on create: {@code associations:[{to:{id}, types:[{associationCategory, associationTypeId}]}]}. */
    private record PendingAssociation(ObjectType to, String toId, Spec spec) {
    }

    private List<PendingAssociation> inlineAssociations(ObjectType type, JsonNode input, List<ObjectNode> problems) {
        List<PendingAssociation> out = new ArrayList<>();
        for (JsonNode a : input.path("associations")) {
            String toId = a.path("to").path("id").asText("");
            JsonNode types = a.path("types");
            boolean resolved = false;
            for (JsonNode t : types) {
                Spec spec = new Spec(t.path("associationCategory").asText(Spec.HUBSPOT_DEFINED), t.path("associationTypeId").asInt());
                Optional<ObjectType> target = HubSpotAssociations.targetOf(type.name(), spec).flatMap(HubSpotObjects::objectType);
                if (target.isPresent() && storeOf(target.get()).get(toId).filter(r -> !r.deleted()).isPresent()) {
                    out.add(new PendingAssociation(target.get(), toId, spec));
                    resolved = true;
                }
            }
            if (!resolved) {
                problems.add(problem("associations", "INVALID_ASSOCIATION",
                        "Association to " + toId + " with types " + types + " names no existing record of a known association type"));
            }
        }
        return out;
    }

    private SimResponse batchUpdate(SimRequest request) {
        Instant started = Instant.now();
        ObjectType type = typeOf(request.pathGroup(1));
        ObjectStore store = storeOf(type);
        JsonNode body = request.json();
        List<JsonNode> inputs = inputs(body, MAX_BATCH);
        List<String> idProperties = new ArrayList<>();
        for (JsonNode input : inputs) {
            idProperties.add(idProperty(type, store, input.path("idProperty").asText(body.path("idProperty").asText(null)), false));
        }
        rejectDuplicateIds(inputs);
        List<ObjectNode> results = new ArrayList<>();
        List<ObjectNode> errors = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            JsonNode input = inputs.get(i);
            String id = input.path("id").asText("");
            String trace = traceId(input);
            Map<String, List<String>> context = context(id, trace);
            Optional<SimRecord> record = find(store, idProperties.get(i), id, false);
            if (record.isEmpty()) {
                missing.add(id);
                continue;
            }
            Checked c = check(type, store, propertiesOf(input), false);
            if (!c.valid()) {
                errors.add(withTrace(validationError(c.problems(), context), trace));
                continue;
            }
            if (faults.failRecord(SYSTEM, "update")) {
                errors.add(withTrace(transientError(context), trace));
                continue;
            }
            try {
                SimRecord updated = store.update(record.get().id(), c.values());
                ObjectNode result = renderWritten(type, updated, c.values().keySet());
                if (trace != null) {
                    result.put("objectWriteTraceId", trace);
                }
                results.add(result);
            } catch (UniqueViolation e) {
                errors.add(withTrace(conflictError(type, e, context), trace));
            } catch (IllegalArgumentException e) {
                missing.add(id); // archived between the lookup and the write
            }
        }
        if (!missing.isEmpty()) {
            errors.add(0, objectsNotFound(type, missing));
        }
        return batchAnswer(200, results, errors, started);
    }

    /**
     * Batch upsert by a unique property: each input's {@code id} is the value of its {@code idProperty}; a record
     * with that value is updated, else one is created with it. {@code new} says which happened.
     */
    private SimResponse batchUpsert(SimRequest request) {
        Instant started = Instant.now();
        ObjectType type = typeOf(request.pathGroup(1));
        ObjectStore store = storeOf(type);
        JsonNode body = request.json();
        List<JsonNode> inputs = inputs(body, MAX_BATCH);
        List<String> idProperties = new ArrayList<>();
        for (JsonNode input : inputs) {
            idProperties.add(idProperty(type, store, input.path("idProperty").asText(body.path("idProperty").asText(null)), true));
        }
        rejectDuplicateIds(inputs);
        List<ObjectNode> results = new ArrayList<>();
        List<ObjectNode> errors = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            JsonNode input = inputs.get(i);
            String key = idProperties.get(i);
            String id = input.path("id").asText("").trim();
            String trace = traceId(input);
            Map<String, List<String>> context = context(id, trace);
            if (id.isEmpty()) {
                errors.add(withTrace(validationError(List.of(problem(key, "REQUIRED_PROPERTY",
                        "The input has no id: upsert needs the value of " + key + " in id")), context), trace));
                continue;
            }
            Map<String, Object> wire = propertiesOf(input);
            wire.remove(key); // the id names the value of the key property; it wins over a value in properties
            boolean creating = store.findByUnique(key, id).isEmpty();
            wire.put(key, id);
            Checked c = check(type, store, wire, creating);
            if (!c.valid()) {
                errors.add(withTrace(validationError(c.problems(), context), trace));
                continue;
            }
            if (faults.failRecord(SYSTEM, "upsert")) {
                errors.add(withTrace(transientError(context), trace));
                continue;
            }
            Map<String, Object> values = new LinkedHashMap<>(c.values());
            Object keyValue = values.remove(key);
            try {
                ObjectStore.Upserted upserted = store.upsert(key, keyValue, values);
                ObjectNode result = renderWritten(type, upserted.record(), c.values().keySet());
                result.put("new", upserted.created());
                if (trace != null) {
                    result.put("objectWriteTraceId", trace);
                }
                results.add(result);
            } catch (UniqueViolation e) {
                errors.add(withTrace(conflictError(type, e, context), trace));
            }
        }
        return batchAnswer(200, results, errors, started);
    }

    private SimResponse batchArchive(SimRequest request) {
        ObjectType type = typeOf(request.pathGroup(1));
        ObjectStore store = storeOf(type);
        for (JsonNode input : inputs(request.json(), MAX_BATCH)) {
            String id = input.path("id").asText("").trim();
            if (!id.isEmpty()) {
                store.delete(id); // archiving a missing or archived record is not an error
            }
        }
        return SimResponse.empty(204);
    }

    // ---- single-record writes ----

    private SimResponse createOne(SimRequest request) {
        ObjectType type = typeOf(request.pathGroup(1));
        ObjectStore store = storeOf(type);
        JsonNode body = request.json();
        Checked c = check(type, store, propertiesOf(body), true);
        List<PendingAssociation> links = inlineAssociations(type, body, c.problems());
        if (!c.valid()) {
            return whole(400, validationError(c.problems(), Map.of()));
        }
        try {
            SimRecord created = store.create(c.values());
            links.forEach(l -> associations.add(type.name(), created.id(), l.to().name(), l.toId(), l.spec()));
            return SimResponse.json(201, renderWritten(type, created, c.values().keySet()));
        } catch (UniqueViolation e) {
            return whole(409, conflictError(type, e, Map.of()));
        }
    }

    private SimResponse updateOne(SimRequest request) {
        ObjectType type = typeOf(request.pathGroup(1));
        ObjectStore store = storeOf(type);
        String id = request.pathGroup(2);
        String idProperty = idProperty(type, store, request.param("idProperty"), false);
        SimRecord record = find(store, idProperty, id, false).orElseThrow(() -> notFound(id));
        Checked c = check(type, store, propertiesOf(request.json()), false);
        if (!c.valid()) {
            return whole(400, validationError(c.problems(), Map.of()));
        }
        try {
            return SimResponse.json(200, renderWritten(type, store.update(record.id(), c.values()), c.values().keySet()));
        } catch (UniqueViolation e) {
            return whole(409, conflictError(type, e, Map.of()));
        } catch (IllegalArgumentException e) {
            throw notFound(id);
        }
    }

    private SimResponse archiveOne(SimRequest request) {
        storeOf(typeOf(request.pathGroup(1))).delete(request.pathGroup(2));
        return SimResponse.empty(204);
    }

    // ---- associations v4 ----

    private SimRecord live(ObjectType type, String id) {
        return storeOf(type).get(id).filter(r -> !r.deleted()).orElseThrow(() -> new HubSpotException(404, "OBJECT_NOT_FOUND",
                "No " + singular(type) + " with id " + id, Map.of("id", List.of(id))));
    }

    private SimResponse associateDefault(SimRequest request) {
        Instant started = Instant.now();
        ObjectType from = typeOf(request.pathGroup(1));
        ObjectType to = typeOf(request.pathGroup(3));
        String fromId = live(from, request.pathGroup(2)).id();
        String toId = live(to, request.pathGroup(4)).id();
        Spec spec = HubSpotAssociations.defaultSpec(from.name(), to.name());
        associations.add(from.name(), fromId, to.name(), toId, spec);
        List<ObjectNode> results = List.of(defaultResult(fromId, toId, spec));
        return batchAnswer(200, results, List.of(), started);
    }

    private static ObjectNode defaultResult(String fromId, String toId, Spec spec) {
        ObjectNode r = Json.object();
        r.putObject("from").put("id", fromId);
        r.putObject("to").put("id", toId);
        r.putObject("associationSpec").put("associationCategory", spec.category()).put("associationTypeId", spec.typeId());
        return r;
    }

    private SimResponse associateLabelled(SimRequest request) {
        ObjectType from = typeOf(request.pathGroup(1));
        ObjectType to = typeOf(request.pathGroup(3));
        String fromId = live(from, request.pathGroup(2)).id();
        String toId = live(to, request.pathGroup(4)).id();
        List<Spec> specs = specs(request.json());
        specs.forEach(s -> associations.add(from.name(), fromId, to.name(), toId, s));
        return SimResponse.json(200, labelledResult(from, fromId, to, toId));
    }

    private static List<Spec> specs(JsonNode types) {
        if (!types.isArray() || types.isEmpty()) {
            throw HubSpotException.validation("Association types must be a non-empty array of {associationCategory, associationTypeId}");
        }
        List<Spec> specs = new ArrayList<>();
        for (JsonNode t : types) {
            if (!t.path("associationTypeId").canConvertToInt() || t.path("associationTypeId").asInt() <= 0) {
                throw HubSpotException.validation("associationTypeId must be a positive number");
            }
            specs.add(new Spec(t.path("associationCategory").asText(Spec.HUBSPOT_DEFINED), t.path("associationTypeId").asInt()));
        }
        return specs;
    }

    private static ObjectNode labelledResult(ObjectType from, String fromId, ObjectType to, String toId) {
        ObjectNode r = Json.object();
        r.put("fromObjectTypeId", from.typeId());
        r.put("fromObjectId", Long.parseLong(fromId));
        r.put("toObjectTypeId", to.typeId());
        r.put("toObjectId", Long.parseLong(toId));
        r.putArray("labels");
        return r;
    }

    private SimResponse dissociate(SimRequest request) {
        associations.remove(typeOf(request.pathGroup(1)).name(), request.pathGroup(2),
                typeOf(request.pathGroup(3)).name(), request.pathGroup(4));
        return SimResponse.empty(204);
    }

    private SimResponse associationList(SimRequest request) {
        ObjectType from = typeOf(request.pathGroup(1));
        ObjectType to = typeOf(request.pathGroup(3));
        ObjectNode body = Json.object();
        ArrayNode results = body.putArray("results");
        associations.read(from.name(), request.pathGroup(2), to.name())
                .forEach((toId, specs) -> results.add(toEntry(toId, specs)));
        return SimResponse.json(200, body);
    }

    private static ObjectNode toEntry(String toId, List<Spec> specs) {
        ObjectNode entry = Json.object();
        entry.put("toObjectId", Long.parseLong(toId));
        ArrayNode types = entry.putArray("associationTypes");
        specs.forEach(s -> types.addObject().put("category", s.category()).put("typeId", s.typeId()).putNull("label"));
        return entry;
    }

    private SimResponse associationBatch(SimRequest request) {
        Instant started = Instant.now();
        ObjectType from = typeOf(request.pathGroup(1));
        ObjectType to = typeOf(request.pathGroup(2));
        String action = request.pathGroup(3);
        List<JsonNode> inputs = inputs(request.json(), MAX_ASSOCIATION_BATCH);
        List<ObjectNode> results = new ArrayList<>();
        List<ObjectNode> errors = new ArrayList<>();
        for (JsonNode input : inputs) {
            switch (action) {
                case "read" -> {
                    String id = input.path("id").asText("");
                    Map<String, List<Spec>> linked = associations.read(from.name(), id, to.name());
                    if (linked.isEmpty()) {
                        Map<String, List<String>> context = new LinkedHashMap<>();
                        context.put("fromObjectId", List.of(id));
                        context.put("fromObjectType", List.of(from.typeId()));
                        context.put("toObjectType", List.of(to.typeId()));
                        errors.add(recordError("OBJECT_NOT_FOUND", "No " + to.name() + " are associated with "
                                + singular(from) + " " + id + ".", context, List.of()));
                        continue;
                    }
                    ObjectNode r = Json.object();
                    r.putObject("from").put("id", id);
                    ArrayNode list = r.putArray("to");
                    linked.forEach((toId, specs) -> list.add(toEntry(toId, specs)));
                    results.add(r);
                }
                case "archive" -> {
                    String fromId = input.path("from").path("id").asText("");
                    for (JsonNode target : input.path("to")) {
                        associations.remove(from.name(), fromId, to.name(), target.path("id").asText(""));
                    }
                }
                default -> {
                    String fromId = input.path("from").path("id").asText("");
                    String toId = input.path("to").path("id").asText("");
                    List<String> missing = new ArrayList<>();
                    if (storeOf(from).get(fromId).filter(r -> !r.deleted()).isEmpty()) {
                        missing.add(fromId);
                    }
                    if (storeOf(to).get(toId).filter(r -> !r.deleted()).isEmpty()) {
                        missing.add(toId);
                    }
                    if (!missing.isEmpty()) {
                        errors.add(recordError("OBJECT_NOT_FOUND", "No record with id " + String.join(", ", missing),
                                Map.of("ids", missing), List.of()));
                        continue;
                    }
                    if (action.equals("create")) {
                        List<Spec> specs;
                        try {
                            specs = specs(input.path("types"));
                        } catch (HubSpotException e) {
                            errors.add(recordError("VALIDATION_ERROR", e.getMessage(), Map.of("ids", List.of(fromId)), List.of()));
                            continue;
                        }
                        specs.forEach(s -> associations.add(from.name(), fromId, to.name(), toId, s));
                        results.add(labelledResult(from, fromId, to, toId));
                    } else {
                        Spec spec = HubSpotAssociations.defaultSpec(from.name(), to.name());
                        associations.add(from.name(), fromId, to.name(), toId, spec);
                        results.add(defaultResult(fromId, toId, spec));
                    }
                }
            }
        }
        if (action.equals("archive")) {
            return SimResponse.empty(204);
        }
        return batchAnswer(action.equals("create") ? 201 : 200, results, errors, started);
    }

    // ---- seed ----

    /**
     * Loads seed data without validation (dirty values stay dirty). HubSpot deduplicates contacts by email, so a
     * seeded contact whose email another seeded contact already has (they differ only in case) is stored without
     * the email: the unique index is case-insensitive, and in HubSpot the two would have been merged or the second
     * refused. Every contact and company is recorded in the ground truth.
     */
    @Override
    public void load(SeedData data) {
        Map<String, String> companyIds = new HashMap<>();
        Map<String, String> companyNames = new HashMap<>();
        ObjectStore companies = stores.get(HubSpotObjects.COMPANIES);
        for (SeedData.Company c : data.companies()) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("name", c.name());
            f.put("domain", c.domain());
            f.put("website", c.website());
            f.put("industry", c.industry() == null ? null : HubSpotObjects.INDUSTRIES.getOrDefault(c.industry(), c.industry()));
            f.put("phone", c.phone());
            f.put("city", c.city());
            f.put("country", c.country());
            f.put("numberofemployees", c.employees());
            f.put("annualrevenue", c.annualRevenue());
            SimRecord r = companies.put(seeded(companies, f, c.createdAt(), c.modifiedAt()));
            companyIds.put(c.key(), r.id());
            companyNames.put(c.key(), c.name());
            groundTruth.put(HubSpotObjects.COMPANIES, r.id(), c.clusterKey());
        }
        Map<String, String> stageOfPerson = new HashMap<>();
        for (SeedData.Deal d : data.deals()) {
            if (d.personKey() != null) {
                stageOfPerson.merge(d.personKey(), d.stage(), (a, b) -> a.equals("Closed Won") ? a : b);
            }
        }
        ObjectStore contacts = stores.get(HubSpotObjects.CONTACTS);
        Map<String, String> contactIds = new HashMap<>();
        List<String> leadStatuses = List.copyOf(HubSpotObjects.OPTIONS.get("hs_lead_status").keySet());
        for (SeedData.Person p : data.people()) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("firstname", p.firstName());
            f.put("lastname", p.lastName());
            String email = p.email();
            if (email != null && contacts.findByUnique("email", email).isPresent()) {
                email = null; // see the method comment: HubSpot would not hold two contacts with one email
            }
            f.put("email", email);
            f.put("phone", p.phone());
            f.put("mobilephone", p.mobile());
            f.put("jobtitle", p.title());
            f.put("company", p.companyKey() == null ? null : companyNames.get(p.companyKey()));
            f.put("city", p.city());
            f.put("country", p.country());
            String stage = stageOfPerson.get(p.key());
            f.put("lifecyclestage", stage == null ? (p.companyKey() == null ? "subscriber" : "lead")
                    : stage.equals("Closed Won") ? "customer" : "opportunity");
            int pick = Math.floorMod(p.key().hashCode() * 31 + 7, leadStatuses.size() + 2);
            f.put("hs_lead_status", pick < leadStatuses.size() ? leadStatuses.get(pick) : null);
            f.put("date_of_birth", p.birthdate());
            f.put("signup_date_text", p.signupDateText());
            String companyId = p.companyKey() == null ? null : companyIds.get(p.companyKey());
            f.put("associatedcompanyid", companyId);
            SimRecord r = contacts.put(seeded(contacts, f, p.createdAt(), p.modifiedAt()));
            contactIds.put(p.key(), r.id());
            groundTruth.put(HubSpotObjects.CONTACTS, r.id(), p.clusterKey());
            if (companyId != null) {
                associations.add(HubSpotObjects.CONTACTS, r.id(), HubSpotObjects.COMPANIES, companyId,
                        HubSpotAssociations.defaultSpec(HubSpotObjects.CONTACTS, HubSpotObjects.COMPANIES));
            }
        }
        ObjectStore deals = stores.get(HubSpotObjects.DEALS);
        for (SeedData.Deal d : data.deals()) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("dealname", d.name());
            f.put("dealstage", HubSpotObjects.STAGES.getOrDefault(d.stage(), d.stage()));
            f.put("pipeline", "default");
            f.put("amount", d.amount());
            f.put("closedate", d.closeDate() == null ? null : d.closeDate().atStartOfDay(ZoneOffset.UTC).toInstant());
            f.put("hs_deal_probability", d.probability() == null ? null : d.probability() / 100.0);
            String companyId = companyIds.get(d.companyKey());
            String contactId = d.personKey() == null ? null : contactIds.get(d.personKey());
            f.put("associatedcompanyid", companyId);
            f.put("associatedcontactid", contactId);
            SimRecord r = deals.put(seeded(deals, f, d.createdAt(), d.modifiedAt()));
            if (companyId != null) {
                associations.add(HubSpotObjects.DEALS, r.id(), HubSpotObjects.COMPANIES, companyId,
                        HubSpotAssociations.defaultSpec(HubSpotObjects.DEALS, HubSpotObjects.COMPANIES));
            }
            if (contactId != null) {
                associations.add(HubSpotObjects.DEALS, r.id(), HubSpotObjects.CONTACTS, contactId,
                        HubSpotAssociations.defaultSpec(HubSpotObjects.DEALS, HubSpotObjects.CONTACTS));
            }
        }
    }

    private SimRecord seeded(ObjectStore store, Map<String, Object> fields, Instant created, Instant modified) {
        fields.values().removeIf(Objects::isNull);
        return new SimRecord(store.newId(), fields, clock.truncate(created), clock.truncate(modified), false, null);
    }
}
