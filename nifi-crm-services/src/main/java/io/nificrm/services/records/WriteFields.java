package io.nificrm.services.records;

import io.nificrm.api.CrmField;
import io.nificrm.api.CrmObjectSchema;
import org.apache.nifi.serialization.record.Record;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which fields of a record go to the target. Fields named {@code crm_*} are this bundle's bookkeeping and stay
 * home; read-only fields (ids, audit times) cannot be written and are left out; fields the target object does
 * not have are reported when they hold a value, so the record fails with their names instead of losing data
 * silently (a record schema is shared by a whole FlowFile, so a null in a field another record needed is no data).
 * Names with a dot ({@code Account.External_Id__c}) are references by external id and pass through.
 */
public final class WriteFields {
    private WriteFields() {
    }

    /** The fields to send and the names the target does not know. */
    public record Outcome(Map<String, Object> values, List<String> unknown) {
    }

    /**
     * @param keep read-only fields to send anyway (e.g. the id that addresses an update)
     */
    public static Outcome of(Record record, CrmObjectSchema schema, Set<String> keep) {
        Map<String, Object> values = new LinkedHashMap<>();
        List<String> unknown = new ArrayList<>();
        for (var entry : RecordValues.fields(record).entrySet()) {
            String name = entry.getKey();
            if (name.startsWith("crm_")) {
                continue;
            }
            if (name.indexOf('.') > 0) {
                values.put(name, entry.getValue());
                continue;
            }
            CrmField field = schema.field(name).orElse(null);
            if (field == null) {
                if (entry.getValue() != null) {
                    unknown.add(name);
                }
            } else if (!field.readOnly() || keep.contains(name)) {
                values.put(name, entry.getValue());
            }
        }
        return new Outcome(values, unknown);
    }
}
