package io.nificrm.simulator.salesforce;

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
import io.nificrm.simulator.query.OrderBy;
import io.nificrm.simulator.query.QueryException;
import io.nificrm.simulator.query.SoqlParser;
import io.nificrm.simulator.query.SoqlQuery;
import io.nificrm.simulator.seed.SeedData;
import io.nificrm.simulator.store.ObjectStore;
import io.nificrm.simulator.store.RecordValidator;
import io.nificrm.simulator.store.SimClock;
import io.nificrm.simulator.store.SimField;
import io.nificrm.simulator.store.SimRecord;
import io.nificrm.simulator.store.SimType;
import io.nificrm.simulator.store.UniqueViolation;
import io.nificrm.simulator.store.Violation;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Stream;

/**
 * Salesforce REST API: OAuth token (client credentials, JWT bearer), versions, limits, sObject describe,
 * SOQL query / queryAll with {@code nextRecordsUrl} paging, and sObject Collections create, update, upsert by
 * external id and delete with per-record results. Every call reports {@code Sforce-Limit-Info}; an expired
 * session gets 401 {@code INVALID_SESSION_ID}; a used-up daily quota gets 403 {@code REQUEST_LIMIT_EXCEEDED}.
 */
public final class SalesforcePersona extends AbstractPersona {
    public static final String SYSTEM = "salesforce";
    private static final String V = "/services/data/v(\\d+\\.\\d+)";
    private static final int MAX_COLLECTION = 200;
    private static final DateTimeFormatter DATETIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSZ").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter BULK_DATETIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private final QueryCursors cursors = new QueryCursors();
    private final BulkJobs bulk = new BulkJobs(this);

    public SalesforcePersona(FaultInjector faults, Duration tokenTtl, RateLimitWindow rateLimit, DailyQuota dailyQuota) {
        super(new SimClock(ChronoUnit.SECONDS), faults, tokenTtl, rateLimit, dailyQuota);
        for (var schema : List.of(SalesforceObjects.account(), SalesforceObjects.contact(), SalesforceObjects.opportunity())) {
            addObject(schema, new SalesforceIds(SalesforceObjects.KEY_PREFIXES.get(schema.object())));
        }
    }

    @Override
    public String system() {
        return SYSTEM;
    }

    @Override
    public List<Route> routes() {
        return List.of(
                Route.of(SYSTEM, "POST", "/services/oauth2/token", "token", this::token),
                Route.of(SYSTEM, "GET", "/services/data/?", "versions", r -> SimResponse.json(200,
                        List.of(Map.of("label", "Simulated", "url", "/services/data/v62.0", "version", "62.0")))),
                Route.of(SYSTEM, "GET", V + "/limits/?", "limits", api(this::limits)),
                Route.of(SYSTEM, "GET", V + "/sobjects/([^/]+)/describe/?", "describe", api(this::describe)),
                Route.of(SYSTEM, "GET", V + "/(query|queryAll)/?", "query", api(this::query)),
                Route.of(SYSTEM, "GET", V + "/(query|queryAll)/([^/]+)", "query", api(this::queryMore)),
                Route.of(SYSTEM, "PATCH", V + "/composite/sobjects/([^/]+)/([^/]+)", "upsert", api(this::upsert)),
                Route.of(SYSTEM, "POST", V + "/composite/sobjects/?", "create", api(this::create)),
                Route.of(SYSTEM, "PATCH", V + "/composite/sobjects/?", "update", api(this::update)),
                Route.of(SYSTEM, "DELETE", V + "/composite/sobjects/?", "delete", api(this::delete)),
                Route.of(SYSTEM, "POST", V + "/jobs/ingest/?", "bulk", api(bulk::createIngest)),
                Route.of(SYSTEM, "PUT", V + "/jobs/ingest/([^/]+)/batches/?", "bulk", api(bulk::upload)),
                Route.of(SYSTEM, "PATCH", V + "/jobs/ingest/([^/]+)/?", "bulk", api(bulk::changeState)),
                Route.of(SYSTEM, "GET", V + "/jobs/ingest/([^/]+)/?", "bulk", api(r -> bulk.status(r, "ingest"))),
                Route.of(SYSTEM, "GET", V + "/jobs/ingest/([^/]+)/successfulResults/?", "bulk", api(r -> bulk.results(r, true))),
                Route.of(SYSTEM, "GET", V + "/jobs/ingest/([^/]+)/failedResults/?", "bulk", api(r -> bulk.results(r, false))),
                Route.of(SYSTEM, "GET", V + "/jobs/ingest/([^/]+)/unprocessedrecords/?", "bulk", api(bulk::unprocessed)),
                Route.of(SYSTEM, "POST", V + "/jobs/query/?", "bulk", api(r -> bulk.createQuery(r, this::runSoql, this::selectedFields))),
                Route.of(SYSTEM, "GET", V + "/jobs/query/([^/]+)/?", "bulk", api(r -> bulk.status(r, "query"))),
                Route.of(SYSTEM, "GET", V + "/jobs/query/([^/]+)/results/?", "bulk", api(bulk::queryResults)));
    }

