package io.nificrm.services.salesforce;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.api.CrmException;
import io.nificrm.api.CrmField;
import io.nificrm.api.CrmObjectSchema;
import io.nificrm.api.CrmWriteRequest;
import io.nificrm.api.CrmWriteResult;
import io.nificrm.api.WriteOperation;
import io.nificrm.services.http.CrmHttpClient;
import io.nificrm.services.records.RecordValues;
import io.nificrm.services.records.WriteFields;
import org.apache.nifi.serialization.record.Record;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.StringJoiner;

/**
 * One sObject Collections call for a batch, and its per-record results mapped back to the input order.
 * Records that cannot be sent (no key value, fields the object lacks) are rejected locally and never leave.
 */
final class SalesforceWriter {
    /** Status codes that mean "try this record again later". */
    static final Set<String> TRANSIENT_CODES = Set.of("UNABLE_TO_LOCK_ROW", "SERVER_UNAVAILABLE",
            "REQUEST_LIMIT_EXCEEDED", "QUERY_TIMEOUT", "REQUEST_RUNNING_TOO_LONG");

    private final SalesforceConnectionService service;
    private final CrmObjectSchema schema;

    SalesforceWriter(SalesforceConnectionService service, CrmObjectSchema schema) {
        this.service = service;
        this.schema = schema;
    }

    /** The field that finds records for this request, checked against describe. */
    String keyOf(CrmWriteRequest request) {
        String key = request.keyField() == null ? schema.idField() : request.keyField();
        checkKey(request.operation(), key);
        return key;
    }

    /** Writes at most 200 records with one sObject Collections call. */
    List<CrmWriteResult> write(CrmWriteRequest request) {
        String key = keyOf(request);
        CrmWriteResult[] results = new CrmWriteResult[request.records().size()];
        List<Integer> sent = new ArrayList<>();
        ArrayNode payload = CrmHttpClient.JSON.createArrayNode();
        for (int i = 0; i < results.length; i++) {
            Record record = request.records().get(i);
            String keyValue = RecordValues.text(record, key);
            if (request.operation() != WriteOperation.INSERT && (keyValue == null || keyValue.isBlank())) {
                results[i] = CrmWriteResult.rejected("REQUIRED_FIELD_MISSING", "The key field " + key + " has no value");
                continue;
            }
            if (request.operation() == WriteOperation.DELETE) {
                payload.add(keyValue);
                sent.add(i);
                continue;
            }
            WriteFields.Outcome fields = WriteFields.of(record, schema, request.operation() == WriteOperation.UPDATE ? Set.of(key) : Set.of());
            if (!fields.unknown().isEmpty()) {
                results[i] = CrmWriteResult.rejected("UNKNOWN_FIELD", "Object " + schema.name() + " has no field(s) " + fields.unknown());
                continue;
            }
            ObjectNode json = CrmHttpClient.JSON.createObjectNode();
            json.putObject("attributes").put("type", schema.name());
            String badField = null;
            for (var field : fields.values().entrySet()) {
                try {
                    putField(json, field.getKey(), field.getValue());
                } catch (RuntimeException e) {
                    badField = field.getKey();
                    break;
                }
            }
            if (badField != null) {
                results[i] = CrmWriteResult.rejected("INVALID_VALUE", "The value of " + badField + " does not fit its type in "
                        + schema.name());
                continue;
            }
            if (request.operation() == WriteOperation.UPSERT) {
                json.remove(schema.idField());
            }
            payload.add(json);
            sent.add(i);
        }
        if (!sent.isEmpty()) {
            JsonNode answer = send(request, key, payload);
            if (!answer.isArray() || answer.size() != sent.size()) {
                throw new CrmException(CrmException.Reason.MALFORMED_RESPONSE, "Salesforce answered " + sent.size()
                        + " records with " + answer.size() + " results");
            }
            for (int j = 0; j < sent.size(); j++) {
                results[sent.get(j)] = toResult(answer.get(j), request.operation());
            }
        }
        return Arrays.asList(results);
    }

