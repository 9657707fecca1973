package io.nificrm.processors.twoway;

import io.nificrm.processors.reconcile.ValueHash;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ledger's bookkeeping: keys on both sides, partial intents, relinks, deletes, a shared store; and value hashing. */
class SyncLedgerTest {

    private static SyncLink intent(String sourceSide, String sourceId, String targetId, Long sourceSeen, Map<String, Long> targetOwn) {
        SyncLink intent = new SyncLink();
        intent.sourceSide = sourceSide;
        SyncLink.Side s = intent.sideOrNew(sourceSide);
        s.object = sourceSide.equals("salesforce") ? "Contact" : "contacts";
        s.id = sourceId;
        s.seen = sourceSeen;
        String targetSide = sourceSide.equals("salesforce") ? "hubspot" : "salesforce";
        SyncLink.Side t = intent.sideOrNew(targetSide);
        t.object = targetSide.equals("salesforce") ? "Contact" : "contacts";
        t.id = targetId;
        t.written = true;
        t.own.putAll(targetOwn);
        t.other.putAll(targetOwn);
        return intent;
    }

    @Test
    void anIntentIsStoredUnderBothSidesOnceBothIdsAreKnown(@TempDir Path dir) throws Exception {
        try (LedgerStores.Handle handle = LedgerStores.directory(dir)) {
            SyncLedger ledger = new SyncLedger(handle, "contacts");
            SyncLink create = intent("salesforce", "003A", null, 1_000L, Map.of("email", 7L));
            assertEquals(0, ledger.apply(List.of(create)), "a create's intent waits for the new record's id");
            assertTrue(ledger.find("salesforce", "Contact", Set.of("003A")).isEmpty());

            SyncLink confirmed = SyncLink.fromJson(create.toJson());
            confirmed.fillTargetId("501");
            assertEquals(1, ledger.apply(List.of(confirmed)));
            SyncLink bySource = ledger.find("salesforce", "Contact", Set.of("003A")).get("003A");
            SyncLink byTarget = ledger.find("hubspot", "contacts", Set.of("501")).get("501");
            assertEquals("501", bySource.side("hubspot").id);
            assertEquals("003A", byTarget.side("salesforce").id);
            assertEquals(7L, byTarget.side("hubspot").own.get("email"));
            assertTrue(Files.exists(dir.resolve(LedgerStores.FILE_NAME)), "the ledger has its own file");
        }
    }

    @Test
    void intentsMergeFieldByFieldAndKeepTheNewestSeenState(@TempDir Path dir) throws Exception {
        try (LedgerStores.Handle handle = LedgerStores.directory(dir)) {
            SyncLedger ledger = new SyncLedger(handle, "contacts");
            ledger.apply(List.of(intent("salesforce", "003A", "501", 2_000L, Map.of("email", 1L, "city", 2L))));
            // The other direction touched only city, and saw an older Salesforce state.
            SyncLink later = intent("hubspot", "501", "003A", 5_000L, Map.of());
            later.side("salesforce").seen = 1_000L;
            later.side("hubspot").own.put("city", 3L);
            ledger.apply(List.of(later));
            SyncLink entry = ledger.find("salesforce", "Contact", Set.of("003A")).get("003A");
            assertEquals(Map.of("email", 1L, "city", 3L), entry.side("hubspot").own, "untouched fields keep their values");
            assertEquals(2_000L, entry.side("salesforce").seen, "an older seen state does not replace a newer one");
            assertEquals(5_000L, entry.side("hubspot").seen);
        }
    }

    @Test
    void aRelinkDropsTheOldCounterpartAndADeleteRemovesThePair(@TempDir Path dir) throws Exception {
        try (LedgerStores.Handle handle = LedgerStores.directory(dir)) {
            SyncLedger ledger = new SyncLedger(handle, "contacts");
            ledger.apply(List.of(intent("salesforce", "003A", "501", 1L, Map.of())));
            ledger.apply(List.of(intent("salesforce", "003A", "777", 2L, Map.of())));
            assertTrue(ledger.find("hubspot", "contacts", Set.of("501")).isEmpty(), "the old counterpart is unlinked");
            assertEquals("777", ledger.find("salesforce", "Contact", Set.of("003A")).get("003A").side("hubspot").id);

            SyncLink delete = intent("hubspot", "777", "003A", 3L, Map.of());
            delete.markDelete();
            ledger.apply(List.of(delete));
            assertTrue(ledger.find("salesforce", "Contact", Set.of("003A")).isEmpty());
            assertTrue(ledger.find("hubspot", "contacts", Set.of("777")).isEmpty());
        }
    }

    @Test
    void processorsNamingOneDirectoryShareItsStore(@TempDir Path dir) throws Exception {
        LedgerStores.Handle first = LedgerStores.directory(dir);
        LedgerStores.Handle second = LedgerStores.directory(dir.resolve(".").resolve("x").resolve(".."));
        assertTrue(first.store() == second.store(), "one open store per directory");
        new SyncLedger(first, "n").apply(List.of(intent("salesforce", "003A", "501", 1L, Map.of())));
        first.close();
        assertFalse(new SyncLedger(second, "n").find("hubspot", "contacts", Set.of("501")).isEmpty(), "still open for the other");
        second.close();
        try (LedgerStores.Handle reopened = LedgerStores.directory(dir)) {
            assertFalse(new SyncLedger(reopened, "n").find("salesforce", "Contact", Set.of("003A")).isEmpty(), "and persistent");
            assertTrue(new SyncLedger(reopened, "other").find("salesforce", "Contact", Set.of("003A")).isEmpty(), "sync names do not mix");
        }
    }

    @Test
    void valuesHashAlikeWhateverFormTheyArriveIn() {
        assertEquals(ValueHash.of(5L), ValueHash.of(5.0));
        assertEquals(ValueHash.of(5L), ValueHash.of(new BigDecimal("5.00")));
        assertEquals(ValueHash.of(null), ValueHash.of("  "), "blank is no value");
        assertEquals(ValueHash.of(Timestamp.from(Instant.parse("2024-05-01T10:00:00Z"))), ValueHash.of("2024-05-01T12:00:00+02:00"));
        assertEquals(ValueHash.of(java.sql.Date.valueOf("1990-04-01")), ValueHash.of(LocalDate.of(1990, 4, 1)));
        assertEquals(ValueHash.of(ValueHash.typed(638_928_000_000L, io.nificrm.api.CrmFieldType.DATE)),
                ValueHash.of(ValueHash.typed("1990-04-01", io.nificrm.api.CrmFieldType.DATE)), "epoch millis and ISO text of one date");
        assertNotEquals(ValueHash.of("Smith"), ValueHash.of("smith"), "text compares exactly");
        assertNotEquals(ValueHash.of("+14155550100"), ValueHash.of("14155550100"));
        assertNotEquals(SyncLink.PENDING, ValueHash.of("anything"));
        assertNull(ValueHash.canonical(""));
    }
}
