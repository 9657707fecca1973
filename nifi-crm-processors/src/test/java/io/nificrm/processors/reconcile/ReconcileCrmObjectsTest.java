package io.nificrm.processors.reconcile;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nificrm.processors.ReconcileCrmObjects;
import io.nificrm.processors.twoway.SimServices;
import io.nificrm.services.hubspot.HubSpotConnectionService;
import io.nificrm.services.salesforce.SalesforceConnectionService;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.simulator.seed.SeedConfig;
import io.nificrm.simulator.store.ObjectStore;
import io.nificrm.simulator.store.SimRecord;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Acceptance: a 100,000-contact Salesforce org migrated to HubSpot with the mapping, then differences planted on both
 * sides (HubSpot records deleted, extra ones added, fields changed, records touched without a change; Salesforce
 * records changed after the migration). The reconciliation must find exactly the planted differences, by key and
 * field, and nothing else.
 */
class ReconcileCrmObjectsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int CONTACTS = 100_000;
    private static CrmSimulator sim;
    private static TestRunner runner;
    private static String mapping;
    private static long migratedAt;
    /** Salesforce id → HubSpot id of every migrated contact. */
    private static final Map<String, String> migrated = new HashMap<>();
    private static int unmappable;

    @BeforeAll
    static void migrate() throws Exception {
        long started = System.nanoTime();
        sim = CrmSimulator.start(SimulatorConfig.defaults().unlimited()
                .seed("salesforce", new SeedConfig(1, CONTACTS, 0, 0.0, 7L)));
        runner = TestRunners.newTestRunner(ReconcileCrmObjects.class);
        SalesforceConnectionService salesforce = SimServices.salesforce(runner, sim);
        HubSpotConnectionService hubspot = SimServices.hubspot(runner, sim);
        SimServices.json(runner);
        mapping = SimServices.presetWithoutReferences("salesforce-to-hubspot-contacts");
        MigratedPair pair = new MigratedPair(salesforce, hubspot, mapping);
        migrated.putAll(pair.migrated);
        unmappable = pair.unmappable;
        assertEquals(0, pair.failed, "every mapped contact was written to HubSpot");
        assertTrue(unmappable < CONTACTS / 20, "the seed's dirt leaves most contacts mappable (" + unmappable + " are not)");
        migratedAt = System.nanoTime() - started;
        System.out.printf("migrated in %d ms%n", migratedAt / 1_000_000);
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    @Test
    void findsExactlyThePlantedDifferencesIn100kRecords() throws Exception {
        ObjectStore contacts = sim.hubspot().store("contacts").orElseThrow();
        ObjectStore sfContacts = sim.salesforce().store("Contact").orElseThrow();
        List<String> sourceIds = new ArrayList<>(new TreeMap<>(migrated).keySet());
        assertEquals(CONTACTS - unmappable, sourceIds.size());

        // Plant: 50 deleted in HubSpot (missing), 60 with one field changed and 5 with two (different),
        // 20 touched with their own values (no difference), 12 Salesforce contacts changed after the migration (different),
        // 30 extra HubSpot contacts with a source id Salesforce does not have and 10 without a source id (extra).
        Set<String> plantedMissing = new HashSet<>();
        Map<String, Set<String>> plantedDifferent = new HashMap<>();
        Set<String> plantedExtraKeys = new HashSet<>();
        Set<String> plantedExtraIds = new HashSet<>();
        int next = 0;
        for (int i = 0; i < 50; i++) {
            String sfId = sourceIds.get(next++);
            contacts.delete(migrated.get(sfId));
            plantedMissing.add(sfId);
        }
        String[] fields = {"firstname", "jobtitle", "city", "lastname"};
        for (int i = 0; i < 60; i++) {
            String sfId = sourceIds.get(next++);
            String field = fields[i % fields.length];
            contacts.update(migrated.get(sfId), Map.of(field, "Planted " + i));
            plantedDifferent.put(sfId, Set.of(field));
        }
        for (int i = 0; i < 5; i++) {
            String sfId = sourceIds.get(next++);
            contacts.update(migrated.get(sfId), Map.of("city", "Elsewhere " + i, "signup_date_text", "never"));
            plantedDifferent.put(sfId, Set.of("city", "signup_date_text"));
        }
        for (int i = 0; i < 20; i++) {
            String hsId = migrated.get(sourceIds.get(next++));
            SimRecord same = contacts.get(hsId).orElseThrow();
            contacts.update(hsId, Map.of("firstname", same.fields().getOrDefault("firstname", "")));
        }
        for (int i = 0; i < 12; i++) {
            String sfId = sourceIds.get(next++);
            sfContacts.update(sfId, Map.of("Title", "Changed In Salesforce " + i));
            plantedDifferent.put(sfId, Set.of("jobtitle"));
        }
        for (int i = 0; i < 30; i++) {
            String key = "003EXTRA" + String.format("%010d", i);
            plantedExtraIds.add(contacts.create(Map.of("lastname", "Extra" + i, "source_id", key)).id());
            plantedExtraKeys.add(key);
        }
        for (int i = 0; i < 10; i++) {
            plantedExtraIds.add(contacts.create(Map.of("lastname", "Keyless" + i)).id());
        }

        runner.setIncomingConnection(false);
        runner.setProperty("Source Connection Service", SimServices.SALESFORCE);
        runner.setProperty("Target Connection Service", SimServices.HUBSPOT);
        runner.setProperty("Mapping", mapping);
        runner.setProperty("Record Writer", SimServices.WRITER);
        long started = System.nanoTime();
        runner.run();
        long millis = (System.nanoTime() - started) / 1_000_000;

        runner.getLogger().getErrorMessages().forEach(m -> System.out.println("ERROR " + m.getMsg() + " " + m.getThrowable()));
        runner.getLogger().getWarnMessages().forEach(m -> System.out.println("WARN " + m.getMsg()));
        MockFlowFile reportFlowFile = runner.getFlowFilesForRelationship(rel("report")).getFirst();
        JsonNode report = JSON.readTree(reportFlowFile.toByteArray());
        System.out.printf("Reconciled %d Salesforce and %d HubSpot contacts in %d ms (migration set-up %d ms)%n%s%n",
                report.path("source").path("records").asLong(), report.path("target").path("records").asLong(), millis,
                migratedAt / 1_000_000, report.toPrettyString());

        // Every planted difference, by key and field, and nothing else.
        Set<String> missing = new HashSet<>();
        for (JsonNode r : records("missing")) {
            missing.add(r.path("crm_key").asText());
            assertEquals(r.path("crm_key").asText(), r.path("source_id").asText(), "a missing record is mapped, ready to upsert");
        }
        assertEquals(plantedMissing, missing, "missing in target");
        Map<String, Set<String>> different = new HashMap<>();
        for (JsonNode r : records("different")) {
            Set<String> differing = new HashSet<>();
            r.path("crm_changed_fields").forEach(f -> differing.add(f.asText()));
            different.put(r.path("crm_key").asText(), differing);
            assertEquals(migrated.get(r.path("crm_key").asText()), r.path("hs_object_id").asText(), "the target id to repair");
        }
        assertEquals(plantedDifferent, different, "different, with the differing fields");
        Set<String> extraKeys = new HashSet<>();
        Set<String> extraIds = new HashSet<>();
        for (JsonNode r : records("extra")) {
            extraIds.add(r.path("hs_object_id").asText());
            if (!r.path("source_id").isNull()) {
                extraKeys.add(r.path("source_id").asText());
            }
        }
        assertEquals(plantedExtraIds, extraIds, "extra in target");
        assertEquals(plantedExtraKeys, extraKeys);

        assertEquals(CONTACTS, report.path("source").path("records").asLong());
        assertEquals(unmappable, report.path("source").path("unmappable").asLong());
        assertEquals(sourceIds.size() - 50 + 40, report.path("target").path("records").asLong());
        assertEquals(50, report.path("missingInTarget").asLong());
        assertEquals(40, report.path("extraInTarget").asLong());
        assertEquals(77, report.path("different").asLong());
        assertEquals(sourceIds.size() - 50 - 77, report.path("matched").asLong());
        assertEquals(10, report.path("target").path("withoutKey").asLong());
        JsonNode perField = report.path("fieldDifferences");
        assertEquals(15, perField.path("firstname").asLong());
        assertEquals(15 + 12, perField.path("jobtitle").asLong());
        assertEquals(15 + 5, perField.path("city").asLong());
        assertEquals(15, perField.path("lastname").asLong());
        assertEquals(5, perField.path("signup_date_text").asLong());
        assertEquals(0, perField.path("email").asLong());
        assertEquals("50", reportFlowFile.getAttribute("crm.reconcile.missing"));
        assertTrue(millis < 60_000, "reconciling 100k records took " + millis + " ms");
    }

    private static List<JsonNode> records(String relationship) throws Exception {
        List<JsonNode> all = new ArrayList<>();
        for (MockFlowFile flowFile : runner.getFlowFilesForRelationship(rel(relationship))) {
            JSON.readTree(flowFile.toByteArray()).forEach(all::add);
        }
        return all;
    }

    private static Relationship rel(String name) {
        return new Relationship.Builder().name(name).build();
    }
}