    private void checkKey(WriteOperation operation, String key) {
        CrmField field = schema.field(key).orElseThrow(() -> new CrmException(CrmException.Reason.CONFIGURATION,
                "Object " + schema.name() + " has no key field " + key));
        if (operation == WriteOperation.UPSERT && !field.externalId() && !key.equals(schema.idField())) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "Field " + schema.name() + "." + key
                    + " is not an external id, so Salesforce cannot upsert by it");
        }
        if ((operation == WriteOperation.UPDATE || operation == WriteOperation.DELETE) && !key.equals(schema.idField())) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "Salesforce updates and deletes records by Id; use an upsert to match on " + key);
        }
    }

    /**
     * Plain fields go as values; {@code Account.External_Id__c} becomes a relationship reference by external id (a
     * null reference means "no parent" and is left out).
     */
    private void putField(ObjectNode json, String name, Object value) {
        int dot = name.indexOf('.');
        if (dot > 0) {
            if (value == null || value.toString().isBlank()) {
                return;
            }
            json.putObject(name.substring(0, dot)).set(name.substring(dot + 1), CrmHttpClient.JSON.valueToTree(RecordValues.toJson(value, null)));
        } else {
            CrmField field = schema.field(name).orElseThrow();
            json.set(name, CrmHttpClient.JSON.valueToTree(RecordValues.toJson(value, field.type())));
        }
    }

    private JsonNode send(CrmWriteRequest request, String key, ArrayNode payload) {
        String object = schema.name();
        CrmHttpClient http = service.client();
        return switch (request.operation()) {
            case UPSERT -> http.sendJson(t -> service.json(t, "PATCH", "/composite/sobjects/" + object + "/" + key, body(payload)),
                    "upsert " + object, true);
            case INSERT -> http.sendJson(t -> service.json(t, "POST", "/composite/sobjects", body(payload)), "insert " + object, false);
            case UPDATE -> http.sendJson(t -> service.json(t, "PATCH", "/composite/sobjects", body(payload)), "update " + object, true);
            case DELETE -> {
                StringJoiner ids = new StringJoiner(",");
                payload.forEach(id -> ids.add(id.asText()));
                String path = "/composite/sobjects?allOrNone=false&ids=" + URLEncoder.encode(ids.toString(), StandardCharsets.UTF_8);
                yield http.sendJson(t -> service.get(t, path).DELETE(), "delete " + object, true);
            }
        };
    }

    private static ObjectNode body(ArrayNode records) {
        ObjectNode body = CrmHttpClient.JSON.createObjectNode();
        body.put("allOrNone", false);
        body.set("records", records);
        return body;
    }

    private static CrmWriteResult toResult(JsonNode result, WriteOperation operation) {
        String id = result.path("id").asText(null);
        if (result.path("success").asBoolean(false)) {
            return switch (operation) {
                case DELETE -> CrmWriteResult.deleted(id);
                case INSERT -> CrmWriteResult.created(id);
                case UPDATE -> CrmWriteResult.updated(id);
                case UPSERT -> result.path("created").asBoolean(false) ? CrmWriteResult.created(id) : CrmWriteResult.updated(id);
            };
        }
        JsonNode error = result.path("errors").path(0);
        String code = error.path("statusCode").asText("UNKNOWN_ERROR");
        StringBuilder message = new StringBuilder(error.path("message").asText("Salesforce rejected the record"));
        if (error.path("fields").isArray() && !error.path("fields").isEmpty()) {
            message.append(" (fields: ").append(error.path("fields").toString()).append(')');
        }
        return TRANSIENT_CODES.contains(code) ? CrmWriteResult.failedTransiently(code, message.toString())
                : CrmWriteResult.rejected(code, message.toString());
    }
}
