package io.nificrm.api;

import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.serialization.record.RecordSchema;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The shape of one object (table, entity, object type) as {@link CrmConnectionService#describe describe} reports it.
 *
 * @param name          API name of the object
 * @param label         human label
 * @param idField       the field holding the system's record id
 * @param modifiedField the field holding the last-modified instant, or null when the object has none
 * @param createdField  the field holding the creation instant, or null when the object has none
 * @param fields        all fields, in the system's order
 * @param fieldsByName  the same fields by API name, derived from {@code fields} (writers look fields up per record value)
 */
public record CrmObjectSchema(String name, String label, String idField, String modifiedField, String createdField,
                              List<CrmField> fields, Map<String, CrmField> fieldsByName) {

    public CrmObjectSchema {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(idField, "idField");
        label = label == null ? name : label;
        fields = List.copyOf(fields);
        Map<String, CrmField> index = new LinkedHashMap<>();
        fields.forEach(f -> index.putIfAbsent(f.name(), f));
        fieldsByName = Collections.unmodifiableMap(index);
    }

    public CrmObjectSchema(String name, String label, String idField, String modifiedField, String createdField, List<CrmField> fields) {
        this(name, label, idField, modifiedField, createdField, fields, Map.of());
    }

    /** The field with this API name, if the object has it (exact, case-sensitive match). */
    public Optional<CrmField> field(String fieldName) {
        return Optional.ofNullable(fieldsByName.get(fieldName));
    }

    /** Names of all fields. */
    public List<String> fieldNames() {
        return fields.stream().map(CrmField::name).toList();
    }

    /**
     * The fields a query for {@code requested} returns: the requested ones (all when empty) plus the id and
     * modified fields, each once, in a stable order.
     *
     * @throws IllegalArgumentException naming every requested field the object lacks
     */
    public List<CrmField> resolveFields(Collection<String> requested) {
        Map<String, CrmField> selected = new LinkedHashMap<>();
        if (requested == null || requested.isEmpty()) {
            fields.forEach(f -> selected.put(f.name(), f));
        } else {
            List<String> unknown = new ArrayList<>();
            addIfPresent(selected, idField);
            for (String name : requested) {
                field(name).ifPresentOrElse(f -> selected.put(f.name(), f), () -> unknown.add(name));
            }
            if (!unknown.isEmpty()) {
                throw new IllegalArgumentException("Object '" + name + "' has no field(s) " + unknown);
            }
        }
        addIfPresent(selected, modifiedField);
        return List.copyOf(selected.values());
    }

    private void addIfPresent(Map<String, CrmField> selected, String fieldName) {
        if (fieldName != null) {
            field(fieldName).ifPresent(f -> selected.putIfAbsent(f.name(), f));
        }
    }

    /**
     * The NiFi record schema of query results carrying {@code selected} fields, plus the
     * {@link CrmConnectionService#DELETED_FIELD deleted flag} when deleted records are included.
     */
    public static RecordSchema toRecordSchema(String objectName, List<CrmField> selected, boolean includeDeleted) {
        List<RecordField> recordFields = new ArrayList<>(selected.size() + 1);
        for (CrmField field : selected) {
            recordFields.add(new RecordField(field.name(), field.type().dataType(), true));
        }
        if (includeDeleted) {
            recordFields.add(new RecordField(CrmConnectionService.DELETED_FIELD, RecordFieldType.BOOLEAN.getDataType(), false));
        }
        SimpleRecordSchema schema = new SimpleRecordSchema(recordFields);
        schema.setSchemaName(objectName);
        return schema;
    }
}
