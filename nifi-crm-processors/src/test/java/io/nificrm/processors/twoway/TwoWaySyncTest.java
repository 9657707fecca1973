package io.nificrm.processors.twoway;

import com.fasterxml.jackson.databind.JsonNode;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.simulator.store.ObjectStore;
import io.nificrm.simulator.store.SimRecord;
import org.apache.nifi.util.MockFlowFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDate;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Acceptance: Salesforce contacts and HubSpot contacts kept in sync both ways. 40 contacts are linked by an initial
 * sync; then both sides are edited concurrently (only on one side; the same record in different fields; the same
 * field to different values, each side being the newer one; the same field to the same value; two fields in conflict),
 * records are created and deleted on both sides, and both directions run round after round. For every policy the
 * final state of both sides is the policy's expected result, every change is written exactly once, and rounds
 * without new edits write nothing (no echo loop).
 */
class TwoWaySyncTest {
    private static final int N = 40;
    /** Contact groups by index: what happens to them after the initial sync. */
    private static final int A_ONLY = 0;
    private static final int B_ONLY = 4;
    private static final int DIFFERENT_FIELDS = 8;
    private static final int SAME_FIELD_B_NEWER = 12;
    private static final int SAME_FIELD_A_NEWER = 16;
    private static final int SAME_VALUE = 20;
    private static final int TWO_FIELDS = 24;
    private static final int DELETED_IN_A = 28;
    private static final int DELETED_IN_B = 29;
    private static final int ODD_PHONES = 32;

    @TempDir
    Path ledger;
    private CrmSimulator sim;
    private ObjectStore sf;
    private ObjectStore hs;
    private final List<String> ids = new ArrayList<>();
    private SyncPipeline ab;
    private SyncPipeline ba;
    private Instant base;

