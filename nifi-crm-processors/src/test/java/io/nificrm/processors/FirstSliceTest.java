package io.nificrm.processors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nificrm.processors.common.CrmProperties;
import io.nificrm.processors.common.WriteOutcomeFields;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.simulator.seed.SeedConfig;
import io.nificrm.simulator.store.ObjectStore;
import io.nificrm.simulator.store.SimRecord;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The first end-to-end slice over real HTTP: 10,000 Salesforce contacts are read, mapped and upserted into HubSpot
 * (with its real default rate limit). Every record ends somewhere, rejects carry reasons, values arrive intact.
 */
class FirstSliceTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CONTACTS = 10_000;
    private static CrmSimulator sim;

    static final String MAPPING = """
            {
              "name": "sf-contact-to-hubspot",
              "target": {"system": "hubspot", "object": "contacts"},
              "fields": [
                {"target": "source_id", "source": "Id"},
                {"target": "email", "source": "Email", "transforms": ["email", "null_if_blank"]},
                {"target": "firstname", "source": "FirstName", "transforms": ["trim"]},
                {"target": "lastname", "source": "LastName", "transforms": ["trim"]},
                {"target": "phone", "source": "Phone"},
                {"target": "jobtitle", "source": "Title"},
                {"target": "city", "source": "MailingCity"},
                {"target": "country", "source": "MailingCountry"}
              ]
            }
            """;

    @BeforeAll
    static void start() {
        sim = CrmSimulator.start(SimulatorConfig.defaults().seed("salesforce", SeedConfig.ofContacts(CONTACTS)));
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    @Test
    void salesforceContactsArriveInHubSpotWithEveryRecordAccountedFor() throws Exception {
        List<byte[]> read = query();
        assertEquals(CONTACTS, countRecords(read), "every Salesforce contact is read once");

        List<byte[]> mapped = new ArrayList<>();
        long invalid = map(read, mapped);

        TestRunner upsert = TestRunners.newTestRunner(UpsertCrmRecords.class);
        TestServices.hubspot(upsert, sim);
        TestServices.json(upsert);
        upsert.setProperty(CrmProperties.CONNECTION_SERVICE, TestServices.HUBSPOT);
        upsert.setProperty(UpsertCrmRecords.OBJECT, "contacts");
        upsert.setProperty(UpsertCrmRecords.KEY_FIELD, "source_id");
        upsert.setProperty(CrmProperties.RECORD_READER, TestServices.READER);
        upsert.setProperty(CrmProperties.RECORD_WRITER, TestServices.WRITER);
        mapped.forEach(upsert::enqueue);
        upsert.run(mapped.size());

        long success = records(upsert, UpsertCrmRecords.REL_SUCCESS);
        long failure = records(upsert, UpsertCrmRecords.REL_FAILURE);
        long retry = records(upsert, UpsertCrmRecords.REL_RETRY);
        assertEquals(0, retry, "nothing transient happened, so nothing waits for a retry");
        assertEquals(CONTACTS, success + failure + invalid, "records in = success + failure + invalid");
        assertTrue(failure > 0, "the dirty seed has e-mails HubSpot refuses");

        ObjectStore hubspotContacts = sim.hubspot().store("contacts").orElseThrow();
        assertEquals(success, hubspotContacts.count(false), "HubSpot holds exactly the accepted records");

        for (MockFlowFile flowFile : upsert.getFlowFilesForRelationship(UpsertCrmRecords.REL_FAILURE)) {
            for (JsonNode rejected : JSON.readTree(flowFile.toByteArray())) {
                assertFalse(rejected.path(WriteOutcomeFields.ERROR_CODE).asText().isBlank(), "every reject has a code");
                assertFalse(rejected.path(WriteOutcomeFields.ERROR_MESSAGE).asText().isBlank(), "every reject has a reason");
                assertEquals("failed", rejected.path(WriteOutcomeFields.OUTCOME).asText());
            }
        }
        assertValuesArrived(hubspotContacts);
    }

    /** Every created HubSpot contact carries the Salesforce contact's values, as mapped. */
    private void assertValuesArrived(ObjectStore hubspotContacts) {
        ObjectStore sfContacts = sim.salesforce().store("Contact").orElseThrow();
        Map<String, SimRecord> bySourceId = new HashMap<>();
        hubspotContacts.stream().forEach(r -> bySourceId.put((String) r.fields().get("source_id"), r));
        int checked = 0;
        for (SimRecord sf : sfContacts.stream().toList()) {
            SimRecord hs = bySourceId.get(sf.id());
            if (hs == null) {
                continue;
            }
            Object email = sf.fields().get("Email");
            assertEquals(email == null ? null : email.toString().trim().toLowerCase(Locale.ROOT), hs.fields().get("email"));
            assertEquals(trim(sf.fields().get("LastName")), hs.fields().get("lastname"));
            assertEquals(trim(sf.fields().get("FirstName")), hs.fields().get("firstname"));
            assertEquals(sf.fields().get("Phone"), hs.fields().get("phone"));
            assertEquals(sf.fields().get("MailingCity"), hs.fields().get("city"));
            checked++;
        }
        assertEquals(hubspotContacts.count(false), checked, "every HubSpot contact traces back to its Salesforce contact");
    }

    private static Object trim(Object value) {
        return value == null ? null : value.toString().trim();
    }

    private List<byte[]> query() throws Exception {
        TestRunner query = TestRunners.newTestRunner(QueryCrmEntities.class);
        TestServices.salesforce(query, sim);
        TestServices.json(query);
        query.setProperty(CrmProperties.CONNECTION_SERVICE, TestServices.SALESFORCE);
        query.setProperty(QueryCrmEntities.OBJECT, "Contact");
        query.setProperty(QueryCrmEntities.MAX_RECORDS_PER_FLOWFILE, "2500");
        query.setProperty(CrmProperties.RECORD_WRITER, TestServices.WRITER);
        query.run();
        List<byte[]> contents = new ArrayList<>();
        for (MockFlowFile flowFile : query.getFlowFilesForRelationship(QueryCrmEntities.REL_SUCCESS)) {
            flowFile.assertAttributeEquals("crm.system", "salesforce");
            flowFile.assertAttributeEquals("crm.object", "Contact");
            contents.add(flowFile.toByteArray());
        }
        assertEquals(4, contents.size(), "10,000 records in FlowFiles of 2,500");
        assertEquals(CONTACTS, query.getCounterValue("Records Read"));
        assertTrue(query.getProvenanceEvents().stream().allMatch(e -> e.getTransitUri().startsWith(sim.baseUrl())));
        return contents;
    }

    private long map(List<byte[]> input, List<byte[]> output) throws Exception {
        TestRunner map = TestRunners.newTestRunner(MapCrmFields.class);
        TestServices.json(map);
        map.setProperty(MapCrmFields.MAPPING, MAPPING);
        map.setProperty(CrmProperties.RECORD_READER, TestServices.READER);
        map.setProperty(CrmProperties.RECORD_WRITER, TestServices.WRITER);
        input.forEach(map::enqueue);
        map.run(input.size());
        map.assertTransferCount(MapCrmFields.REL_FAILURE, 0);
        for (MockFlowFile flowFile : map.getFlowFilesForRelationship(MapCrmFields.REL_SUCCESS)) {
            output.add(flowFile.toByteArray());
        }
        long invalid = records(map, MapCrmFields.REL_INVALID);
        assertEquals(CONTACTS, records(map, MapCrmFields.REL_SUCCESS) + invalid);
        return invalid;
    }

    static long records(TestRunner runner, org.apache.nifi.processor.Relationship relationship) {
        return runner.getFlowFilesForRelationship(relationship).stream()
                .mapToLong(f -> Long.parseLong(f.getAttribute("record.count"))).sum();
    }

    private static long countRecords(List<byte[]> contents) throws Exception {
        long n = 0;
        for (byte[] content : contents) {
            JsonNode array = JSON.readTree(content);
            assertNotNull(array);
            n += array.size();
        }
        return n;
    }
}