    @Override
    public SimResponse error(int status, String code, String message) {
        return SimResponse.json(status, List.of(Map.of("message", message, "errorCode", code)));
    }

    @Override
    public SimResponse throttled(long retryAfterSeconds, String policy) {
        return error(429, "REQUEST_LIMIT_EXCEEDED", "Too many requests (" + policy + ")")
                .header("Retry-After", Long.toString(retryAfterSeconds));
    }

    // ---- authentication ----

    private SimResponse token(SimRequest request) {
        Map<String, String> form = request.form();
        String grant = form.getOrDefault("grant_type", "");
        boolean ok = switch (grant) {
            case "client_credentials" -> SimulatorCredentials.SALESFORCE_CLIENT_ID.equals(form.get("client_id"))
                    && SimulatorCredentials.SALESFORCE_CLIENT_SECRET.equals(form.get("client_secret"));
            case "urn:ietf:params:oauth:grant-type:jwt-bearer" -> validJwt(form.get("assertion"));
            default -> false;
        };
        if (!ok) {
            String error = grant.equals("client_credentials") ? "invalid_client" : "invalid_grant";
            return SimResponse.json(400, Map.of("error", error, "error_description",
                    grant.isEmpty() ? "grant type not supported" : "authentication failure"));
        }
        String token = tokens.issue("00Dsim!");
        ObjectNode body = Json.object();
        body.put("access_token", token);
        body.put("instance_url", baseUrl());
        body.put("id", baseUrl() + "/id/00Dsim/005sim");
        body.put("token_type", "Bearer");
        body.put("issued_at", Long.toString(System.currentTimeMillis()));
        body.put("signature", "sim");
        return SimResponse.json(200, body);
    }

