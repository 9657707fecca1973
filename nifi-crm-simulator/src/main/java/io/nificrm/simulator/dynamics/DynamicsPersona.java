package io.nificrm.simulator.dynamics;

import com.fasterxml.jackson.databind.JsonNode;
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
import io.nificrm.simulator.query.QueryException;
import io.nificrm.simulator.seed.SeedData;
import io.nificrm.simulator.store.ObjectStore;
import io.nificrm.simulator.store.SimClock;
import io.nificrm.simulator.store.SimRecord;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;

/**
 * Dynamics 365 / Dataverse Web API v9.2: Entra ID client-credentials token, table metadata (EntityDefinitions,
 * Attributes, option sets, alternate keys), OData queries ({@code $select $filter $orderby $top}) with
 * {@code Prefer: odata.maxpagesize} and stateless {@code @odata.nextLink} paging, change tracking with
 * {@code @odata.deltaLink}, create / update / upsert by alternate key / delete, and {@code $batch} with change sets.
 * Every API answer reports {@code x-ms-ratelimit-burst-remaining-xrm-requests}; the 5-minute request window answers
 * 429 {@code 0x80072322} with {@code Retry-After}; an expired token gets 401 {@code 0x80072182}.
 * <p>
 * <b>Stores are keyed by the table's logical name</b> ({@code account}, {@code contact}, {@code opportunity}), as is
 * the ground truth ({@code account}, {@code contact}); the admin API therefore uses {@code /sim/dynamics/contact/...}.
 * URLs use the entity set names ({@code /api/data/v9.2/contacts}). In a store a lookup is kept under its logical name
 * ({@code parentcustomerid}) and a choice as its integer value. Record GUIDs sort in creation order.
 * <p>
 * Endpoint names for fault rules and statistics: {@code token}, {@code metadata}, {@code whoami}, {@code query},
 * {@code create}, {@code update}, {@code upsert}, {@code delete}, {@code batch}. Inside a {@code $batch} each request
 * also asks {@code faults.failRecord("dynamics", "batch")} and answers 503 when told to fail.
 */
public final class DynamicsPersona extends AbstractPersona {
    public static final String SYSTEM = "dynamics";
    static final String API_PATH = "/api/data/v9.2/";
    private static final String API = "/api/data/v9\\.2";
    private static final String LP = "(?:\\(|%28)";
    private static final String RP = "(?:\\)|%29)";
    private static final String GUID_RE = "[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}";
    static final Pattern GUID = Pattern.compile(GUID_RE);
    static final DateTimeFormatter DATETIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss'Z'").withZone(ZoneOffset.UTC);
    static final int MAX_PAGE_SIZE = 5000;

    final ChangeTracker tracker = new ChangeTracker();
    final ReentrantLock writeLock = new ReentrantLock();
    private final DynamicsQueries queries = new DynamicsQueries(this);
    private final DynamicsWrites writes = new DynamicsWrites(this);
    private final DynamicsMetadata metadata = new DynamicsMetadata(this);
    private final DynamicsBatch batch = new DynamicsBatch(this);
    private volatile Duration changeTrackingRetention = Duration.ofDays(7);
    private volatile int lastRemaining = -1;

    public DynamicsPersona(FaultInjector faults, Duration tokenTtl, RateLimitWindow rateLimit, DailyQuota dailyQuota) {
        super(new SimClock(ChronoUnit.SECONDS), faults, tokenTtl, rateLimit, dailyQuota);
        for (DynamicsEntities.Entity entity : DynamicsEntities.ALL) {
            addObject(entity.schema(), new DynamicsIds(entity.objectTypeCode()));
        }
    }

    @Override
    public String system() {
        return SYSTEM;
    }

