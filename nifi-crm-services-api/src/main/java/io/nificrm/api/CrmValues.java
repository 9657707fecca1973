package io.nificrm.api;

import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;

/**
 * Reads the date and time values of records the way {@link CrmFieldType} defines them, whatever form they arrive
 * in: java.sql.Timestamp and Date, java.time values, epoch milliseconds, or ISO-8601 text with any offset style
 * ({@code Z}, {@code +00:00}, {@code +0000}). Dates without a zone are UTC.
 */
public final class CrmValues {
    private static final DateTimeFormatter FLEXIBLE = new DateTimeFormatterBuilder()
            .append(DateTimeFormatter.ISO_LOCAL_DATE_TIME)
            .optionalStart().appendOffset("+HH:MM", "Z").optionalEnd()
            .optionalStart().appendOffset("+HHMM", "Z").optionalEnd()
            .toFormatter();

    private CrmValues() {
    }

    /**
     * @throws java.time.format.DateTimeParseException when the text is not a date-time
     */
    public static Instant parseInstant(String text) {
        if (text.matches("-?\\d{9,}")) {
            return Instant.ofEpochMilli(Long.parseLong(text));
        }
        if (text.length() == 10) {
            return LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant();
        }
        var parsed = FLEXIBLE.parseBest(text, OffsetDateTime::from, LocalDateTime::from);
        return parsed instanceof OffsetDateTime odt ? odt.toInstant() : ((LocalDateTime) parsed).toInstant(ZoneOffset.UTC);
    }

    /** The instant of a value that holds a point in time, or null. */
    public static Instant toInstant(Object value) {
        return switch (value) {
            case null -> null;
            case Timestamp t -> t.toInstant();
            case Date d -> d.toLocalDate().atStartOfDay(ZoneOffset.UTC).toInstant();
            case java.util.Date d -> Instant.ofEpochMilli(d.getTime());
            case Instant i -> i;
            case OffsetDateTime o -> o.toInstant();
            case LocalDateTime l -> l.toInstant(ZoneOffset.UTC);
            case LocalDate l -> l.atStartOfDay(ZoneOffset.UTC).toInstant();
            case Number n -> Instant.ofEpochMilli(n.longValue());
            default -> parseInstant(value.toString().trim());
        };
    }

    /** The calendar date of a value, or null. */
    public static LocalDate toLocalDate(Object value) {
        return switch (value) {
            case null -> null;
            case Date d -> d.toLocalDate();
            case LocalDate l -> l;
            case Timestamp t -> t.toInstant().atZone(ZoneOffset.UTC).toLocalDate();
            case java.util.Date d -> Instant.ofEpochMilli(d.getTime()).atZone(ZoneOffset.UTC).toLocalDate();
            case Number n -> Instant.ofEpochMilli(n.longValue()).atZone(ZoneOffset.UTC).toLocalDate();
            default -> {
                String text = value.toString().trim();
                yield text.matches("-?\\d+") && text.length() != 8 ? Instant.ofEpochMilli(Long.parseLong(text)).atZone(ZoneOffset.UTC).toLocalDate()
                        : text.length() > 10 ? parseInstant(text).atZone(ZoneOffset.UTC).toLocalDate()
                        : LocalDate.parse(text);
            }
        };
    }
}
