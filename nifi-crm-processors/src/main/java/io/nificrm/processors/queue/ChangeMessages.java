package io.nificrm.processors.queue;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import io.nificrm.api.ChangeRecords;
import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmValues;
import io.nificrm.api.queue.QueueMessage;
import org.apache.nifi.serialization.record.Record;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Turns a NiFi record into one queue message in the change-record format: a JSON object with the bookkeeping fields
 * of {@link ChangeRecords} first (filled from the record or, where it has none, from the defaults) and then the
 * object's own fields; keyed {@code crm_object/crm_key}; with the bookkeeping fields as headers too.
 */
public final class ChangeMessages {
    /** Header saying what the value is. */
    public static final String CONTENT_TYPE_HEADER = "content-type";
    public static final String CONTENT_TYPE = "application/json";

    /** The bookkeeping fields, in the order they are written. */
    public static final List<String> BOOKKEEPING = List.of(ChangeRecords.OPERATION, ChangeRecords.OBJECT, ChangeRecords.KEY,
            ChangeRecords.CHANGED_FIELDS, ChangeRecords.SOURCE_TIMESTAMP, ChangeRecords.ORIGIN, ChangeRecords.SYSTEM);

    /** Fields that hold a record's id in the systems' query results, tried when the record has no crm_key. */
    static final List<String> ID_FIELDS = List.of("Id", "id", "hs_object_id", "ID");
    /** Fields that hold the modified time, tried when the record has no crm_source_timestamp. */
    static final List<String> MODIFIED_FIELDS = List.of("SystemModstamp", "LastModifiedDate", "hs_lastmodifieddate", "lastmodifieddate",
            "modifiedon", "updated_at", "modified_at");
    private static final Set<String> OPERATIONS = Set.of("create", "update", "delete", "upsert");
    private static final JsonFactory JSON = new JsonFactory();

    private ChangeMessages() {
    }

    /**
     * What fills a change record's bookkeeping fields when the record has none.
     *
     * @param object         crm_object (e.g. from the crm.object attribute), or null
     * @param keyField       the field holding the record id, or null to try the usual id fields
     * @param operation      crm_operation, or null for: delete when crm_deleted is true, otherwise upsert
     * @param timestampField the field holding the change time, or null to try the usual modified-time fields
     * @param system         crm_system, or null
     * @param origin         crm_origin, or null
     */
    public record Defaults(String object, String keyField, String operation, String timestampField, String system, String origin) {
    }

    /** A message, or why the record cannot be one. */
    public record Outcome(QueueMessage message, String errorCode, String errorMessage) {
        public boolean ok() {
            return message != null;
        }
    }