    @Override
    public List<Route> routes() {
        String set = "/[A-Za-z_][A-Za-z0-9_]*";
        return List.of(
                Route.of(SYSTEM, "POST", "/[^/]+/oauth2/v2\\.0/token", "token", this::token),
                Route.of(SYSTEM, "GET", API + "/?", "metadata", api(this::serviceDocument)),
                Route.of(SYSTEM, "GET", API + "/EntityDefinitions.*", "metadata", api(metadata::handle)),
                Route.of(SYSTEM, "GET", API + "/WhoAmI.*", "whoami", api(this::whoAmI)),
                Route.of(SYSTEM, "POST", API + "/(?:\\$|%24)batch", "batch", api(batch::handle)),
                Route.of(SYSTEM, "GET", API + "/[^/]+", "query", api(queries::get)),
                Route.of(SYSTEM, "GET", API + set + "/(?:\\$|%24)count", "query", api(queries::get)),
                Route.of(SYSTEM, "POST", API + set, "create", api(r -> writes.create(r, WriteContext.single()))),
                Route.of(SYSTEM, "PATCH", API + set + LP + GUID_RE + RP, "update", api(r -> writes.patch(r, WriteContext.single()))),
                Route.of(SYSTEM, "PATCH", API + "/[^/]+", "upsert", api(r -> writes.patch(r, WriteContext.single()))),
                Route.of(SYSTEM, "DELETE", API + "/[^/]+", "delete", api(r -> writes.delete(r, WriteContext.single()))));
    }

    /** Dataverse's error body: {@code {"error":{"code":"0x...","message":"..."}}}. */
    @Override
    public SimResponse error(int status, String code, String message) {
        ObjectNode body = Json.object();
        body.putObject("error").put("code", dataverseCode(status, code)).put("message", message);
        return SimResponse.json(status, body).header("OData-Version", "4.0");
    }

    /** Service protection: 429, {@code 0x80072322}, {@code Retry-After} in seconds. */
    @Override
    public SimResponse throttled(long retryAfterSeconds, String policy) {
        long windowSeconds = Math.max(1, rateLimit.window().toSeconds());
        int limit = rateLimit.limit() > 0 ? rateLimit.limit() : 6000;
        return error(429, "0x80072322", "Number of requests exceeded the limit of " + limit + " over time window of "
                + windowSeconds + " seconds.")
                .header("Retry-After", Long.toString(Math.max(1, retryAfterSeconds)))
                .header("x-ms-ratelimit-burst-remaining-xrm-requests", "0");
    }

    /** How old a delta token may be before it is refused (default 7 days, as {@code ExpireChangeTrackingInDays}). */
    public void setChangeTrackingRetention(Duration retention) {
        this.changeTrackingRetention = retention;
    }

    public Duration changeTrackingRetention() {
        return changeTrackingRetention;
    }

    /** The current change sequence: the row version the next change will exceed (for tests and diagnostics). */
    public long changeSequence() {
        return tracker.current();
    }

    private static String dataverseCode(int status, String code) {
        if (code != null && (code.isEmpty() || code.startsWith("0x"))) {
            return code;
        }
        return switch (status) {
            case 401 -> "0x80072182";
            case 404 -> "0x8006088a";
            case 429 -> "0x80072322";
            default -> status >= 500 ? "0x80040216" : "0x0";
        };
    }

    // ---- authentication ----

    private SimResponse token(SimRequest request) {
        String tenant = request.path().split("/")[1];
        Map<String, String> form = request.form();
        if (!SimulatorCredentials.DYNAMICS_TENANT_ID.equals(tenant)) {
            return aadError(400, "invalid_request", 90002, "AADSTS90002: Tenant '" + tenant + "' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud.");
        }
        if (!"client_credentials".equals(form.get("grant_type"))) {
            return aadError(400, "unsupported_grant_type", 70003, "AADSTS70003: The app requested an unsupported grant type '"
                    + form.getOrDefault("grant_type", "") + "'.");
        }
        if (!SimulatorCredentials.DYNAMICS_CLIENT_ID.equals(form.get("client_id"))) {
            return aadError(400, "unauthorized_client", 700016, "AADSTS700016: Application with identifier '"
                    + form.getOrDefault("client_id", "") + "' was not found in the directory '" + tenant + "'.");
        }
        if (!SimulatorCredentials.DYNAMICS_CLIENT_SECRET.equals(form.get("client_secret"))) {
            return aadError(401, "invalid_client", 7000215, "AADSTS7000215: Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '"
                    + SimulatorCredentials.DYNAMICS_CLIENT_ID + "'.");
        }
        String scope = form.getOrDefault("scope", "");
        if (!scope.endsWith("/.default")) {
            return aadError(400, "invalid_scope", 1002012, "AADSTS1002012: The provided value for scope " + scope
                    + " is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).");
        }
        ObjectNode body = Json.object();
        body.put("token_type", "Bearer");
        body.put("expires_in", tokens.ttlSeconds());
        body.put("ext_expires_in", tokens.ttlSeconds());
        body.put("access_token", tokens.issue("eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.sim."));
        return SimResponse.json(200, body);
    }

