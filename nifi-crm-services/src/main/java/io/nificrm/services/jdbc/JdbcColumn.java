package io.nificrm.services.jdbc;

import io.nificrm.api.CrmFieldType;

import java.sql.Types;
import java.util.Locale;
import java.util.Set;

/**
 * One column as {@link java.sql.DatabaseMetaData#getColumns} reports it, with the {@link CrmFieldType} it maps to.
 *
 * @param name          the column name as the database stores it
 * @param sqlType       {@link java.sql.Types} code
 * @param typeName      the database's own type name ({@code varchar}, {@code timestamptz}, {@code uuid})
 * @param size          COLUMN_SIZE: length of character types, precision of numbers
 * @param decimalDigits scale of numbers
 * @param nullable      NULL is allowed
 * @param hasDefault    the column has a default value
 * @param autoIncrement serial / identity / auto_increment
 * @param generated     computed by the database (generated column)
 */
record JdbcColumn(String name, int sqlType, String typeName, int size, int decimalDigits, boolean nullable,
                  boolean hasDefault, boolean autoIncrement, boolean generated) {

    /** Text types whose values compare with {@code =} in every database. */
    private static final Set<String> COMPARABLE_OTHER = Set.of("uuid", "citext", "jsonb", "inet", "cidr", "macaddr", "money",
            "interval", "time", "timetz", "bytea");
    private static final Set<Integer> TEXT_TYPES = Set.of(Types.CHAR, Types.VARCHAR, Types.LONGVARCHAR, Types.NCHAR,
            Types.NVARCHAR, Types.LONGNVARCHAR, Types.CLOB, Types.NCLOB);

    /** The normalized type of this column's values in records. */
    CrmFieldType crmType() {
        return switch (sqlType) {
            case Types.CHAR, Types.VARCHAR, Types.LONGVARCHAR, Types.NCHAR, Types.NVARCHAR, Types.LONGNVARCHAR,
                 Types.CLOB, Types.NCLOB -> CrmFieldType.STRING;
            case Types.TINYINT, Types.SMALLINT, Types.INTEGER, Types.BIGINT -> CrmFieldType.INTEGER;
            // NUMERIC(p, 0) with p <= 18 holds whole numbers (Oracle's NUMBER(10) ids, for instance).
            case Types.NUMERIC, Types.DECIMAL -> decimalDigits == 0 && size > 0 && size <= 18 ? CrmFieldType.INTEGER : CrmFieldType.DECIMAL;
            case Types.REAL, Types.FLOAT, Types.DOUBLE -> CrmFieldType.DECIMAL;
            case Types.BOOLEAN -> CrmFieldType.BOOLEAN;
            case Types.BIT -> size <= 1 || "bool".equalsIgnoreCase(typeName) ? CrmFieldType.BOOLEAN : CrmFieldType.STRING;
            case Types.DATE -> CrmFieldType.DATE;
            case Types.TIMESTAMP, Types.TIMESTAMP_WITH_TIMEZONE -> CrmFieldType.DATETIME;
            default -> CrmFieldType.STRING;
        };
    }

    /** Maximum text length, or 0 when the column is not text or not limited. */
    int length() {
        if (sqlType == Types.CHAR || sqlType == Types.VARCHAR || sqlType == Types.NCHAR || sqlType == Types.NVARCHAR) {
            return size > 0 && size < 1_000_000_000 ? size : 0;
        }
        return 0;
    }

    boolean isText() {
        return TEXT_TYPES.contains(sqlType);
    }

    /** A timestamp that stores an instant (PostgreSQL timestamptz, SQL TIMESTAMP WITH TIME ZONE). */
    boolean isInstant() {
        if (sqlType == Types.TIMESTAMP_WITH_TIMEZONE) {
            return true;
        }
        String type = typeName == null ? "" : typeName.toLowerCase(Locale.ROOT);
        return sqlType == Types.TIMESTAMP && (type.contains("tz") || type.contains("time zone") || type.equals("datetimeoffset"));
    }

    /** A type the JDBC standard does not name (uuid, jsonb, enums...): bound as text the database converts. */
    boolean isOther() {
        return crmType() == CrmFieldType.STRING && !isText();
    }

    boolean isUuid() {
        return "uuid".equalsIgnoreCase(typeName);
    }

    /** Whether {@code IS DISTINCT FROM} / {@code <=>} works on this column (json, xml, lobs do not compare). */
    boolean isComparable() {
        if (sqlType == Types.CLOB || sqlType == Types.NCLOB || sqlType == Types.BLOB || sqlType == Types.LONGVARBINARY
                || sqlType == Types.SQLXML || sqlType == Types.ARRAY || sqlType == Types.STRUCT) {
            return false;
        }
        if (isOther()) {
            return typeName != null && COMPARABLE_OTHER.contains(typeName.toLowerCase(Locale.ROOT));
        }
        return true;
    }

    /**
     * The SQL type to CAST a parameter to where the database cannot infer it (the VALUES list of a MERGE), or null to
     * leave the parameter as it is (text: a CAST to VARCHAR without a length would truncate on some databases).
     */
    String castType() {
        String type = typeName == null ? "" : typeName.trim();
        return switch (sqlType) {
            case Types.CHAR, Types.VARCHAR, Types.LONGVARCHAR, Types.NCHAR, Types.NVARCHAR, Types.LONGNVARCHAR,
                 Types.CLOB, Types.NCLOB -> null;
            case Types.TINYINT, Types.SMALLINT -> "SMALLINT";
            case Types.INTEGER -> "INTEGER";
            case Types.BIGINT -> "BIGINT";
            case Types.NUMERIC, Types.DECIMAL -> size > 0 && size <= 1000 ? "DECIMAL(" + size + "," + Math.max(0, decimalDigits) + ")" : "DECIMAL";
            case Types.REAL -> "REAL";
            case Types.FLOAT, Types.DOUBLE -> "DOUBLE PRECISION";
            case Types.DATE -> "DATE";
            default -> type.matches("[A-Za-z_][A-Za-z0-9_ ]{0,60}") ? type.replaceAll("(?i)\\s+identity$", "") : null;
        };
    }
}
