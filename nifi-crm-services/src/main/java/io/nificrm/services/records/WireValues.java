package io.nificrm.services.records;

import com.fasterxml.jackson.databind.JsonNode;
import io.nificrm.api.CrmFieldType;
import io.nificrm.api.CrmValues;

import java.math.BigDecimal;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;

/**
 * Converts values between the CRMs' JSON and NiFi record values, by {@link CrmFieldType}:
 * text stays text, numbers become Long/Double, dates java.sql.Date, date-times java.sql.Timestamp. Wire text
 * for dates and date-times may be ISO-8601 with any offset style ({@code Z}, {@code +00:00}, {@code +0000}) or
 * epoch milliseconds (HubSpot).
 */
public final class WireValues {

    private WireValues() {
    }

    /** A record value from a JSON value; null for JSON null or an absent value. */
    public static Object fromJson(CrmFieldType type, JsonNode node) {
        if (node == null || node.isNull() || node.isMissingNode()) {
            return null;
        }
        return switch (type) {
            case BOOLEAN -> node.isBoolean() ? node.booleanValue() : fromText(type, node.asText());
            case INTEGER -> node.isNumber() ? node.longValue() : fromText(type, node.asText());
            case DECIMAL -> node.isNumber() ? node.doubleValue() : fromText(type, node.asText());
            case DATE, DATETIME -> node.isNumber() ? fromText(type, Long.toString(node.longValue())) : fromText(type, node.asText());
            default -> node.isValueNode() ? node.asText() : node.toString();
        };
    }

    /**
     * A record value from text (HubSpot sends every property as a string).
     *
     * @throws IllegalArgumentException naming the expected format when the text does not fit
     */
    public static Object fromText(CrmFieldType type, String text) {
        if (text == null) {
            return null;
        }
        if (text.isEmpty() && !type.isText()) {
            return null;
        }
        try {
            return switch (type) {
                case BOOLEAN -> parseBoolean(text);
                case INTEGER -> new BigDecimal(text.trim()).longValueExact();
                case DECIMAL -> Double.parseDouble(text.trim());
                case DATE -> Date.valueOf(parseDate(text.trim()));
                case DATETIME -> Timestamp.from(parseInstant(text.trim()));
                default -> text;
            };
        } catch (ArithmeticException | NumberFormatException | DateTimeParseException e) {
            throw new IllegalArgumentException("'" + abbreviate(text) + "' is not a valid " + type.name().toLowerCase());
        }
    }

    private static Boolean parseBoolean(String text) {
        String t = text.trim();
        if (t.equalsIgnoreCase("true") || t.equalsIgnoreCase("false")) {
            return Boolean.parseBoolean(t);
        }
        throw new NumberFormatException("not a boolean");
    }

    public static LocalDate parseDate(String text) {
        return CrmValues.toLocalDate(text);
    }

    public static Instant parseInstant(String text) {
        return CrmValues.parseInstant(text);
    }

    /** The instant of a record value that holds a point in time (Timestamp, Date, Instant, epoch millis, ISO text). */
    public static Instant toInstant(Object value) {
        return CrmValues.toInstant(value);
    }

    /** The calendar date of a record value (java.sql.Date, LocalDate, Timestamp, ISO text...). */
    public static LocalDate toLocalDate(Object value) {
        return CrmValues.toLocalDate(value);
    }

    private static String abbreviate(String text) {
        return text.length() <= 40 ? text : text.substring(0, 37) + "...";
    }
}
