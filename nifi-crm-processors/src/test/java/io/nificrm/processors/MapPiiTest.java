package io.nificrm.processors;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.commons.codec.digest.DigestUtils;
import org.apache.nifi.util.LogMessage;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Personal data per field: masked, hashed with a secret salt, or dropped; and never in logs, bulletins or attributes. */
class MapPiiTest {
    static final String MAPPING = """
            {"name": "pii", "fields": [
              {"target": "id", "source": "id"},
              {"target": "email_masked", "source": "email", "transforms": ["email"], "format": "email", "pii": "mask"},
              {"target": "email_hash", "source": "email", "transforms": ["email"], "pii": "hash"},
              {"target": "phone", "source": "phone", "pii": "mask"},
              {"target": "birthdate", "source": "born", "type": "date", "pii": "drop"},
              {"target": "city", "source": "city"}
            ]}
            """;
    static final String INPUT = "[{\"id\": 1, \"email\": \"Ada.Lovelace@Example.com\", \"phone\": \"+14155550134\", \"born\": \"1815-12-10\", \"city\": \"London\"},"
            + "{\"id\": 2, \"email\": \" ada.lovelace@example.COM \", \"phone\": null, \"born\": null, \"city\": \"London\"}]";

    private static TestRunner mapper(String salt) throws Exception {
        return MapTestSupport.mapper(runner -> {
            runner.setProperty(MapCrmFields.MAPPING, MAPPING);
            if (salt != null) {
                runner.setProperty(MapCrmFields.PII_SALT, salt);
            }
        });
    }

    @Test
    void masksHashesAndDrops() throws Exception {
        MapTestSupport.Outcome out = MapTestSupport.run(mapper("s3cret"), INPUT);
        assertEquals(2, out.success().size());
        JsonNode first = out.success().get(0);
        assertEquals("a**********e@example.com", first.get("email_masked").asText());
        assertEquals("+*********34", first.get("phone").asText());
        assertEquals(DigestUtils.sha256Hex("s3cretada.lovelace@example.com".getBytes(StandardCharsets.UTF_8)), first.get("email_hash").asText());
        assertFalse(first.has("birthdate"), "dropped fields are not in the output at all");
        assertEquals("London", first.get("city").asText());
        assertEquals(first.get("email_hash"), out.success().get(1).get("email_hash"), "equal values hash equally, so they still match");
        assertTrue(out.success().get(1).get("phone").isNull());
    }

    @Test
    void hashesDependOnTheSalt() throws Exception {
        String one = MapTestSupport.run(mapper("salt-one"), INPUT).success().get(0).get("email_hash").asText();
        String again = MapTestSupport.run(mapper("salt-one"), INPUT).success().get(0).get("email_hash").asText();
        String two = MapTestSupport.run(mapper("salt-two"), INPUT).success().get(0).get("email_hash").asText();
        assertEquals(one, again, "a stable salt keeps hashes comparable across runs");
        assertNotEquals(one, two, "another salt, other hashes: guesses cannot be hashed without the secret");
        assertNotEquals(DigestUtils.sha256Hex("ada.lovelace@example.com"), one, "not a plain, unsalted hash");
    }

    @Test
    void hashingWithoutASaltIsRefusedAndTheSaltIsSensitive() throws Exception {
        TestRunner runner = mapper(null);
        runner.assertNotValid();
        assertTrue(MapCrmFields.PII_SALT.isSensitive());
    }

    @Test
    void checksSeeTheRealValueBeforeProtection() throws Exception {
        // The masked e-mail would fail an e-mail check; the real one passes. A bad real one is refused.
        MapTestSupport.Outcome out = MapTestSupport.run(mapper("s3cret"),
                "[{\"id\": 1, \"email\": \"ada@example.com\", \"phone\": null, \"born\": null, \"city\": null},"
                        + "{\"id\": 2, \"email\": \"ada at example\", \"phone\": null, \"born\": null, \"city\": null}]");
        assertEquals(1, out.success().size());
        assertEquals("email_masked: not a valid e-mail address", out.invalid().get(0).get(MapCrmFields.INVALID_REASON).asText());
    }

    @Test
    void noPersonalDataInLogsBulletinsOrAttributes() throws Exception {
        List<String> secrets = List.of("Lovelace", "lovelace", "4155550134", "1815", "s3cret", "forty", "not-a-mail");
        // Valid records, invalid records, and a failed FlowFile.
        TestRunner runner = mapper("s3cret");
        runner.enqueue(INPUT);
        runner.enqueue("[{\"id\": \"forty\", \"email\": \"not-a-mail\", \"phone\": \"4155550134\", \"born\": \"1815-13-45\", \"city\": \"x\"}]");
        runner.enqueue("[{\"id\": 3, \"email\": Lovelace}]");
        runner.enqueue("[{\"id\": 4, \"mail\": \"ada@lovelace.org\"}]");
        runner.run(4);
        assertEquals(2, runner.getFlowFilesForRelationship(MapCrmFields.REL_FAILURE).size());
        assertEquals(1, runner.getFlowFilesForRelationship(MapCrmFields.REL_INVALID).size());

        List<String> logged = new ArrayList<>();
        var log = runner.getLogger();
        List<LogMessage> messages = new ArrayList<>();
        messages.addAll(log.getErrorMessages());
        messages.addAll(log.getWarnMessages());
        messages.addAll(log.getInfoMessages());
        messages.addAll(log.getDebugMessages());
        messages.addAll(log.getTraceMessages());
        for (LogMessage m : messages) {
            logged.add(m.getMsg() + " " + java.util.Arrays.toString(m.getArgs()) + " " + m.getThrowable());
        }
        List<String> outputAttributes = new ArrayList<>();
        for (var relationship : List.of(MapCrmFields.REL_SUCCESS, MapCrmFields.REL_INVALID, MapCrmFields.REL_FAILURE)) {
            for (MockFlowFile f : runner.getFlowFilesForRelationship(relationship)) {
                outputAttributes.add(f.getAttributes().toString());
            }
        }
        assertFalse(logged.isEmpty(), "failures are logged");
        for (String secret : secrets) {
            for (String line : logged) {
                assertFalse(line.contains(secret), "log line quotes personal data: " + line);
            }
            for (String attributes : outputAttributes) {
                assertFalse(attributes.contains(secret), "attributes quote personal data: " + attributes);
            }
        }
        // The invalid record carries its reasons without values; the source values stay in the record itself.
        JsonNode invalid = MapTestSupport.records(runner, MapCrmFields.REL_INVALID).get(0);
        for (String secret : secrets) {
            assertFalse(invalid.get(MapCrmFields.INVALID_REASON).asText().contains(secret), invalid.get(MapCrmFields.INVALID_REASON).asText());
        }
    }
}
