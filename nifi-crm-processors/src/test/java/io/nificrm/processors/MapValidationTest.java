package io.nificrm.processors;

import com.fasterxml.jackson.databind.JsonNode;
import io.nificrm.api.CrmCapabilities;
import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmField;
import io.nificrm.api.CrmFieldType;
import io.nificrm.api.CrmObjectSchema;
import io.nificrm.api.CrmPage;
import io.nificrm.api.CrmPartition;
import io.nificrm.api.CrmQuery;
import io.nificrm.api.CrmWriteRequest;
import io.nificrm.api.CrmWriteResult;
import io.nificrm.processors.common.CrmAttributes;
import io.nificrm.processors.mapping.CompiledMapping;
import io.nificrm.processors.mapping.MappingSpecs;
import org.apache.nifi.controller.AbstractControllerService;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.junit.jupiter.api.Test;

import java.util.Collection;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Validation against the target's describe, and bad input: every record ends in success or invalid with the failing
 * fields and reasons inside it; input that cannot be mapped at all goes to failure with a message naming the problem.
 */
class MapValidationTest {

    /** A describe like a CRM's: required, lengths, a picklist, e-mail and phone fields, a reference, a read-only id. */
    static final CrmObjectSchema CONTACT = new CrmObjectSchema("Contact", "Contact", "Id", "LastModifiedDate", null, List.of(
            new CrmField("Id", "Id", CrmFieldType.ID, false, true, false, true, 18, List.of(), null),
            new CrmField("LastName", "Last Name", CrmFieldType.STRING, true, false, false, false, 10, List.of(), null),
            CrmField.of("FirstName", CrmFieldType.STRING),
            CrmField.of("Email", CrmFieldType.EMAIL),
            CrmField.of("Phone", CrmFieldType.PHONE),
            new CrmField("LeadSource", "Lead Source", CrmFieldType.PICKLIST, false, false, false, false, 0, List.of("Web", "Other"), null),
            CrmField.of("Birthdate", CrmFieldType.DATE),
            CrmField.of("Score", CrmFieldType.INTEGER),
            new CrmField("AccountId", "Account", CrmFieldType.REFERENCE, false, false, false, false, 18, List.of(), "Account"),
            new CrmField("External_Id__c", "External Id", CrmFieldType.STRING, false, true, true, false, 40, List.of(), null)));

    static final String MAPPING = """
            {
              "name": "people-to-contact",
              "target": {"system": "test", "object": "Contact"},
              "fields": [
                {"target": "External_Id__c", "source": "id"},
                {"target": "LastName", "source": "last"},
                {"target": "FirstName", "source": "first"},
                {"target": "Email", "source": "email", "transforms": ["email"]},
                {"target": "Phone", "source": "phone"},
                {"target": "LeadSource", "source": "source"},
                {"target": "Birthdate", "source": "born", "formats": ["dd.MM.yyyy"]},
                {"target": "Score", "source": "score"},
                {"target": "Account.External_Id__c", "source": "company"}
              ]
            }
            """;

    /** A connection service that only describes. */
    static final class DescribeOnly extends AbstractControllerService implements CrmConnectionService {
        private final CrmObjectSchema schema;

        DescribeOnly(CrmObjectSchema schema) {
            this.schema = schema;
        }

        @Override
        public String system() {
            return "test";
        }

        @Override
        public CrmCapabilities capabilities() {
            throw new UnsupportedOperationException();
        }

        @Override
        public CrmObjectSchema describe(String object) {
            if (!object.equals(schema.name())) {
                throw new io.nificrm.api.CrmException(io.nificrm.api.CrmException.Reason.NOT_FOUND, "No object " + object);
            }
            return schema;
        }

        @Override
        public CrmPage query(CrmQuery query) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<CrmWriteResult> write(CrmWriteRequest request) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<Record> lookup(String object, String field, Collection<String> values, List<String> fields) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<CrmPartition> partitions(String object, String field, int count) {
            throw new UnsupportedOperationException();
        }

        @Override
        public RecordCount count(String object) {
            throw new UnsupportedOperationException();
        }

        @Override
        public String transitUri(String object) {
            return "test://" + object;
        }
    }

