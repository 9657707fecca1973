package io.nificrm.services.records;

import io.nificrm.api.CrmFieldType;
import org.apache.nifi.serialization.record.Record;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Map;

/** Reads the values of records being written and turns them into what a system's JSON expects. */
public final class RecordValues {
    private static final DateTimeFormatter ISO_MILLIS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private RecordValues() {
    }

    /** The record's fields with their values (nulls kept: a null clears the target value). */
    public static Map<String, Object> fields(Record record) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (String name : record.getSchema().getFieldNames()) {
            values.put(name, record.getValue(name));
        }
        return values;
    }

    /** The record's value of a field as text, or null. */
    public static String text(Record record, String field) {
        Object value = record.getValue(field);
        return value == null ? null : value.toString();
    }

    /**
     * A JSON-ready value: text, number, boolean; dates as {@code yyyy-MM-dd}, instants as ISO-8601 UTC with
     * milliseconds. {@code type} is the target field's type when describe knows it, else null.
     */
    public static Object toJson(Object value, CrmFieldType type) {
        if (value == null) {
            return null;
        }
        if (type == CrmFieldType.DATE) {
            return WireValues.toLocalDate(value).toString();
        }
        if (type == CrmFieldType.DATETIME) {
            return ISO_MILLIS.format(WireValues.toInstant(value));
        }
        return switch (value) {
            case java.sql.Date d -> d.toLocalDate().toString();
            case java.sql.Timestamp t -> ISO_MILLIS.format(t.toInstant());
            case java.util.Date d -> ISO_MILLIS.format(d.toInstant());
            case Instant i -> ISO_MILLIS.format(i);
            case LocalDate l -> l.toString();
            case Number n -> n;
            case Boolean b -> b;
            default -> value.toString();
        };
    }

    /** A value as HubSpot wants it: always text; numbers without exponent, instants as epoch milliseconds. */
    public static String toText(Object value, CrmFieldType type) {
        if (value == null) {
            return null;
        }
        if (type == CrmFieldType.DATETIME) {
            return Long.toString(WireValues.toInstant(value).toEpochMilli());
        }
        if (type == CrmFieldType.DATE) {
            return WireValues.toLocalDate(value).toString();
        }
        return switch (value) {
            case Double d -> BigDecimal.valueOf(d).stripTrailingZeros().toPlainString();
            case Float f -> new BigDecimal(f.toString()).stripTrailingZeros().toPlainString();
            case BigDecimal b -> b.stripTrailingZeros().toPlainString();
            case java.sql.Date d -> d.toLocalDate().toString();
            case java.sql.Timestamp t -> Long.toString(t.getTime());
            case Instant i -> Long.toString(i.toEpochMilli());
            default -> value.toString();
        };
    }

    /** UTC date-time text for a record value. */
    public static String isoInstant(Object value) {
        return ISO_MILLIS.format(WireValues.toInstant(value));
    }

    static LocalDate utcDate(Instant instant) {
        return instant.atZone(ZoneOffset.UTC).toLocalDate();
    }
}