    private static SimResponse aadError(int status, String error, int code, String description) {
        ObjectNode body = Json.object();
        body.put("error", error);
        body.put("error_description", description);
        body.putArray("error_codes").add(code);
        body.put("timestamp", DATETIME.format(Instant.now()).replace("Z", ""));
        body.put("trace_id", java.util.UUID.randomUUID().toString());
        body.put("correlation_id", java.util.UUID.randomUUID().toString());
        return SimResponse.json(status, body);
    }

    /** Wraps an API handler with the bearer check, the request window, the daily entitlement and the usage headers. */
    private Route.Handler api(Route.Handler handler) {
        return request -> {
            if (!tokens.isValid(TokenRegistry.bearer(request.header("Authorization")))) {
                SimResponse denied = error(401, "0x80072182", "The user is not authenticated: the access token is missing, invalid or expired.")
                        .header("WWW-Authenticate", "Bearer authorization_uri=" + baseUrl() + "/"
                                + SimulatorCredentials.DYNAMICS_TENANT_ID + "/oauth2/authorize, resource_id=" + baseUrl() + "/");
                return withUsage(denied, lastRemaining);
            }
            RateLimitWindow.Admission admission = rateLimit.admit();
            if (!admission.admitted()) {
                lastRemaining = 0;
                return throttled((admission.retryAfterMillis() + 999) / 1000, "RATE_WINDOW");
            }
            lastRemaining = admission.remaining();
            if (!dailyQuota.consume()) {
                return withUsage(entitlementExceeded(), admission.remaining());
            }
            return withUsage(execute(handler, request), admission.remaining());
        };
    }

    SimResponse entitlementExceeded() {
        return error(429, "0x80072322", "The request entitlement of " + dailyQuota.limit()
                + " requests per 24 hours is used up.").header("Retry-After", "3600");
    }

    /** Runs a handler and renders refusals in Dataverse's error shape. */
    SimResponse execute(Route.Handler handler, SimRequest request) throws Exception {
        try {
            return handler.handle(request);
        } catch (DataverseException e) {
            return error(e.status(), e.code(), e.getMessage());
        } catch (QueryException e) {
            return error(400, e.code(), e.getMessage());
        } catch (BadRequestException | IllegalArgumentException e) {
            return error(400, "0x0", e.getMessage());
        }
    }

    private SimResponse withUsage(SimResponse response, int remaining) {
        int limit = rateLimit.limit();
        String burst = remaining < 0 || remaining == Integer.MAX_VALUE ? Integer.toString(limit > 0 ? limit : 6000)
                : Integer.toString(remaining);
        response.header("x-ms-ratelimit-burst-remaining-xrm-requests", burst);
        response.header("x-ms-ratelimit-time-remaining-xrm-requests", "1,200.00");
        if (!response.headers().containsKey("OData-Version")) {
            response.header("OData-Version", "4.0");
        }
        return response;
    }

    /** Dispatches one request of a {@code $batch} (already authenticated) by method and path. */
    SimResponse dispatchInner(SimRequest request, WriteContext context) throws Exception {
        String path = request.path();
        if (!path.startsWith(API_PATH)) {
            throw new DataverseException(404, "0x8006088a", "Resource not found for the segment '" + path + "'.");
        }
        String rest = path.substring(API_PATH.length());
        return switch (request.method()) {
            case "GET" -> rest.startsWith("EntityDefinitions") ? execute(metadata::handle, request)
                    : rest.startsWith("WhoAmI") ? execute(this::whoAmI, request)
                    : execute(queries::get, request);
            case "POST" -> rest.equals("$batch")
                    ? error(400, "0x0", "A $batch request cannot contain another $batch request.")
                    : execute(r -> writes.create(r, context), request);
            case "PATCH" -> execute(r -> writes.patch(r, context), request);
            case "DELETE" -> execute(r -> writes.delete(r, context), request);
            default -> error(405, "0x0", "The HTTP method '" + request.method() + "' is not allowed for this resource.");
        };
    }