    static TestRunner mapperWithTarget(String mapping) throws Exception {
        return MapTestSupport.mapper(runner -> {
            try {
                runner.addControllerService("target", new DescribeOnly(CONTACT));
                runner.enableControllerService(runner.getControllerService("target"));
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            runner.setProperty(MapCrmFields.MAPPING, mapping);
            runner.setProperty(MapCrmFields.TARGET_SERVICE, "target");
        });
    }

    private static final String GOOD = "{\"id\": \"p1\", \"last\": \"Lovelace\", \"first\": \"Ada\", \"email\": \" Ada@Example.com \", "
            + "\"phone\": \"+1 415 555 0134\", \"source\": \"Web\", \"born\": \"10.12.1815\", \"score\": \"42\", \"company\": \"c1\"}";

    @Test
    void validRecordsGoToSuccessWithTargetTypes() throws Exception {
        MapTestSupport.Outcome out = MapTestSupport.run(mapperWithTarget(MAPPING), "[" + GOOD + "]");
        assertEquals(1, out.success().size());
        JsonNode r = out.success().get(0);
        assertEquals("ada@example.com", r.get("Email").asText());
        assertEquals("1815-12-10", r.get("Birthdate").asText());
        assertEquals(42, r.get("Score").asInt());
        assertTrue(r.get("Score").isIntegralNumber(), "converted to the target's integer type");
        assertEquals("c1", r.get("Account.External_Id__c").asText());
        MockFlowFile flowFile = out.runner().getFlowFilesForRelationship(MapCrmFields.REL_SUCCESS).get(0);
        flowFile.assertAttributeEquals("crm.mapping", "people-to-contact");
        assertEquals(1, out.runner().getCounterValue("Records Mapped"));
    }

    @Test
    void everyFailingFieldIsNamedWithItsReasonInsideTheRecord() throws Exception {
        String bad = "{\"id\": \"p2\", \"last\": \"  \", \"first\": \"Ada\", \"email\": \"ada(at)example\", \"phone\": \"call me maybe\", "
                + "\"source\": \"Fax\", \"born\": \"the tenth of December\", \"score\": \"forty-two\", \"company\": null}";
        String tooLong = GOOD.replace("\"Lovelace\"", "\"Lovelace-Byron-King\"").replace("p1", "p3");
        MapTestSupport.Outcome out = MapTestSupport.run(mapperWithTarget(MAPPING), "[" + GOOD + "," + bad + "," + tooLong + "]");
        assertEquals(3, out.in(), "records in = success + invalid");
        assertEquals(1, out.success().size());
        assertEquals(2, out.invalid().size());
        assertEquals(2, out.runner().getCounterValue("Records Invalid"));

        JsonNode invalid = out.invalid().get(0);
        assertEquals("p2", invalid.get("id").asText(), "the invalid record is the source record");
        assertEquals("ada(at)example", invalid.get("email").asText(), "unchanged, so it can be fixed and replayed");
        assertEquals("LastName,Email,Phone,LeadSource,Birthdate,Score", invalid.get(MapCrmFields.INVALID_FIELDS).asText());
        String reason = invalid.get(MapCrmFields.INVALID_REASON).asText();
        for (String expected : List.of("LastName: required by the target but has no value", "Email: not a valid e-mail address",
                "Phone: not a valid phone number", "LeadSource: not one of the target's picklist values",
                "Birthdate: not a valid date (expected ISO-8601 or one of the configured formats)", "Score: not a valid integer number")) {
            assertTrue(reason.contains(expected), reason);
        }
        for (String value : List.of("ada(at)example", "call me maybe", "Fax", "tenth", "forty-two")) {
            assertFalse(reason.contains(value), "reasons never quote values: " + reason);
        }
        JsonNode longName = out.invalid().get(1);
        assertEquals("LastName", longName.get(MapCrmFields.INVALID_FIELDS).asText());
        assertEquals("LastName: longer than the target's 10 characters", longName.get(MapCrmFields.INVALID_REASON).asText());
    }

    @Test
    void wrongTypesInTheInputAreInvalidNotFailures() throws Exception {
        // born is a number, score a boolean, last a number: JSON types the mapping cannot use as the target's.
        String odd = "{\"id\": 7, \"last\": 12345, \"first\": true, \"email\": null, \"phone\": null, \"source\": null, "
                + "\"born\": -1.5, \"score\": true, \"company\": 3}";
        MapTestSupport.Outcome out = MapTestSupport.run(mapperWithTarget(MAPPING), "[" + odd + "]");
        assertEquals(1, out.invalid().size());
        assertEquals("Score", out.invalid().get(0).get(MapCrmFields.INVALID_FIELDS).asText());
        assertEquals("Score: not a valid integer number", out.invalid().get(0).get(MapCrmFields.INVALID_REASON).asText());
    }

    @Test
    void unparseableDatesAreInvalidAndOthersInTheSameFlowFileStillMap() throws Exception {
        StringBuilder json = new StringBuilder("[");
        String[] dates = {"10.12.1815", "1815-12-10", "31.02.1990", "12/10/1815", "", "not a date", "1815-12-10T08:00:00Z"};
        for (int i = 0; i < dates.length; i++) {
            json.append(i == 0 ? "" : ",").append(GOOD.replace("10.12.1815", dates[i]).replace("\"p1\"", "\"p" + i + "\""));
        }
        MapTestSupport.Outcome out = MapTestSupport.run(mapperWithTarget(MAPPING), json.append("]").toString());
        assertEquals(dates.length, out.in());
        assertEquals(3, out.invalid().size(), "Feb 31st, a US-style date without its pattern, and free text");
        out.invalid().forEach(r -> assertEquals("Birthdate", r.get(MapCrmFields.INVALID_FIELDS).asText()));
        assertEquals(4, out.success().size());
    }

    @Test
    void aMappingReadingAFieldTheInputLacksSendsTheFlowFileToFailureNamingIt() throws Exception {
        MapTestSupport.Outcome out = MapTestSupport.run(mapperWithTarget(MAPPING), "[{\"id\": \"p1\", \"last\": \"Lovelace\"}]");
        assertEquals(0, out.in());
        assertEquals(1, out.failure().size());
        MockFlowFile failed = out.failure().get(0);
        failed.assertAttributeEquals(CrmAttributes.ERROR_CODE, "UNKNOWN_SOURCE_FIELD");
        String message = failed.getAttribute(CrmAttributes.ERROR_MESSAGE);
        assertTrue(message.contains("reads field(s) [first, email, phone, source, born, score, company]"), message);
        assertTrue(message.contains("they have [id, last]"), message);
        failed.assertContentEquals("[{\"id\": \"p1\", \"last\": \"Lovelace\"}]");
    }

    @Test
    void unreadableInputGoesToFailureWithoutQuotingIt() throws Exception {
        MapTestSupport.Outcome out = MapTestSupport.run(mapperWithTarget(MAPPING), "[{\"id\": \"p1\", \"last\": secret.person@example.com}]");
        assertEquals(1, out.failure().size());
        MockFlowFile failed = out.failure().get(0);
        failed.assertAttributeEquals(CrmAttributes.ERROR_CODE, "MALFORMED_INPUT");
        assertFalse(failed.getAttribute(CrmAttributes.ERROR_MESSAGE).contains("secret"), failed.getAttribute(CrmAttributes.ERROR_MESSAGE));
        out.runner().getLogger().getErrorMessages().forEach(m -> assertFalse(m.getMsg().contains("secret"), m.getMsg()));
    }

    @Test
    void aTargetFieldTheTargetLacksIsACompileErrorNamingIt() throws Exception {
        String mapping = MAPPING.replace("\"target\": \"Score\"", "\"target\": \"Scroe\"");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CompiledMapping.compile(MappingSpecs.parse(mapping), CONTACT, null));
        assertEquals("Field 'Scroe': the target object Contact has no such field", e.getMessage());

        TestRunner runner = mapperWithTarget(mapping);
        runner.enqueue("[" + GOOD + "]");
        AssertionError error = assertThrows(AssertionError.class, () -> runner.run());
        StringBuilder message = new StringBuilder();
        for (Throwable t = error; t != null; t = t.getCause()) {
            message.append(t.getMessage()).append(" / ");
        }
        assertTrue(message.toString().contains("Field 'Scroe': the target object Contact has no such field"), message.toString());
    }

