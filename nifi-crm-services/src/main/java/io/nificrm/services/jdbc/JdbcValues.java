package io.nificrm.services.jdbc;

import io.nificrm.api.CrmFieldType;
import io.nificrm.services.records.WireValues;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;

/**
 * Converts record values to what a column's JDBC type takes, and result-set values to record values.
 * <p>
 * Binding: text columns take any scalar as text; whole-number columns take integral numbers and numeric text (a
 * fraction or an out-of-range value fails); decimals take numbers and numeric text; booleans take booleans, 0/1 and
 * true/false/yes/no text; dates and timestamps take java.sql.Date/Timestamp, java.time values, epoch milliseconds and
 * ISO-8601 text. {@code timestamptz} columns of PostgreSQL are bound as {@link OffsetDateTime} (UTC), other timestamps as
 * {@link Timestamp} (wall time in the JVM's time zone, as NiFi's own database processors do).
 * A value that does not fit fails with an {@link IllegalArgumentException} naming the column and the expected type,
 * never the value.
 */
final class JdbcValues {
    private JdbcValues() {
    }

    /** The Java value to bind for {@code value} into {@code column}; null for null. */
    static Object toJdbc(JdbcColumn column, Object value, Dialect dialect) {
        if (value == null) {
            return null;
        }
        try {
            return switch (column.crmType()) {
                case INTEGER -> wholeNumber(column, value);
                case DECIMAL -> column.sqlType() == Types.NUMERIC || column.sqlType() == Types.DECIMAL
                        ? decimal(value) : (Object) decimal(value).doubleValue();
                case BOOLEAN -> bool(value);
                case DATE -> java.sql.Date.valueOf(WireValues.toLocalDate(value));
                case DATETIME -> timestamp(column, WireValues.toInstant(value), dialect);
                default -> text(column, value);
            };
        } catch (ArithmeticException | NumberFormatException | DateTimeParseException | ClassCastException e) {
            throw invalid(column, null);
        } catch (IllegalArgumentException e) {
            throw e.getMessage() != null && e.getMessage().startsWith("Column ") ? e : invalid(column, null);
        }
    }

    private static IllegalArgumentException invalid(JdbcColumn column, String detail) {
        String expected = switch (column.crmType()) {
            case INTEGER -> "a whole number" + switch (column.sqlType()) {
                case Types.SMALLINT, Types.TINYINT -> " between -32768 and 32767";
                case Types.INTEGER -> " between -2147483648 and 2147483647";
                default -> "";
            };
            case DECIMAL -> "a number";
            case BOOLEAN -> "a boolean (true/false)";
            case DATE -> "a date (yyyy-MM-dd)";
            case DATETIME -> "a date-time (ISO-8601 or epoch milliseconds)";
            default -> column.isUuid() ? "a UUID" : "text";
        };
        return new IllegalArgumentException("Column " + column.name() + " (" + column.typeName() + ") needs " + expected
                + (detail == null ? "; the record's value is not one (the value is not logged)" : "; " + detail));
    }

    private static Object wholeNumber(JdbcColumn column, Object value) {
        long number = switch (value) {
            case Long l -> l;
            case Integer i -> i;
            case Short s -> s;
            case Byte b -> b;
            case BigInteger b -> b.longValueExact();
            case BigDecimal b -> b.longValueExact();
            case Double d -> BigDecimal.valueOf(d).longValueExact();
            case Float f -> new BigDecimal(f.toString()).longValueExact();
            case Boolean b -> throw invalid(column, "the record's value is a boolean");
            case CharSequence text -> new BigDecimal(text.toString().trim()).longValueExact();
            default -> throw invalid(column, null);
        };
        boolean fits = switch (column.sqlType()) {
            case Types.SMALLINT, Types.TINYINT -> number >= Short.MIN_VALUE && number <= Short.MAX_VALUE;
            case Types.INTEGER -> number >= Integer.MIN_VALUE && number <= Integer.MAX_VALUE;
            default -> true;
        };
        if (!fits) {
            throw invalid(column, "the record's value is out of range");
        }
        return switch (column.sqlType()) {
            case Types.NUMERIC, Types.DECIMAL -> BigDecimal.valueOf(number);
            default -> number;
        };
    }

    private static BigDecimal decimal(Object value) {
        return switch (value) {
            case BigDecimal b -> b;
            case BigInteger b -> new BigDecimal(b);
            case Double d -> BigDecimal.valueOf(d);
            case Float f -> new BigDecimal(f.toString());
            case Number n -> BigDecimal.valueOf(n.longValue());
            case CharSequence text -> new BigDecimal(text.toString().trim());
            default -> throw new NumberFormatException();
        };
    }

    private static Boolean bool(Object value) {
        return switch (value) {
            case Boolean b -> b;
            case Number n when n.doubleValue() == 0 -> false;
            case Number n when n.doubleValue() == 1 -> true;
            case CharSequence text -> switch (text.toString().trim().toLowerCase(Locale.ROOT)) {
                case "true", "t", "yes", "y", "1" -> true;
                case "false", "f", "no", "n", "0" -> false;
                default -> throw new NumberFormatException();
            };
            default -> throw new NumberFormatException();
        };
    }

    private static Object timestamp(JdbcColumn column, Instant instant, Dialect dialect) {
        if (column.isInstant() && dialect == Dialect.POSTGRESQL) {
            return OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
        }
        return Timestamp.from(instant);
    }