    public static Outcome toMessage(Record record, Defaults defaults) {
        String object = text(record, ChangeRecords.OBJECT);
        if (object == null) {
            object = blankToNull(defaults.object());
        }
        if (object == null) {
            return new Outcome(null, "MISSING_OBJECT", "The record has no crm_object and the Object property is empty");
        }
        String key = text(record, ChangeRecords.KEY);
        if (key == null) {
            key = keyOf(record, defaults.keyField(), object);
        }
        if (key == null) {
            return new Outcome(null, "MISSING_KEY", "The record has no crm_key and no value in "
                    + (defaults.keyField() != null ? "Key Field " + defaults.keyField() : "any of the usual id fields " + ID_FIELDS));
        }
        String operation = text(record, ChangeRecords.OPERATION);
        if (operation == null) {
            operation = blankToNull(defaults.operation());
        }
        if (operation == null) {
            Object deleted = record.getValue(CrmConnectionService.DELETED_FIELD);
            operation = deleted != null && "true".equalsIgnoreCase(deleted.toString()) ? "delete" : "upsert";
        }
        operation = operation.toLowerCase(Locale.ROOT);
        if (!OPERATIONS.contains(operation)) {
            return new Outcome(null, "INVALID_OPERATION", "crm_operation must be create, update, delete or upsert");
        }
        Instant timestamp;
        try {
            Object value = record.getValue(ChangeRecords.SOURCE_TIMESTAMP);
            if (value == null) {
                value = timestampOf(record, defaults.timestampField());
            }
            timestamp = value == null ? null : CrmValues.toInstant(value);
        } catch (RuntimeException e) {
            return new Outcome(null, "INVALID_TIMESTAMP", "The source timestamp is not a date-time");
        }
        String system = text(record, ChangeRecords.SYSTEM);
        if (system == null) {
            system = blankToNull(defaults.system());
        }
        String origin = text(record, ChangeRecords.ORIGIN);
        if (origin == null) {
            origin = blankToNull(defaults.origin());
        }
        Map<String, String> headers = new LinkedHashMap<>();
        headers.put(ChangeRecords.OPERATION, operation);
        headers.put(ChangeRecords.OBJECT, object);
        headers.put(ChangeRecords.KEY, key);
        if (system != null) {
            headers.put(ChangeRecords.SYSTEM, system);
        }
        headers.put(CONTENT_TYPE_HEADER, CONTENT_TYPE);
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator json = JSON.createGenerator(out)) {
            json.writeStartObject();
            json.writeStringField(ChangeRecords.OPERATION, operation);
            json.writeStringField(ChangeRecords.OBJECT, object);
            json.writeStringField(ChangeRecords.KEY, key);
            json.writeFieldName(ChangeRecords.CHANGED_FIELDS);
            writeValue(json, record.getValue(ChangeRecords.CHANGED_FIELDS));
            json.writeFieldName(ChangeRecords.SOURCE_TIMESTAMP);
            if (timestamp == null) {
                json.writeNull();
            } else {
                json.writeString(timestamp.truncatedTo(ChronoUnit.MILLIS).toString());
            }
            json.writeStringField(ChangeRecords.ORIGIN, origin);
            json.writeStringField(ChangeRecords.SYSTEM, system);
            for (String field : record.getRawFieldNames()) {
                if (!BOOKKEEPING.contains(field)) {
                    json.writeFieldName(field);
                    writeValue(json, record.getValue(field));
                }
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return new Outcome(new QueueMessage(object + "/" + key, out.toByteArray(), headers), null, null);
    }

    private static String keyOf(Record record, String keyField, String object) {
        if (blankToNull(keyField) != null) {
            return text(record, keyField);
        }
        for (String field : ID_FIELDS) {
            String value = text(record, field);
            if (value != null) {
                return value;
            }
        }
        // Dataverse: <entity>id (contactid, accountid)
        return text(record, object.toLowerCase(Locale.ROOT) + "id");
    }

    private static Object timestampOf(Record record, String timestampField) {
        if (blankToNull(timestampField) != null) {
            return record.getValue(timestampField);
        }
        for (String field : MODIFIED_FIELDS) {
            Object value = record.getValue(field);
            if (value != null) {
                return value;
            }
        }
        return null;
    }

    private static String text(Record record, String field) {
        Object value = record.getValue(field);
        return value == null ? null : blankToNull(value.toString());
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }

    /** Writes a record value as JSON: times as ISO-8601 text, nested records and maps as objects, arrays as arrays. */
    static void writeValue(JsonGenerator json, Object value) throws IOException {
        switch (value) {
            case null -> json.writeNull();
            case String s -> json.writeString(s);
            case Boolean b -> json.writeBoolean(b);
            case Integer i -> json.writeNumber(i);
            case Long l -> json.writeNumber(l);
            case Short s -> json.writeNumber(s);
            case Byte b -> json.writeNumber(b);
            case BigInteger b -> json.writeNumber(b);
            case BigDecimal d -> json.writeNumber(d);
            case Double d -> {
                if (d.isNaN() || d.isInfinite()) {
                    json.writeString(d.toString());
                } else {
                    json.writeNumber(d);
                }
            }
            case Float f -> {
                if (f.isNaN() || f.isInfinite()) {
                    json.writeString(f.toString());
                } else {
                    json.writeNumber(f);
                }
            }
            case java.sql.Timestamp t -> json.writeString(t.toInstant().toString());
            case java.sql.Date d -> json.writeString(d.toLocalDate().toString());
            case java.sql.Time t -> json.writeString(t.toLocalTime().toString());
            case java.util.Date d -> json.writeString(d.toInstant().toString());
            case Instant i -> json.writeString(i.toString());
            case OffsetDateTime o -> json.writeString(o.toInstant().toString());
            case LocalDateTime l -> json.writeString(l.toString());
            case LocalDate l -> json.writeString(l.toString());
            case LocalTime l -> json.writeString(l.toString());
            case byte[] bytes -> json.writeString(Base64.getEncoder().encodeToString(bytes));
            case Record r -> {
                json.writeStartObject();
                for (String field : r.getRawFieldNames()) {
                    json.writeFieldName(field);
                    writeValue(json, r.getValue(field));
                }
                json.writeEndObject();
            }
            case Map<?, ?> map -> {
                json.writeStartObject();
                for (var entry : map.entrySet()) {
                    json.writeFieldName(String.valueOf(entry.getKey()));
                    writeValue(json, entry.getValue());
                }
                json.writeEndObject();
            }
            case Object[] array -> {
                json.writeStartArray();
                for (Object element : array) {
                    writeValue(json, element);
                }
                json.writeEndArray();
            }
            case Collection<?> list -> {
                json.writeStartArray();
                for (Object element : list) {
                    writeValue(json, element);
                }
                json.writeEndArray();
            }
            default -> json.writeString(value.toString());
        }
    }
}
