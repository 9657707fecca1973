package io.nificrm.services.jdbc;

import io.nificrm.api.CrmException;

import java.sql.BatchUpdateException;
import java.sql.SQLException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientException;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What a database error means for a write or a read: a problem of one row (constraint, value), of the whole statement
 * (configuration, permission), or of the moment (connection, timeout, deadlock). Messages are the driver's first line,
 * without the lines and quoted literals that could hold record values.
 */
public final class SqlErrors {
    /** How far a failure reaches. */
    enum Scope {
        /** The row's values: NOT NULL, too long, invalid text for the type, unique or foreign key, check constraint. */
        ROW,
        /** Trying again later may work: connection lost, timeout, serialization failure, deadlock, cancel. */
        TRANSIENT,
        /** Every row would fail the same way: bad SQL for this database, missing table or column, permission. */
        STATEMENT
    }

    private static final Set<String> TRANSIENT_STATES = Set.of("40001", "40P01", "57014", "57P01", "57P02", "57P03",
            "55P03", "HYT00", "HYT01", "40XL1", "40XL2");
    /** MySQL's lock wait timeout and deadlock, reported with the general HY000/40001 states. */
    private static final Set<Integer> TRANSIENT_MYSQL_CODES = Set.of(1205, 1213);
    private static final Pattern QUOTED_TAIL = Pattern.compile(":\\s*\"[^\"]*\"\\s*$");
    private static final Pattern MYSQL_VALUE = Pattern.compile("value: '[^']*'");
    private static final Pattern BATCH_ENTRY = Pattern.compile("^Batch entry \\d+ .*? was aborted: ", Pattern.DOTALL);

    private SqlErrors() {
    }

    /** The exception that says what went wrong: a batch failure's first cause. */
    static SQLException root(SQLException e) {
        SQLException current = e;
        if (current instanceof BatchUpdateException && current.getNextException() != null) {
            current = current.getNextException();
        }
        return current;
    }

    static String state(SQLException e) {
        SQLException root = root(e);
        return root.getSQLState() != null ? root.getSQLState() : e.getSQLState();
    }

    static Scope scope(SQLException e) {
        SQLException root = root(e);
        String state = state(e);
        if (root instanceof SQLTransientException || root instanceof SQLRecoverableException || root instanceof SQLTimeoutException
                || e instanceof SQLTransientException || e instanceof SQLRecoverableException) {
            return Scope.TRANSIENT;
        }
        if (TRANSIENT_MYSQL_CODES.contains(root.getErrorCode()) && (state == null || state.startsWith("HY") || state.startsWith("40"))) {
            return Scope.TRANSIENT;
        }
        if (state == null || state.length() < 2) {
            return Scope.ROW;
        }
        if (TRANSIENT_STATES.contains(state) || state.startsWith("08") || state.startsWith("53")) {
            return Scope.TRANSIENT;
        }
        if (state.startsWith("42") || state.startsWith("0A") || state.startsWith("28") || state.startsWith("3D")
                || state.startsWith("3F") || state.startsWith("26") || state.startsWith("25")) {
            return Scope.STATEMENT;
        }
        return Scope.ROW;
    }

    /** The CrmException for a failure of a call as a whole (also used by the outbox change queue). */
    public static CrmException toCrmException(String action, SQLException e) {
        String state = state(e);
        CrmException.Reason reason;
        if (scope(e) == Scope.TRANSIENT) {
            reason = CrmException.Reason.UNAVAILABLE;
        } else if (state == null) {
            reason = CrmException.Reason.INVALID_REQUEST;
        } else if (state.startsWith("28")) {
            reason = CrmException.Reason.AUTHENTICATION;
        } else if (state.equals("42501")) {
            reason = CrmException.Reason.PERMISSION;
        } else if (state.equals("42P01") || state.equals("42S02") || state.equals("3F000") || state.equals("3D000")) {
            reason = CrmException.Reason.NOT_FOUND;
        } else if (state.startsWith("42") || state.startsWith("0A")) {
            reason = CrmException.Reason.CONFIGURATION;
        } else {
            reason = CrmException.Reason.INVALID_REQUEST;
        }
        return new CrmException(reason, state, 0, action + " failed: " + message(e) + (state == null ? "" : " (SQLState " + state + ")"), null);
    }

    /** The driver's message, first line only, without values. */
    static String message(SQLException e) {
        SQLException root = root(e);
        String text = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        text = BATCH_ENTRY.matcher(text).replaceFirst("");
        int newline = text.indexOf('\n');
        if (newline >= 0) {
            text = text.substring(0, newline);
        }
        text = text.strip();
        if (text.startsWith("ERROR: ")) {
            text = text.substring("ERROR: ".length());
        }
        int call = text.indexOf("  Call getNextException");
        if (call >= 0) {
            text = text.substring(0, call);
        }
        text = QUOTED_TAIL.matcher(text).replaceFirst("");
        text = MYSQL_VALUE.matcher(text).replaceAll("value");
        return text.length() > 500 ? text.substring(0, 497) + "..." : text;
    }
}
