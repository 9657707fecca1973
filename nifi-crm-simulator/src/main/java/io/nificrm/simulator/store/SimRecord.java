package io.nificrm.simulator.store;

import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One stored record: an immutable snapshot. Updates replace the snapshot, so readers never see half a write.
 * Field values are typed: String, Long, Double, Boolean, LocalDate, Instant, or null.
 *
 * @param id         the system id
 * @param fields     stored field values (without id and audit fields)
 * @param createdAt  creation instant
 * @param modifiedAt last-modified instant
 * @param deleted    soft-deleted (recycle bin, archived)
 * @param deletedAt  when it was deleted, or null
 */
public record SimRecord(String id, Map<String, Object> fields, Instant createdAt, Instant modifiedAt, boolean deleted,
                        Instant deletedAt) {

    public SimRecord {
        fields = Collections.unmodifiableMap(new LinkedHashMap<>(fields));
    }

    /** The value of a field, including the store-kept ones, by the schema's role for it. */
    public Object value(SimField field) {
        return switch (field.role()) {
            case ID -> id;
            case CREATED -> createdAt;
            case MODIFIED -> modifiedAt;
            case DELETED_FLAG -> deleted;
            case DATA -> fields.get(field.name());
        };
    }

    public SimRecord withChanges(Map<String, Object> changes, Instant now) {
        Map<String, Object> merged = new LinkedHashMap<>(fields);
        merged.putAll(changes);
        return new SimRecord(id, merged, createdAt, now, deleted, deletedAt);
    }

    public SimRecord asDeleted(Instant now) {
        return new SimRecord(id, fields, createdAt, now, true, now);
    }
}
