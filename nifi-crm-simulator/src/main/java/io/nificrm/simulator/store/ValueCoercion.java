package io.nificrm.simulator.store;

import java.time.Instant;
import java.time.LocalDate;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;

/** Turns wire values (JSON text, numbers, booleans) into the store's typed values, or says why it cannot. */
public final class ValueCoercion {

    /** ISO-8601 with an offset written as {@code Z}, {@code +00:00} or {@code +0000}, as the three systems send it. */
    private static final DateTimeFormatter FLEXIBLE_OFFSET_DATE_TIME = new DateTimeFormatterBuilder()
            .append(DateTimeFormatter.ISO_LOCAL_DATE_TIME)
            .optionalStart().appendOffset("+HH:MM", "Z").optionalEnd()
            .optionalStart().appendOffset("+HHMM", "Z").optionalEnd()
            .toFormatter();

    private ValueCoercion() {
    }

    /**
     * @throws IllegalArgumentException with a readable reason when the value does not fit the type
     */
    public static Object coerce(SimType type, Object raw) {
        if (raw == null) {
            return null;
        }
        if (raw instanceof String s && s.isEmpty() && !type.isText()) {
            return null;
        }
        return switch (type) {
            case BOOLEAN -> toBoolean(raw);
            case INT -> toLong(raw);
            case DOUBLE, CURRENCY, PERCENT -> toDouble(raw);
            case DATE -> toDate(raw);
            case DATETIME -> toInstant(raw);
            default -> raw instanceof String s ? s : raw.toString();
        };
    }

    private static Boolean toBoolean(Object raw) {
        if (raw instanceof Boolean b) {
            return b;
        }
        String s = raw.toString().trim();
        if (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(s);
        }
        throw new IllegalArgumentException("'" + raw + "' is not a boolean");
    }

    private static Long toLong(Object raw) {
        if (raw instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())) {
            return n.longValue();
        }
        try {
            return Long.parseLong(raw.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + raw + "' is not a whole number");
        }
    }

    private static Double toDouble(Object raw) {
        if (raw instanceof Number n) {
            return n.doubleValue();
        }
        try {
            return Double.parseDouble(raw.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + raw + "' is not a number");
        }
    }

    private static LocalDate toDate(Object raw) {
        if (raw instanceof LocalDate d) {
            return d;
        }
        if (raw instanceof Instant i) {
            return i.atZone(ZoneOffset.UTC).toLocalDate();
        }
        if (raw instanceof Number n) {
            return Instant.ofEpochMilli(n.longValue()).atZone(ZoneOffset.UTC).toLocalDate();
        }
        String s = raw.toString().trim();
        try {
            if (s.matches("\\d{9,}")) {
                return Instant.ofEpochMilli(Long.parseLong(s)).atZone(ZoneOffset.UTC).toLocalDate();
            }
            return s.length() > 10 ? toInstant(s).atZone(ZoneOffset.UTC).toLocalDate() : LocalDate.parse(s);
        } catch (DateTimeParseException | IllegalArgumentException e) {
            throw new IllegalArgumentException("'" + raw + "' is not a date (expected yyyy-MM-dd)");
        }
    }

    public static Instant toInstant(Object raw) {
        if (raw instanceof Instant i) {
            return i;
        }
        if (raw instanceof Number n) {
            return Instant.ofEpochMilli(n.longValue());
        }
        String s = raw.toString().trim();
        try {
            if (s.matches("\\d{9,}")) {
                return Instant.ofEpochMilli(Long.parseLong(s));
            }
            if (s.length() == 10) {
                return LocalDate.parse(s).atStartOfDay(ZoneOffset.UTC).toInstant();
            }
            var parsed = FLEXIBLE_OFFSET_DATE_TIME.parseBest(s, OffsetDateTime::from, java.time.LocalDateTime::from);
            return parsed instanceof OffsetDateTime odt ? odt.toInstant()
                    : ((java.time.LocalDateTime) parsed).toInstant(ZoneOffset.UTC);
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("'" + raw + "' is not a date-time (expected ISO-8601)");
        }
    }
}
