package io.nificrm.services.salesforce;

import io.nificrm.api.CrmPage;
import io.nificrm.api.CrmQuery;
import io.nificrm.services.AbstractCrmConnectionService;
import io.nificrm.services.ConnectionServiceContractTest;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorCredentials;
import io.nificrm.simulator.store.ObjectStore;
import io.nificrm.simulator.store.SimRecord;
import org.apache.nifi.components.ConfigVerificationResult;
import org.apache.nifi.controller.ControllerService;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.util.MockConfigurationContext;
import org.apache.nifi.util.MockComponentLog;
import org.apache.nifi.util.TestRunner;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SalesforceConnectionServiceTest extends ConnectionServiceContractTest {

    @Override
    protected String system() {
        return "salesforce";
    }

    @Override
    protected String contactObject() {
        return "Contact";
    }

    @Override
    protected AbstractCrmConnectionService newService() {
        return new SalesforceConnectionService();
    }

    @Override
    protected void configure(TestRunner runner, ControllerService service, CrmSimulator sim) {
        runner.setProperty(service, SalesforceConnectionService.LOGIN_URL, sim.baseUrl());
        runner.setProperty(service, SalesforceConnectionService.CLIENT_ID, SimulatorCredentials.SALESFORCE_CLIENT_ID);
        runner.setProperty(service, SalesforceConnectionService.CLIENT_SECRET, SimulatorCredentials.SALESFORCE_CLIENT_SECRET);
    }

    @Override
    protected String upsertKey() {
        return "External_Id__c";
    }

    @Override
    protected Record contact(String key, String lastName, String email) {
        var schema = new SimpleRecordSchema(List.of(
                new RecordField("External_Id__c", RecordFieldType.STRING.getDataType()),
                new RecordField("LastName", RecordFieldType.STRING.getDataType()),
                new RecordField("Email", RecordFieldType.STRING.getDataType())));
        return new MapRecord(schema, new HashMap<>(Map.of("External_Id__c", key, "LastName", lastName, "Email", email)));
    }

    @Test
    void anEvictedQueryLocatorFallsBackToTheLastKeySeen() {
        CrmPage first = service.query(contacts());
        for (int i = 0; i < 205; i++) {
            service.query(contacts());  // opens more cursors than the server keeps: the first one is evicted
        }
        List<String> ids = new ArrayList<>();
        first.records().forEach(r -> ids.add(r.getAsString("Id")));
        String cursor = first.nextCursor();
        while (cursor != null) {
            CrmPage page = service.query(contacts().withCursor(cursor));
            page.records().forEach(r -> ids.add(r.getAsString("Id")));
            cursor = page.nextCursor();
        }
        assertEquals(SEEDED, ids.size());
        assertEquals(SEEDED, new java.util.HashSet<>(ids).size());
    }

    @Test
    void aChangeWindowReturnsExactlyTheRecordsModifiedInItWithDeletesFlagged() {
        ObjectStore contacts = sim.salesforce().store("Contact").orElseThrow();
        Instant from = Instant.parse("2026-01-01T00:00:00Z");
        List<SimRecord> all = contacts.stream().toList();
        for (int i = 0; i < 30; i++) {
            SimRecord r = all.get(i * 7);
            contacts.put(new SimRecord(r.id(), r.fields(), r.createdAt(), from.plusSeconds(i / 3), false, null));
        }
        contacts.put(all.get(1).asDeleted(from.plusSeconds(5)));
        CrmQuery window = CrmQuery.of("Contact").withFields(List.of("LastName")).withPageSize(200)
                .withWindow(new CrmQuery.ChangeWindow(from, from.plusSeconds(9))).withIncludeDeleted(true);
        CrmPage page = service.query(window);
        assertEquals(28, page.records().size(), "27 updated in [0 s, 9 s) and one deleted at 5 s");
        Instant previous = Instant.MIN;
        int deleted = 0;
        for (Record record : page.records()) {
            Instant modified = ((java.sql.Timestamp) record.getValue("SystemModstamp")).toInstant();
            assertTrue(!modified.isBefore(previous), "ordered by SystemModstamp");
            previous = modified;
            deleted += Boolean.TRUE.equals(record.getValue("crm_deleted")) ? 1 : 0;
        }
        assertEquals(1, deleted);
    }

    @Test
    void largeWritesGoThroughOneBulkJobWithResultsMappedToTheirInputs() throws Exception {
        runner.disableControllerService(service);
        runner.setProperty(service, SalesforceConnectionService.BULK_THRESHOLD, "1000");
        runner.setProperty(service, SalesforceConnectionService.BULK_POLL_INTERVAL, "100 millis");
        runner.enableControllerService(service);
        sim.faults().add(io.nificrm.simulator.fault.FaultRule.on("salesforce", "bulk").withPartialFailures(0.05));
        List<Record> batch = new ArrayList<>();
        for (int i = 0; i < 3_000; i++) {
            batch.add(contact("B-" + i, "Bulk" + i, i % 100 == 7 ? "no-at-sign" : "bulk" + i + "@example.com"));
        }
        var request = new io.nificrm.api.CrmWriteRequest("Contact", io.nificrm.api.WriteOperation.UPSERT, "External_Id__c", batch);
        long bulkCallsBefore = sim.stats().requests("salesforce", "bulk");
        List<io.nificrm.api.CrmWriteResult> results = service.write(request);
        assertTrue(sim.stats().requests("salesforce", "bulk") - bulkCallsBefore < 20, "one job: create, upload, close, polls, results");
        assertEquals(0, sim.stats().requests("salesforce", "upsert"), "no collection calls");
        int lockRows = 0;
        for (int i = 0; i < batch.size(); i++) {
            var result = results.get(i);
            if (i % 100 == 7) {
                assertEquals("INVALID_EMAIL_ADDRESS", result.errorCode(), "record " + i);
            } else if (!result.isSuccess()) {
                assertTrue(result.transientFailure(), "record " + i + ": " + result);
                lockRows++;
            } else {
                SimRecord stored = sim.salesforce().store("Contact").orElseThrow().get(result.targetId()).orElseThrow();
                assertEquals("B-" + i, stored.fields().get("External_Id__c"), "the id belongs to record " + i);
            }
        }
        assertTrue(lockRows > 50, "injected lock failures: " + lockRows);
        sim.faults().clear();
        List<io.nificrm.api.CrmWriteResult> again = service.write(request);
        assertEquals(30, again.stream().filter(r -> !r.isSuccess()).count());
        assertEquals(SEEDED + 2_970, sim.salesforce().store("Contact").orElseThrow().count(false), "the re-run created only what had failed");
    }

    @Test
    void bulkQueriesPageByLocatorAndResumeAfterARestart() throws Exception {
        runner.disableControllerService(service);
        runner.setProperty(service, SalesforceConnectionService.BULK_QUERIES, "true");
        runner.setProperty(service, SalesforceConnectionService.BULK_POLL_INTERVAL, "100 millis");
        runner.enableControllerService(service);
        CrmPage first = service.query(contacts());
        assertEquals(pageSize(), first.records().size());
        assertTrue(first.records().get(0).getValue("SystemModstamp") instanceof java.sql.Timestamp, "CSV text becomes typed values");
        AbstractCrmConnectionService restarted = enable(newService());
        List<String> ids = new ArrayList<>();
        first.records().forEach(r -> ids.add(r.getAsString("Id")));
        String cursor = first.nextCursor();
        while (cursor != null) {
            CrmPage page = restarted.query(contacts().withCursor(cursor));
            page.records().forEach(r -> ids.add(r.getAsString("Id")));
            cursor = page.nextCursor();
        }
        assertEquals(SEEDED, new java.util.HashSet<>(ids).size());
        assertEquals(SEEDED, ids.size());
        assertEquals(0, sim.stats().requests("salesforce", "query"), "no SOQL query calls");
    }

    @Test
    void aNullParentReferenceMeansNoParentAndABadDateFailsOnlyItsRecord() {
        var schema = new SimpleRecordSchema(List.of(
                new RecordField("External_Id__c", RecordFieldType.STRING.getDataType()),
                new RecordField("LastName", RecordFieldType.STRING.getDataType()),
                new RecordField("Birthdate", RecordFieldType.STRING.getDataType()),
                new RecordField("Account.External_Id__c", RecordFieldType.STRING.getDataType())));
        Map<String, Object> orphan = new HashMap<>();
        orphan.put("External_Id__c", "N-1");
        orphan.put("LastName", "Orphan");
        Map<String, Object> badDate = new HashMap<>(Map.of("External_Id__c", "N-2", "LastName", "Bad", "Birthdate", "31st of Smarch"));
        var results = service.write(new io.nificrm.api.CrmWriteRequest("Contact", io.nificrm.api.WriteOperation.UPSERT, "External_Id__c",
                List.of(new MapRecord(schema, orphan), new MapRecord(schema, badDate))));
        assertTrue(results.get(0).isSuccess(), results.get(0).toString());
        assertEquals("INVALID_VALUE", results.get(1).errorCode());
        assertTrue(results.get(1).message().contains("Birthdate") && !results.get(1).message().contains("Smarch"), results.get(1).message());
    }

    @Test
    void describeReportsRequiredPicklistAndReferenceFields() {
        var schema = service.describe("Contact");
        assertEquals("Id", schema.idField());
        assertEquals("SystemModstamp", schema.modifiedField());
        assertTrue(schema.field("LastName").orElseThrow().required());
        assertEquals("Account", schema.field("AccountId").orElseThrow().referenceTo());
        assertTrue(schema.field("LeadSource").orElseThrow().picklistValues().contains("Web"));
        assertEquals(io.nificrm.api.CrmFieldType.EMAIL, schema.field("Email").orElseThrow().type());
    }

    @Test
    void verifyExplainsEachStepAndAWrongSecretInPlainWords() {
        runner.disableControllerService(service);
        Map<org.apache.nifi.components.PropertyDescriptor, String> properties = new HashMap<>();
        properties.put(SalesforceConnectionService.LOGIN_URL, sim.baseUrl());
        properties.put(SalesforceConnectionService.CLIENT_ID, SimulatorCredentials.SALESFORCE_CLIENT_ID);
        properties.put(SalesforceConnectionService.CLIENT_SECRET, SimulatorCredentials.SALESFORCE_CLIENT_SECRET);
        List<ConfigVerificationResult> ok = service.verify(new MockConfigurationContext(service, properties, null, Map.of()),
                new MockComponentLog("verify", service), Map.of());
        assertTrue(ok.stream().allMatch(r -> r.getOutcome() == ConfigVerificationResult.Outcome.SUCCESSFUL), ok.toString());
        assertTrue(ok.stream().anyMatch(r -> r.getExplanation().contains("Daily API requests remaining")), ok.toString());

        properties.put(SalesforceConnectionService.CLIENT_SECRET, "wrong");
        List<ConfigVerificationResult> bad = service.verify(new MockConfigurationContext(service, properties, null, Map.of()),
                new MockComponentLog("verify", service), Map.of());
        ConfigVerificationResult auth = bad.get(0);
        assertEquals(ConfigVerificationResult.Outcome.FAILED, auth.getOutcome());
        assertTrue(auth.getExplanation().contains("invalid_client") && auth.getExplanation().contains("Check the client id"), auth.getExplanation());
        assertTrue(!auth.getExplanation().contains("wrong"), "the secret never shows up in a message");
    }
}
