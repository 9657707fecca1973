package io.nificrm.services.dynamics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.api.CrmException;
import io.nificrm.api.CrmField;
import io.nificrm.api.CrmFieldType;
import io.nificrm.api.CrmObjectSchema;
import io.nificrm.api.CrmWriteRequest;
import io.nificrm.api.CrmWriteResult;
import io.nificrm.api.WriteOperation;
import io.nificrm.services.AbstractCrmConnectionService;
import io.nificrm.services.http.CrmHttpClient;
import io.nificrm.services.http.ResponsePolicy;
import io.nificrm.services.http.RetryPolicy;
import io.nificrm.services.records.RecordValues;
import io.nificrm.services.records.WireValues;
import io.nificrm.services.records.WriteFields;
import org.apache.nifi.serialization.record.Record;

import java.math.BigDecimal;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.StringJoiner;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One {@code $batch} for a write request and the mapping of its multipart answer back to the input records
 * (see {@link DynamicsConnectionService} for the protocol). Records that cannot be sent — no key value, a key that
 * is not a GUID, columns the table lacks, a value that does not fit its column, a reference that names no lookup —
 * are rejected locally and never leave.
 */
final class DynamicsWriter {
    private static final Pattern ENTITY_ID = Pattern.compile("\\(\\{?([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})}?\\)\\s*$");
    private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,79}");

    private final DynamicsConnectionService service;
    private final DynamicsSchemas.Entity entity;
    private final CrmObjectSchema schema;
    private final String object;
    private final ResponsePolicy policy = new DynamicsResponsePolicy();

    DynamicsWriter(DynamicsConnectionService service, DynamicsSchemas.Entity entity) {
        this.service = service;
        this.entity = entity;
        this.schema = entity.schema();
        this.object = schema.name();
    }

    /** A record that cannot be sent, with the reason. */
    private static final class Rejected extends Exception {
        final String code;

        Rejected(String code, String message) {
            super(message, null, false, false);
            this.code = code;
        }
    }

    List<CrmWriteResult> write(CrmWriteRequest request) {
        WriteOperation operation = request.operation();
        String key = request.keyField() == null ? schema.idField() : request.keyField();
        boolean byId = key.equals(schema.idField());
        checkKey(operation, key, byId);
        CrmWriteResult[] results = new CrmWriteResult[request.records().size()];
        List<Integer> sent = new ArrayList<>();
        List<String> keyValues = new ArrayList<>();
        List<DynamicsBatch.Request> requests = new ArrayList<>();
        for (int i = 0; i < results.length; i++) {
            Record record = request.records().get(i);
            String keyValue = operation == WriteOperation.INSERT ? null : RecordValues.text(record, key);
            try {
                requests.add(toRequest(operation, record, key, byId, keyValue));
                sent.add(i);
                keyValues.add(keyValue);
            } catch (Rejected r) {
                results[i] = CrmWriteResult.rejected(r.code, r.getMessage());
            }
        }
        if (!requests.isEmpty()) {
            List<DynamicsBatch.Response> answers = send(operation, requests);
            Map<String, DynamicsBatch.Response> byContentId = new HashMap<>();
            boolean allIdentified = !answers.isEmpty();
            for (DynamicsBatch.Response answer : answers) {
                if (answer.contentId() == null) {
                    allIdentified = false;
                } else {
                    byContentId.put(answer.contentId().trim(), answer);
                }
            }
            for (int j = 0; j < sent.size(); j++) {
                DynamicsBatch.Response answer = allIdentified ? byContentId.get(Integer.toString(j + 1))
                        : j < answers.size() ? answers.get(j) : null;
                results[sent.get(j)] = answer == null
                        ? CrmWriteResult.failedTransiently("NO_RESULT", "The $batch answer holds no response for this record")
                        : toResult(operation, answer, byId ? keyValues.get(j) : null);
            }
        }
        return Arrays.asList(results);
    }

    private void checkKey(WriteOperation operation, String key, boolean byId) {
        if (operation == WriteOperation.INSERT) {
            return;
        }
        CrmField field = schema.field(key).orElseThrow(() -> new CrmException(CrmException.Reason.CONFIGURATION,
                "Table " + object + " has no key column " + key));
        if (!byId && !field.externalId()) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "Column " + object + "." + key + " is not the only column "
                    + "of an active alternate key, so Dataverse cannot " + operation.name().toLowerCase(Locale.ROOT)
                    + " by it; define an alternate key on it or use " + schema.idField());
        }
    }

    // ---- requests ----

    private DynamicsBatch.Request toRequest(WriteOperation operation, Record record, String key, boolean byId, String keyValue) throws Rejected {
        String set = service.root() + entity.table().setName();
        if (operation == WriteOperation.INSERT) {
            return new DynamicsBatch.Request("POST", set, Map.of(), body(record, operation, key).toString());
        }
        if (keyValue == null || keyValue.isBlank()) {
            throw new Rejected("REQUIRED_FIELD_MISSING", "The key column " + key + " has no value");
        }
        String segment;
        try {
            segment = ODataLiteral.keySegment(key, keyValue, byId);
        } catch (IllegalArgumentException e) {
            throw new Rejected("INVALID_ID", "The key column " + key + " does not hold a GUID");
        }
        String url = set + "(" + segment + ")";
        return switch (operation) {
            case UPSERT -> new DynamicsBatch.Request("PATCH", url + "?$select=" + schema.idField(),
                    Map.of("Prefer", "return=representation"), body(record, operation, key).toString());
            case UPDATE -> new DynamicsBatch.Request("PATCH", url, Map.of("If-Match", "*"), body(record, operation, key).toString());
            case DELETE -> new DynamicsBatch.Request("DELETE", url, Map.of(), null);
            case INSERT -> throw new IllegalStateException();
        };
    }

    /** The JSON body of a record: plain columns as values, lookups as {@code <navigation>@odata.bind}. */
    private ObjectNode body(Record record, WriteOperation operation, String key) throws Rejected {
        WriteFields.Outcome fields = WriteFields.of(record, schema, Set.of());
        if (!fields.unknown().isEmpty()) {
            throw new Rejected("UNKNOWN_FIELD", "Table " + object + " has no column(s) " + fields.unknown());
        }
        ObjectNode json = CrmHttpClient.JSON.createObjectNode();
        for (Map.Entry<String, Object> entry : fields.values().entrySet()) {
            String name = entry.getKey();
            Object value = entry.getValue();
            if (operation != WriteOperation.INSERT && (name.equals(key) || name.equals(schema.idField()))) {
                continue; // the key is in the URL; Dataverse takes it from there
            }
            if (name.equals(schema.idField()) && value == null) {
                continue;
            }
            int dot = name.indexOf('.');
            if (dot > 0) {
                bindByKey(json, name.substring(0, dot), name.substring(dot + 1), value);
            } else {
                CrmField field = schema.field(name).orElseThrow();
                if (field.type() == CrmFieldType.REFERENCE) {
                    bindById(json, field, value);
                } else {
                    json.set(name, CrmHttpClient.JSON.valueToTree(toWire(field, value)));
                }
            }
        }
        return json;
    }

    /** {@code parentcustomerid} = GUID → {@code "parentcustomerid_account@odata.bind": "/accounts(<guid>)"}. */
    private void bindById(ObjectNode json, CrmField field, Object value) throws Rejected {
        String target = target(field);
        String navigation = entity.navigation(field.name(), target) + "@odata.bind";
        if (value == null) {
            json.putNull(navigation);
            return;
        }
        String guid;
        try {
            guid = ODataLiteral.guid(value.toString());
        } catch (IllegalArgumentException e) {
            throw new Rejected("INVALID_REFERENCE", "Lookup column " + field.name() + " needs the GUID of a " + target
                    + " row; to refer to it by alternate key, name the field " + field.name() + ".<key column>");
        }
        json.put(navigation, "/" + setOf(target) + "(" + guid + ")");
    }

    /** {@code parentcustomerid.nificrm_sourceid} = v → {@code "parentcustomerid_account@odata.bind": "/accounts(nificrm_sourceid='v')"}. */
    private void bindByKey(ObjectNode json, String lookup, String keyColumn, Object value) throws Rejected {
        CrmField field = schema.field(lookup).filter(f -> f.type() == CrmFieldType.REFERENCE).orElseThrow(() -> new Rejected(
                "UNKNOWN_FIELD", "Field " + lookup + "." + keyColumn + " refers to " + lookup + ", which is not a lookup column of " + object));
        if (!NAME.matcher(keyColumn).matches()) {
            throw new Rejected("UNKNOWN_FIELD", "Field " + lookup + "." + keyColumn + " does not name a key column");
        }
        String target = target(field);
        String navigation = entity.navigation(lookup, target) + "@odata.bind";
        if (value == null || value.toString().isBlank()) {
            json.putNull(navigation);
            return;
        }
        DynamicsSchemas.Table targetTable = table(target);
        boolean primary = keyColumn.equals(targetTable.primaryId());
        String segment;
        try {
            segment = ODataLiteral.keySegment(keyColumn, value.toString().trim(), primary);
        } catch (IllegalArgumentException e) {
            throw new Rejected("INVALID_REFERENCE", "Field " + lookup + "." + keyColumn + " does not hold a GUID");
        }
        json.put(navigation, "/" + targetTable.setName() + "(" + segment + ")");
    }

    private static String target(CrmField field) throws Rejected {
        if (field.referenceTo() == null) {
            throw new Rejected("INVALID_REFERENCE", "Lookup column " + field.name() + " has no target table in the metadata");
        }
        return field.referenceTo();
    }

    private String setOf(String target) throws Rejected {
        return table(target).setName();
    }

    private DynamicsSchemas.Table table(String target) throws Rejected {
        try {
            AbstractCrmConnectionService.requireApiName("object", target);
            return service.table(target);
        } catch (CrmException e) {
            if (e.reason() == CrmException.Reason.NOT_FOUND || e.reason() == CrmException.Reason.CONFIGURATION) {
                throw new Rejected("INVALID_REFERENCE", "The target table " + target + " of a lookup cannot be described: " + e.getMessage());
            }
            throw e;
        }
    }

    /** A record value as the column's JSON: numbers, booleans, choice integers, dates and UTC date-times. */
    private static Object toWire(CrmField field, Object value) throws Rejected {
        if (value == null) {
            return null;
        }
        try {
            return switch (field.type()) {
                case INTEGER -> value instanceof Number n ? (Object) n.longValue() : WireValues.fromText(CrmFieldType.INTEGER, value.toString());
                case DECIMAL -> value instanceof Number n ? (Object) n : new BigDecimal(value.toString().trim());
                case BOOLEAN -> value instanceof Boolean b ? b : WireValues.fromText(CrmFieldType.BOOLEAN, value.toString());
                case PICKLIST -> choice(value);
                case MULTI_PICKLIST -> {
                    StringJoiner joined = new StringJoiner(",");
                    for (String part : value.toString().split("[;,]")) {
                        if (!part.isBlank()) {
                            joined.add(Long.toString(choice(part)));
                        }
                    }
                    yield joined.toString();
                }
                case DATE, DATETIME -> RecordValues.toJson(value, field.type());
                default -> String.valueOf(RecordValues.toJson(value, null));
            };
        } catch (RuntimeException e) {
            throw new Rejected("INVALID_VALUE", "The value of column " + field.name() + " is not a valid "
                    + (field.type() == CrmFieldType.PICKLIST || field.type() == CrmFieldType.MULTI_PICKLIST
                    ? "choice (Dataverse choices are integers, e.g. 1)" : field.type().name().toLowerCase(Locale.ROOT)));
        }
    }

    private static long choice(Object value) {
        if (value instanceof Number n) {
            return n.longValue();
        }
        return new BigDecimal(value.toString().trim()).longValueExact();
    }

    // ---- sending ----

    private List<DynamicsBatch.Response> send(WriteOperation operation, List<DynamicsBatch.Request> requests) {
        String boundary = DynamicsBatch.newBoundary();
        String body = DynamicsBatch.body(boundary, requests);
        boolean idempotent = operation != WriteOperation.INSERT;
        String what = "the $batch " + operation.name().toLowerCase(Locale.ROOT) + " of " + requests.size() + " " + object + " records";
        String url = service.root() + "$batch";
        RetryPolicy backoff = new RetryPolicy(service.maxRetries(), Duration.ofMillis(200), Duration.ofSeconds(10));
        for (int attempt = 0; ; attempt++) {
            CrmHttpClient.Response answer = service.client().send(t -> service.request(url)
                    .header("Content-Type", "multipart/mixed;boundary=" + boundary)
                    .header("Prefer", "odata.continue-on-error")
                    .POST(HttpRequest.BodyPublishers.ofString(body)), what, idempotent);
            try {
                return DynamicsBatch.parse(answer.headers().firstValue("Content-Type").orElse(null), answer.body());
            } catch (DynamicsBatch.MalformedBatch e) {
                if (!idempotent || attempt >= backoff.maxRetries()) {
                    throw new CrmException(CrmException.Reason.MALFORMED_RESPONSE, null, answer.status(),
                            DynamicsResponsePolicy.LABEL + " answered " + what + " with an unreadable body (" + e.getMessage() + ")"
                                    + (idempotent ? " " + (attempt + 1) + " times" : "; the outcome of each record is unknown"), null);
                }
                service.countMalformed();
                try {
                    Thread.sleep(backoff.delay(attempt).toMillis());
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw new CrmException(CrmException.Reason.UNAVAILABLE, "interrupted while waiting to repeat " + what);
                }
            }
        }
    }

    // ---- answers ----

    private CrmWriteResult toResult(WriteOperation operation, DynamicsBatch.Response answer, String keyId) {
        int status = answer.status();
        if (status / 100 == 2) {
            String id = idOf(answer);
            if (id == null && keyId != null) {
                id = keyId.trim().toLowerCase(Locale.ROOT);
            }
            return switch (operation) {
                case INSERT -> CrmWriteResult.created(id);
                case UPSERT -> status == 201 ? CrmWriteResult.created(id) : CrmWriteResult.updated(id);
                case UPDATE -> CrmWriteResult.updated(id);
                case DELETE -> CrmWriteResult.deleted(id);
            };
        }
        ResponsePolicy.ErrorDetail detail = policy.describe(answer.body());
        String code = detail.code() != null ? detail.code() : "HTTP_" + status;
        String message = detail.message() != null ? detail.message() : "Dataverse answered HTTP " + status;
        boolean retry = status == 429 || status == 408 || status == 401 || status >= 500;
        return retry ? CrmWriteResult.failedTransiently(code, message) : CrmWriteResult.rejected(code, message);
    }

    /** The row's GUID: from a returned representation, else from the {@code OData-EntityId} or {@code Location} URL. */
    private String idOf(DynamicsBatch.Response answer) {
        if (answer.body() != null && !answer.body().isBlank()) {
            try {
                JsonNode row = CrmHttpClient.JSON.readTree(answer.body());
                String id = row.path(schema.idField()).asText(null);
                if (id != null && ODataLiteral.isGuid(id)) {
                    return id;
                }
            } catch (Exception e) {
                // no representation: fall back to the headers
            }
        }
        for (String header : List.of("odata-entityid", "location")) {
            String url = answer.header(header);
            if (url != null) {
                Matcher m = ENTITY_ID.matcher(url);
                if (m.find()) {
                    return m.group(1).toLowerCase(Locale.ROOT);
                }
            }
        }
        return null;
    }
}
