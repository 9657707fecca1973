package io.nificrm.services.hubspot;

import io.nificrm.api.CrmPage;
import io.nificrm.api.CrmQuery;
import io.nificrm.services.AbstractCrmConnectionService;
import io.nificrm.services.ConnectionServiceContractTest;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorCredentials;
import io.nificrm.simulator.store.ObjectStore;
import io.nificrm.simulator.store.SimRecord;
import org.apache.nifi.controller.ControllerService;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.util.TestRunner;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HubSpotConnectionServiceTest extends ConnectionServiceContractTest {

    @Override
    protected String system() {
        return "hubspot";
    }

    @Override
    protected String contactObject() {
        return "contacts";
    }

    @Override
    protected int pageSize() {
        return 100;
    }

    @Override
    protected AbstractCrmConnectionService newService() {
        return new HubSpotConnectionService();
    }

    @Override
    protected void configure(TestRunner runner, ControllerService service, CrmSimulator sim) {
        runner.setProperty(service, HubSpotConnectionService.BASE_URL, sim.baseUrl());
        runner.setProperty(service, HubSpotConnectionService.ACCESS_TOKEN, SimulatorCredentials.HUBSPOT_PRIVATE_APP_TOKEN);
        runner.setProperty(service, "Rate Limit Requests", "0");
    }

    @Override
    protected String upsertKey() {
        return "source_id";
    }

    @Override
    protected Record contact(String key, String lastName, String email) {
        var schema = new SimpleRecordSchema(List.of(
                new RecordField("source_id", RecordFieldType.STRING.getDataType()),
                new RecordField("lastname", RecordFieldType.STRING.getDataType()),
                new RecordField("email", RecordFieldType.STRING.getDataType())));
        return new MapRecord(schema, new HashMap<>(Map.of("source_id", key, "lastname", lastName, "email", email)));
    }

    @Test
    void searchWindowsWalkThroughTiedTimestampsWithoutDuplicates() {
        ObjectStore contacts = sim.hubspot().store("contacts").orElseThrow();
        Instant at = Instant.parse("2026-02-01T10:00:00Z");
        List<SimRecord> all = contacts.stream().toList();
        Set<String> expected = new HashSet<>();
        for (int i = 0; i < 450; i++) {
            SimRecord r = all.get(i);
            // 250 records share one millisecond, the rest spread over the following ones
            Instant modified = i < 250 ? at : at.plusMillis(i);
            contacts.put(new SimRecord(r.id(), r.fields(), r.createdAt(), modified, false, null));
            expected.add(r.id());
        }
        CrmQuery window = CrmQuery.of("contacts").withFields(List.of("email")).withPageSize(100)
                .withWindow(new CrmQuery.ChangeWindow(at, at.plusSeconds(1)));
        List<String> ids = readAll(service, window);
        assertEquals(expected.size(), ids.size(), "no record twice, none missed");
        assertEquals(expected, new HashSet<>(ids));
    }

    @Test
    void aWindowHoldingMoreThanTheTenThousandSearchResultsIsReadCompletely() {
        sim.seed("hubspot", io.nificrm.simulator.seed.SeedConfig.ofContacts(7_000).withRandomSeed(99));
        long live = sim.hubspot().store("contacts").orElseThrow().count(false);
        assertTrue(live > 10_000);
        CrmQuery window = CrmQuery.of("contacts").withFields(List.of("email")).withPageSize(100)
                .withWindow(new CrmQuery.ChangeWindow(Instant.parse("2000-01-01T00:00:00Z"), Instant.now()));
        List<String> ids = readAll(service, window);
        assertEquals(live, ids.size());
        assertEquals(live, new HashSet<>(ids).size());
    }

    @Test
    void deletedRecordsComeFromTheArchivedPhase() {
        ObjectStore contacts = sim.hubspot().store("contacts").orElseThrow();
        List<String> archived = new ArrayList<>();
        contacts.stream().limit(3).forEach(r -> archived.add(r.id()));
        archived.forEach(contacts::delete);
        List<String> seen = new ArrayList<>();
        String cursor = null;
        do {
            CrmPage page = service.query(CrmQuery.of("contacts").withPageSize(100).withIncludeDeleted(true).withCursor(cursor));
            page.records().stream().filter(r -> Boolean.TRUE.equals(r.getValue("crm_deleted")))
                    .forEach(r -> seen.add(r.getAsString("hs_object_id")));
            cursor = page.nextCursor();
        } while (cursor != null);
        assertEquals(new HashSet<>(archived), new HashSet<>(seen));
    }

    @Test
    void associationFieldsLinkWrittenRecordsToTheirCompany() {
        String companyId = sim.hubspot().store("companies").orElseThrow().stream().findFirst().orElseThrow().id();
        var schema = new SimpleRecordSchema(List.of(
                new RecordField("source_id", RecordFieldType.STRING.getDataType()),
                new RecordField("lastname", RecordFieldType.STRING.getDataType()),
                new RecordField("associations.companies", RecordFieldType.STRING.getDataType())));
        List<Record> batch = List.of(
                new MapRecord(schema, new HashMap<>(Map.of("source_id", "A-1", "lastname", "One", "associations.companies", companyId))),
                new MapRecord(schema, new HashMap<>(Map.of("source_id", "A-2", "lastname", "Two", "associations.companies", "9999999"))));
        var results = service.write(new io.nificrm.api.CrmWriteRequest("contacts", io.nificrm.api.WriteOperation.UPSERT, "source_id", batch));
        assertTrue(results.get(0).isSuccess(), results.get(0).toString());
        assertEquals(List.of(companyId), sim.hubspot().associations("contacts", results.get(0).targetId(), "companies"));
        assertEquals("ASSOCIATION_FAILED", results.get(1).errorCode(), "a link to a missing company is reported");
        assertTrue(results.get(1).transientFailure());
    }

    @Test
    void lookupByAUniquePropertyIsCaseInsensitive() {
        SimRecord any = sim.hubspot().store("contacts").orElseThrow().stream()
                .filter(r -> r.fields().get("email") != null).findFirst().orElseThrow();
        String email = any.fields().get("email").toString();
        List<Record> found = service.lookup("contacts", "email", List.of(email.toUpperCase(), "nobody@nowhere.example"), List.of("email"));
        assertEquals(1, found.size());
        assertEquals(any.id(), found.get(0).getAsString("hs_object_id"));
    }

    @Test
    void aDeleteByAUniquePropertyArchivesTheRecordsThatHaveIt() {
        var schema = new SimpleRecordSchema(List.of(new RecordField("source_id", RecordFieldType.STRING.getDataType()),
                new RecordField("lastname", RecordFieldType.STRING.getDataType())));
        List<Record> written = List.of(new MapRecord(schema, new HashMap<>(Map.of("source_id", "DEL-1", "lastname", "One"))),
                new MapRecord(schema, new HashMap<>(Map.of("source_id", "DEL-2", "lastname", "Two"))));
        service.write(new io.nificrm.api.CrmWriteRequest("contacts", io.nificrm.api.WriteOperation.UPSERT, "source_id", written));
        ObjectStore contacts = sim.hubspot().store("contacts").orElseThrow();
        assertTrue(contacts.findByUnique("source_id", "DEL-1").isPresent());
        List<Record> deletes = List.of(new MapRecord(schema, new HashMap<>(Map.of("source_id", "del-1"))),
                new MapRecord(schema, new HashMap<>(Map.of("source_id", "DEL-404"))));
        var results = service.write(new io.nificrm.api.CrmWriteRequest("contacts", io.nificrm.api.WriteOperation.DELETE, "source_id", deletes));
        assertTrue(results.stream().allMatch(r -> r.isSuccess()), results.toString());
        assertTrue(contacts.findByUnique("source_id", "DEL-1").isEmpty(), "archived by its source_id (HubSpot archives by record id only)");
        assertTrue(contacts.findByUnique("source_id", "DEL-2").isPresent(), "the other one stays");
    }
}
