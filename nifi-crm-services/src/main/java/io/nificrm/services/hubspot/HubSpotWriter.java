package io.nificrm.services.hubspot;

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

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Batch writes and the reconciliation of HubSpot's answer: {@code results} and {@code errors} are separate lists,
 * matched back to inputs by the key value (upsert, update, archive) or by {@code objectWriteTraceId} (create).
 * An input that shows up in neither list is reported as a transient failure, never as a success. A key that
 * appears twice in one batch is sent in a later call, so each call has unique keys.
 * <p>
 * Associations: a record field {@code associations.<objectType>} (e.g. {@code associations.companies}) holding a
 * record id of that type links the written record to it with the v4 default association, after the write. A
 * record whose association fails is reported as a transient failure, so a retry (the upsert is idempotent) redoes both.
 */
final class HubSpotWriter {
    static final String ASSOCIATION_PREFIX = "associations.";
    private static final Set<String> TRANSIENT_CATEGORIES = Set.of("RATE_LIMITS", "INTERNAL_ERROR", "SERVER_ERROR",
            "TIMEOUT", "SERVICE_UNAVAILABLE");

    private final HubSpotConnectionService service;
    private final CrmObjectSchema schema;

    HubSpotWriter(HubSpotConnectionService service, CrmObjectSchema schema) {
        this.service = service;
        this.schema = schema;
    }

    List<CrmWriteResult> write(CrmWriteRequest request) {
        String key = request.keyField() == null ? HubSpotSchemas.ID : request.keyField();
        checkKey(request.operation(), key);
        CrmWriteResult[] results = new CrmWriteResult[request.records().size()];
        List<Integer> pending = new ArrayList<>();
        for (int i = 0; i < results.length; i++) {
            pending.add(i);
        }
        while (!pending.isEmpty()) {
            List<Integer> round = new ArrayList<>();
            List<Integer> later = new ArrayList<>();
            Set<String> keysInRound = new HashSet<>();
            for (int i : pending) {
                String keyValue = normalize(RecordValues.text(request.records().get(i), key));
                if (request.operation() != WriteOperation.INSERT && keyValue == null) {
                    results[i] = CrmWriteResult.rejected("REQUIRED_FIELD_MISSING", "The key property " + key + " has no value");
                } else if (keyValue != null && request.operation() != WriteOperation.INSERT && !keysInRound.add(keyValue)) {
                    later.add(i);
                } else {
                    round.add(i);
                }
            }
            sendRound(request, key, round, results);
            pending = later;
        }
        if (request.operation() != WriteOperation.DELETE) {
            associate(request, results);
        }
        return Arrays.asList(results);
    }

    /** Links each written record to the records named in its {@code associations.*} fields, 100 links per call. */
    private void associate(CrmWriteRequest request, CrmWriteResult[] results) {
        Map<String, List<Integer>> indexesByTarget = new HashMap<>();
        Map<String, ArrayNode> inputsByTarget = new HashMap<>();
        for (int i = 0; i < results.length; i++) {
            if (results[i] == null || !results[i].isSuccess()) {
                continue;
            }
            Record record = request.records().get(i);
            for (String field : record.getSchema().getFieldNames()) {
                Object toId = record.getValue(field);
                if (!field.startsWith(ASSOCIATION_PREFIX) || toId == null || toId.toString().isBlank()) {
                    continue;
                }
                String toType = field.substring(ASSOCIATION_PREFIX.length());
                ObjectNode input = inputsByTarget.computeIfAbsent(toType, t -> CrmHttpClient.JSON.createArrayNode()).addObject();
                input.putObject("from").put("id", results[i].targetId());
                input.putObject("to").put("id", toId.toString().trim());
                indexesByTarget.computeIfAbsent(toType, t -> new ArrayList<>()).add(i);
            }
        }
        inputsByTarget.forEach((toType, inputs) -> {
            List<Integer> indexes = indexesByTarget.get(toType);
            for (int start = 0; start < inputs.size(); start += HubSpotConnectionService.MAX_BATCH) {
                int end = Math.min(inputs.size(), start + HubSpotConnectionService.MAX_BATCH);
                ObjectNode body = CrmHttpClient.JSON.createObjectNode();
                ArrayNode chunk = body.putArray("inputs");
                for (int j = start; j < end; j++) {
                    chunk.add(inputs.get(j));
                }
                Set<String> failedFrom = new HashSet<>();
                try {
                    CrmHttpClient.Response answer = service.client().send(t -> service.post("/crm/v4/associations/" + schema.name()
                            + "/" + toType + "/batch/associate/default", body), "associate " + schema.name() + " with " + toType, true);
                    parse(answer, "associate").path("errors").forEach(e -> e.path("context").path("ids").forEach(id -> failedFrom.add(id.asText())));
                } catch (CrmException e) {
                    for (int j = start; j < end; j++) {
                        failedFrom.add(inputs.get(j).path("from").path("id").asText());
                    }
                }
                for (int j = start; j < end; j++) {
                    int i = indexes.get(j);
                    String fromId = inputs.get(j).path("from").path("id").asText();
                    String toId = inputs.get(j).path("to").path("id").asText();
                    if (failedFrom.contains(fromId) || failedFrom.contains(toId)) {
                        results[i] = CrmWriteResult.failedTransiently("ASSOCIATION_FAILED", "The record was written but its link to "
                                + toType + " " + toId + " was not created");
                    }
                }
            }
        });
    }