    // ---- small endpoints ----

    private SimResponse serviceDocument(SimRequest request) {
        ObjectNode body = Json.object();
        body.put("@odata.context", serviceRoot() + "$metadata");
        var value = body.putArray("value");
        for (DynamicsEntities.Entity e : DynamicsEntities.ALL) {
            value.addObject().put("name", e.setName()).put("kind", "EntitySet").put("url", e.setName());
        }
        return SimResponse.json(200, body);
    }

    private SimResponse whoAmI(SimRequest request) {
        ObjectNode body = Json.object();
        body.put("@odata.context", serviceRoot() + "$metadata#Microsoft.Dynamics.CRM.WhoAmIResponse");
        body.put("BusinessUnitId", "00000000-0000-0000-0000-00000000b001");
        body.put("UserId", "00000000-0000-0000-0000-00000000a001");
        body.put("OrganizationId", "00000000-0000-0000-0000-00000000c001");
        return SimResponse.json(200, body);
    }

    // ---- shared helpers ----

    /** {@code http://host:port/api/data/v9.2/}. */
    String serviceRoot() {
        return baseUrl() + API_PATH;
    }

    ObjectStore storeOf(DynamicsEntities.Entity entity) {
        return stores.get(entity.logicalName());
    }

    SimClock simClock() {
        return clock;
    }

    FaultInjector faultInjector() {
        return faults;
    }

    DailyQuota entitlement() {
        return dailyQuota;
    }

    static DynamicsEntities.Entity entityForSet(String setName) {
        return DynamicsEntities.bySet(setName).orElseThrow(() -> DataverseException.segmentNotFound(setName));
    }

    /** The row version of a record (its change sequence), observing it first. */
    long version(DynamicsEntities.Entity entity, SimRecord record) {
        return tracker.touch(entity.logicalName(), storeOf(entity), record.id());
    }

    static String etag(long version) {
        return "W/\"" + version + "\"";
    }

    /** A stored value as Dataverse writes it: date-times in UTC to the second, dates as yyyy-MM-dd. */
    static JsonNode wire(Object value) {
        if (value instanceof Instant instant) {
            return Json.MAPPER.getNodeFactory().textNode(DATETIME.format(instant));
        }
        if (value instanceof LocalDate date) {
            return Json.MAPPER.getNodeFactory().textNode(date.toString());
        }
        return Json.MAPPER.valueToTree(value);
    }

    /**
     * A record as a JSON row: {@code @odata.etag}, the columns (all when {@code columns} is null), the primary id,
     * and, when asked for with {@code Prefer: odata.include-annotations}, formatted values and lookup annotations.
     */
    ObjectNode render(DynamicsEntities.Entity entity, SimRecord record, List<String> columns, Prefer prefer) {
        ObjectNode node = Json.object();
        long version = version(entity, record);
        node.put("@odata.etag", etag(version));
        List<String> cols = columns == null ? entity.allColumns() : columns;
        for (String column : cols) {
            if (column.equals(DynamicsEntities.VERSION)) {
                node.put(DynamicsEntities.VERSION, version);
                continue;
            }
            String fieldName = entity.fieldForWire(column);
            var field = entity.schema().field(fieldName).orElseThrow();
            Object value = record.value(field);
            node.set(column, wire(value));
            if (value == null) {
                continue;
            }
            if (prefer.formattedValues() && entity.isChoice(fieldName)) {
                node.put(column + "@OData.Community.Display.V1.FormattedValue", entity.label(fieldName, value));
            }
            Optional<DynamicsEntities.Lookup> lookup = entity.lookup(fieldName);
            if (lookup.isPresent()) {
                if (prefer.formattedValues()) {
                    DynamicsEntities.Entity target = DynamicsEntities.byLogicalName(lookup.get().target()).orElseThrow();
                    storeOf(target).get(value.toString()).map(r -> r.fields().get(target.primaryName()))
                            .ifPresent(name -> node.put(column + "@OData.Community.Display.V1.FormattedValue", name.toString()));
                }
                if (prefer.lookupAnnotations()) {
                    node.put(column + "@Microsoft.Dynamics.CRM.associatednavigationproperty", lookup.get().navigation());
                    node.put(column + "@Microsoft.Dynamics.CRM.lookuplogicalname", lookup.get().target());
                }
            }
        }
        if (!cols.contains(entity.primaryId())) {
            node.put(entity.primaryId(), record.id());
        }
        return node;
    }

