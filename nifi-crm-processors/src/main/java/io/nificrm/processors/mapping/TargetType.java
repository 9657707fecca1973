package io.nificrm.processors.mapping;

import io.nificrm.api.CrmFieldType;
import org.apache.nifi.serialization.record.DataType;
import org.apache.nifi.serialization.record.RecordFieldType;

import java.math.BigDecimal;
import java.sql.Date;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Conversion of mapped values to a target type, with the formats and time zone a field mapping names.
 * Text input for dates is tried as ISO-8601 first, then each configured pattern.
 */
public enum TargetType {
    STRING(RecordFieldType.STRING),
    INTEGER(RecordFieldType.LONG),
    DECIMAL(RecordFieldType.DOUBLE),
    BOOLEAN(RecordFieldType.BOOLEAN),
    DATE(RecordFieldType.DATE),
    DATETIME(RecordFieldType.TIMESTAMP);

    private final RecordFieldType recordType;

    TargetType(RecordFieldType recordType) {
        this.recordType = recordType;
    }

    public DataType dataType() {
        return recordType.getDataType();
    }

    public static TargetType parse(String target, String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Field '" + target + "': unknown type '" + name
                    + "' (known: string, integer, decimal, boolean, date, datetime)");
        }
    }

    /** The target type of a described field. */
    public static TargetType of(CrmFieldType type) {
        return switch (type) {
            case BOOLEAN -> BOOLEAN;
            case INTEGER -> INTEGER;
            case DECIMAL -> DECIMAL;
            case DATE -> DATE;
            case DATETIME -> DATETIME;
            default -> STRING;
        };
    }

    /** Converts with these input patterns and zone; the message of a failure names the expected form. */
    public Object convert(String field, Object value, List<DateTimeFormatter> formats, ZoneId zone) throws MappingFailure {
        if (value == null) {
            return null;
        }
        if (value instanceof String s && s.isBlank() && this != STRING) {
            return null;
        }
        try {
            return switch (this) {
                case STRING -> asText(value, zone);
                case INTEGER -> value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) ? n.longValue()
                        : new BigDecimal(value.toString().trim().replace(",", "")).longValueExact();
                case DECIMAL -> value instanceof Number n ? n.doubleValue() : Double.parseDouble(value.toString().trim().replace(",", ""));
                case BOOLEAN -> asBoolean(field, value);
                case DATE -> Date.valueOf(asDate(value, formats, zone));
                case DATETIME -> Timestamp.from(asInstant(value, formats, zone));
            };
        } catch (NumberFormatException | ArithmeticException e) {
            throw new MappingFailure(field, "not a valid " + name().toLowerCase(Locale.ROOT) + " number");
        } catch (DateTimeParseException e) {
            throw new MappingFailure(field, "not a valid " + name().toLowerCase(Locale.ROOT) + " (expected ISO-8601"
                    + (formats.isEmpty() ? "" : " or one of the configured formats") + ")");
        }
    }

    private static String asText(Object value, ZoneId zone) {
        return switch (value) {
            case Timestamp t -> DateTimeFormatter.ISO_INSTANT.format(t.toInstant());
            case Date d -> d.toLocalDate().toString();
            case Double d -> BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
            default -> value.toString();
        };
    }

    private static Boolean asBoolean(String field, Object value) throws MappingFailure {
        if (value instanceof Boolean b) {
            return b;
        }
        return switch (value.toString().trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "y", "1", "on" -> true;
            case "false", "no", "n", "0", "off" -> false;
            default -> throw new MappingFailure(field, "not a boolean (true/false, yes/no, 1/0)");
        };
    }

    private static LocalDate asDate(Object value, List<DateTimeFormatter> formats, ZoneId zone) {
        return switch (value) {
            case Date d -> d.toLocalDate();
            case Timestamp t -> t.toInstant().atZone(zone).toLocalDate();
            case LocalDate l -> l;
            case Number n -> Instant.ofEpochMilli(n.longValue()).atZone(zone).toLocalDate();
            default -> {
                TemporalAccessor parsed = parse(value.toString().trim(), formats);
                yield parsed.isSupported(ChronoField.INSTANT_SECONDS)
                        ? Instant.from(parsed).atZone(zone).toLocalDate() : LocalDate.from(parsed);
            }
        };
    }

    private static Instant asInstant(Object value, List<DateTimeFormatter> formats, ZoneId zone) {
        return switch (value) {
            case Timestamp t -> t.toInstant();
            case Date d -> d.toLocalDate().atStartOfDay(zone).toInstant();
            case Instant i -> i;
            case Number n -> Instant.ofEpochMilli(n.longValue());
            default -> {
                String text = value.toString().trim();
                if (text.matches("-?\\d{10,}")) {
                    yield Instant.ofEpochMilli(Long.parseLong(text));
                }
                TemporalAccessor parsed = parse(text, formats);
                if (parsed.isSupported(ChronoField.INSTANT_SECONDS)) {
                    yield Instant.from(parsed);
                }
                yield parsed.isSupported(ChronoField.HOUR_OF_DAY)
                        ? LocalDateTime.from(parsed).atZone(zone).toInstant()
                        : LocalDate.from(parsed).atStartOfDay(zone).toInstant();
            }
        };
    }

    private static final DateTimeFormatter ISO_ANY = new DateTimeFormatterBuilder()
            .append(DateTimeFormatter.ISO_LOCAL_DATE)
            .optionalStart().appendLiteral('T').append(DateTimeFormatter.ISO_LOCAL_TIME)
            .optionalStart().appendOffset("+HH:MM", "Z").optionalEnd()
            .optionalStart().appendOffset("+HHMM", "Z").optionalEnd()
            .optionalEnd()
            .toFormatter(Locale.ROOT);

    private static TemporalAccessor parse(String text, List<DateTimeFormatter> formats) {
        List<DateTimeFormatter> all = new ArrayList<>(formats.size() + 1);
        all.add(ISO_ANY);
        all.addAll(formats);
        DateTimeParseException last = null;
        for (DateTimeFormatter format : all) {
            try {
                return format.parseBest(text, ZonedDateTime::from, OffsetDateTime::from, LocalDateTime::from, LocalDate::from);
            } catch (DateTimeParseException e) {
                last = e;
            }
        }
        throw last;
    }

    /** Parses the {@code zone} of a mapping: an id like {@code Europe/Paris} or an offset like {@code +02:00}. */
    public static ZoneId zone(String target, String zone) {
        if (zone == null || zone.isBlank()) {
            return ZoneOffset.UTC;
        }
        try {
            return ZoneId.of(zone.trim());
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("Field '" + target + "': unknown time zone '" + zone + "'");
        }
    }
}
