package io.nificrm.services.records;

import com.fasterxml.jackson.databind.JsonNode;
import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmException;
import io.nificrm.api.CrmField;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordSchema;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/** Builds NiFi records from a system's JSON objects, field by field with the types describe reported. */
public final class RecordFactory {
    private final RecordSchema schema;
    private final List<CrmField> fields;
    private final String system;

    public RecordFactory(RecordSchema schema, List<CrmField> fields, String system) {
        this.schema = schema;
        this.fields = fields;
        this.system = system;
    }

    public RecordSchema schema() {
        return schema;
    }

    /**
     * @param valueOf  finds the JSON value of a field in the system's object (flat or under "properties")
     * @param deleted  the deleted flag, or null when the query did not ask for deleted records
     * @throws CrmException (MALFORMED_RESPONSE) naming the field when a value does not fit its described type
     */
    public Record create(Function<String, JsonNode> valueOf, Boolean deleted) {
        Map<String, Object> values = new HashMap<>(fields.size() + 1);
        for (CrmField field : fields) {
            try {
                values.put(field.name(), WireValues.fromJson(field.type(), valueOf.apply(field.name())));
            } catch (IllegalArgumentException e) {
                throw new CrmException(CrmException.Reason.MALFORMED_RESPONSE, null, 0,
                        system + " returned a value for " + field.name() + " that is not a valid "
                                + field.type().name().toLowerCase() + " (the value is not logged: it may be personal data)", null);
            }
        }
        if (deleted != null) {
            values.put(CrmConnectionService.DELETED_FIELD, deleted);
        }
        return new MapRecord(schema, values);
    }
}