    /**
     * Parses {@code $select}: primary id, data columns, {@code _x_value} lookups and {@code versionnumber}; null when
     * absent (all columns).
     */
    static List<String> select(DynamicsEntities.Entity entity, String select) {
        if (select == null || select.isBlank()) {
            return null;
        }
        List<String> columns = new ArrayList<>();
        for (String raw : select.split(",")) {
            String column = raw.trim();
            if (!column.equals(DynamicsEntities.VERSION)) {
                entity.fieldForWire(column);
            }
            if (!columns.contains(column)) {
                columns.add(column);
            }
        }
        return columns;
    }

    /** The OData context URL of a result: {@code <root>$metadata#contacts(a,b)} plus {@code suffix}. */
    String context(DynamicsEntities.Entity entity, List<String> columns, String suffix) {
        return serviceRoot() + "$metadata#" + entity.setName() + (columns == null ? "" : "(" + String.join(",", columns) + ")") + suffix;
    }

    /** A record's canonical URL: {@code <root>contacts(<guid>)}. */
    String entityUrl(DynamicsEntities.Entity entity, String id) {
        return serviceRoot() + entity.setName() + "(" + id + ")";
    }

    static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /** Percent-encodes what may not stand in a URL path segment, keeping OData's quotes, parentheses and commas. */
    static String pathSafe(String value) {
        StringBuilder sb = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~!$&'()*+,;=:@".indexOf(c) >= 0) {
                sb.append(c);
            } else {
                sb.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return sb.toString();
    }

    // ---- keys in URLs ----

    /** A record reference in a URL: {@code (<guid>)}, {@code (contactid=<guid>)} or {@code (key='value',...)}. */
    record KeySpec(String id, Map<String, String> alternate) {
        boolean byId() {
            return id != null;
        }
    }

    static KeySpec parseKey(DynamicsEntities.Entity entity, String inside) {
        String text = inside.trim();
        if (text.startsWith("{") && text.endsWith("}")) {
            text = text.substring(1, text.length() - 1);
        }
        if (GUID.matcher(text).matches()) {
            return new KeySpec(text.toLowerCase(Locale.ROOT), null);
        }
        Map<String, String> pairs = new LinkedHashMap<>();
        int i = 0;
        while (i < text.length()) {
            int eq = text.indexOf('=', i);
            if (eq < 0) {
                throw keySyntax(entity);
            }
            String name = text.substring(i, eq).trim();
            i = eq + 1;
            while (i < text.length() && text.charAt(i) == ' ') {
                i++;
            }
            StringBuilder value = new StringBuilder();
            if (i < text.length() && text.charAt(i) == '\'') {
                i++;
                boolean closed = false;
                while (i < text.length()) {
                    char c = text.charAt(i++);
                    if (c == '\'') {
                        if (i < text.length() && text.charAt(i) == '\'') {
                            value.append('\'');
                            i++;
                            continue;
                        }
                        closed = true;
                        break;
                    }
                    value.append(c);
                }
                if (!closed) {
                    throw keySyntax(entity);
                }
            } else {
                int end = text.indexOf(',', i);
                end = end < 0 ? text.length() : end;
                value.append(text, i, end);
                i = end;
            }
            while (i < text.length() && text.charAt(i) == ' ') {
                i++;
            }
            if (i < text.length()) {
                if (text.charAt(i) != ',') {
                    throw keySyntax(entity);
                }
                i++;
            }
            if (name.isEmpty()) {
                throw keySyntax(entity);
            }
            pairs.put(name, value.toString().trim());
        }
        if (pairs.isEmpty()) {
            throw keySyntax(entity);
        }
        if (pairs.size() == 1 && pairs.containsKey(entity.primaryId())) {
            String id = pairs.get(entity.primaryId());
            if (!GUID.matcher(id).matches()) {
                throw keySyntax(entity);
            }
            return new KeySpec(id.toLowerCase(Locale.ROOT), null);
        }
        if (!pairs.keySet().equals(new java.util.HashSet<>(entity.keyAttributes()))) {
            throw new DataverseException(400, "0x80060888", "The key in the request URI is not valid for resource '"
                    + entity.typeName() + "'. Make sure that the key values are of the correct types and the key has been defined: "
                    + pairs.keySet() + " is not an alternate key of " + entity.logicalName() + " (defined: " + entity.keyAttributes() + ").");
        }
        if (pairs.values().stream().anyMatch(String::isEmpty)) {
            throw new DataverseException(400, "0x80060888", "The key in the request URI has an empty value.");
        }
        return new KeySpec(null, pairs);
    }

