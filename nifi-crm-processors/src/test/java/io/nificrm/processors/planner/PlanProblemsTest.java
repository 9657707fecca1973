package io.nificrm.processors.planner;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Inputs that cannot be planned give one clear message per problem, never a stack trace of the planner's insides. */
class PlanProblemsTest {

    private static MigrationSpec.Builder spec(ObjectSpec... objects) {
        return MigrationSpec.builder().objects(List.of(objects))
                .source(MigrationPlannerTest.salesforce()).target(MigrationPlannerTest.hubspot());
    }

    private static List<String> problems(MigrationSpec spec) {
        PlanningException e = assertThrows(PlanningException.class, () -> MigrationPlanner.plan(spec));
        assertTrue(e.getMessage().startsWith("Cannot plan the migration"), e.getMessage());
        assertEquals(0, e.getStackTrace().length, "the message is the whole story");
        return e.problems();
    }

    private static void assertOne(MigrationSpec spec, String expected) {
        List<String> problems = problems(spec);
        assertEquals(1, problems.size(), problems.toString());
        assertTrue(problems.get(0).contains(expected), "expected '" + expected + "' in: " + problems.get(0));
    }

    @Test
    void aCycleIsNamedWithItsFieldsAndHowToBreakIt() {
        assertOne(spec(ObjectSpec.of("Account", 1_000, Map.of("PrimaryContact__c", "Contact")),
                        ObjectSpec.of("Contact", 5_000, Map.of("AccountId", "Account"))).build(),
                "Cyclic references: Account → Contact → Account (Account.PrimaryContact__c → Contact, Contact.AccountId → Account). "
                        + "No order loads every parent before its children. Break the cycle by loading one of these fields in a second "
                        + "update pass (deferredReferences: Account.PrimaryContact__c or Contact.AccountId), or by listing it in "
                        + "ignoredReferences if the mapping does not migrate it.");
    }

    @Test
    void everyCycleIsReportedOnce() {
        Map<String, String> cRefs = new LinkedHashMap<>();
        cRefs.put("a", "A");
        cRefs.put("d", "D");
        List<String> problems = problems(spec(
                ObjectSpec.of("A", 1, Map.of("b", "B")), ObjectSpec.of("B", 1, Map.of("c", "C")), ObjectSpec.of("C", 1, cRefs),
                ObjectSpec.of("D", 1, Map.of("e", "E")), ObjectSpec.of("E", 1, Map.of("d", "D")), ObjectSpec.of("F", 1)).build());
        assertEquals(2, problems.size(), problems.toString());
        assertTrue(problems.get(0).startsWith("Cyclic references: A → B → C → A"), problems.get(0));
        assertTrue(problems.get(1).startsWith("Cyclic references: D → E → D"), problems.get(1));
    }

    @Test
    void missingAndNegativeCounts() {
        List<String> problems = problems(spec(new ObjectSpec("Contact", null, null, false, Map.of(), 1),
                new ObjectSpec("Lead", null, -5L, true, Map.of(), 1)).build());
        assertEquals(List.of("Object Contact has no record count (the source could not count it): give its count or an estimate.",
                "Object Lead has a negative record count (-5)."), problems);
    }

    @Test
    void zeroLimits() {
        assertOne(spec(ObjectSpec.of("Contact", 10)).target(MigrationPlannerTest.hubspot().withRateLimit(0, Duration.ofSeconds(10))).build(),
                "The target (hubspot) has a rate limit of 0 requests per interval, which lets no request through. For a system "
                        + "without a request window give no rate limit at all rather than 0.");
        assertOne(spec(ObjectSpec.of("Contact", 10)).target(MigrationPlannerTest.hubspot().withRateLimit(10, Duration.ZERO)).build(),
                "has a rate limit of 10 requests but no positive interval");
        assertOne(spec(ObjectSpec.of("Contact", 10)).source(new SystemSpec("salesforce", 0, 200, null, null, 0, 0, 0,
                Duration.ofMillis(5), true)).build(), "The source (salesforce) has a maximum page size of 0");
        assertOne(spec(ObjectSpec.of("Contact", 10)).target(new SystemSpec("hubspot", 100, 0, null, null, 0, 0, 0,
                Duration.ofMillis(5), true)).build(), "The target (hubspot) has a maximum batch size of 0");
        assertOne(spec(ObjectSpec.of("Contact", 10)).threadsPerNode(0).build(), "Threads per node must be at least 1 (got 0)");
        assertOne(spec(ObjectSpec.of("Contact", 10)).nodes(0).build(), "Nodes must be at least 1 (got 0).");
        assertOne(spec(ObjectSpec.of("Contact", 10)).target(MigrationPlannerTest.hubspot().withLatency(Duration.ZERO)).build(),
                "The target (hubspot) needs a positive call latency");
        assertOne(spec().build(), "There are no objects to migrate.");
    }

