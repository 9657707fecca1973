package io.nificrm.processors.common;

import io.nificrm.api.CrmException;
import io.nificrm.api.CrmWriteResult;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.serialization.record.RecordSchema;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The fields a write adds to each record so every outcome travels with the record itself:
 * {@code crm_outcome} (created, updated, unchanged, deleted, failed), {@code crm_target_id}, and for failures
 * {@code crm_error_code}, {@code crm_error_message} and {@code crm_error_transient}.
 */
public final class WriteOutcomeFields {
    public static final String OUTCOME = "crm_outcome";
    public static final String TARGET_ID = "crm_target_id";
    public static final String ERROR_CODE = "crm_error_code";
    public static final String ERROR_MESSAGE = "crm_error_message";
    public static final String ERROR_TRANSIENT = "crm_error_transient";

    private WriteOutcomeFields() {
    }

    /** The input schema plus outcome fields (and error fields when {@code withErrors}). */
    public static RecordSchema extend(RecordSchema input, boolean withErrors) {
        List<RecordField> fields = new ArrayList<>();
        for (RecordField field : input.getFields()) {
            if (!field.getFieldName().equals(OUTCOME) && !field.getFieldName().equals(TARGET_ID)
                    && !field.getFieldName().startsWith("crm_error_")) {
                fields.add(field);
            }
        }
        fields.add(new RecordField(OUTCOME, RecordFieldType.STRING.getDataType(), true));
        fields.add(new RecordField(TARGET_ID, RecordFieldType.STRING.getDataType(), true));
        if (withErrors) {
            fields.add(new RecordField(ERROR_CODE, RecordFieldType.STRING.getDataType(), true));
            fields.add(new RecordField(ERROR_MESSAGE, RecordFieldType.STRING.getDataType(), true));
            fields.add(new RecordField(ERROR_TRANSIENT, RecordFieldType.BOOLEAN.getDataType(), true));
        }
        return new SimpleRecordSchema(fields);
    }

    public static Record withResult(Record record, RecordSchema schema, CrmWriteResult result) {
        return withResult(record, schema, result, false);
    }

    /** With {@code dryRun}, outcomes read "would_created", "would_updated"...: nothing was written. */
    public static Record withResult(Record record, RecordSchema schema, CrmWriteResult result, boolean dryRun) {
        Map<String, Object> values = new LinkedHashMap<>(record.toMap());
        String outcome = result.outcome().name().toLowerCase();
        values.put(OUTCOME, dryRun && result.isSuccess() ? "would_" + outcome.replaceAll("d$", "") : outcome);
        values.put(TARGET_ID, result.targetId());
        if (!result.isSuccess()) {
            values.put(ERROR_CODE, result.errorCode());
            values.put(ERROR_MESSAGE, result.message());
            values.put(ERROR_TRANSIENT, result.transientFailure());
        }
        return new MapRecord(schema, values);
    }

    /** The result every record of a batch gets when the call as a whole failed. */
    public static CrmWriteResult resultOf(CrmException e) {
        String code = e.code() != null ? e.code() : e.reason().name();
        return new CrmWriteResult(CrmWriteResult.Outcome.FAILED, null, code, e.getMessage(), e.isTransient() || retriable(e));
    }

    /** Call failures that are not the record's fault go to retry: expired credentials, used-up quota, outages. */
    private static boolean retriable(CrmException e) {
        return e.reason() == CrmException.Reason.AUTHENTICATION || e.reason() == CrmException.Reason.PERMISSION;
    }
}
