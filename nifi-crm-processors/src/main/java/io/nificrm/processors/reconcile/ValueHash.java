package io.nificrm.processors.reconcile;

import io.nificrm.api.CrmField;
import io.nificrm.api.CrmFieldType;
import io.nificrm.api.CrmObjectSchema;
import io.nificrm.api.CrmValues;
import org.apache.commons.codec.digest.MurmurHash3;
import org.apache.nifi.serialization.record.Record;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Compares field values across systems by a canonical text form and a 64-bit hash of it, so that the same value
 * compares equal whatever Java type or wire form it arrived in: a JSON string {@code "1990-04-01"} and a
 * {@code java.sql.Date}; a {@code Long} 5, a {@code Double} 5.0 and a {@code BigDecimal} 5.00; a {@code Timestamp},
 * an {@code Instant}, epoch milliseconds and an ISO-8601 date-time with an offset. Blank text is the same as null
 * (HubSpot reports unset properties as empty strings). Other text is compared exactly (case and spaces count).
 */
public final class ValueHash {
    /** The hash of null (and blank text). */
    public static final long NULL = 0x6A09E667F3BCC909L;
    private static final Pattern ISO_INSTANT = Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:?\\d{2})");

    private ValueHash() {
    }

    /** The canonical text of a value, or null for null and blank text. */
    public static String canonical(Object value) {
        return switch (value) {
            case null -> null;
            case String s -> s.isBlank() ? null : ISO_INSTANT.matcher(s).matches() ? instantText(s) : s;
            case Boolean b -> b.toString();
            case java.sql.Date d -> d.toLocalDate().toString();
            case Timestamp t -> Long.toString(t.getTime());
            case java.util.Date d -> Long.toString(d.getTime());
            case Instant i -> Long.toString(i.toEpochMilli());
            case OffsetDateTime o -> Long.toString(o.toInstant().toEpochMilli());
            case ZonedDateTime z -> Long.toString(z.toInstant().toEpochMilli());
            case LocalDateTime l -> Long.toString(l.toInstant(ZoneOffset.UTC).toEpochMilli());
            case LocalDate l -> l.toString();
            case Double d when d.isNaN() || d.isInfinite() -> d.toString();
            case Float f when f.isNaN() || f.isInfinite() -> f.toString();
            case Double d -> plain(BigDecimal.valueOf(d));
            case Float f -> plain(new BigDecimal(f.toString()));
            case BigDecimal b -> plain(b);
            case Number n -> plain(new BigDecimal(n.toString()));
            case Object[] array -> list(List.of(array));
            case List<?> list -> list(list);
            case Record r -> map(r.toMap());
            case Map<?, ?> m -> map(m);
            default -> value.toString();
        };
    }

    /** The 64-bit hash of a value's canonical text; {@link #NULL} for null and blank text. */
    public static long of(Object value) {
        String text = canonical(value);
        if (text == null) {
            return NULL;
        }
        long h = MurmurHash3.hash128x64(text.getBytes(StandardCharsets.UTF_8))[0];
        return h == NULL ? NULL + 1 : h;
    }

    /** Combines field hashes, in order, into one record hash. */
    public static long combine(long[] hashes) {
        long h = 0x9E3779B97F4A7C15L;
        for (long x : hashes) {
            h = mix(h ^ mix(x + 0x632BE59BD9B4E019L));
        }
        return h;
    }

    /** The hash of each field's value, in the order given. */
    public static long[] of(Record record, List<String> fields) {
        long[] hashes = new long[fields.size()];
        for (int i = 0; i < hashes.length; i++) {
            hashes[i] = of(record == null ? null : record.getValue(fields.get(i)));
        }
        return hashes;
    }

    /**
     * The hash of each field's value read as its described type first, so a date that arrived as text or epoch
     * milliseconds (a JSON record) and one that arrived as a {@code java.sql.Date} (a lookup) hash alike.
     */
    public static long[] of(Record record, List<String> fields, CrmObjectSchema schema) {
        long[] hashes = new long[fields.size()];
        for (int i = 0; i < hashes.length; i++) {
            Object value = record == null ? null : record.getValue(fields.get(i));
            CrmFieldType type = schema.field(fields.get(i)).map(CrmField::type).orElse(null);
            hashes[i] = of(typed(value, type));
        }
        return hashes;
    }

    /** A value as its described type, when it can be read as one; otherwise as it is. */
    public static Object typed(Object value, CrmFieldType type) {
        if (value == null || type == null) {
            return value;
        }
        if (value instanceof String s && s.isBlank()) {
            return null;
        }
        try {
            return switch (type) {
                case DATE -> CrmValues.toLocalDate(value);
                case DATETIME -> CrmValues.toInstant(value);
                case INTEGER, DECIMAL -> value instanceof String s ? new BigDecimal(s.trim()) : value;
                case BOOLEAN -> value instanceof String s ? (Object) Boolean.parseBoolean(s.trim()) : value;
                default -> value;
            };
        } catch (RuntimeException e) {
            return value;
        }
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static String plain(BigDecimal b) {
        return b.signum() == 0 ? "0" : b.stripTrailingZeros().toPlainString();
    }

    private static String instantText(String s) {
        try {
            return Long.toString(OffsetDateTime.parse(s.length() > 5 && s.charAt(s.length() - 3) != ':' && !s.endsWith("Z")
                    ? s.substring(0, s.length() - 2) + ":" + s.substring(s.length() - 2) : s).toInstant().toEpochMilli());
        } catch (DateTimeParseException e) {
            return s;
        }
    }

    private static String list(List<?> values) {
        StringBuilder text = new StringBuilder("[");
        for (Object v : values) {
            if (text.length() > 1) {
                text.append(',');
            }
            text.append(canonical(v));
        }
        return text.append(']').toString();
    }

    private static String map(Map<?, ?> values) {
        Map<String, String> sorted = new TreeMap<>();
        values.forEach((k, v) -> sorted.put(String.valueOf(k), canonical(v)));
        return sorted.toString();
    }
}