    @Test
    void referencesByKeyMustNameAReferenceAndComputedFieldsCannotBeWritten() {
        assertEquals("Field 'Owner.External_Id__c': the target object Contact has no reference Owner (or OwnerId) to address by key",
                assertThrows(IllegalArgumentException.class, () -> CompiledMapping.compile(MappingSpecs.parse(
                        "{\"fields\": [{\"target\": \"Owner.External_Id__c\", \"source\": \"o\"}]}"), CONTACT, null)).getMessage());
        assertEquals("Field 'Id': the target computes it (read-only), so it cannot be written",
                assertThrows(IllegalArgumentException.class, () -> CompiledMapping.compile(MappingSpecs.parse(
                        "{\"fields\": [{\"target\": \"Id\", \"source\": \"o\"}]}"), CONTACT, null)).getMessage());
        CompiledMapping.compile(MappingSpecs.parse("{\"fields\": [{\"target\": \"AccountId.External_Id__c\", \"source\": \"o\"},"
                + " {\"target\": \"associations.companies\", \"source\": \"c\"}]}"), CONTACT, null);
    }

    @Test
    void requiredTargetFieldsWithoutAValueAreReported() {
        CompiledMapping mapping = CompiledMapping.compile(MappingSpecs.parse("{\"fields\": [{\"target\": \"FirstName\", \"source\": \"f\"}]}"), CONTACT, null);
        assertEquals(List.of("LastName"), mapping.unmappedRequiredTargets());
    }

