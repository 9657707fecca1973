package io.nificrm.simulator.store;

/** A write would give a unique field a value another record already has. */
public class UniqueViolation extends RuntimeException {
    private final String field;
    private final String existingId;

    public UniqueViolation(String field, String existingId) {
        super("Duplicate value on unique field " + field + " (existing record " + existingId + ")", null, false, false);
        this.field = field;
        this.existingId = existingId;
    }

    public String field() {
        return field;
    }

    public String existingId() {
        return existingId;
    }
}
