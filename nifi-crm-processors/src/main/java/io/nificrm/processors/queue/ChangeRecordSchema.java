package io.nificrm.processors.queue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.api.ChangeRecords;
import io.nificrm.api.CrmValues;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.DataType;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.serialization.record.RecordSchema;
import org.apache.nifi.serialization.record.type.ArrayDataType;
import org.apache.nifi.serialization.record.type.RecordDataType;

import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The schema of consumed change records: the bookkeeping fields with fixed types (crm_changed_fields an array of
 * strings, crm_source_timestamp a timestamp, the rest strings), then the object's fields as they appear in the
 * messages, typed from their JSON values (whole numbers long, others double, booleans, text, arrays, nested
 * records; a field whose messages disagree becomes text).
 */
public final class ChangeRecordSchema {
    private static final Map<String, DataType> FIXED = fixed();

    private ChangeRecordSchema() {
    }

    private static Map<String, DataType> fixed() {
        Map<String, DataType> fixed = new LinkedHashMap<>();
        fixed.put(ChangeRecords.OPERATION, RecordFieldType.STRING.getDataType());
        fixed.put(ChangeRecords.OBJECT, RecordFieldType.STRING.getDataType());
        fixed.put(ChangeRecords.KEY, RecordFieldType.STRING.getDataType());
        fixed.put(ChangeRecords.CHANGED_FIELDS, RecordFieldType.ARRAY.getArrayDataType(RecordFieldType.STRING.getDataType()));
        fixed.put(ChangeRecords.SOURCE_TIMESTAMP, RecordFieldType.TIMESTAMP.getDataType());
        fixed.put(ChangeRecords.ORIGIN, RecordFieldType.STRING.getDataType());
        fixed.put(ChangeRecords.SYSTEM, RecordFieldType.STRING.getDataType());
        return fixed;
    }

    /** The schema that holds every one of these messages. */
    public static RecordSchema infer(List<ObjectNode> messages) {
        Map<String, DataType> types = new LinkedHashMap<>(FIXED);
        for (ObjectNode message : messages) {
            for (Iterator<Map.Entry<String, JsonNode>> it = message.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                if (FIXED.containsKey(field.getKey())) {
                    continue;
                }
                add(types, field.getKey(), typeOf(field.getValue()));
            }
        }
        List<RecordField> fields = new ArrayList<>();
        types.forEach((name, type) -> fields.add(new RecordField(name, type == null ? RecordFieldType.STRING.getDataType() : type, true)));
        return new SimpleRecordSchema(fields);
    }

    /** The record of one message in a schema from {@link #infer}. */
    public static Record toRecord(ObjectNode message, RecordSchema schema) {
        Map<String, Object> values = new LinkedHashMap<>();
        for (RecordField field : schema.getFields()) {
            JsonNode node = message.get(field.getFieldName());
            if (field.getFieldName().equals(ChangeRecords.SOURCE_TIMESTAMP)) {
                values.put(field.getFieldName(), timestamp(node));
            } else {
                values.put(field.getFieldName(), value(node, field.getDataType()));
            }
        }
        return new MapRecord(schema, values);
    }

    private static Timestamp timestamp(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        try {
            return Timestamp.from(CrmValues.toInstant(node.isNumber() ? (Object) node.asLong() : node.asText()));
        } catch (RuntimeException e) {
            return null;
        }
    }

    /** The type of a JSON value; null for JSON null (unknown yet). */
    private static DataType typeOf(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (node.isBoolean()) {
            return RecordFieldType.BOOLEAN.getDataType();
        }
        if (node.isIntegralNumber()) {
            return node.canConvertToLong() ? RecordFieldType.LONG.getDataType() : RecordFieldType.DECIMAL.getDecimalDataType(38, 0);
        }
        if (node.isNumber()) {
            return RecordFieldType.DOUBLE.getDataType();
        }
        if (node.isArray()) {
            DataType element = null;
            for (JsonNode e : node) {
                element = merge(element, typeOf(e));
            }
            return RecordFieldType.ARRAY.getArrayDataType(element == null ? RecordFieldType.STRING.getDataType() : element);
        }
        if (node.isObject()) {
            Map<String, DataType> types = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                add(types, field.getKey(), typeOf(field.getValue()));
            }
            return RecordFieldType.RECORD.getRecordDataType(schemaOf(types));
        }
        return RecordFieldType.STRING.getDataType();
    }

    /** Adds a field's type (null: only null values seen so far), widening what is there. */
    private static void add(Map<String, DataType> types, String field, DataType type) {
        if (!types.containsKey(field)) {
            types.put(field, type);
        } else {
            types.put(field, merge(types.get(field), type));
        }
    }

    private static RecordSchema schemaOf(Map<String, DataType> types) {
        List<RecordField> fields = new ArrayList<>();
        types.forEach((name, type) -> fields.add(new RecordField(name, type == null ? RecordFieldType.STRING.getDataType() : type, true)));
        return new SimpleRecordSchema(fields);
    }

    private static DataType merge(DataType a, DataType b) {
        if (a == null) {
            return b;
        }
        if (b == null || a.equals(b)) {
            return a;
        }
        RecordFieldType ta = a.getFieldType();
        RecordFieldType tb = b.getFieldType();
        if (isNumber(ta) && isNumber(tb)) {
            return RecordFieldType.DOUBLE.getDataType();
        }
        if (ta == RecordFieldType.ARRAY && tb == RecordFieldType.ARRAY) {
            DataType element = merge(((ArrayDataType) a).getElementType(), ((ArrayDataType) b).getElementType());
            return RecordFieldType.ARRAY.getArrayDataType(element);
        }
        if (ta == RecordFieldType.RECORD && tb == RecordFieldType.RECORD) {
            Map<String, DataType> types = new LinkedHashMap<>();
            for (RecordField f : ((RecordDataType) a).getChildSchema().getFields()) {
                types.put(f.getFieldName(), f.getDataType());
            }
            for (RecordField f : ((RecordDataType) b).getChildSchema().getFields()) {
                add(types, f.getFieldName(), f.getDataType());
            }
            return RecordFieldType.RECORD.getRecordDataType(schemaOf(types));
        }
        return RecordFieldType.STRING.getDataType();
    }

    private static boolean isNumber(RecordFieldType type) {
        return type == RecordFieldType.LONG || type == RecordFieldType.DOUBLE || type == RecordFieldType.DECIMAL;
    }

    private static Object value(JsonNode node, DataType type) {
        if (node == null || node.isNull()) {
            return null;
        }
        return switch (type.getFieldType()) {
            case BOOLEAN -> node.isBoolean() ? node.booleanValue() : Boolean.parseBoolean(node.asText());
            case LONG -> node.asLong();
            case DOUBLE -> node.asDouble();
            case DECIMAL -> node.decimalValue();
            case ARRAY -> {
                DataType element = ((ArrayDataType) type).getElementType();
                if (!node.isArray()) {
                    yield new Object[]{value(node, element)};
                }
                Object[] array = new Object[node.size()];
                for (int i = 0; i < node.size(); i++) {
                    array[i] = value(node.get(i), element);
                }
                yield array;
            }
            case RECORD -> {
                if (!node.isObject()) {
                    yield null;
                }
                RecordSchema child = ((RecordDataType) type).getChildSchema();
                Map<String, Object> values = new LinkedHashMap<>();
                for (RecordField field : child.getFields()) {
                    values.put(field.getFieldName(), value(node.get(field.getFieldName()), field.getDataType()));
                }
                yield new MapRecord(child, values);
            }
            default -> node.isValueNode() ? node.asText() : node.toString();
        };
    }
}
