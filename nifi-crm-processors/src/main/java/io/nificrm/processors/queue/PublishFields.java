package io.nificrm.processors.queue;

import io.nificrm.processors.common.WriteOutcomeFields;
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

/** The error fields a record that was not published carries: crm_error_code, crm_error_message, crm_error_transient. */
public final class PublishFields {
    private PublishFields() {
    }

    public static RecordSchema withErrors(RecordSchema input) {
        List<RecordField> fields = new ArrayList<>();
        for (RecordField field : input.getFields()) {
            if (!field.getFieldName().startsWith("crm_error_")) {
                fields.add(field);
            }
        }
        fields.add(new RecordField(WriteOutcomeFields.ERROR_CODE, RecordFieldType.STRING.getDataType(), true));
        fields.add(new RecordField(WriteOutcomeFields.ERROR_MESSAGE, RecordFieldType.STRING.getDataType(), true));
        fields.add(new RecordField(WriteOutcomeFields.ERROR_TRANSIENT, RecordFieldType.BOOLEAN.getDataType(), true));
        return new SimpleRecordSchema(fields);
    }

    public static Record withError(Record record, RecordSchema schema, String code, String message, boolean transientFailure) {
        Map<String, Object> values = new LinkedHashMap<>(record.toMap());
        values.put(WriteOutcomeFields.ERROR_CODE, code);
        values.put(WriteOutcomeFields.ERROR_MESSAGE, message);
        values.put(WriteOutcomeFields.ERROR_TRANSIENT, transientFailure);
        return new MapRecord(schema, values);
    }
}
