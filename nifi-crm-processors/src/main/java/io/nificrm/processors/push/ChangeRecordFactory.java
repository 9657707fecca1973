package io.nificrm.processors.push;

import io.nificrm.api.ChangeRecords;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.serialization.record.RecordSchema;

import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Turns change events into change records ({@link ChangeRecords}): the bookkeeping fields, {@code crm_event_id}, then the
 * object fields the notifications carried (text), under one schema for a group of events of one object.
 */
public final class ChangeRecordFactory {
    /** The notification's own id (HubSpot eventId, Dataverse RequestId, Salesforce Notification Id). */
    public static final String EVENT_ID = "crm_event_id";

    private ChangeRecordFactory() {
    }

    /** The bookkeeping fields every change record has, in order. */
    public static List<RecordField> bookkeepingFields() {
        return List.of(
                new RecordField(ChangeRecords.OPERATION, RecordFieldType.STRING.getDataType(), false),
                new RecordField(ChangeRecords.OBJECT, RecordFieldType.STRING.getDataType(), false),
                new RecordField(ChangeRecords.KEY, RecordFieldType.STRING.getDataType(), false),
                new RecordField(ChangeRecords.CHANGED_FIELDS, RecordFieldType.ARRAY.getArrayDataType(RecordFieldType.STRING.getDataType()), true),
                new RecordField(ChangeRecords.SOURCE_TIMESTAMP, RecordFieldType.TIMESTAMP.getDataType(), true),
                new RecordField(ChangeRecords.ORIGIN, RecordFieldType.STRING.getDataType(), true),
                new RecordField(ChangeRecords.SYSTEM, RecordFieldType.STRING.getDataType(), false),
                new RecordField(EVENT_ID, RecordFieldType.STRING.getDataType(), true));
    }

    /** One schema for all the events: bookkeeping fields, then every object field any of them carries. */
    public static RecordSchema schema(List<ChangeEvent> events) {
        List<RecordField> fields = new ArrayList<>(bookkeepingFields());
        Set<String> names = new LinkedHashSet<>();
        for (ChangeEvent event : events) {
            for (String name : event.fields().keySet()) {
                if (!name.startsWith("crm_")) {
                    names.add(name);
                }
            }
        }
        for (String name : names) {
            fields.add(new RecordField(name, RecordFieldType.STRING.getDataType(), true));
        }
        return new SimpleRecordSchema(fields);
    }

    public static Record record(RecordSchema schema, ChangeEvent event) {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put(ChangeRecords.OPERATION, event.operation());
        values.put(ChangeRecords.OBJECT, event.object());
        values.put(ChangeRecords.KEY, event.key());
        values.put(ChangeRecords.CHANGED_FIELDS, event.changedFields() == null ? null : event.changedFields().toArray(new Object[0]));
        values.put(ChangeRecords.SOURCE_TIMESTAMP, event.timestamp() == null ? null : Timestamp.from(event.timestamp()));
        values.put(ChangeRecords.ORIGIN, event.origin());
        values.put(ChangeRecords.SYSTEM, event.system());
        values.put(EVENT_ID, event.eventId());
        event.fields().forEach((name, value) -> {
            if (!name.startsWith("crm_")) {
                values.put(name, value);
            }
        });
        return new MapRecord(schema, values);
    }
}