    private static Object text(JdbcColumn column, Object value) {
        String text = switch (value) {
            case CharSequence s -> s.toString();
            case Double d -> d.isNaN() || d.isInfinite() ? d.toString() : BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
            case Float f -> new BigDecimal(f.toString()).stripTrailingZeros().toPlainString();
            case BigDecimal b -> b.toPlainString();
            case Number n -> n.toString();
            case Boolean b -> b.toString();
            case java.sql.Date d -> d.toLocalDate().toString();
            case Timestamp t -> t.toInstant().toString();
            case java.util.Date d -> d.toInstant().toString();
            case Instant i -> i.toString();
            case LocalDate l -> l.toString();
            case LocalDateTime l -> l.toString();
            case OffsetDateTime o -> o.toInstant().toString();
            case ZonedDateTime z -> z.toInstant().toString();
            case UUID u -> u.toString();
            case Character c -> c.toString();
            case Object[] array -> throw invalid(column, "the record's value is an array");
            case Map<?, ?> map -> throw invalid(column, "the record's value is a map");
            case org.apache.nifi.serialization.record.Record record -> throw invalid(column, "the record's value is a nested record");
            default -> value.toString();
        };
        if (column.isUuid()) {
            try {
                return UUID.fromString(text.trim());
            } catch (IllegalArgumentException e) {
                throw invalid(column, null);
            }
        }
        return text;
    }

    /** Binds a value made by {@link #toJdbc}. */
    static void bind(PreparedStatement statement, int index, JdbcColumn column, Object value, Dialect dialect) throws SQLException {
        if (value == null) {
            statement.setNull(index, column.isOther() && dialect == Dialect.POSTGRESQL ? Types.OTHER : nullType(column));
        } else if (column.isOther() && dialect == Dialect.POSTGRESQL && !(value instanceof UUID)) {
            // jsonb, enums, inet...: sent untyped so the server converts the text to the column's type.
            statement.setObject(index, value.toString(), Types.OTHER);
        } else if (value instanceof String text) {
            statement.setString(index, text);
        } else {
            statement.setObject(index, value);
        }
    }

    private static int nullType(JdbcColumn column) {
        return switch (column.sqlType()) {
            case Types.OTHER, Types.JAVA_OBJECT, Types.DISTINCT, Types.STRUCT, Types.ARRAY, Types.REF -> Types.VARCHAR;
            default -> column.sqlType();
        };
    }

    /** The record value of a result-set column, typed by the field's {@link CrmFieldType}. */
    static Object read(ResultSet rs, int index, CrmFieldType type) throws SQLException {
        return switch (type) {
            case INTEGER -> {
                long v = rs.getLong(index);
                yield rs.wasNull() ? null : v;
            }
            case DECIMAL -> {
                double v = rs.getDouble(index);
                yield rs.wasNull() ? null : v;
            }
            case BOOLEAN -> {
                boolean v = rs.getBoolean(index);
                yield rs.wasNull() ? null : v;
            }
            case DATE -> rs.getDate(index);
            case DATETIME -> rs.getTimestamp(index);
            default -> rs.getString(index);
        };
    }

    /**
     * A keyset position of a timestamp column as exact text: the instant of a {@code timestamptz}, the wall time of a
     * {@code timestamp} (so no time-zone rule can shift it), or the text of any other value.
     */
    static String keyText(ResultSet rs, int index, JdbcColumn column, Dialect dialect) throws SQLException {
        if (column.crmType() == CrmFieldType.DATETIME) {
            if (column.isInstant()) {
                Timestamp t = rs.getTimestamp(index);
                return t == null ? null : t.toInstant().toString();
            }
            if (dialect != Dialect.MERGE) {
                LocalDateTime local = rs.getObject(index, LocalDateTime.class);
                return local == null ? null : "local:" + local;
            }
            Timestamp t = rs.getTimestamp(index);
            return t == null ? null : "local:" + t.toLocalDateTime();
        }
        if (column.crmType() == CrmFieldType.DATE) {
            java.sql.Date d = rs.getDate(index);
            return d == null ? null : d.toLocalDate().toString();
        }
        return rs.getString(index);
    }

    /** The value to bind for a keyset position made by {@link #keyText}. */
    static Object fromKeyText(JdbcColumn column, String text, Dialect dialect) {
        if (text != null && text.startsWith("local:")) {
            LocalDateTime local = LocalDateTime.parse(text.substring("local:".length()));
            return dialect == Dialect.MERGE ? Timestamp.valueOf(local) : local;
        }
        return toJdbc(column, text, dialect);
    }

    /** The value to bind for an instant bound (change window) compared with a timestamp column. */
    static Object instantBound(JdbcColumn column, Instant instant, Dialect dialect) {
        if (column.crmType() == CrmFieldType.DATE) {
            return java.sql.Date.valueOf(instant.atZone(ZoneOffset.UTC).toLocalDate());
        }
        if (column.isInstant()) {
            return dialect == Dialect.POSTGRESQL ? OffsetDateTime.ofInstant(instant, ZoneOffset.UTC) : Timestamp.from(instant);
        }
        LocalDateTime local = LocalDateTime.ofInstant(instant, ZoneId.systemDefault());
        return dialect == Dialect.MERGE ? Timestamp.valueOf(local) : local;
    }

    /** A canonical text of a key value, to match the keys of records with the keys the database returns. */
    static String canonical(Object value, Dialect dialect) {
        if (value == null) {
            return null;
        }
        String text = switch (value) {
            case BigDecimal b -> b.stripTrailingZeros().toPlainString();
            case Double d -> BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
            case Float f -> new BigDecimal(f.toString()).stripTrailingZeros().toPlainString();
            case Number n -> new BigDecimal(n.toString()).stripTrailingZeros().toPlainString();
            case Timestamp t -> t.toInstant().toString();
            case OffsetDateTime o -> o.toInstant().toString();
            case UUID u -> u.toString();
            default -> value.toString();
        };
        // MySQL's default collations compare text without case.
        return dialect == Dialect.MYSQL ? text.toLowerCase(Locale.ROOT) : text;
    }
}