    private static DataverseException keySyntax(DynamicsEntities.Entity entity) {
        return new DataverseException(400, "0x80060888", "Bad Request - Error in query syntax: the key segment for '"
                + entity.setName() + "' is not valid.");
    }

    /** The live record a key refers to. */
    Optional<SimRecord> find(DynamicsEntities.Entity entity, KeySpec key) {
        ObjectStore store = storeOf(entity);
        Optional<SimRecord> found = key.byId() ? store.get(key.id())
                : store.findByUnique(DynamicsEntities.SOURCE_ID, key.alternate().get(DynamicsEntities.SOURCE_ID));
        return found.filter(r -> !r.deleted());
    }

    /** The key URL of an alternate key: {@code <root>contacts(nificrm_sourceid='A1')}. */
    String keyUrl(DynamicsEntities.Entity entity, Map<String, String> key) {
        List<String> parts = new ArrayList<>();
        key.forEach((k, v) -> parts.add(k + "='" + pathSafe(v.replace("'", "''")) + "'"));
        return serviceRoot() + entity.setName() + "(" + String.join(",", parts) + ")";
    }

    // ---- Prefer ----

    /** The preferences of a request, from every {@code Prefer} header. */
    record Prefer(Integer maxPageSize, boolean trackChanges, boolean returnRepresentation, boolean continueOnError,
                  String includeAnnotations) {

        static final Prefer NONE = new Prefer(null, false, false, false, null);

        static Prefer of(SimRequest request) {
            Integer maxPageSize = null;
            boolean track = false;
            boolean representation = false;
            boolean continueOnError = false;
            String annotations = null;
            for (String header : request.headers("Prefer")) {
                for (String token : splitOutsideQuotes(header)) {
                    String t = token.trim();
                    String lower = t.toLowerCase(Locale.ROOT);
                    if (lower.startsWith("odata.maxpagesize=")) {
                        try {
                            maxPageSize = Integer.parseInt(t.substring(t.indexOf('=') + 1).trim().replace("\"", ""));
                        } catch (NumberFormatException ignored) {
                            // An unreadable preference is ignored, as preferences are.
                        }
                    } else if (lower.equals("odata.track-changes")) {
                        track = true;
                    } else if (lower.equals("return=representation")) {
                        representation = true;
                    } else if (lower.equals("odata.continue-on-error")) {
                        continueOnError = true;
                    } else if (lower.startsWith("odata.include-annotations=")) {
                        annotations = t.substring(t.indexOf('=') + 1).trim().replace("\"", "");
                    }
                }
            }
            return new Prefer(maxPageSize, track, representation, continueOnError, annotations);
        }

        boolean formattedValues() {
            return includeAnnotations != null && (includeAnnotations.equals("*") || includeAnnotations.contains("FormattedValue")
                    || includeAnnotations.contains("OData.Community.Display.V1.*"));
        }

        boolean lookupAnnotations() {
            return includeAnnotations != null && (includeAnnotations.equals("*") || includeAnnotations.contains("Microsoft.Dynamics.CRM"));
        }

        private static List<String> splitOutsideQuotes(String header) {
            List<String> out = new ArrayList<>();
            StringBuilder current = new StringBuilder();
            boolean quoted = false;
            for (char c : header.toCharArray()) {
                if (c == '"') {
                    quoted = !quoted;
                }
                if (c == ',' && !quoted) {
                    out.add(current.toString());
                    current.setLength(0);
                } else {
                    current.append(c);
                }
            }
            out.add(current.toString());
            return out;
        }
    }

