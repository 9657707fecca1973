package io.nificrm.processors.mapping;

import io.nificrm.api.CrmFieldType;
import org.apache.nifi.serialization.record.DataType;
import org.apache.nifi.serialization.record.RecordFieldType;

import java.math.BigDecimal;
import java.sql.Date;
import java.sql.Timestamp;
import java.text.ParsePosition;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.ResolverStyle;
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

    /** The date parsers of a field: ISO-8601 first, then its configured patterns in order. */
    public static List<DateTimeFormatter> parsers(List<DateTimeFormatter> formats) {
        List<DateTimeFormatter> all = new ArrayList<>(formats.size() + 1);
        all.add(ISO_ANY);
        all.addAll(formats);
        return List.copyOf(all);
    }

    /**
     * Converts a value. Text is trimmed first; blank text is null for every type but string.
     *
     * @param parsers from {@link #parsers}
     * @throws MappingFailure naming the field and the expected form (never the value, which may be personal data)
     */
    public Object convert(String field, Object value, List<DateTimeFormatter> parsers, ZoneId zone) throws MappingFailure {
        if (value == null) {
            return null;
        }
        if (value instanceof String s && this != STRING && s.isBlank()) {
            return null;
        }
        try {
            return switch (this) {
                case STRING -> asText(value);
                case INTEGER -> asLong(value);
                case DECIMAL -> value instanceof Number n ? (Object) n.doubleValue() : (Object) Double.parseDouble(number(value));
                case BOOLEAN -> asBoolean(field, value);
                case DATE -> Date.valueOf(asDate(value, parsers, zone));
                case DATETIME -> Timestamp.from(asInstant(value, parsers, zone));
            };
        } catch (NumberFormatException | ArithmeticException e) {
            throw new MappingFailure(field, "not a valid " + name().toLowerCase(Locale.ROOT) + " number");
        } catch (DateTimeException e) {
            throw new MappingFailure(field, "not a valid " + name().toLowerCase(Locale.ROOT) + " (expected ISO-8601"
                    + (parsers.size() > 1 ? " or one of the configured formats" : "") + ")");
        }
    }

    private static Long asLong(Object value) {
        if (value instanceof Long l) {
            return l;
        }
        if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        }
        if (value instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue()) && !Double.isInfinite(n.doubleValue())) {
            return n.longValue();
        }
        if (value instanceof Number) {
            throw new ArithmeticException("fraction");
        }
        return new BigDecimal(number(value)).longValueExact();
    }

    private static String number(Object value) {
        if (value instanceof Boolean || value instanceof java.util.Date) {
            throw new NumberFormatException("not a number");
        }
        String text = value.toString().trim();
        return text.indexOf(',') >= 0 ? text.replace(",", "") : text;
    }

    private static String asText(Object value) {
        return switch (value) {
            case String s -> s;
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

    private static LocalDate asDate(Object value, List<DateTimeFormatter> parsers, ZoneId zone) {
        return switch (value) {
            case Date d -> d.toLocalDate();
            case Timestamp t -> t.toInstant().atZone(zone).toLocalDate();
            case java.util.Date d -> d.toInstant().atZone(zone).toLocalDate();
            case LocalDate l -> l;
            case LocalDateTime l -> l.toLocalDate();
            case Instant i -> i.atZone(zone).toLocalDate();
            case Number n -> dateOfMillis(n.longValue(), zone);
            default -> {
                TemporalAccessor parsed = parse(value.toString().trim(), parsers);
                yield parsed.isSupported(ChronoField.INSTANT_SECONDS)
                        ? Instant.from(parsed).atZone(zone).toLocalDate() : LocalDate.from(parsed);
            }
        };
    }

    /**
     * The day of epoch milliseconds. NiFi's record writers write a DATE as the milliseconds of its midnight in the JVM's
     * zone, so such a value is that day; any other instant is the day it falls on in the mapping's zone.
     */
    private static LocalDate dateOfMillis(long millis, ZoneId zone) {
        Instant instant = Instant.ofEpochMilli(millis);
        ZonedDateTime local = instant.atZone(ZoneId.systemDefault());
        return local.toLocalTime().equals(java.time.LocalTime.MIDNIGHT) ? local.toLocalDate() : instant.atZone(zone).toLocalDate();
    }

    private static Instant asInstant(Object value, List<DateTimeFormatter> parsers, ZoneId zone) {
        return switch (value) {
            case Timestamp t -> t.toInstant();
            case Date d -> d.toLocalDate().atStartOfDay(zone).toInstant();
            case java.util.Date d -> d.toInstant();
            case Instant i -> i;
            case LocalDateTime l -> l.atZone(zone).toInstant();
            case LocalDate l -> l.atStartOfDay(zone).toInstant();
            case Number n -> Instant.ofEpochMilli(n.longValue());
            default -> {
                String text = value.toString().trim();
                if (isEpochMillis(text)) {
                    yield Instant.ofEpochMilli(Long.parseLong(text));
                }
                TemporalAccessor parsed = parse(text, parsers);
                if (parsed.isSupported(ChronoField.INSTANT_SECONDS)) {
                    yield Instant.from(parsed);
                }
                yield parsed.isSupported(ChronoField.HOUR_OF_DAY)
                        ? LocalDateTime.from(parsed).atZone(zone).toInstant()
                        : LocalDate.from(parsed).atStartOfDay(zone).toInstant();
            }
        };
    }

    /** Ten or more digits, maybe negative: milliseconds since the epoch, as JSON writers emit timestamps. */
    private static boolean isEpochMillis(String text) {
        int start = text.startsWith("-") ? 1 : 0;
        if (text.length() - start < 10) {
            return false;
        }
        for (int i = start; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < '0' || c > '9') {
                return false;
            }
        }
        return true;
    }

    /** ISO-8601 date, date-time or date-time with offset; a space may stand for the 'T'. */
    private static final DateTimeFormatter ISO_ANY = new DateTimeFormatterBuilder()
            .append(DateTimeFormatter.ISO_LOCAL_DATE)
            .optionalStart().appendLiteral('T').append(DateTimeFormatter.ISO_LOCAL_TIME)
            .optionalStart().appendOffset("+HH:MM", "Z").optionalEnd()
            .optionalStart().appendOffset("+HHMM", "Z").optionalEnd()
            .optionalEnd()
            .toFormatter(Locale.ROOT)
            .withResolverStyle(ResolverStyle.STRICT);

    /**
     * A date pattern of a mapping, resolved strictly (February 30th is an error, not March 2nd). Strict resolving
     * needs the proleptic year, so {@code y} (year of era) is read as {@code u} outside quoted text.
     *
     * @throws IllegalArgumentException when the pattern is not valid
     */
    public static DateTimeFormatter pattern(String pattern) {
        StringBuilder strict = new StringBuilder(pattern.length());
        boolean quoted = false;
        for (char c : pattern.toCharArray()) {
            if (c == '\'') {
                quoted = !quoted;
            }
            strict.append(!quoted && c == 'y' ? 'u' : c);
        }
        return DateTimeFormatter.ofPattern(strict.toString(), Locale.ROOT).withResolverStyle(ResolverStyle.STRICT);
    }

    /**
     * Parses with the first parser that reads the whole text. Trial parses do not throw (an exception per failed
     * format or per query of {@code parseBest} would cost more than the parse), so mixed formats stay cheap.
     */
    private static TemporalAccessor parse(String text, List<DateTimeFormatter> parsers) {
        TemporalAccessor iso = fastIso(text);
        if (iso != null) {
            return iso;
        }
        for (int i = 0; i < parsers.size(); i++) {
            DateTimeFormatter format = parsers.get(i);
            String input = i == 0 && text.length() > 10 && text.charAt(10) == ' ' ? text.substring(0, 10) + 'T' + text.substring(11) : text;
            ParsePosition position = new ParsePosition(0);
            if (format.parseUnresolved(input, position) != null && position.getErrorIndex() < 0 && position.getIndex() == input.length()) {
                return format.parse(input); // resolves, and refuses impossible dates (February 30th)
            }
        }
        throw new DateTimeException("no format matches");
    }

    private static final int[] POWERS_OF_TEN = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000};

    /**
     * The common ISO-8601 shapes, read by hand because they are most of what CRMs send and a formatter costs
     * microseconds: {@code yyyy-MM-dd}, optionally followed by {@code T} (or a space) and {@code HH:mm[:ss[.fraction]]},
     * optionally followed by {@code Z} or an offset {@code ±HH:MM} / {@code ±HHMM}. Returns a LocalDate, LocalDateTime or
     * OffsetDateTime, or null for any other shape (the formatters then decide).
     *
     * @throws DateTimeException for an impossible date or time in the right shape (February 30th)
     */
    static TemporalAccessor fastIso(String s) {
        int n = s.length();
        if (n < 10 || s.charAt(4) != '-' || s.charAt(7) != '-') {
            return null;
        }
        int year = digits(s, 0, 4);
        int month = digits(s, 5, 2);
        int day = digits(s, 8, 2);
        if (year < 0 || month < 0 || day < 0) {
            return null;
        }
        if (n == 10) {
            return LocalDate.of(year, month, day);
        }
        char separator = s.charAt(10);
        if (separator != 'T' && separator != ' ' || n < 16 || s.charAt(13) != ':') {
            return null;
        }
        int hour = digits(s, 11, 2);
        int minute = digits(s, 14, 2);
        int second = 0;
        int nano = 0;
        int i = 16;
        if (i < n && s.charAt(i) == ':') {
            second = n < 19 ? -1 : digits(s, 17, 2);
            i = 19;
            if (i < n && s.charAt(i) == '.') {
                int start = ++i;
                while (i < n && s.charAt(i) >= '0' && s.charAt(i) <= '9') {
                    i++;
                }
                int length = i - start;
                if (length == 0 || length > 9) {
                    return null;
                }
                nano = digits(s, start, length) * POWERS_OF_TEN[9 - length];
            }
        }
        if (hour < 0 || minute < 0 || second < 0) {
            return null;
        }
        LocalDateTime dateTime = LocalDateTime.of(year, month, day, hour, minute, second, nano);
        if (i == n) {
            return dateTime;
        }
        char sign = s.charAt(i);
        if (sign == 'Z' && i + 1 == n) {
            return dateTime.atOffset(ZoneOffset.UTC);
        }
        if (sign != '+' && sign != '-') {
            return null;
        }
        int offsetHours = n - i >= 3 ? digits(s, i + 1, 2) : -1;
        int offsetMinutes = n - i == 6 && s.charAt(i + 3) == ':' ? digits(s, i + 4, 2) : n - i == 5 ? digits(s, i + 3, 2) : -1;
        if (offsetHours < 0 || offsetMinutes < 0) {
            return null;
        }
        int direction = sign == '+' ? 1 : -1;
        return dateTime.atOffset(ZoneOffset.ofHoursMinutes(direction * offsetHours, direction * offsetMinutes));
    }

    /** The number written by {@code length} digits at {@code start}, or -1 when one is not a digit. */
    private static int digits(String s, int start, int length) {
        int value = 0;
        for (int i = start; i < start + length; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
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