    /** The simulator checks a JWT's claims (issuer, audience, expiry) but not its signature: it has no certificate. */
    private static boolean validJwt(String assertion) {
        if (assertion == null || assertion.split("\\.").length != 3) {
            return false;
        }
        try {
            JsonNode claims = Json.read(new String(Base64.getUrlDecoder().decode(assertion.split("\\.")[1]), StandardCharsets.UTF_8));
            return SimulatorCredentials.SALESFORCE_CLIENT_ID.equals(claims.path("iss").asText())
                    && !claims.path("sub").asText().isEmpty()
                    && claims.path("exp").asLong() * 1000 > System.currentTimeMillis();
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** Wraps an API handler with session check, daily quota, rate window and the usage header. */
    private Route.Handler api(Route.Handler handler) {
        return request -> {
            if (!tokens.isValid(TokenRegistry.bearer(request.header("Authorization")))) {
                return error(401, "INVALID_SESSION_ID", "Session expired or invalid");
            }
            RateLimitWindow.Admission admission = rateLimit.admit();
            if (!admission.admitted()) {
                return throttled(Math.max(1, (admission.retryAfterMillis() + 999) / 1000), "RATE_WINDOW");
            }
            if (!dailyQuota.consume()) {
                return withUsage(error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."));
            }
            try {
                return withUsage(handler.handle(request));
            } catch (QueryException e) {
                return withUsage(error("NOT_FOUND".equals(e.code()) ? 404 : 400, e.code(), e.getMessage()));
            }
        };
    }

    private SimResponse withUsage(SimResponse response) {
        long limit = dailyQuota.limit() > 0 ? dailyQuota.limit() : 15_000_000;
        return response.header("Sforce-Limit-Info", "api-usage=" + dailyQuota.used() + "/" + limit);
    }

    private SimResponse limits(SimRequest request) {
        long limit = dailyQuota.limit() > 0 ? dailyQuota.limit() : 15_000_000;
        return SimResponse.json(200, Map.of("DailyApiRequests", Map.of("Max", limit, "Remaining", limit - dailyQuota.used())));
    }

    // ---- describe ----

    private SimResponse describe(SimRequest request) {
        ObjectStore store = objectStore(request.pathGroup(2));
        ObjectNode body = Json.object();
        body.put("name", store.schema().object());
        body.put("label", store.schema().label());
        body.put("keyPrefix", SalesforceObjects.KEY_PREFIXES.get(store.schema().object()));
        body.put("createable", true).put("updateable", true).put("deletable", true).put("queryable", true)
                .put("replicateable", true).put("custom", false);
        ArrayNode fields = body.putArray("fields");
        for (SimField f : store.schema().fields()) {
            ObjectNode field = fields.addObject();
            field.put("name", f.name());
            field.put("label", f.label());
            field.put("type", sfType(f.type()));
            field.put("soapType", soapType(f.type()));
            field.put("length", f.type().isText() ? f.length() : 0);
            field.put("precision", f.type().isNumber() && f.type() != SimType.INT ? 18 : 0);
            field.put("scale", f.type() == SimType.CURRENCY ? 2 : 0);
            field.put("nillable", !f.required() && f.type() != SimType.BOOLEAN && f.type() != SimType.ID);
            field.put("createable", !f.readOnly());
            field.put("updateable", !f.readOnly());
            field.put("externalId", f.externalId());
            field.put("idLookup", f.externalId() || f.type() == SimType.ID);
            field.put("unique", f.unique());
            field.put("caseSensitive", false);
            field.put("calculated", false);
            field.put("autoNumber", false);
            field.put("defaultedOnCreate", f.readOnly() || f.type() == SimType.BOOLEAN);
            ArrayNode refs = field.putArray("referenceTo");
            if (f.referenceTo() != null) {
                refs.add(f.referenceTo());
                field.put("relationshipName", SalesforceObjects.relationshipName(f.name()));
            } else {
                field.putNull("relationshipName");
            }
            ArrayNode picklist = field.putArray("picklistValues");
            for (String value : f.picklist()) {
                picklist.addObject().put("active", true).put("defaultValue", false).put("label", value).put("value", value).putNull("validFor");
            }
            field.put("restrictedPicklist", !f.picklist().isEmpty());
        }
        body.putArray("childRelationships");
        body.putArray("recordTypeInfos");
        return SimResponse.json(200, body);
    }

    private static String sfType(SimType type) {
        return switch (type) {
            case ID -> "id";
            case STRING -> "string";
            case TEXTAREA -> "textarea";
            case EMAIL -> "email";
            case PHONE -> "phone";
            case URL -> "url";
            case PICKLIST -> "picklist";
            case MULTIPICKLIST -> "multipicklist";
            case REFERENCE -> "reference";
            case BOOLEAN -> "boolean";
            case INT -> "int";
            case DOUBLE -> "double";
            case CURRENCY -> "currency";
            case PERCENT -> "percent";
            case DATE -> "date";
            case DATETIME -> "datetime";
        };
    }

    private static String soapType(SimType type) {
        return switch (type) {
            case ID, REFERENCE -> "tns:ID";
            case BOOLEAN -> "xsd:boolean";
            case INT -> "xsd:int";
            case DOUBLE, CURRENCY, PERCENT -> "xsd:double";
            case DATE -> "xsd:date";
            case DATETIME -> "xsd:dateTime";
            default -> "xsd:string";
        };
    }

    // ---- query ----

    private SimResponse query(SimRequest request) {
        boolean all = request.pathGroup(2).equals("queryAll");
        String soql = request.param("q");
        if (soql == null) {
            throw new QueryException("MALFORMED_QUERY", "Missing query parameter q");
        }
        SoqlQuery q = SoqlParser.parse(soql);
        List<SimRecord> matched = execute(q, all);
        if (q.count()) {
            return SimResponse.json(200, Map.of("totalSize", matched.size(), "done", true, "records", List.of()));
        }
        QueryCursors.Cursor cursor = new QueryCursors.Cursor(stores.get(q.object()), q.fields(), matched, pageSize(request));
        return page(request.pathGroup(1), cursors.open(cursor), cursor, 0);
    }

    /** Runs a parsed SOQL statement: the matching records, sorted and limited. */
    private List<SimRecord> execute(SoqlQuery q, boolean includeDeleted) {
        ObjectStore store = stores.get(q.object());
        if (store == null) {
            throw new QueryException("INVALID_TYPE", "sObject type '" + q.object() + "' is not supported.");
        }
        for (String field : q.fields()) {
            if (store.schema().field(field).isEmpty()) {
                throw new QueryException("INVALID_FIELD", "No such column '" + field + "' on entity '" + q.object() + "'.");
            }
        }
        Stream<SimRecord> rows = store.stream().filter(r -> includeDeleted || !r.deleted()).filter(r -> q.where().test(r, store.schema()));
        if (!q.orderBy().isEmpty()) {
            rows = rows.sorted(OrderBy.comparator(q.orderBy(), store.schema()));
        }
        if (q.limit() != null) {
            rows = rows.limit(q.limit());
        }
        return rows.toList();
    }

    /** For bulk query jobs: {@code ALL:soql} includes deleted rows, {@code LIVE:soql} does not. */
    private List<SimRecord> runSoql(String prefixed) {
        boolean all = prefixed.startsWith("ALL:");
        return execute(SoqlParser.parse(prefixed.substring(prefixed.indexOf(':') + 1)), all);
    }

    private List<String> selectedFields(String soql) {
        return SoqlParser.parse(soql).fields();
    }

    /** One row of a bulk query result: values as CSV text, date-times in UTC with milliseconds. */
    List<String> csvRow(SimRecord record, String soql, List<String> columns) {
        ObjectStore store = stores.get(SoqlParser.parse(soql).object());
        List<String> row = new ArrayList<>(columns.size());
        for (String column : columns) {
            Object value = record.value(store.schema().field(column).orElseThrow());
            row.add(switch (value) {
                case null -> "";
                case Instant i -> BULK_DATETIME.format(i);
                default -> value.toString();
            });
        }
        return row;
    }

    /** The outcome of writing one record (bulk ingest rows). */
    record Outcome(boolean success, String id, boolean created, String errorCode, String errorMessage) {
        static Outcome failed(ObjectNode error) {
            return new Outcome(false, null, false, error.path("statusCode").asText(), error.path("message").asText());
        }
    }

    /** Writes one record the way a bulk ingest job does: validation, faults, then the store operation. */
    Outcome writeOne(ObjectStore store, String operation, String keyField, Map<String, Object> wire, String endpoint) {
        List<ObjectNode> errors = new ArrayList<>();
        String id = wire.get("Id") == null ? null : wire.get("Id").toString();
        switch (operation) {
            case "delete", "hardDelete" -> {
                if (id == null || store.delete(id).isEmpty()) {
                    return Outcome.failed(recordError("ENTITY_IS_DELETED", "entity is deleted or does not exist", List.of()));
                }
                return new Outcome(true, id, false, null, null);
            }
            case "update" -> {
                if (id == null || store.get(id).filter(r -> !r.deleted()).isEmpty()) {
                    return Outcome.failed(recordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", List.of("Id")));
                }
            }
            case "upsert" -> {
                Object key = wire.get(keyField);
                if (key == null || key.toString().isBlank()) {
                    return Outcome.failed(recordError("REQUIRED_FIELD_MISSING", "Required fields are missing: [" + keyField + "]", List.of(keyField)));
                }
            }
            default -> {
            }
        }
        boolean creating = switch (operation) {
            case "insert" -> true;
            case "upsert" -> store.findByUnique(keyField, wire.get(keyField)).filter(r -> !r.deleted()).isEmpty();
            default -> false;
        };
        Map<String, Object> values = validate(store, wire, creating, errors);
        if (errors.isEmpty() && faults.failRecord(SYSTEM, endpoint)) {
            errors.add(recordError("UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record", List.of()));
        }
        if (!errors.isEmpty()) {
            return Outcome.failed(errors.get(0));
        }
        try {
            return switch (operation) {
                case "insert" -> new Outcome(true, store.create(values).id(), true, null, null);
                case "update" -> new Outcome(true, store.update(id, values).id(), false, null, null);
                default -> {
                    Object key = values.remove(keyField);
                    ObjectStore.Upserted upserted = store.upsert(keyField, key, values);
                    yield new Outcome(true, upserted.record().id(), upserted.created(), null, null);
                }
            };
        } catch (UniqueViolation e) {
            return Outcome.failed(recordError("DUPLICATE_VALUE", "duplicate value found: " + e.field(), List.of(e.field())));
        }
    }

    private SimResponse queryMore(SimRequest request) {
        String locator = request.pathGroup(3);
        int dash = locator.lastIndexOf('-');
        QueryCursors.Cursor cursor = dash < 0 ? null : cursors.get(locator.substring(0, dash));
        if (cursor == null) {
            throw new QueryException("INVALID_QUERY_LOCATOR", "invalid query locator");
        }
        int offset;
        try {
            offset = Integer.parseInt(locator.substring(dash + 1));
        } catch (NumberFormatException e) {
            throw new QueryException("INVALID_QUERY_LOCATOR", "invalid query locator");
        }
        return page(request.pathGroup(1), locator.substring(0, dash), cursor, offset);
    }

    private SimResponse page(String version, String cursorId, QueryCursors.Cursor cursor, int offset) {
        int end = Math.min(cursor.rows().size(), offset + cursor.pageSize());
        ArrayNode records = Json.array();
        for (SimRecord record : cursor.rows().subList(Math.min(offset, end), end)) {
            records.add(render(cursor.store(), record, cursor.fields(), version));
        }
        ObjectNode body = Json.object();
        body.put("totalSize", cursor.rows().size());
        boolean done = end >= cursor.rows().size();
        body.put("done", done);
        if (!done) {
            body.put("nextRecordsUrl", "/services/data/v" + version + "/query/" + cursorId + "-" + end);
        } else {
            cursors.close(cursorId);
        }
        body.set("records", records);
        return SimResponse.json(200, body);
    }

    /** {@code Sforce-Query-Options: batchSize=N} is a hint between 200 and 2,000; the default is 2,000. */
    private static int pageSize(SimRequest request) {
        String options = request.header("Sforce-Query-Options");
        if (options != null && options.contains("batchSize=")) {
            try {
                int n = Integer.parseInt(options.replaceAll(".*batchSize=(\\d+).*", "$1"));
                return Math.max(200, Math.min(2000, n));
            } catch (NumberFormatException ignored) {
                // Salesforce ignores hints it cannot read.
            }
        }
        return 2000;
    }

    private ObjectNode render(ObjectStore store, SimRecord record, List<String> fields, String version) {
        ObjectNode node = Json.object();
        String object = store.schema().object();
        node.putObject("attributes").put("type", object).put("url", "/services/data/v" + version + "/sobjects/" + object + "/" + record.id());
        for (String name : fields) {
            SimField field = store.schema().field(name).orElseThrow();
            node.set(name, Json.MAPPER.valueToTree(wireValue(record.value(field))));
        }
        return node;
    }

    static Object wireValue(Object value) {
        if (value instanceof Instant instant) {
            return DATETIME.format(instant);
        }
        if (value instanceof LocalDate date) {
            return date.toString();
        }
        return value;
    }

    // ---- writes: sObject Collections ----

    private SimResponse upsert(SimRequest request) {
        ObjectStore store = objectStore(request.pathGroup(2));
        String keyField = request.pathGroup(3);
        SimField key = store.schema().field(keyField).orElse(null);
        if (key == null || !key.externalId()) {
            return error(404, "NOT_FOUND", "Provided external ID field does not exist or is not accessible: " + keyField);
        }
        Collection batch = collection(request);
        List<Map<String, Object>> wire = batch.records();
        List<ObjectNode> results = new ArrayList<>();
        List<Runnable> writes = new ArrayList<>();
        boolean anyFailed = false;
        for (Map<String, Object> record : wire) {
            List<ObjectNode> errors = new ArrayList<>();
            Object keyValue = record.get(keyField);
            if (!typeMatches(record, store)) {
                errors.add(recordError("INVALID_TYPE", "Record type does not match the URI", List.of()));
            } else if (keyValue == null || keyValue.toString().isBlank()) {
                errors.add(recordError("REQUIRED_FIELD_MISSING", "Required fields are missing: [" + keyField + "]", List.of(keyField)));
            } else if (record.containsKey("Id")) {
                errors.add(recordError("INVALID_FIELD", "Id is not allowed in an upsert by external id", List.of("Id")));
            }
            Map<String, Object> values = new LinkedHashMap<>();
            if (errors.isEmpty()) {
                boolean creating = store.findByUnique(keyField, keyValue).filter(r -> !r.deleted()).isEmpty();
                values = validate(store, record, creating, errors);
            }
            if (errors.isEmpty() && faults.failRecord(SYSTEM, "upsert")) {
                errors.add(recordError("UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record", List.of()));
            }
            ObjectNode result = Json.object();
            results.add(result);
            if (!errors.isEmpty()) {
                anyFailed = true;
                fail(result, errors);
                continue;
            }
            Map<String, Object> toWrite = values;
            toWrite.remove(keyField);
            writes.add(() -> {
                try {
                    ObjectStore.Upserted upserted = store.upsert(keyField, keyValue, toWrite);
                    result.put("id", upserted.record().id()).put("success", true).put("created", upserted.created());
                    result.putArray("errors");
                } catch (UniqueViolation e) {
                    fail(result, List.of(recordError("DUPLICATE_VALUE", "duplicate value found: " + e.field()
                            + " duplicates value on record with id: " + e.existingId(), List.of(e.field()))));
                }
            });
        }
        return finish(batch.allOrNone() && anyFailed, results, writes);
    }

    private SimResponse create(SimRequest request) {
        Collection batch = collection(request);
        List<ObjectNode> results = new ArrayList<>();
        List<Runnable> writes = new ArrayList<>();
        boolean anyFailed = false;
        for (Map<String, Object> record : batch.records()) {
            List<ObjectNode> errors = new ArrayList<>();
            ObjectStore store = typeOf(record).flatMap(this::store).orElse(null);
            Map<String, Object> values = Map.of();
            if (store == null) {
                errors.add(recordError("INVALID_TYPE", "Every record needs attributes.type naming a known object", List.of()));
            } else {
                values = validate(store, record, true, errors);
            }
            ObjectNode result = Json.object();
            results.add(result);
            if (!errors.isEmpty()) {
                anyFailed = true;
                fail(result, errors);
                continue;
            }
            Map<String, Object> toWrite = values;
            writes.add(() -> {
                try {
                    result.put("id", store.create(toWrite).id()).put("success", true);
                    result.putArray("errors");
                } catch (UniqueViolation e) {
                    fail(result, List.of(recordError("DUPLICATE_VALUE", "duplicate value found: " + e.field(), List.of(e.field()))));
                }
            });
        }
        return finish(batch.allOrNone() && anyFailed, results, writes);
    }

    private SimResponse update(SimRequest request) {
        Collection batch = collection(request);
        List<ObjectNode> results = new ArrayList<>();
        List<Runnable> writes = new ArrayList<>();
        boolean anyFailed = false;
        for (Map<String, Object> record : batch.records()) {
            List<ObjectNode> errors = new ArrayList<>();
            ObjectStore store = typeOf(record).flatMap(this::store).orElse(null);
            Object id = record.get("Id");
            Map<String, Object> values = Map.of();
            if (store == null) {
                errors.add(recordError("INVALID_TYPE", "Every record needs attributes.type naming a known object", List.of()));
            } else if (id == null || store.get(id.toString()).filter(r -> !r.deleted()).isEmpty()) {
                errors.add(recordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", List.of("Id")));
            } else {
                values = validate(store, record, false, errors);
            }
            ObjectNode result = Json.object();
            results.add(result);
            if (!errors.isEmpty()) {
                anyFailed = true;
                fail(result, errors);
                continue;
            }
            Map<String, Object> toWrite = values;
            writes.add(() -> {
                try {
                    result.put("id", store.update(id.toString(), toWrite).id()).put("success", true);
                    result.putArray("errors");
                } catch (UniqueViolation e) {
                    fail(result, List.of(recordError("DUPLICATE_VALUE", "duplicate value found: " + e.field(), List.of(e.field()))));
                }
            });
        }
        return finish(batch.allOrNone() && anyFailed, results, writes);
    }

    private SimResponse delete(SimRequest request) {
        String ids = request.param("ids", "");
        List<String> idList = ids.isBlank() ? List.of() : List.of(ids.split(","));
        if (idList.size() > MAX_COLLECTION) {
            return error(400, "EXCEEDED_ID_LIMIT", "Too many ids: " + idList.size() + " (at most " + MAX_COLLECTION + ")");
        }
        ArrayNode results = Json.array();
        for (String id : idList) {
            ObjectNode result = results.addObject();
            Optional<SimRecord> deleted = stores.values().stream().filter(s -> s.get(id).isPresent()).findFirst()
                    .flatMap(s -> s.delete(id));
            if (deleted.isPresent()) {
                result.put("id", id).put("success", true);
                result.putArray("errors");
            } else {
                fail(result, List.of(recordError("ENTITY_IS_DELETED", "entity is deleted or does not exist", List.of())));
            }
        }
        return SimResponse.json(200, results);
    }

    // ---- write helpers ----

    private record Collection(boolean allOrNone, List<Map<String, Object>> records) {
    }

    private Collection collection(SimRequest request) {
        JsonNode body = request.json();
        JsonNode records = body.path("records");
        if (!records.isArray()) {
            throw new BadRequestException("Body needs a records array");
        }
        if (records.size() > MAX_COLLECTION) {
            throw new BadRequestException("Too many records: " + records.size() + " (at most " + MAX_COLLECTION + ")");
        }
        List<Map<String, Object>> list = new ArrayList<>();
        for (JsonNode record : records) {
            Map<String, Object> fields = new LinkedHashMap<>();
            record.fields().forEachRemaining(e -> fields.put(e.getKey(), e.getValue().isObject() ? e.getValue() : Json.scalar(e.getValue())));
            list.add(fields);
        }
        return new Collection(body.path("allOrNone").asBoolean(false), list);
    }

    private static Optional<String> typeOf(Map<String, Object> record) {
        return record.get("attributes") instanceof JsonNode attributes && attributes.hasNonNull("type")
                ? Optional.of(attributes.get("type").asText()) : Optional.empty();
    }

    private static boolean typeMatches(Map<String, Object> record, ObjectStore store) {
        return typeOf(record).map(t -> t.equals(store.schema().object())).orElse(false);
    }

    /**
     * Validates fields and resolves relationship references by external id ({@code "Account": {"External_Id__c": "A1"}}),
     * adding errors; returns the typed values to write.
     */
    private Map<String, Object> validate(ObjectStore store, Map<String, Object> record, boolean creating, List<ObjectNode> errors) {
        Map<String, Object> plain = new LinkedHashMap<>();
        for (var entry : record.entrySet()) {
            if (entry.getKey().equals("attributes") || entry.getKey().equals("Id")) {
                continue;
            }
            if (entry.getValue() instanceof JsonNode reference) {
                resolveReference(store, entry.getKey(), reference, plain, errors);
            } else {
                plain.put(entry.getKey(), entry.getValue());
            }
        }
        RecordValidator.Result result = RecordValidator.validate(store.schema(), plain, creating, List.of());
        for (Violation v : result.violations()) {
            errors.add(recordError(statusCode(v.kind()), v.message(), List.of(v.field())));
        }
        for (SimField field : store.schema().fields()) {
            Object value = result.values().get(field.name());
            if (field.referenceTo() != null && value != null
                    && stores.get(field.referenceTo()).get(value.toString()).filter(r -> !r.deleted()).isEmpty()) {
                errors.add(recordError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id in " + field.name(), List.of(field.name())));
            }
        }
        return new HashMap<>(result.values());
    }

    private void resolveReference(ObjectStore store, String relationship, JsonNode reference, Map<String, Object> plain,
                                  List<ObjectNode> errors) {
        SimField field = store.schema().fields().stream()
                .filter(f -> f.referenceTo() != null && relationship.equals(SalesforceObjects.relationshipName(f.name())))
                .findFirst().orElse(null);
        if (field == null || reference.size() != 1 || !reference.fields().hasNext()) {
            errors.add(recordError("INVALID_FIELD", "No such relationship: " + relationship, List.of(relationship)));
            return;
        }
        var keyEntry = reference.fields().next();
        ObjectStore target = stores.get(field.referenceTo());
        Optional<SimRecord> parent = target.isIndexed(keyEntry.getKey())
                ? target.findByUnique(keyEntry.getKey(), keyEntry.getValue().asText()) : Optional.empty();
        if (parent.isEmpty()) {
            errors.add(recordError("INVALID_FIELD", "Foreign key external ID: " + keyEntry.getValue().asText()
                    + " not found for field " + keyEntry.getKey() + " in entity " + field.referenceTo(), List.of(field.name())));
        } else {
            plain.put(field.name(), parent.get().id());
        }
    }

    private static String statusCode(Violation.Kind kind) {
        return switch (kind) {
            case UNKNOWN_FIELD -> "INVALID_FIELD";
            case READ_ONLY -> "INVALID_FIELD_FOR_INSERT_UPDATE";
            case REQUIRED -> "REQUIRED_FIELD_MISSING";
            case INVALID_EMAIL -> "INVALID_EMAIL_ADDRESS";
            case INVALID_PICKLIST -> "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST";
            case TOO_LONG -> "STRING_TOO_LONG";
            case DUPLICATE -> "DUPLICATE_VALUE";
            case INVALID_REFERENCE -> "INVALID_CROSS_REFERENCE_KEY";
            case INVALID_VALUE -> "INVALID_TYPE_ON_FIELD_IN_RECORD";
        };
    }

    private static ObjectNode recordError(String code, String message, List<String> fields) {
        ObjectNode error = Json.object();
        error.put("statusCode", code).put("message", message);
        ArrayNode f = error.putArray("fields");
        fields.forEach(f::add);
        return error;
    }

    private static void fail(ObjectNode result, List<ObjectNode> errors) {
        result.putNull("id");
        result.put("success", false);
        ArrayNode list = result.putArray("errors");
        errors.forEach(list::add);
    }

    /** Applies the writes unless all-or-none rolls the batch back, then answers with the results in order. */
    private SimResponse finish(boolean rollBack, List<ObjectNode> results, List<Runnable> writes) {
        if (rollBack) {
            for (ObjectNode result : results) {
                if (!result.has("success")) {
                    fail(result, List.of(recordError("ALL_OR_NONE_OPERATION_ROLLED_BACK",
                            "Record rolled back because not all records were valid and the request was using AllOrNone header", List.of())));
                }
            }
        } else {
            writes.forEach(Runnable::run);
        }
        ArrayNode body = Json.array();
        results.forEach(body::add);
        return SimResponse.json(200, body);
    }

    private ObjectStore objectStore(String object) {
        ObjectStore store = stores.get(object);
        if (store == null) {
            throw new QueryException("NOT_FOUND", "The requested resource does not exist: sObject type '" + object + "'");
        }
        return store;
    }

    // ---- seed ----

    @Override
    public void load(SeedData data) {
        Map<String, String> accountIds = new HashMap<>();
        Map<String, String> contactIds = new HashMap<>();
        ObjectStore accounts = stores.get("Account");
        for (SeedData.Company c : data.companies()) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("Name", c.name());
            f.put("Website", c.website());
            f.put("Industry", c.industry());
            f.put("Phone", c.phone());
            f.put("BillingCity", c.city());
            f.put("BillingCountry", c.country());
            f.put("NumberOfEmployees", c.employees());
            f.put("AnnualRevenue", c.annualRevenue());
            SimRecord r = accounts.put(seeded(accounts, f, c.createdAt(), c.modifiedAt()));
            accountIds.put(c.key(), r.id());
            groundTruth.put("Account", r.id(), c.clusterKey());
        }
        ObjectStore contacts = stores.get("Contact");
        for (SeedData.Person p : data.people()) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("FirstName", p.firstName());
            f.put("LastName", p.lastName());
            f.put("Email", p.email());
            f.put("Phone", p.phone());
            f.put("MobilePhone", p.mobile());
            f.put("Title", p.title());
            f.put("AccountId", accountIds.get(p.companyKey()));
            f.put("MailingCity", p.city());
            f.put("MailingCountry", p.country());
            f.put("LeadSource", p.leadSource());
            f.put("Birthdate", p.birthdate());
            f.put("Legacy_Signup_Date__c", p.signupDateText());
            SimRecord r = contacts.put(seeded(contacts, f, p.createdAt(), p.modifiedAt()));
            contactIds.put(p.key(), r.id());
            groundTruth.put("Contact", r.id(), p.clusterKey());
        }
        ObjectStore opportunities = stores.get("Opportunity");
        for (SeedData.Deal d : data.deals()) {
            Map<String, Object> f = new LinkedHashMap<>();
            f.put("Name", d.name());
            f.put("StageName", SalesforceObjects.STAGES.get(d.stage()));
            f.put("Amount", d.amount());
            f.put("CloseDate", d.closeDate());
            f.put("Probability", d.probability());
            f.put("AccountId", accountIds.get(d.companyKey()));
            f.put("ContactId", d.personKey() == null ? null : contactIds.get(d.personKey()));
            opportunities.put(seeded(opportunities, f, d.createdAt(), d.modifiedAt()));
        }
    }

    private SimRecord seeded(ObjectStore store, Map<String, Object> fields, Instant created, Instant modified) {
        fields.values().removeIf(java.util.Objects::isNull);
        return new SimRecord(store.newId(), fields, clock.truncate(created), clock.truncate(modified), false, null);
    }

    /** A fresh query-locator id, as Salesforce hands out. */
    static String newLocator() {
        return "01g" + UUID.randomUUID().toString().replace("-", "").substring(0, 15);
    }
}
