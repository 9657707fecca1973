package io.nificrm.processors;

import io.nificrm.processors.common.CrmProperties;
import io.nificrm.simulator.seed.SeedConfig;
import io.nificrm.simulator.seed.SeedData;
import io.nificrm.simulator.seed.SeedGenerator;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Acceptance: on the simulator's 100,000 labelled dirty contacts, with the shipped default settings, pairwise
 * precision ≥ 0.98 and recall ≥ 0.95. Prints the same figures for exact-only deduplication on lower(trim(email)),
 * what stock DeduplicateRecord can do, for comparison.
 */
class DeduplicateCrmRecordsQualityTest {
    private static final int CONTACTS = 100_000;

    @Test
    void meetsPrecisionAndRecallOnLabelledContacts() throws Exception {
        // nifi-mock holds input and output content on the heap (and copies it); the processor itself needs ~35 MB here.
        // The module's bounded-memory execution (-Xmx256m) also picks this test up when it is selected with -Dtest.
        Assumptions.assumeTrue(Runtime.getRuntime().maxMemory() >= 600L << 20,
                "the 100,000-record quality test needs a heap of 600 MB or more for nifi-mock's in-memory content");
        List<SeedData.Person> people = SeedGenerator.generate(new SeedConfig(CONTACTS / 10, CONTACTS, 0, 0.10, 42L)).people();
        Map<String, String> truth = new HashMap<>();
        Map<String, String> exactOnly = new HashMap<>();
        Map<String, SeedData.Person> byId = new HashMap<>();
        for (SeedData.Person p : people) {
            String id = DeduplicateTestSupport.contactId(p);
            truth.put(id, p.clusterKey());
            byId.put(id, p);
            if (p.email() != null && !p.email().isBlank()) {
                exactOnly.put(id, p.email().trim().toLowerCase(Locale.ROOT));
            }
        }

        TestRunner runner = TestRunners.newTestRunner(DeduplicateCrmRecords.class);
        TestServices.json(runner);
        runner.setProperty(CrmProperties.RECORD_READER, TestServices.READER);
        runner.setProperty(CrmProperties.RECORD_WRITER, TestServices.WRITER);
        runner.enqueue(DeduplicateTestSupport.contactsJson(people));
        long started = System.nanoTime();
        runner.run();
        long millis = (System.nanoTime() - started) / 1_000_000;

        long golden = DeduplicateTestSupport.count(runner, DeduplicateCrmRecords.REL_GOLDEN);
        long duplicates = DeduplicateTestSupport.count(runner, DeduplicateCrmRecords.REL_DUPLICATES);
        long review = DeduplicateTestSupport.count(runner, DeduplicateCrmRecords.REL_REVIEW);
        long failure = DeduplicateTestSupport.count(runner, DeduplicateCrmRecords.REL_FAILURE);
        assertEquals(CONTACTS, golden + duplicates + review + failure, "records in = golden + duplicates + review + failure");

        Map<String, String> predicted = new HashMap<>();
        DeduplicateTestSupport.collect(runner, DeduplicateCrmRecords.REL_GOLDEN, "Id", DeduplicateCrmRecords.CLUSTER_ID, predicted);
        DeduplicateTestSupport.collect(runner, DeduplicateCrmRecords.REL_DUPLICATES, "Id", DeduplicateCrmRecords.CLUSTER_ID, predicted);
        DeduplicateTestSupport.Quality ours = DeduplicateTestSupport.quality(predicted, truth);
        DeduplicateTestSupport.Quality exact = DeduplicateTestSupport.quality(exactOnly, truth);
        System.out.printf(Locale.ROOT, "DeduplicateCrmRecords, defaults, %d contacts (%d ms through nifi-mock, JSON in and out)%n", CONTACTS, millis);
        System.out.printf(Locale.ROOT, "  routed: golden %d, duplicates %d, review %d, failure %d%n", golden, duplicates, review, failure);
        System.out.println("  fuzzy (this processor):        " + ours.format());
        System.out.println("  exact-only lower(trim(email)): " + exact.format());
        printMisses(predicted, truth, byId);

        assertTrue(ours.precision() >= 0.98, "pairwise precision " + ours.precision());
        assertTrue(ours.recall() >= 0.95, "pairwise recall " + ours.recall());
    }

    /** A few missed and wrong pairs, to see what the model gets wrong. */
    private static void printMisses(Map<String, String> predicted, Map<String, String> truth, Map<String, SeedData.Person> byId) {
        Map<String, List<String>> trueClusters = new HashMap<>();
        truth.forEach((id, c) -> trueClusters.computeIfAbsent(c, k -> new ArrayList<>()).add(id));
        Map<String, List<String>> predictedClusters = new HashMap<>();
        predicted.forEach((id, c) -> predictedClusters.computeIfAbsent(c, k -> new ArrayList<>()).add(id));
        int shown = 0;
        for (List<String> members : trueClusters.values()) {
            for (int i = 0; i < members.size() && shown < 8; i++) {
                for (int j = i + 1; j < members.size() && shown < 8; j++) {
                    String a = members.get(i);
                    String b = members.get(j);
                    if (predicted.get(a) == null || !predicted.get(a).equals(predicted.get(b))) {
                        System.out.println("  missed: " + byId.get(a) + "\n      vs " + byId.get(b));
                        shown++;
                    }
                }
            }
        }
        shown = 0;
        for (List<String> members : predictedClusters.values()) {
            for (int i = 0; i < members.size() && shown < 8; i++) {
                for (int j = i + 1; j < members.size() && shown < 8; j++) {
                    String a = members.get(i);
                    String b = members.get(j);
                    if (!truth.get(a).equals(truth.get(b))) {
                        System.out.println("  wrong: " + byId.get(a) + "\n     vs " + byId.get(b));
                        shown++;
                    }
                }
            }
        }
    }
}
