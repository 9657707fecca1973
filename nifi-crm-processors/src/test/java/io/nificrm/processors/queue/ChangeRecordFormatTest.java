package io.nificrm.processors.queue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.api.queue.QueueMessage;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.serialization.record.RecordSchema;
import org.junit.jupiter.api.Test;

import java.math.BigDecimal;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The change-record message format: records to JSON messages (defaults filled) and JSON messages back to typed records. */
class ChangeRecordFormatTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Record record(Map<String, Object> values) {
        List<RecordField> fields = new ArrayList<>();
        values.forEach((name, value) -> fields.add(new RecordField(name, switch (value) {
            case null -> RecordFieldType.STRING.getDataType();
            case Timestamp t -> RecordFieldType.TIMESTAMP.getDataType();
            case Boolean b -> RecordFieldType.BOOLEAN.getDataType();
            case Integer i -> RecordFieldType.INT.getDataType();
            case BigDecimal d -> RecordFieldType.DECIMAL.getDecimalDataType(10, 2);
            default -> RecordFieldType.STRING.getDataType();
        }, true)));
        return new MapRecord(new SimpleRecordSchema(fields), values);
    }

    @Test
    void aQueryResultBecomesAKeyedChangeMessage() throws Exception {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put("contactid", "c-1");
        values.put("lastname", "Smith");
        values.put("modifiedon", Timestamp.from(Instant.parse("2024-05-01T10:00:00.123Z")));
        values.put("numberofchildren", 2);
        values.put("credit", new BigDecimal("12.50"));
        values.put("crm_deleted", Boolean.TRUE);
        values.put("nickname", null);
        ChangeMessages.Outcome outcome = ChangeMessages.toMessage(record(values),
                new ChangeMessages.Defaults("contact", null, null, null, "dynamics", "dynamics/org1"));
        QueueMessage message = outcome.message();
        assertEquals("contact/c-1", message.key());
        assertEquals(Map.of("crm_operation", "delete", "crm_object", "contact", "crm_key", "c-1", "crm_system", "dynamics",
                "content-type", "application/json"), message.headers());
        JsonNode json = JSON.readTree(message.value());
        List<String> names = new ArrayList<>();
        json.fieldNames().forEachRemaining(names::add);
        assertEquals(List.of("crm_operation", "crm_object", "crm_key", "crm_changed_fields", "crm_source_timestamp", "crm_origin",
                "crm_system", "contactid", "lastname", "modifiedon", "numberofchildren", "credit", "crm_deleted", "nickname"), names);
        assertEquals("2024-05-01T10:00:00.123Z", json.get("crm_source_timestamp").asText());
        assertEquals("2024-05-01T10:00:00.123Z", json.get("modifiedon").asText());
        assertEquals("dynamics/org1", json.get("crm_origin").asText());
        assertEquals(2, json.get("numberofchildren").asInt());
        assertTrue(new String(message.value(), java.nio.charset.StandardCharsets.UTF_8).contains("\"credit\":12.50"));
        assertEquals(true, json.get("crm_deleted").asBoolean());
    }

    @Test
    void recordsWithoutObjectOrKeyOrWithABadOperationAreRefused() {
        ChangeMessages.Defaults none = new ChangeMessages.Defaults(null, null, null, null, null, null);
        assertEquals("MISSING_OBJECT", ChangeMessages.toMessage(record(Map.of("Id", "1")), none).errorCode());
        ChangeMessages.Defaults contact = new ChangeMessages.Defaults("Contact", "Email", null, null, null, null);
        assertEquals("MISSING_KEY", ChangeMessages.toMessage(record(Map.of("Id", "1")), contact).errorCode());
        assertEquals("INVALID_OPERATION", ChangeMessages.toMessage(record(Map.of("Email", "a@x", "crm_operation", "merge")), contact).errorCode());
        assertFalse(ChangeMessages.toMessage(record(Map.of("Email", "a@x")), contact).errorMessage() != null);
    }

    @Test
    void messagesBecomeTypedRecords() throws Exception {
        List<ObjectNode> messages = List.of(
                (ObjectNode) JSON.readTree("{\"crm_operation\": \"update\", \"crm_object\": \"Contact\", \"crm_key\": \"1\", "
                        + "\"crm_changed_fields\": [\"Email\"], \"crm_source_timestamp\": \"2024-05-01T10:00:00Z\", \"Email\": null, "
                        + "\"Age\": 41, \"Score\": 1, \"Tags\": [\"a\"], \"Address\": {\"City\": \"Oslo\"}, \"Flag\": true}"),
                (ObjectNode) JSON.readTree("{\"crm_operation\": \"update\", \"crm_object\": \"Contact\", \"crm_key\": \"2\", "
                        + "\"crm_source_timestamp\": null, \"Email\": \"b@x.com\", \"Age\": 42, \"Score\": 2.5, \"Flag\": \"maybe\", "
                        + "\"Address\": {\"Zip\": \"0150\"}}"));
        RecordSchema schema = ChangeRecordSchema.infer(messages);
        assertEquals(RecordFieldType.TIMESTAMP, schema.getDataType("crm_source_timestamp").orElseThrow().getFieldType());
        assertEquals(RecordFieldType.STRING, schema.getDataType("Email").orElseThrow().getFieldType());
        assertEquals(RecordFieldType.LONG, schema.getDataType("Age").orElseThrow().getFieldType());
        assertEquals(RecordFieldType.DOUBLE, schema.getDataType("Score").orElseThrow().getFieldType());
        assertEquals(RecordFieldType.STRING, schema.getDataType("Flag").orElseThrow().getFieldType(), "disagreeing types become text");
        assertEquals(RecordFieldType.RECORD, schema.getDataType("Address").orElseThrow().getFieldType());
        Record first = ChangeRecordSchema.toRecord(messages.get(0), schema);
        assertEquals(Timestamp.from(Instant.parse("2024-05-01T10:00:00Z")), first.getValue("crm_source_timestamp"));
        assertArrayEquals(new Object[]{"Email"}, (Object[]) first.getValue("crm_changed_fields"));
        assertEquals(41L, first.getValue("Age"));
        assertEquals("Oslo", ((Record) first.getValue("Address")).getValue("City"));
        assertEquals("true", first.getValue("Flag"));
        Record second = ChangeRecordSchema.toRecord(messages.get(1), schema);
        assertNull(second.getValue("crm_source_timestamp"));
        assertNull(second.getValue("crm_changed_fields"));
        assertEquals(2.5, second.getValue("Score"));

        // And a JSON writer writes them (as ConsumeCrmChanges does).
        org.apache.nifi.util.TestRunner runner = org.apache.nifi.util.TestRunners.newTestRunner(org.apache.nifi.util.NoOpProcessor.class);
        QueueTestSupport.json(runner);
        var factory = (org.apache.nifi.serialization.RecordSetWriterFactory) runner.getControllerService(QueueTestSupport.WRITER);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (var writer = factory.createWriter(runner.getLogger(), factory.getSchema(Map.of(), schema), out, Map.of())) {
            writer.beginRecordSet();
            writer.write(first);
            writer.write(second);
            writer.finishRecordSet();
        }
        JsonNode written = JSON.readTree(out.toByteArray());
        assertEquals(2, written.size());
        assertEquals("Oslo", written.get(0).get("Address").get("City").asText());
    }
}