    // ---- seed ----

    @Override
    public void load(SeedData data) {
        Map<String, String> accountIds = new HashMap<>();
        Map<String, String> contactIds = new HashMap<>();
        ObjectStore accounts = storeOf(DynamicsEntities.ACCOUNT);
        for (SeedData.Company c : data.companies()) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("name", c.name());
            f.put("websiteurl", c.website());
            f.put("industrycode", DynamicsEntities.choiceValue(SeedData.INDUSTRIES, c.industry()));
            f.put("telephone1", c.phone());
            f.put("address1_city", c.city());
            f.put("address1_country", c.country());
            f.put("numberofemployees", c.employees());
            f.put("revenue", c.annualRevenue());
            SimRecord r = accounts.put(seeded(accounts, f, c.createdAt(), c.modifiedAt()));
            accountIds.put(c.key(), r.id());
            groundTruth.put("account", r.id(), c.clusterKey());
        }
        ObjectStore contacts = storeOf(DynamicsEntities.CONTACT);
        for (SeedData.Person p : data.people()) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("firstname", p.firstName());
            f.put("lastname", p.lastName());
            f.put("fullname", fullName(p.firstName(), p.lastName()));
            f.put("emailaddress1", p.email());
            f.put("telephone1", p.phone());
            f.put("mobilephone", p.mobile());
            f.put("jobtitle", p.title());
            f.put("parentcustomerid", p.companyKey() == null ? null : accountIds.get(p.companyKey()));
            f.put("address1_city", p.city());
            f.put("address1_country", p.country());
            f.put("leadsourcecode", DynamicsEntities.choiceValue(SeedData.LEAD_SOURCES, p.leadSource()));
            f.put("birthdate", p.birthdate());
            f.put("nificrm_signupdatetext", p.signupDateText());
            SimRecord r = contacts.put(seeded(contacts, f, p.createdAt(), p.modifiedAt()));
            contactIds.put(p.key(), r.id());
            groundTruth.put("contact", r.id(), p.clusterKey());
        }
        ObjectStore opportunities = storeOf(DynamicsEntities.OPPORTUNITY);
        for (SeedData.Deal d : data.deals()) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("name", d.name());
            f.put("salesstagecode", DynamicsEntities.choiceValue(SeedData.STAGES, d.stage()));
            f.put("estimatedvalue", d.amount());
            f.put("estimatedclosedate", d.closeDate());
            f.put("closeprobability", d.probability() == null ? null : Math.round(d.probability()));
            f.put("parentaccountid", accountIds.get(d.companyKey()));
            f.put("parentcontactid", d.personKey() == null ? null : contactIds.get(d.personKey()));
            opportunities.put(seeded(opportunities, f, d.createdAt(), d.modifiedAt()));
        }
    }

    private SimRecord seeded(ObjectStore store, Map<String, Object> fields, Instant created, Instant modified) {
        fields.values().removeIf(Objects::isNull);
        return new SimRecord(store.newId(), fields, clock.truncate(created), clock.truncate(modified), false, null);
    }

    /** Contact's computed {@code fullname}: "first last", trimmed; null when both are empty. */
    static String fullName(Object first, Object last) {
        String name = ((first == null ? "" : first.toString().trim()) + " " + (last == null ? "" : last.toString().trim())).trim();
        return name.isEmpty() ? null : name;
    }
}
