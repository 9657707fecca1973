package io.nificrm.services.jdbc;

/**
 * SQL for the Deleted Column: a boolean flag (true = deleted), a timestamp or date (set = deleted), or a whole number
 * (non-zero = deleted). Only literals and quoted column names go into the SQL.
 */
final class SoftDelete {
    private SoftDelete() {
    }

    private static String bool(JdbcColumn column, Dialect dialect, boolean value) {
        boolean bit = dialect == Dialect.MERGE && "bit".equalsIgnoreCase(column.typeName());
        return bit ? (value ? "1" : "0") : (value ? "TRUE" : "FALSE");
    }

    /** True when the row {@code ref} (a qualified, quoted column reference) is soft-deleted. */
    static String isDeleted(JdbcColumn column, String ref, Dialect dialect) {
        return switch (column.crmType()) {
            case BOOLEAN -> ref + " = " + bool(column, dialect, true);
            case INTEGER -> ref + " <> 0";
            default -> ref + " IS NOT NULL";
        };
    }

    /** True when the row is live (not soft-deleted); NULL flags count as live. */
    static String isLive(JdbcColumn column, String ref, Dialect dialect) {
        return switch (column.crmType()) {
            case BOOLEAN -> "(" + ref + " IS NULL OR " + ref + " = " + bool(column, dialect, false) + ")";
            case INTEGER -> "(" + ref + " IS NULL OR " + ref + " = 0)";
            default -> ref + " IS NULL";
        };
    }

    /** The value that marks a row deleted. */
    static String deletedValue(JdbcColumn column, Dialect dialect) {
        return switch (column.crmType()) {
            case BOOLEAN -> bool(column, dialect, true);
            case INTEGER -> "1";
            case DATE -> "CURRENT_DATE";
            default -> "CURRENT_TIMESTAMP";
        };
    }

    /** The value that marks a row live again (when a write brings it back). */
    static String liveValue(JdbcColumn column, Dialect dialect) {
        return switch (column.crmType()) {
            case BOOLEAN -> bool(column, dialect, false);
            case INTEGER -> "0";
            default -> "NULL";
        };
    }

    /** Whether a value read from the column means deleted. */
    static boolean isDeletedValue(JdbcColumn column, Object value) {
        return switch (value) {
            case null -> false;
            case Boolean b -> b;
            case Number n -> n.longValue() != 0;
            default -> true;
        };
    }
}
