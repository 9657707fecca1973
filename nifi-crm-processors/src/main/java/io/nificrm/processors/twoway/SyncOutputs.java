package io.nificrm.processors.twoway;

import io.nificrm.api.ChangeRecords;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.serialization.record.RecordSchema;

import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Field names and record schemas of what SyncCrmChanges writes. */
public final class SyncOutputs {
    private SyncOutputs() {
    }

    /** The ledger intent a record carries through the upsert to ConfirmCrmSync (JSON). */
    public static final String INTENT = "crm_sync_intent";
    /** Why a change was dropped or sent where it was: echo, stale, in-sync, not-linked, conflict-lost... */
    public static final String REASON = "crm_sync_reason";
    /** Conflicting fields, each with its winner ({@code field=side}), comma-separated; for review just the fields. */
    public static final String CONFLICTS = "crm_conflict_fields";
    /** Review: the target's current values of the conflicting fields (JSON object). */
    public static final String TARGET_VALUES = "crm_target_values";
    /** Review: the target record's modified time. */
    public static final String TARGET_TIMESTAMP = "crm_target_timestamp";
    public static final String INVALID_FIELDS = "crm_invalid_fields";
    public static final String INVALID_REASON = "crm_invalid_reason";

    /** The change-record bookkeeping every write carries (the writers leave crm_* fields at home). */
    public static List<RecordField> bookkeeping() {
        return List.of(
                new RecordField(ChangeRecords.OPERATION, RecordFieldType.STRING.getDataType(), true),
                new RecordField(ChangeRecords.OBJECT, RecordFieldType.STRING.getDataType(), true),
                new RecordField(ChangeRecords.KEY, RecordFieldType.STRING.getDataType(), true),
                new RecordField(ChangeRecords.CHANGED_FIELDS, RecordFieldType.ARRAY.getArrayDataType(RecordFieldType.STRING.getDataType()), true),
                new RecordField(ChangeRecords.SOURCE_TIMESTAMP, RecordFieldType.TIMESTAMP.getDataType(), true),
                new RecordField(ChangeRecords.ORIGIN, RecordFieldType.STRING.getDataType(), true),
                new RecordField(ChangeRecords.SYSTEM, RecordFieldType.STRING.getDataType(), true),
                new RecordField(CONFLICTS, RecordFieldType.STRING.getDataType(), true),
                new RecordField(INTENT, RecordFieldType.STRING.getDataType(), true));
    }

    /** {@code base}'s fields (those named in {@code only}, or all when null), then {@code extra}, each name once. */
    public static RecordSchema schema(List<RecordField> leading, RecordSchema base, Collection<String> only, List<RecordField> extra) {
        Map<String, RecordField> fields = new LinkedHashMap<>();
        leading.forEach(f -> fields.put(f.getFieldName(), f));
        if (base != null) {
            for (RecordField f : base.getFields()) {
                if (only == null || only.contains(f.getFieldName())) {
                    fields.putIfAbsent(f.getFieldName(), f);
                }
            }
        }
        extra.forEach(f -> {
            fields.remove(f.getFieldName());
            fields.put(f.getFieldName(), f);
        });
        return new SimpleRecordSchema(new ArrayList<>(fields.values()));
    }

    public static RecordSchema withStrings(RecordSchema base, String... names) {
        List<RecordField> extra = new ArrayList<>();
        for (String name : names) {
            extra.add(new RecordField(name, RecordFieldType.STRING.getDataType(), true));
        }
        Set<String> drop = Set.of(names);
        return schema(List.of(), base, base.getFieldNames().stream().filter(n -> !drop.contains(n)).toList(), extra);
    }
}