    @Test
    void formatChecksApplyWithoutADescribe() throws Exception {
        String mapping = "{\"fields\": [{\"target\": \"email\", \"source\": \"e\", \"format\": \"email\"}, "
                + "{\"target\": \"phone\", \"source\": \"p\", \"format\": \"phone\"}, {\"target\": \"id\", \"source\": \"id\", \"required\": true}]}";
        TestRunner runner = MapTestSupport.mapper(r -> r.setProperty(MapCrmFields.MAPPING, mapping));
        MapTestSupport.Outcome out = MapTestSupport.run(runner, "[{\"id\": 1, \"e\": \"a@b.io\", \"p\": \"+1 415 555 0134\"},"
                + "{\"id\": 2, \"e\": \"a@b\", \"p\": \"phone: none\"}, {\"id\": null, \"e\": null, \"p\": null}]");
        assertEquals(1, out.success().size());
        assertEquals("email,phone", out.invalid().get(0).get(MapCrmFields.INVALID_FIELDS).asText());
        assertEquals("id: required by the target but has no value", out.invalid().get(1).get(MapCrmFields.INVALID_REASON).asText());
    }

    @Test
    void recordsInEqualSuccessPlusInvalidOverAMixedBatch() throws Exception {
        StringBuilder json = new StringBuilder("[");
        java.util.Random random = new java.util.Random(7);
        String[] emails = {"a@b.io", "broken", "", "x@y.com"};
        String[] sources = {"Web", "Other", "Fax", "web"};
        String[] scores = {"1", "2.5", "n/a", "", "10"};
        int n = 500;
        for (int i = 0; i < n; i++) {
            json.append(i == 0 ? "" : ",").append(GOOD.replace("\"p1\"", "\"p" + i + "\"")
                    .replace("\" Ada@Example.com \"", "\"" + emails[random.nextInt(emails.length)] + "\"")
                    .replace("\"Web\"", "\"" + sources[random.nextInt(sources.length)] + "\"")
                    .replace("\"42\"", "\"" + scores[random.nextInt(scores.length)] + "\""));
        }
        MapTestSupport.Outcome out = MapTestSupport.run(mapperWithTarget(MAPPING), json.append("]").toString());
        assertEquals(n, out.in());
        assertTrue(out.success().size() > 0 && out.invalid().size() > 0);
        assertEquals(out.success().size(), out.runner().getCounterValue("Records Mapped"));
        assertEquals(out.invalid().size(), out.runner().getCounterValue("Records Invalid"));
    }
}
