package io.nificrm.processors;

import com.fasterxml.jackson.databind.JsonNode;
import io.nificrm.processors.common.CrmProperties;
import io.nificrm.processors.dedup.FieldRole;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.simulator.store.ObjectStore;
import io.nificrm.simulator.store.SimRecord;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Against the target: contacts that already exist in HubSpot are found by e-mail through the HubSpot connection
 * service, so the golden record carries the existing record's id and key, and the upsert that follows updates the
 * existing contact instead of creating a duplicate.
 */
class DeduplicateCrmRecordsTargetTest {
    private static CrmSimulator sim;

    @BeforeAll
    static void start() {
        sim = CrmSimulator.start(SimulatorConfig.defaults().unlimited());
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    private static SimRecord existing(ObjectStore store, String email, String first, String last, String phone) {
        Map<String, Object> fields = new LinkedHashMap<>();
        fields.put("email", email);
        fields.put("firstname", first);
        fields.put("lastname", last);
        if (phone != null) {
            fields.put("phone", phone);
        }
        fields.put("city", "Boston");
        return store.create(fields);
    }

    @Test
    void existingTargetRecordsAreUpdatedNotDuplicated() throws Exception {
        ObjectStore contacts = sim.hubspot().store("contacts").orElseThrow();
        SimRecord robert = existing(contacts, "robert.smith@acme.com", "Robert", "Smith", "+14155550134");
        SimRecord jane = existing(contacts, "jane@doe.io", "Jane", "Doe", null);
        existing(contacts, "zed@zulu.io", "Zed", "Zulu", null);
        long before = contacts.count(false);

        TestRunner dedup = TestRunners.newTestRunner(DeduplicateCrmRecords.class);
        TestServices.hubspot(dedup, sim);
        TestServices.json(dedup);
        dedup.setProperty(CrmProperties.RECORD_READER, TestServices.READER);
        dedup.setProperty(CrmProperties.RECORD_WRITER, TestServices.WRITER);
        dedup.setProperty(DeduplicateCrmRecords.ROLE_PROPERTIES.get(FieldRole.ID), "source_id");
        dedup.setProperty(DeduplicateCrmRecords.TARGET_SERVICE, TestServices.HUBSPOT);
        dedup.setProperty(DeduplicateCrmRecords.TARGET_OBJECT, "contacts");
        dedup.setProperty(DeduplicateCrmRecords.TARGET_KEY_FIELD, "email");
        // Incoming records, already mapped to HubSpot's fields (source_id is the source system's id).
        dedup.enqueue("""
                [{"source_id": "sf-1", "firstname": "Bob", "lastname": "Smith", "email": "Robert.Smith@ACME.com", "phone": "(415) 555-0134", "city": "Boston"},
                 {"source_id": "sf-2", "firstname": "Robert", "lastname": "Smith", "email": "rsmith@gmail.com", "phone": "415.555.0134", "city": "Boston"},
                 {"source_id": "sf-3", "firstname": "Alice", "lastname": "Brown", "email": "alice@brown.io", "phone": null, "city": "Austin"},
                 {"source_id": "sf-4", "firstname": "JANE", "lastname": "Doe", "email": " JANE@DOE.IO", "phone": null, "city": null}]
                """);
        dedup.run();

        Map<String, JsonNode> golden = new HashMap<>();
        DeduplicateTestSupport.records(dedup, DeduplicateCrmRecords.REL_GOLDEN).forEach(r -> golden.put(r.get("source_id").asText(), r));
        assertEquals(3, golden.size(), "Robert (twice), Alice, Jane");
        assertEquals(1, DeduplicateTestSupport.count(dedup, DeduplicateCrmRecords.REL_DUPLICATES));
        JsonNode bob = golden.containsKey("sf-1") ? golden.get("sf-1") : golden.get("sf-2");
        assertEquals(robert.id(), bob.get("crm_target_id").asText(), "the existing HubSpot contact's id");
        assertEquals("robert.smith@acme.com", bob.get("email").asText(), "the existing contact's key, so the upsert finds it");
        assertEquals(jane.id(), golden.get("sf-4").get("crm_target_id").asText());
        assertEquals("jane@doe.io", golden.get("sf-4").get("email").asText());
        assertTrue(golden.get("sf-3").get("crm_target_id").isNull(), "Alice is new");
        assertEquals(2, dedup.getCounterValue("Target Matches"));

        TestRunner upsert = TestRunners.newTestRunner(UpsertCrmRecords.class);
        TestServices.hubspot(upsert, sim);
        TestServices.json(upsert);
        upsert.setProperty(CrmProperties.CONNECTION_SERVICE, TestServices.HUBSPOT);
        upsert.setProperty(UpsertCrmRecords.OBJECT, "contacts");
        upsert.setProperty(UpsertCrmRecords.KEY_FIELD, "email");
        upsert.setProperty(CrmProperties.RECORD_READER, TestServices.READER);
        upsert.setProperty(CrmProperties.RECORD_WRITER, TestServices.WRITER);
        for (MockFlowFile flowFile : dedup.getFlowFilesForRelationship(DeduplicateCrmRecords.REL_GOLDEN)) {
            upsert.enqueue(flowFile.toByteArray());
        }
        upsert.run();
        assertEquals(3, DeduplicateTestSupport.count(upsert, UpsertCrmRecords.REL_SUCCESS));
        assertEquals(before + 1, contacts.count(false), "only Alice was created; Robert and Jane were updated");
        assertEquals(bob.get("source_id").asText(), contacts.get(robert.id()).orElseThrow().fields().get("source_id"));
        assertEquals("sf-4", contacts.get(jane.id()).orElseThrow().fields().get("source_id"));
    }
}