    @BeforeEach
    void start() {
        sim = CrmSimulator.start(SimulatorConfig.defaults().unlimited());
        sf = sim.salesforce().store("Contact").orElseThrow();
        hs = sim.hubspot().store("contacts").orElseThrow();
        for (int i = 0; i < N; i++) {
            Map<String, Object> fields = new HashMap<>();
            fields.put("FirstName", "First" + i);
            fields.put("LastName", "Last" + i);
            fields.put("Email", "person" + i + "@example.com");
            fields.put("Phone", i >= ODD_PHONES && i < ODD_PHONES + 4 ? "(415) 555-01" + (10 + i) : "+1415555" + (1000 + i));
            fields.put("Title", "Title" + i);
            fields.put("MailingCity", "City" + i);
            fields.put("MailingCountry", "US");
            fields.put("Birthdate", LocalDate.of(1980, 1 + i % 12, 1 + i % 28));
            ids.add(sf.create(fields).id());
        }
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    private void wire(Map<String, String> policy) throws Exception {
        String sfToHs = SimServices.presetWithoutReferences("salesforce-to-hubspot-contacts");
        String hsToSf = SimServices.presetWithoutReferences("hubspot-to-salesforce-contacts");
        ab = new SyncPipeline("salesforce→hubspot", sim, SimServices.SALESFORCE, "Contact", SimServices.HUBSPOT, "contacts",
                sfToHs, hsToSf, "source_id", ledger, policy);
        ba = new SyncPipeline("hubspot→salesforce", sim, SimServices.HUBSPOT, "contacts", SimServices.SALESFORCE, "Contact",
                hsToSf, sfToHs, "External_Id__c", ledger, policy);
    }

    /** Links the 40 contacts: creates them in HubSpot; their echo comes back to Salesforce and is dropped. */
    private void initialSync() throws Exception {
        ab.run();
        assertEquals(N, ab.lastWrites, "the initial sync creates every contact in HubSpot");
        ba.run();
        assertEquals(0, ba.lastWrites, "the creates' echo writes nothing back");
        assertEquals(N, ba.echo.size(), "every created record comes back as an echo");
        assertEquals(N, hs.count(false));
        base = Instant.now().truncatedTo(ChronoUnit.SECONDS).plusSeconds(1);
    }

    private String hubspotId(int i) {
        return hs.findByUnique("source_id", ids.get(i)).orElseThrow().id();
    }

    private void editA(int i, Map<String, Object> changes, int secondsAfterBase) {
        SimRecord record = sf.get(ids.get(i)).orElseThrow();
        sf.put(record.withChanges(changes, base.plusSeconds(secondsAfterBase)));
    }

    private void editB(int i, Map<String, Object> changes, int secondsAfterBase) {
        SimRecord record = hs.get(hubspotId(i)).orElseThrow();
        hs.put(record.withChanges(changes, base.plusSeconds(secondsAfterBase)));
    }

    /**
     * The concurrent edits. Salesforce edits happen at base (older than HubSpot's) or base+2s (newer); HubSpot's at
     * base+1s. The edits carry those times; the rounds start once they are in the past.
     */
    private void editBothSides() throws InterruptedException {
        for (int k = 0; k < 4; k++) {
            editA(A_ONLY + k, Map.of("FirstName", "A-first" + k), 2);
            editB(B_ONLY + k, Map.of("jobtitle", "B-title" + k), 1);
            editA(DIFFERENT_FIELDS + k, Map.of("FirstName", "A-first" + k), 0);
            editB(DIFFERENT_FIELDS + k, Map.of("city", "B-city" + k), 1);
            editA(SAME_FIELD_B_NEWER + k, Map.of("Title", "A-title" + k), 0);
            editB(SAME_FIELD_B_NEWER + k, Map.of("jobtitle", "B-title" + k), 1);
            editA(SAME_FIELD_A_NEWER + k, Map.of("Title", "A-title" + k), 2);
            editB(SAME_FIELD_A_NEWER + k, Map.of("jobtitle", "B-title" + k), 1);
            editA(SAME_VALUE + k, Map.of("MailingCity", "Same" + k), 0);
            editB(SAME_VALUE + k, Map.of("city", "Same" + k), 1);
            editA(TWO_FIELDS + k, Map.of("Title", "A-title" + k, "MailingCity", "A-city" + k), 2);
            editB(TWO_FIELDS + k, Map.of("jobtitle", "B-title" + k, "city", "B-city" + k), 1);
        }
        waitUntil(base.plusMillis(3_300));
    }

    private static void waitUntil(Instant when) throws InterruptedException {
        long millis = when.toEpochMilli() - System.currentTimeMillis();
        if (millis > 0) {
            Thread.sleep(millis);
        }
    }

    /** Runs both directions until a round writes nothing; returns the rounds that wrote something. */
    private int converge() throws Exception {
        for (int round = 1; round <= 6; round++) {
            ab.run();
            ba.run();
            if (ab.lastWrites + ba.lastWrites == 0) {
                return round - 1;
            }
        }
        throw new AssertionError("the sync did not settle in 6 rounds");
    }

    /**
     * Rounds as concurrent flows see them: both sides are polled first, then each direction works on what it read, so
     * one direction decides on change records the other direction's writes have already overtaken.
     */
    private int convergeInterleaved(boolean hubspotFirst) throws Exception {
        for (int round = 1; round <= 6; round++) {
            List<MockFlowFile> fromA = ab.poll();
            List<MockFlowFile> fromB = ba.poll();
            if (hubspotFirst) {
                ba.process(fromB);
                ab.process(fromA);
            } else {
                ab.process(fromA);
                ba.process(fromB);
            }
            if (ab.lastWrites + ba.lastWrites == 0) {
                return round - 1;
            }
        }
        throw new AssertionError("the sync did not settle in 6 rounds");
    }

    /** Two more rounds without edits must write nothing: no echo loop. */
    private void assertQuiet() throws Exception {
        long before = ab.writes + ba.writes;
        for (int round = 0; round < 2; round++) {
            ab.run();
            ba.run();
        }
        assertEquals(before, ab.writes + ba.writes, "rounds without new edits write nothing");
    }

    /** Expected first name, title and city of contact i on both sides. */
    private record Expected(String first, String title, String city) {
    }

    private void assertBothSides(Map<Integer, Expected> expected) {
        for (int i = 0; i < N; i++) {
            SimRecord a = sf.get(ids.get(i)).orElseThrow();
            if (i == DELETED_IN_A || i == DELETED_IN_B) {
                continue;
            }
            SimRecord b = hs.findByUnique("source_id", ids.get(i)).orElse(null);
            assertNotNull(b, "contact " + i + " is in HubSpot");
            Expected e = expected.getOrDefault(i, new Expected("First" + i, "Title" + i, "City" + i));
            String what = "contact " + i + " ";
            assertEquals(e.first(), a.fields().get("FirstName"), what + "Salesforce FirstName");
            assertEquals(e.first(), b.fields().get("firstname"), what + "HubSpot firstname");
            assertEquals(e.title(), a.fields().get("Title"), what + "Salesforce Title");
            assertEquals(e.title(), b.fields().get("jobtitle"), what + "HubSpot jobtitle");
            assertEquals(e.city(), a.fields().get("MailingCity"), what + "Salesforce MailingCity");
            assertEquals(e.city(), b.fields().get("city"), what + "HubSpot city");
            assertEquals("Last" + i, a.fields().get("LastName"));
            assertEquals("Last" + i, b.fields().get("lastname"));
        }
        for (int i = ODD_PHONES; i < ODD_PHONES + 4; i++) {
            assertEquals("(415) 555-01" + (10 + i), sf.get(ids.get(i)).orElseThrow().fields().get("Phone"),
                    "a phone the mapping normalizes for HubSpot is not written back to Salesforce");
            assertEquals("+141555501" + (10 + i), hs.findByUnique("source_id", ids.get(i)).orElseThrow().fields().get("phone"));
        }
    }

    private Map<Integer, Expected> expected(String sameFieldBNewer, String sameFieldANewer, String twoFieldsTitle, String twoFieldsCity) {
        Map<Integer, Expected> e = new HashMap<>();
        for (int k = 0; k < 4; k++) {
            e.put(A_ONLY + k, new Expected("A-first" + k, "Title" + (A_ONLY + k), "City" + (A_ONLY + k)));
            e.put(B_ONLY + k, new Expected("First" + (B_ONLY + k), "B-title" + k, "City" + (B_ONLY + k)));
            e.put(DIFFERENT_FIELDS + k, new Expected("A-first" + k, "Title" + (DIFFERENT_FIELDS + k), "B-city" + k));
            e.put(SAME_FIELD_B_NEWER + k, new Expected("First" + (SAME_FIELD_B_NEWER + k), sameFieldBNewer + k, "City" + (SAME_FIELD_B_NEWER + k)));
            e.put(SAME_FIELD_A_NEWER + k, new Expected("First" + (SAME_FIELD_A_NEWER + k), sameFieldANewer + k, "City" + (SAME_FIELD_A_NEWER + k)));
            e.put(SAME_VALUE + k, new Expected("First" + (SAME_VALUE + k), "Title" + (SAME_VALUE + k), "Same" + k));
            e.put(TWO_FIELDS + k, new Expected("First" + (TWO_FIELDS + k), twoFieldsTitle + k, twoFieldsCity + k));
        }
        return e;
    }

    private long writesSinceLinking;

    private void startCounting() {
        writesSinceLinking = ab.writes + ba.writes;
    }

    private long writes() {
        return ab.writes + ba.writes - writesSinceLinking;
    }

    @Test
    void lastWriterWinsMergesFieldsAndTheNewerEditWinsEachConflict() throws Exception {
        wire(Map.of("Conflict Policy", "last-writer-wins", "Winning Side", "hubspot"));
        initialSync();
        startCounting();
        editBothSides();
        // Creates and deletes on both sides too.
        sf.create(Map.of("FirstName", "NewA", "LastName", "CreatedInSalesforce", "Email", "new.a@example.com"));
        hs.create(Map.of("firstname", "NewB", "lastname", "CreatedInHubSpot", "email", "new.b@example.com"));
        sf.delete(ids.get(DELETED_IN_A));
        hs.delete(hubspotId(DELETED_IN_B));

        int rounds = converge();
        assertBothSides(expected("B-title", "A-title", "A-title", "A-city"));
        // Salesforce → HubSpot: 4 A-only, 4 different-fields, 4 A-newer, 4 two-fields, 1 create, 1 delete;
        // HubSpot → Salesforce: 4 B-only, 4 different-fields, 4 B-newer, 1 create, 1 delete. Nothing twice.
        assertEquals(18 + 14, writes(), "every change is written once");
        assertTrue(rounds <= 2, "settles within two rounds (" + rounds + ")");
        assertTrue(sf.get(ids.get(DELETED_IN_B)).orElseThrow().deleted(), "a HubSpot delete reaches Salesforce");
        assertTrue(hs.findByUnique("source_id", ids.get(DELETED_IN_A)).isEmpty(), "a Salesforce delete reaches HubSpot");
        assertEquals(1, sf.stream().filter(r -> !r.deleted() && "new.b@example.com".equals(r.fields().get("Email"))
                && "CreatedInHubSpot".equals(r.fields().get("LastName"))).count(), "a HubSpot create reaches Salesforce once");
        assertEquals("CreatedInSalesforce", hs.findByUnique("email", "new.a@example.com").map(r -> r.fields().get("lastname")).orElse(null));
        assertEquals(sf.count(false), hs.count(false), "the same live contacts on both sides");
        assertQuiet();
        assertTrue(ab.echo.isEmpty() && ba.echo.isEmpty(), "and read nothing new");
    }

    @Test
    void concurrentPollsReachTheSameResultWithLastWriterWins() throws Exception {
        wire(Map.of("Conflict Policy", "last-writer-wins", "Winning Side", "hubspot"));
        initialSync();
        startCounting();
        editBothSides();
        sf.create(Map.of("FirstName", "NewA", "LastName", "CreatedInSalesforce", "Email", "new.a@example.com"));
        hs.create(Map.of("firstname", "NewB", "lastname", "CreatedInHubSpot", "email", "new.b@example.com"));
        sf.delete(ids.get(DELETED_IN_A));
        hs.delete(hubspotId(DELETED_IN_B));
        convergeInterleaved(true);
        assertBothSides(expected("B-title", "A-title", "A-title", "A-city"));
        assertEquals(18 + 14, writes(), "every change is written once, even when decided on records already overtaken");
        assertEquals(sf.count(false), hs.count(false));
        assertQuiet();
    }

    @Test
    void concurrentPollsReachTheSameResultWithFieldOwners() throws Exception {
        wire(Map.of("Conflict Policy", "field-owners", "Field Owners", "{\"Title\": \"hubspot\", \"city\": \"salesforce\"}",
                "Winning Side", "salesforce"));
        initialSync();
        startCounting();
        editBothSides();
        convergeInterleaved(false);
        assertBothSides(expected("B-title", "B-title", "B-title", "A-city"));
        assertEquals(12 + 20, writes());
        assertQuiet();
    }

    @Test
    void sourceOfTruthPerObjectLetsSalesforceWinEveryConflict() throws Exception {
        wire(Map.of("Conflict Policy", "source-of-truth", "Winning Side", "salesforce"));
        initialSync();
        startCounting();
        editBothSides();
        converge();
        assertBothSides(expected("A-title", "A-title", "A-title", "A-city"));
        // Salesforce → HubSpot: A-only, different-fields, both same-field groups, two-fields; back: B-only, different-fields.
        assertEquals(20 + 8, writes());
        assertQuiet();
    }

    @Test
    void sourceOfTruthPerFieldMergesFieldByField() throws Exception {
        // Names from either side: Title is Salesforce's name of HubSpot's jobtitle; city is HubSpot's name.
        wire(Map.of("Conflict Policy", "field-owners", "Field Owners", "{\"Title\": \"hubspot\", \"city\": \"salesforce\"}",
                "Winning Side", "salesforce"));
        initialSync();
        startCounting();
        editBothSides();
        converge();
        assertBothSides(expected("B-title", "B-title", "B-title", "A-city"));
        // Salesforce → HubSpot: A-only, different-fields, two-fields (city); back: B-only, different-fields, both same-field
        // groups and two-fields (title).
        assertEquals(12 + 20, writes());
        assertQuiet();
    }

    @Test
    void recordScopeGivesTheNewerSideTheWholeRecord() throws Exception {
        wire(Map.of("Conflict Policy", "last-writer-wins", "Conflict Scope", "record", "Winning Side", "hubspot"));
        initialSync();
        startCounting();
        editBothSides();
        converge();
        Map<Integer, Expected> expected = expected("B-title", "A-title", "A-title", "A-city");
        for (int k = 0; k < 4; k++) {
            // Salesforce changed the first name, HubSpot (later) the city: HubSpot's whole version wins.
            expected.put(DIFFERENT_FIELDS + k, new Expected("First" + (DIFFERENT_FIELDS + k), "Title" + (DIFFERENT_FIELDS + k), "B-city" + k));
        }
        assertBothSides(expected);
        assertEquals(12 + 12, writes());
        assertQuiet();
    }

    @Test
    void manualReviewHoldsConflictsUntilAPersonDecides() throws Exception {
        wire(Map.of("Conflict Policy", "manual-review", "Winning Side", "salesforce"));
        initialSync();
        startCounting();
        editBothSides();
        ab.run();
        List<MockFlowFile> reviewsAB = new ArrayList<>(ab.sync.getFlowFilesForRelationship(SyncPipeline.rel("review")));
        Set<String> conflictedAB = keys(ab.review);
        List<JsonNode> reviewAB = new ArrayList<>(ab.review);
        ba.run();
        Set<String> conflictedBA = new HashSet<>();
        ba.review.forEach(r -> conflictedBA.add(r.path("crm_key").asText()));
        converge();

        Set<String> expectedConflicts = new HashSet<>();
        Set<String> expectedConflictsInHubSpot = new HashSet<>();
        for (int k = 0; k < 4; k++) {
            for (int group : new int[]{SAME_FIELD_B_NEWER, SAME_FIELD_A_NEWER, TWO_FIELDS}) {
                expectedConflicts.add(ids.get(group + k));
                expectedConflictsInHubSpot.add(hubspotId(group + k));
            }
        }
        assertEquals(expectedConflicts, conflictedAB, "each conflict goes to review from Salesforce's side");
        assertEquals(expectedConflictsInHubSpot, conflictedBA, "and from HubSpot's side");
        for (JsonNode r : reviewAB) {
            assertTrue(r.path("crm_conflict_fields").asText().contains("jobtitle"), "the review names the conflicting fields");
            assertTrue(r.path("crm_target_values").asText().contains("B-title"), "and carries the other side's values");
        }
        // Nothing in conflict was written: each side keeps its own version, the rest converged.
        Map<Integer, Expected> expected = expected("?", "?", "?", "?");
        for (int k = 0; k < 4; k++) {
            for (int group : new int[]{SAME_FIELD_B_NEWER, SAME_FIELD_A_NEWER, TWO_FIELDS}) {
                expected.remove(group + k);
                int i = group + k;
                assertEquals("A-title" + k, sf.get(ids.get(i)).orElseThrow().fields().get("Title"));
                assertEquals("B-title" + k, hs.get(hubspotId(i)).orElseThrow().fields().get("jobtitle"));
            }
        }
        assertEquals(8 + 8, writes(), "only the changes without conflict were written");
        assertQuiet();

        // A person accepts Salesforce's versions: the review records go to the update upsert and ConfirmCrmSync.
        ab.confirm(ab.write(ab.update, reviewsAB));
        converge();
        for (int k = 0; k < 4; k++) {
            for (int group : new int[]{SAME_FIELD_B_NEWER, SAME_FIELD_A_NEWER, TWO_FIELDS}) {
                expected.put(group + k, new Expected("First" + (group + k), "A-title" + k,
                        group == TWO_FIELDS ? "A-city" + k : "City" + (group + k)));
            }
        }
        assertBothSides(expected);
        assertEquals(16 + 12, writes(), "the accepted versions are written once and not echoed back");
        assertQuiet();
    }

    private static Set<String> keys(List<JsonNode> records) {
        Set<String> keys = new HashSet<>();
        records.forEach(r -> keys.add(Objects.requireNonNull(r.path("crm_key").asText(null))));
        return keys;
    }
}
