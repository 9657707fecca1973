package io.nificrm.simulator.dynamics;

/**
 * A request the simulated Dataverse refuses, rendered as {@code {"error":{"code":"0x...","message":"..."}}} with the
 * given status. {@code code} is Dataverse's hexadecimal error code, or empty where the real service leaves it empty.
 */
final class DataverseException extends RuntimeException {
    private final int status;
    private final String code;

    DataverseException(int status, String code, String message) {
        super(message, null, false, false);
        this.status = status;
        this.code = code;
    }

    int status() {
        return status;
    }

    String code() {
        return code;
    }

    static DataverseException badRequest(String message) {
        return new DataverseException(400, "0x0", message);
    }

    static DataverseException segmentNotFound(String segment) {
        return new DataverseException(404, "0x8006088a", "Resource not found for the segment '" + segment + "'.");
    }

    static DataverseException recordNotFound(String logicalName, String id) {
        return new DataverseException(404, "0x80040217", logicalName + " With Id = " + id + " Does Not Exist");
    }

    static DataverseException keyNotFound(String logicalName) {
        return new DataverseException(404, "", "A record with the specified key values does not exist in " + logicalName + " entity");
    }

    static DataverseException alreadyExists() {
        return new DataverseException(412, "", "A record with matching key values already exists.");
    }
}
