package io.nificrm.processors.upsert;

import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmField;
import io.nificrm.api.CrmObjectSchema;
import io.nificrm.api.CrmWriteRequest;
import io.nificrm.api.CrmWriteResult;
import io.nificrm.api.WriteOperation;
import io.nificrm.processors.common.TargetRules;
import org.apache.nifi.serialization.record.Record;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a write would do, without writing: records are checked against the target's describe (unknown fields,
 * required values on create, lengths, picklists, e-mail and phone format) and existing records are looked up by
 * the key, so each record is reported as a create, an update or a rejection. Reads only.
 */
public final class DryRun {
    private DryRun() {
    }

    public static List<CrmWriteResult> evaluate(CrmConnectionService service, CrmWriteRequest request) {
        CrmObjectSchema schema = service.describe(request.object());
        String key = request.keyField() == null ? schema.idField() : request.keyField();
        Map<String, String> existing = existing(service, schema, request, key);
        List<CrmWriteResult> results = new ArrayList<>(request.records().size());
        for (Record record : request.records()) {
            String keyValue = record.getAsString(key);
            String targetId = keyValue == null ? null : existing.get(normalize(keyValue));
            boolean creating = request.operation() == WriteOperation.INSERT || (request.operation() == WriteOperation.UPSERT && targetId == null);
            results.add(check(schema, request.operation(), key, record, keyValue, targetId, creating));
        }
        return results;
    }

    private static CrmWriteResult check(CrmObjectSchema schema, WriteOperation operation, String key, Record record, String keyValue,
                                        String targetId, boolean creating) {
        if (operation != WriteOperation.INSERT && (keyValue == null || keyValue.isBlank())) {
            return CrmWriteResult.rejected("REQUIRED_FIELD_MISSING", "The key field " + key + " has no value");
        }
        if ((operation == WriteOperation.UPDATE || operation == WriteOperation.DELETE) && targetId == null) {
            return CrmWriteResult.rejected("NOT_FOUND", "No record of " + schema.name() + " has " + key + " = " + keyValue);
        }
        if (operation == WriteOperation.DELETE) {
            return CrmWriteResult.deleted(targetId);
        }
        List<String> unknown = new ArrayList<>();
        for (String name : record.getSchema().getFieldNames()) {
            if (!name.startsWith("crm_") && name.indexOf('.') < 0 && schema.field(name).isEmpty() && record.getValue(name) != null) {
                unknown.add(name);
            }
        }
        if (!unknown.isEmpty()) {
            return CrmWriteResult.rejected("UNKNOWN_FIELD", "Object " + schema.name() + " has no field(s) " + unknown);
        }
        for (CrmField field : schema.fields()) {
            if (field.readOnly()) {
                continue;
            }
            boolean present = record.getSchema().getField(field.name()).isPresent();
            String problem = TargetRules.problem(field, present ? record.getValue(field.name()) : null,
                    creating && field.required() && !field.name().equals(key));
            if (problem != null && (present || creating)) {
                return CrmWriteResult.rejected("INVALID_FIELD", field.name() + ": " + problem);
            }
        }
        return creating ? CrmWriteResult.created(null) : CrmWriteResult.updated(targetId);
    }

    /** Key value (normalized) → target id of the records that already exist. */
    private static Map<String, String> existing(CrmConnectionService service, CrmObjectSchema schema, CrmWriteRequest request, String key) {
        List<String> keys = new ArrayList<>();
        for (Record record : request.records()) {
            String value = record.getAsString(key);
            if (value != null && !value.isBlank()) {
                keys.add(value.trim());
            }
        }
        Map<String, String> ids = new HashMap<>();
        if (keys.isEmpty() || request.operation() == WriteOperation.INSERT) {
            return ids;
        }
        for (Record found : service.lookup(request.object(), key, keys, List.of(key))) {
            String value = found.getAsString(key);
            if (value != null) {
                ids.put(normalize(value), found.getAsString(schema.idField()));
            }
        }
        return ids;
    }

    private static String normalize(String value) {
        return value.trim().toLowerCase(Locale.ROOT);
    }
}
