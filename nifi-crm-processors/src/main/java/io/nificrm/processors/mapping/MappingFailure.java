package io.nificrm.processors.mapping;

/** A value could not be mapped: the message says why, the field names where. */
public class MappingFailure extends Exception {
    private final String field;

    public MappingFailure(String field, String message) {
        super(message, null, false, false);
        this.field = field;
    }

    public String field() {
        return field;
    }
}
