package io.nificrm.api;

import org.apache.nifi.serialization.record.Record;

import java.util.List;
import java.util.Objects;

/**
 * One batch to write.
 *
 * @param object    object API name
 * @param operation what to do with each record
 * @param keyField  the field that finds existing records: the external-id field of an {@link WriteOperation#UPSERT};
 *                  for update and delete null means the system id field
 * @param records   the records; field names are the target's API names
 */
public record CrmWriteRequest(String object, WriteOperation operation, String keyField, List<Record> records) {

    public CrmWriteRequest {
        Objects.requireNonNull(object, "object");
        Objects.requireNonNull(operation, "operation");
        records = List.copyOf(records);
        if (operation == WriteOperation.UPSERT && (keyField == null || keyField.isBlank())) {
            throw new IllegalArgumentException("An upsert needs a key field (the external id that matches records)");
        }
    }
}