    @Test
    void contradictorySettings() {
        assertOne(spec(ObjectSpec.of("Contact", 10)).batchSize(500).build(),
                "Batch size 500 is above hubspot's maximum of 100 records per write call: use 100 or less.");
        assertOne(spec(ObjectSpec.of("Contact", 10)).pageSize(5000).build(),
                "Page size 5,000 is above salesforce's maximum of 2,000 records per page: use 2,000 or less.");
        assertOne(spec(ObjectSpec.of("Contact", 10)).nodes(3).target(MigrationPlannerTest.hubspot().withRateLimit(2, Duration.ofSeconds(1))).build(),
                "allows 2 requests per 1.00 s, which cannot be split across 3 nodes");
        assertOne(spec(ObjectSpec.of("Contact", 10)).target(MigrationPlannerTest.hubspot().withDailyQuota(1000, 2000)).build(),
                "has used 2,000 calls today, more than its daily quota of 1,000");
        assertOne(spec(ObjectSpec.of("Account", 10, Map.of("ParentId", "Account"))).defer("Account.ParentId").ignore("Account.ParentId").build(),
                "Account.ParentId is both deferred and ignored");
        assertOne(spec(ObjectSpec.of("Account", 10)).defer("Account.Nope").build(),
                "deferredReferences names Account.Nope, but Account has no such reference field (its references: none).");
        assertOne(spec(ObjectSpec.of("Account", 10)).ignore("Lead.OwnerId").build(),
                "ignoredReferences names Lead.OwnerId, but Lead is not one of the objects to migrate.");
        assertOne(spec(ObjectSpec.of("Account", 10)).defer("ParentId").build(), "is not of the form Object.field");
        assertOne(spec(ObjectSpec.of("Account", 10), ObjectSpec.of("Account", 20)).build(), "Object Account is listed twice");
    }

    @Test
    void aQuotaThatWouldTakeYearsIsRefused() {
        assertOne(spec(ObjectSpec.of("Contact", 100_000_000)).target(MigrationPlannerTest.hubspot().withDailyQuota(100, 0)).build(),
                "The job needs 1,000,001 calls on hubspot, whose daily quota of 100 would take 10,001 days: raise the quota");
    }

    @Test
    void allProblemsAreListedTogether() {
        List<String> problems = problems(spec(new ObjectSpec("Contact", null, null, false, Map.of(), 1)).batchSize(500).nodes(0).build());
        assertEquals(3, problems.size(), problems.toString());
        PlanningException e = assertThrows(PlanningException.class, () -> MigrationPlanner.plan(spec(
                new ObjectSpec("Contact", null, null, false, Map.of(), 1)).batchSize(500).build()));
        assertTrue(e.getMessage().startsWith("Cannot plan the migration (2 problems):\n  - "), e.getMessage());
        List<String> withCycle = problems(spec(new ObjectSpec("A", null, null, false, Map.of("b", "B"), 1),
                ObjectSpec.of("B", 1, Map.of("a", "A"))).build());
        assertEquals(2, withCycle.size(), withCycle.toString());
        assertTrue(withCycle.get(1).startsWith("Cyclic references: A → B → A"), withCycle.toString());
    }

    @Test
    void specJsonErrorsNameTheirPath() {
        PlanningException e = assertThrows(PlanningException.class, () -> SpecJson.parse("{\"objects\": [{\"name\": \"A\", \"count\": \"ten\"}], "
                + "\"source\": {\"system\": \"s\", \"maxPageSize\": 100, \"rateLimit\": {\"requests\": 5, \"intervalSecs\": 1}}, "
                + "\"target\": {\"system\": \"t\"}, \"node\": 2}"));
        assertEquals(List.of("Unknown key node (expected one of [batchSize, deferredReferences, ignoredReferences, nodes, objects, "
                        + "pageSize, source, target, threadsPerNode]).",
                "Unknown key source.rateLimit.intervalSecs (expected one of [intervalSeconds, requests]).",
                "target.maxBatchSize is missing: how many records does one write call of t accept?",
                "objects[0].count must be a whole number, got \"ten\"."), e.problems());
        PlanningException broken = assertThrows(PlanningException.class, () -> SpecJson.parse("{\"objects\": ["));
        assertEquals("Cannot plan the migration: The plan specification is not valid JSON: Unexpected end-of-input: expected close "
                + "marker for Array (line 1, column 14)", broken.getMessage());
    }
}
