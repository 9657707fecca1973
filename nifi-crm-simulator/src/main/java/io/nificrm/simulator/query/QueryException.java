package io.nificrm.simulator.query;

/** A query the simulator cannot run: malformed, unknown object or field. {@code code} is a Salesforce-style code. */
public class QueryException extends RuntimeException {
    private final String code;

    public QueryException(String code, String message) {
        super(message);
        this.code = code;
    }

    public String code() {
        return code;
    }
}
