package io.nificrm.simulator.store;

/**
 * Why one field of a written record was refused. Personas turn the kind into their own error codes.
 *
 * @param field   the field name
 * @param kind    what is wrong
 * @param message readable reason
 */
public record Violation(String field, Kind kind, String message) {
    public enum Kind {
        UNKNOWN_FIELD, READ_ONLY, REQUIRED, INVALID_EMAIL, INVALID_PICKLIST, TOO_LONG, INVALID_VALUE, DUPLICATE,
        INVALID_REFERENCE
    }
}
