package io.nificrm.simulator.store;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The fields of one simulated object, in order, with quick lookup by name and by role. */
public final class SimSchema {
    private final String object;
    private final String label;
    private final Map<String, SimField> fields = new LinkedHashMap<>();

    public SimSchema(String object, String label, List<SimField> fieldList) {
        this.object = object;
        this.label = label;
        fieldList.forEach(f -> fields.put(f.name(), f));
    }

    public String object() {
        return object;
    }

    public String label() {
        return label;
    }

    public List<SimField> fields() {
        return List.copyOf(fields.values());
    }

    public Optional<SimField> field(String name) {
        return Optional.ofNullable(fields.get(name));
    }

    /** The field playing a role, e.g. the id or the modified-time field. */
    public Optional<SimField> fieldWithRole(FieldRole role) {
        return fields.values().stream().filter(f -> f.role() == role).findFirst();
    }

    public String idField() {
        return fieldWithRole(FieldRole.ID).map(SimField::name).orElseThrow();
    }

    public List<SimField> indexedFields() {
        return fields.values().stream().filter(f -> f.role() == FieldRole.DATA && f.isIndexed()).toList();
    }
}
