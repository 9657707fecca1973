package io.nificrm.services.queue;

import io.nificrm.api.CrmException;

import java.sql.BatchUpdateException;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTransientException;

/**
 * What a database failure of an outbox call means (the same classification as the JDBC connection service's, whose
 * helper is package-private there): connection, timeout, deadlock and serialization failures are transient; the rest
 * say what is wrong. Messages are the driver's first line, which for these statements never holds message contents
 * except for invalid JSON, whose detail line is dropped.
 */
final class OutboxSql {
    private OutboxSql() {
    }

    static CrmException toCrmException(String action, SQLException e) {
        SQLException root = e instanceof BatchUpdateException && e.getNextException() != null ? e.getNextException() : e;
        String state = root.getSQLState() != null ? root.getSQLState() : e.getSQLState();
        CrmException.Reason reason;
        if (root instanceof SQLTransientException || root instanceof SQLRecoverableException || state == null
                || state.startsWith("08") || state.startsWith("53") || state.startsWith("57") || state.equals("40001")
                || state.equals("40P01") || state.equals("55P03")) {
            reason = CrmException.Reason.UNAVAILABLE;
        } else if (state.startsWith("28")) {
            reason = CrmException.Reason.AUTHENTICATION;
        } else if (state.equals("42501")) {
            reason = CrmException.Reason.PERMISSION;
        } else if (state.equals("42P01") || state.equals("3F000") || state.equals("3D000")) {
            reason = CrmException.Reason.NOT_FOUND;
        } else if (state.startsWith("42") || state.startsWith("0A")) {
            reason = CrmException.Reason.CONFIGURATION;
        } else if (state.startsWith("22") || state.startsWith("23")) {
            reason = CrmException.Reason.INVALID_REQUEST;
        } else {
            reason = CrmException.Reason.UNAVAILABLE;
        }
        String message = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        int newline = message.indexOf('\n');
        if (newline >= 0) {
            message = message.substring(0, newline);
        }
        message = message.strip();
        if (message.startsWith("ERROR: ")) {
            message = message.substring("ERROR: ".length());
        }
        int call = message.indexOf("  Call getNextException");
        if (call >= 0) {
            message = message.substring(0, call);
        }
        if (message.length() > 400) {
            message = message.substring(0, 397) + "...";
        }
        return new CrmException(reason, state, 0, action + " failed: " + message + (state == null ? "" : " (SQLState " + state + ")"), e);
    }
}
