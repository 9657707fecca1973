package io.nificrm.nifitests.harness.model;

/** NiFi's component validation status. */
public enum ValidationStatus {
    VALID, INVALID, VALIDATING, UNKNOWN;

    static ValidationStatus parse(String value) {
        if (value == null) {
            return UNKNOWN;
        }
        try {
            return valueOf(value);
        } catch (IllegalArgumentException e) {
            return UNKNOWN;
        }
    }
}