    private void checkKey(WriteOperation operation, String key) {
        CrmField field = schema.field(key).orElseThrow(() -> new CrmException(CrmException.Reason.CONFIGURATION,
                "HubSpot object " + schema.name() + " has no property " + key));
        if (operation == WriteOperation.UPSERT && !field.unique()) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "HubSpot property " + schema.name() + "." + key
                    + " does not have unique values, so it cannot be the idProperty of an upsert");
        }
    }

    private void sendRound(CrmWriteRequest request, String key, List<Integer> round, CrmWriteResult[] results) {
        ArrayNode inputs = CrmHttpClient.JSON.createArrayNode();
        Map<String, Integer> byMatchKey = new HashMap<>();
        // HubSpot's batch archive takes record ids only (no idProperty): find the records by their unique key first.
        Map<String, String> idsByKey = request.operation() == WriteOperation.DELETE && !key.equals(HubSpotSchemas.ID)
                ? recordIdsByKey(request, key, round) : null;
        for (int i : round) {
            Record record = request.records().get(i);
            String keyValue = RecordValues.text(record, key);
            ObjectNode input = CrmHttpClient.JSON.createObjectNode();
            if (request.operation() != WriteOperation.DELETE) {
                WriteFields.Outcome fields = WriteFields.of(record, schema, Set.of());
                fields.values().keySet().removeIf(name -> name.startsWith(ASSOCIATION_PREFIX));
                if (!fields.unknown().isEmpty()) {
                    results[i] = CrmWriteResult.rejected("PROPERTY_DOESNT_EXIST", "HubSpot object " + schema.name()
                            + " has no propert(ies) " + fields.unknown());
                    continue;
                }
                ObjectNode properties = input.putObject("properties");
                String badField = null;
                for (var field : fields.values().entrySet()) {
                    try {
                        properties.put(field.getKey(), RecordValues.toText(field.getValue(),
                                schema.field(field.getKey()).map(CrmField::type).orElse(null)));
                    } catch (RuntimeException e) {
                        badField = field.getKey();
                        break;
                    }
                }
                if (badField != null) {
                    results[i] = CrmWriteResult.rejected("INVALID_VALUE", "The value of " + badField
                            + " does not fit its type in HubSpot object " + schema.name());
                    continue;
                }
            }
            String matchKey;
            switch (request.operation()) {
                case INSERT -> {
                    matchKey = Integer.toString(i);
                    input.put("objectWriteTraceId", matchKey);
                }
                case UPSERT -> {
                    matchKey = normalize(keyValue);
                    input.put("id", keyValue.trim()).put("idProperty", key);
                    ((ObjectNode) input.get("properties")).put(key, keyValue.trim());
                }
                default -> {
                    matchKey = normalize(keyValue);
                    if (idsByKey != null) {
                        String id = idsByKey.get(matchKey);
                        if (id == null) {
                            // No record has this key: nothing to archive (deleting is idempotent).
                            results[i] = CrmWriteResult.deleted(keyValue.trim());
                            continue;
                        }
                        input.put("id", id);
                    } else {
                        input.put("id", keyValue.trim());
                        if (!key.equals(HubSpotSchemas.ID)) {
                            input.put("idProperty", key);
                        }
                    }
                }
            }
            byMatchKey.put(matchKey, i);
            inputs.add(input);
        }
        if (inputs.isEmpty()) {
            return;
        }
        ObjectNode body = CrmHttpClient.JSON.createObjectNode();
        body.set("inputs", inputs);
        String action = switch (request.operation()) {
            case UPSERT -> "upsert";
            case INSERT -> "create";
            case UPDATE -> "update";
            case DELETE -> "archive";
        };
        CrmHttpClient.Response answer = service.client().send(t -> service.post(
                "/crm/v3/objects/" + schema.name() + "/batch/" + action, body), action + " " + schema.name(),
                request.operation() != WriteOperation.INSERT);
        if (request.operation() == WriteOperation.DELETE) {
            // Archive answers 204 without a body: every input was archived (or was already gone).
            byMatchKey.values().forEach(i -> results[i] = CrmWriteResult.deleted(RecordValues.text(request.records().get(i), key)));
            return;
        }
        JsonNode json = parse(answer, action);
        for (JsonNode result : json.path("results")) {
            Integer i = byMatchKey.remove(matchKeyOfResult(result, request.operation(), key));
            if (i != null) {
                String id = result.path("id").asText();
                results[i] = switch (request.operation()) {
                    case INSERT -> CrmWriteResult.created(id);
                    case UPSERT -> result.path("new").asBoolean(false) ? CrmWriteResult.created(id) : CrmWriteResult.updated(id);
                    default -> CrmWriteResult.updated(id);
                };
            }
        }
        for (JsonNode error : json.path("errors")) {
            for (String matchKey : matchKeysOfError(error)) {
                Integer i = byMatchKey.remove(matchKey);
                if (i != null) {
                    results[i] = toFailure(error);
                }
            }
        }
        byMatchKey.values().forEach(i -> results[i] = CrmWriteResult.failedTransiently("NO_RESULT",
                "HubSpot's answer named neither a result nor an error for this record"));
    }

    /** Normalized key value → record id of the round's records that exist (one lookup call per 100 keys). */
    private Map<String, String> recordIdsByKey(CrmWriteRequest request, String key, List<Integer> round) {
        Set<String> values = new java.util.LinkedHashSet<>();
        for (int i : round) {
            String value = RecordValues.text(request.records().get(i), key);
            if (value != null && !value.isBlank()) {
                values.add(value.trim());
            }
        }
        Map<String, String> ids = new HashMap<>();
        if (!values.isEmpty()) {
            for (Record found : service.lookup(schema.name(), key, values, List.of(key))) {
                String value = normalize(found.getAsString(key));
                String id = found.getAsString(schema.idField());
                if (value != null && id != null) {
                    ids.put(value, id);
                }
            }
        }
        return ids;
    }

    private static JsonNode parse(CrmHttpClient.Response answer, String action) {
        try {
            return CrmHttpClient.JSON.readTree(answer.body());
        } catch (Exception e) {
            throw new CrmException(CrmException.Reason.MALFORMED_RESPONSE, "HubSpot answered the batch " + action
                    + " with a body that is not valid JSON");
        }
    }

    private static String matchKeyOfResult(JsonNode result, WriteOperation operation, String key) {
        if (operation == WriteOperation.INSERT) {
            return result.path("objectWriteTraceId").asText(null);
        }
        return normalize(key.equals(HubSpotSchemas.ID) ? result.path("id").asText(null)
                : result.path("properties").path(key).asText(null));
    }

    private static List<String> matchKeysOfError(JsonNode error) {
        List<String> keys = new ArrayList<>();
        if (error.hasNonNull("objectWriteTraceId")) {
            keys.add(error.get("objectWriteTraceId").asText());
        }
        error.path("context").path("id").forEach(id -> keys.add(normalize(id.asText())));
        error.path("context").path("ids").forEach(id -> keys.add(normalize(id.asText())));
        if (error.hasNonNull("id")) {
            keys.add(normalize(error.get("id").asText()));
        }
        return keys;
    }

    private static CrmWriteResult toFailure(JsonNode error) {
        String category = error.path("category").asText("ERROR");
        JsonNode detail = error.path("errors").path(0);
        String code = detail.path("code").asText(category);
        StringBuilder message = new StringBuilder(error.path("message").asText("HubSpot rejected the record"));
        if (detail.hasNonNull("in")) {
            message.append(" (property: ").append(detail.get("in").asText()).append(')');
        }
        return TRANSIENT_CATEGORIES.contains(category) ? CrmWriteResult.failedTransiently(code, message.toString())
                : CrmWriteResult.rejected(code, message.toString());
    }

    /** HubSpot matches unique values case-insensitively (e-mail addresses) and ignores surrounding space. */
    private static String normalize(String value) {
        return value == null || value.isBlank() ? null : value.trim().toLowerCase(Locale.ROOT);
    }
}
