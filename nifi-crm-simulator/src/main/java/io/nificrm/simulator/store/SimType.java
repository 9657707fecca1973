package io.nificrm.simulator.store;

/** Field types of simulated objects. Each persona renders them in its own vocabulary. */
public enum SimType {
    ID, STRING, TEXTAREA, EMAIL, PHONE, URL, PICKLIST, MULTIPICKLIST, REFERENCE, BOOLEAN, INT, DOUBLE, CURRENCY,
    PERCENT, DATE, DATETIME;

    public boolean isText() {
        return switch (this) {
            case ID, STRING, TEXTAREA, EMAIL, PHONE, URL, PICKLIST, MULTIPICKLIST, REFERENCE -> true;
            default -> false;
        };
    }

    public boolean isNumber() {
        return this == INT || this == DOUBLE || this == CURRENCY || this == PERCENT;
    }
}
