package io.nificrm.processors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nificrm.processors.common.CrmProperties;
import io.nificrm.processors.common.WriteOutcomeFields;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.simulator.store.ObjectStore;
import io.nificrm.simulator.store.SimRecord;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Children find their parents by source id; a dry run reports what would happen and writes nothing. */
class UpsertReferencesAndDryRunTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private CrmSimulator sim;

    @BeforeEach
    void start() {
        sim = CrmSimulator.start(SimulatorConfig.defaults().unlimited());
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    private TestRunner upsert(String object) throws Exception {
        TestRunner runner = TestRunners.newTestRunner(UpsertCrmRecords.class);
        TestServices.hubspot(runner, sim);
        TestServices.json(runner);
        runner.setProperty(CrmProperties.CONNECTION_SERVICE, TestServices.HUBSPOT);
        runner.setProperty(UpsertCrmRecords.OBJECT, object);
        runner.setProperty(UpsertCrmRecords.KEY_FIELD, "source_id");
        runner.setProperty(CrmProperties.RECORD_READER, TestServices.READER);
        runner.setProperty(CrmProperties.RECORD_WRITER, TestServices.WRITER);
        return runner;
    }

    private static List<JsonNode> records(TestRunner runner, org.apache.nifi.processor.Relationship relationship) throws Exception {
        List<JsonNode> out = new ArrayList<>();
        for (MockFlowFile flowFile : runner.getFlowFilesForRelationship(relationship)) {
            JSON.readTree(flowFile.toByteArray()).forEach(out::add);
        }
        return out;
    }

    @Test
    void childrenAreLinkedToTheirParentsTargetIdsAndAMissingParentIsAClearFailure() throws Exception {
        TestRunner companies = upsert("companies");
        companies.enqueue("[{\"source_id\":\"A1\",\"name\":\"Acme\"},{\"source_id\":\"A2\",\"name\":\"Globex\"}]");
        companies.run();
        assertEquals(2, FirstSliceTest.records(companies, UpsertCrmRecords.REL_SUCCESS));

        // A fresh processor (another node, or a restart): no cache, so the parents are looked up in the target.
        TestRunner contacts = upsert("contacts");
        contacts.setProperty("associations.companies", "companies.source_id");
        contacts.assertValid();
        contacts.enqueue("[{\"source_id\":\"C1\",\"lastname\":\"One\",\"associations.companies\":\"A1\"},"
                + "{\"source_id\":\"C2\",\"lastname\":\"Two\",\"associations.companies\":\"A2\"},"
                + "{\"source_id\":\"C3\",\"lastname\":\"Three\",\"associations.companies\":\"A99\"},"
                + "{\"source_id\":\"C4\",\"lastname\":\"Four\"}]");
        contacts.run();
        ObjectStore hubspotCompanies = sim.hubspot().store("companies").orElseThrow();
        String acme = hubspotCompanies.findByUnique("source_id", "A1").map(SimRecord::id).orElseThrow();
        String globex = hubspotCompanies.findByUnique("source_id", "A2").map(SimRecord::id).orElseThrow();
        ObjectStore hubspotContacts = sim.hubspot().store("contacts").orElseThrow();
        assertEquals(List.of(acme), sim.hubspot().associations("contacts", hubspotContacts.findByUnique("source_id", "C1").orElseThrow().id(), "companies"));
        assertEquals(List.of(globex), sim.hubspot().associations("contacts", hubspotContacts.findByUnique("source_id", "C2").orElseThrow().id(), "companies"));
        assertTrue(hubspotContacts.findByUnique("source_id", "C4").isPresent(), "a child without a reference is written");
        List<JsonNode> failed = records(contacts, UpsertCrmRecords.REL_FAILURE);
        assertEquals(1, failed.size());
        assertEquals("MISSING_PARENT", failed.get(0).path(WriteOutcomeFields.ERROR_CODE).asText());
        assertTrue(failed.get(0).path(WriteOutcomeFields.ERROR_MESSAGE).asText().contains("A99"));
        assertTrue(hubspotContacts.findByUnique("source_id", "C3").isEmpty(), "the orphan was not written");

        contacts.setProperty("associations.companies", "companies");
        contacts.assertNotValid();
    }

    @Test
    void theParentsUpsertFillsTheCacheSoChildrenNeedNoLookup() throws Exception {
        TestRunner runner = upsert("companies");
        runner.enqueue("[{\"source_id\":\"A1\",\"name\":\"Acme\"}]");
        runner.run();
        runner.setProperty(UpsertCrmRecords.OBJECT, "contacts");
        runner.setProperty("associations.companies", "companies.source_id");
        long lookups = sim.stats().requests("hubspot", "batch-read");
        runner.clearTransferState();
        runner.enqueue("[{\"source_id\":\"C1\",\"lastname\":\"One\",\"associations.companies\":\"A1\"}]");
        runner.run();
        assertEquals(1, FirstSliceTest.records(runner, UpsertCrmRecords.REL_SUCCESS));
        assertEquals(lookups, sim.stats().requests("hubspot", "batch-read"), "the parent's id came from the cache");
    }

    @Test
    void aDryRunReportsCreatesUpdatesAndRejectsWithoutWriting() throws Exception {
        ObjectStore hubspotContacts = sim.hubspot().store("contacts").orElseThrow();
        for (int i = 0; i < 3; i++) {
            hubspotContacts.create(Map.of("source_id", "E" + i, "lastname", "Existing" + i));
        }
        TestRunner runner = upsert("contacts");
        runner.setProperty(UpsertCrmRecords.DRY_RUN, "true");
        runner.enqueue("[{\"source_id\":\"E0\",\"lastname\":\"Changed\"},{\"source_id\":\"E1\"},{\"source_id\":\"E2\"},"
                + "{\"source_id\":\"N1\",\"email\":\"new1@example.com\"},{\"source_id\":\"N2\"},"
                + "{\"source_id\":\"N3\",\"email\":\"not-an-email\"},{\"source_id\":\"N4\",\"shoe_size\":42}]");
        long writes = sim.stats().requests("hubspot", "upsert");
        runner.run();
        List<String> outcomes = new ArrayList<>();
        records(runner, UpsertCrmRecords.REL_SUCCESS).forEach(r -> outcomes.add(r.path("source_id").asText() + "=" + r.path(WriteOutcomeFields.OUTCOME).asText()));
        assertEquals(List.of("E0=would_update", "E1=would_update", "E2=would_update", "N1=would_create", "N2=would_create"), outcomes);
        List<JsonNode> rejected = records(runner, UpsertCrmRecords.REL_FAILURE);
        assertEquals(2, rejected.size());
        assertTrue(rejected.get(0).path(WriteOutcomeFields.ERROR_MESSAGE).asText().contains("e-mail"), rejected.get(0).toString());
        assertEquals("UNKNOWN_FIELD", rejected.get(1).path(WriteOutcomeFields.ERROR_CODE).asText());
        assertEquals(3, hubspotContacts.count(false), "nothing was written");
        assertEquals(writes, sim.stats().requests("hubspot", "upsert"), "no write call was made");
        assertEquals("Existing0", hubspotContacts.findByUnique("source_id", "E0").orElseThrow().fields().get("lastname"));
    }
}
