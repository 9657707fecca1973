package io.nificrm.simulator.store;

import java.util.List;

/**
 * One field of a simulated object.
 *
 * @param name        API name in the persona's spelling
 * @param label       human label
 * @param type        the field type
 * @param required    needed on create
 * @param unique      values unique across the object (case-insensitive)
 * @param externalId  can key an upsert (also unique)
 * @param readOnly    set by the system only
 * @param length      maximum text length, 0 for none
 * @param picklist    allowed values (API values), empty when any
 * @param referenceTo target object of a reference
 * @param role        whether the store supplies the value (id, audit times, deleted flag)
 */
public record SimField(String name, String label, SimType type, boolean required, boolean unique, boolean externalId,
                       boolean readOnly, int length, List<String> picklist, String referenceTo, FieldRole role) {

    public SimField {
        picklist = picklist == null ? List.of() : List.copyOf(picklist);
        label = label == null ? name : label;
        role = role == null ? FieldRole.DATA : role;
    }

    public static SimField data(String name, String label, SimType type) {
        return new SimField(name, label, type, false, false, false, false, defaultLength(type), List.of(), null, FieldRole.DATA);
    }

    public static SimField system(String name, String label, SimType type, FieldRole role) {
        return new SimField(name, label, type, false, role == FieldRole.ID, false, true, 0, List.of(), null, role);
    }

    public SimField asRequired() {
        return new SimField(name, label, type, true, unique, externalId, readOnly, length, picklist, referenceTo, role);
    }

    public SimField asUnique() {
        return new SimField(name, label, type, required, true, externalId, readOnly, length, picklist, referenceTo, role);
    }

    public SimField asExternalId() {
        return new SimField(name, label, type, required, true, true, readOnly, length, picklist, referenceTo, role);
    }

    public SimField withPicklist(List<String> values) {
        return new SimField(name, label, type, required, unique, externalId, readOnly, length, values, referenceTo, role);
    }

    public SimField withLength(int newLength) {
        return new SimField(name, label, type, required, unique, externalId, readOnly, newLength, picklist, referenceTo, role);
    }

    public SimField referencing(String object) {
        return new SimField(name, label, type, required, unique, externalId, readOnly, length, picklist, object, role);
    }

    public boolean isIndexed() {
        return unique || externalId;
    }

    private static int defaultLength(SimType type) {
        return switch (type) {
            case STRING, EMAIL, URL, PICKLIST -> 255;
            case PHONE -> 40;
            case TEXTAREA -> 32000;
            default -> 0;
        };
    }
}
