package io.nificrm.processors.planner;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Plans whose optimal makespan is known by hand. Latencies are 1 ms so start-up and drain are negligible, and the
 * expected durations follow from the model's documented constants: a window of R requests per I seconds sustains
 * R / (1.02 I + 0.04) req/s, and its first R requests go out at once.
 */
class MigrationPlannerTest {
    private static final Duration FAST = Duration.ofMillis(1);

    /** Source: 2,000-record pages, no window, 25 in flight. */
    static SystemSpec salesforce() {
        return new SystemSpec("salesforce", 2000, 200, null, null, 0, 0, 25, FAST, true);
    }

    /** Target: 100-record batches, 10 requests per second. */
    static SystemSpec hubspot() {
        return new SystemSpec("hubspot", 100, 100, 10, Duration.ofSeconds(1), 0, 0, 0, FAST, true);
    }

    static double sustained(int requests, double intervalSeconds) {
        return requests / (intervalSeconds * MigrationPlanner.WINDOW_STRETCH + MigrationPlanner.WINDOW_SLACK_SECONDS);
    }

    private static MigrationSpec.Builder spec(ObjectSpec... objects) {
        return MigrationSpec.builder().objects(List.of(objects)).source(salesforce()).target(hubspot());
    }

    @Test
    void oneObjectAtARateLimitTakesItsCallsOverTheSustainedRate() {
        MigrationPlan plan = MigrationPlanner.plan(spec(ObjectSpec.of("Contact", 100_000)).build());
        MigrationPlan.StagePlan stage = plan.stages().get(0);
        assertEquals(1000, stage.writeRequests() - 1, "100,000 records in batches of 100 (+ describe)");
        // Known optimum: the 10 calls of the first window at once, the other 990 at the sustained rate.
        double optimum = (1000 - 10) / sustained(10, 1);
        assertEquals(optimum, plan.durationSeconds(), optimum * 0.002, plan.toTable());
        assertEquals(optimum, plan.lowerBoundSeconds(), optimum * 0.002);
        assertTrue(stage.binding().startsWith("target rate limit (hubspot 10 req / 1.00 s)"), stage.binding());
        assertTrue(plan.binding().startsWith("hubspot (target) request budget"), plan.binding());
    }

    @Test
    void twoIndependentObjectsShareTheTargetBudgetAndFinishTogether() {
        MigrationPlan plan = MigrationPlanner.plan(spec(ObjectSpec.of("Lead", 50_000), ObjectSpec.of("Case", 30_000)).build());
        double optimum = (500 + 300 - 10) / sustained(10, 1);
        assertEquals(optimum, plan.durationSeconds(), optimum * 0.002, plan.toTable());
        assertEquals(optimum, plan.lowerBoundSeconds(), optimum * 0.002);
        // Either may go first or both at once: the budget is what binds, and it never idles.
        assertTrue(plan.gapPercent() < 0.2, "the target budget never idles: " + plan.gapPercent());
        assertTrue(plan.stages().stream().allMatch(s -> s.after().isEmpty()));
    }

    @Test
    void aChainRunsParentFirstAndTakesTheSumOfItsStages() {
        MigrationPlan plan = MigrationPlanner.plan(spec(
                ObjectSpec.of("Opportunity", 10_000, Map.of("AccountId", "Account", "ContactId", "Contact")),
                ObjectSpec.of("Contact", 20_000, Map.of("AccountId", "Account")),
                ObjectSpec.of("Account", 5_000)).build());
        assertEquals(List.of("Account", "Contact", "Opportunity"), plan.stages().stream().map(MigrationPlan.StagePlan::stage).toList());
        assertTrue(plan.stages().get(2).after().containsAll(List.of("Opportunity.AccountId → Account", "Opportunity.ContactId → Contact")));
        MigrationPlan.StagePlan account = plan.stages().get(0);
        MigrationPlan.StagePlan contact = plan.stages().get(1);
        assertTrue(contact.startSeconds() >= account.endSeconds() - 1e-9, "Contact starts when Account is written");
        assertTrue(plan.stages().get(2).startSeconds() >= contact.endSeconds() - 1e-9);
        // Every stage saturates the target on its own, so the chain keeps it busy: the optimum is all calls at the rate.
        double optimum = (50 + 200 + 100 - 10) / sustained(10, 1);
        assertEquals(optimum, plan.durationSeconds(), optimum * 0.01, plan.toTable());
        assertTrue(plan.gapPercent() < 1, "within 1% of the lower bound: " + plan.gapPercent());
    }

    @Test
    void aCriticalPathOfSmallObjectsIsTheLowerBound() {
        // No rate limits; each object is one page and one batch, so each stage is pure latency and the chain is the bound.
        SystemSpec source = new SystemSpec("src", 1000, 1000, null, null, 0, 0, 0, Duration.ofMillis(100), true);
        SystemSpec target = new SystemSpec("dst", 1000, 1000, null, null, 0, 0, 0, Duration.ofMillis(200), true);
        MigrationPlan plan = MigrationPlanner.plan(MigrationSpec.builder().source(source).target(target)
                .object(ObjectSpec.of("A", 500)).object(ObjectSpec.of("B", 500, Map.of("a", "A")))
                .object(ObjectSpec.of("C", 500, Map.of("b", "B"))).object(ObjectSpec.of("D", 500)).build());
        // Per stage: describe on the source (0.1 s), the page (0.1 s), describe on the target (0.2 s), the batch (0.2 s)
        // → 0.6 s; the chain A → B → C takes 1.8 s, and D runs beside it.
        assertEquals(1.8, plan.lowerBoundSeconds(), 1e-6);
        assertEquals(1.8, plan.durationSeconds(), 1e-6, plan.toTable());
        assertTrue(plan.lowerBoundReason().contains("A → B → C"), plan.lowerBoundReason());
        assertTrue(plan.stages().get(0).binding().startsWith("call latency"), plan.stages().get(0).binding());
    }

    @Test
    void objectsWithDifferentBottlenecksShareBothBudgets() {
        // Source: 100-record pages at 1 req/s; target: 100-record batches at 10 req/s. A (1 call per batch) is bound by
        // the source, B (20 calls per batch, e.g. associations) by the target: run together they keep both sides busy.
        SystemSpec source = new SystemSpec("src", 100, 100, 1, Duration.ofSeconds(1), 0, 0, 0, FAST, true);
        SystemSpec target = new SystemSpec("dst", 100, 100, 10, Duration.ofSeconds(1), 0, 0, 0, FAST, true);
        MigrationPlan plan = MigrationPlanner.plan(MigrationSpec.builder().source(source).target(target)
                .object(ObjectSpec.of("A", 20_000)).object(ObjectSpec.of("B", 10_000).withWriteCallsPerBatch(20)).build());
        double sourceBound = (200 + 100 - 1) / sustained(1, 1);
        double targetBound = (200 + 2000 - 10) / sustained(10, 1);
        double optimum = Math.max(sourceBound, targetBound);
        assertEquals(optimum, plan.lowerBoundSeconds(), optimum * 0.002);
        assertEquals(optimum, plan.durationSeconds(), optimum * 0.01, plan.toTable());
    }

    @Test
    void partitionsKeepTheSourceBusyAndSplitEvenlyOverNodes() {
        // A slow source without a window: 25 in flight at 2 s per page reads 12.5 pages/s; the target takes 1,000 records/s
        // (0.5 pages/s of 2,000), so 0.5 × 2 s × 1.25 = 2 page streams are needed, and 200,000 records make 100 pages,
        // at most 25 per partition: 4 partitions, a multiple of the 2 nodes.
        SystemSpec source = new SystemSpec("salesforce", 2000, 200, null, null, 0, 0, 25, Duration.ofSeconds(2), true);
        MigrationPlan plan = MigrationPlanner.plan(spec(ObjectSpec.of("Contact", 200_000)).source(source).nodes(2).build());
        MigrationPlan.StagePlan stage = plan.stages().get(0);
        assertEquals(4, stage.partitions(), plan.toTable());
        assertEquals(50_000, stage.recordsPerPartition());
        assertEquals(100 + 1 + 2, stage.readRequests(), "pages + describe + two partition-bound queries");
        assertTrue(plan.settings().stream().anyMatch(s -> s.property().equals("Rate Limit Requests") && s.value().equals("5 per 1.00 s")),
                "each of 2 nodes gets half of hubspot's 10 req/s: " + plan.settings());
    }

    @Test
    void writeChainsDecideThePartitionsOfASmallObject() {
        // No windows; 2 tasks per side; pages and batches of 100; 100 ms per page, 500 ms per batch. FlowFiles hold
        // 1,000 records (10 batches written in a row), so 1,000 records in one partition are one 5 s chain. Ten
        // partitions of 100 make ten one-batch FlowFiles, five rounds on 2 tasks: 2.5 s, after 0.9 s of start-up
        // (describe and two partition-bound queries on the source, describe on the target, the first page) = 3.4 s,
        // the fastest of all partition counts (two partitions: the same 2.5 s but a 0.5 s first FlowFile).
        SystemSpec source = new SystemSpec("src", 100, 100, null, null, 0, 0, 0, Duration.ofMillis(100), true);
        SystemSpec target = new SystemSpec("dst", 100, 100, null, null, 0, 0, 0, Duration.ofMillis(500), true);
        MigrationPlan plan = MigrationPlanner.plan(MigrationSpec.builder().source(source).target(target).threadsPerNode(2)
                .object(ObjectSpec.of("A", 1_000)).build());
        MigrationPlan.StagePlan stage = plan.stages().get(0);
        assertEquals(1_000, plan.maxRecordsPerFlowFile());
        assertEquals(10, stage.partitions(), plan.toTable());
        assertEquals(3.4, plan.durationSeconds(), 1e-6);
        assertTrue(stage.binding().startsWith("write chains: 10 FlowFile(s) of up to 100 records, each 1 calls in a row at 500 ms"),
                stage.binding());
    }

    @Test
    void aDailyQuotaSpreadsTheJobOverDaysWithCheckpoints() {
        // 4,000,000 records in 100-record batches = 40,000 write calls (+1 describe) against 15,000 a day: 3 days.
        SystemSpec target = hubspot().withRateLimit(100, Duration.ofSeconds(1)).withDailyQuota(15_000, 0);
        MigrationPlan plan = MigrationPlanner.plan(spec(ObjectSpec.of("Contact", 4_000_000)).target(target).build());
        assertEquals(3, plan.days(), plan.toTable());
        assertEquals(3, plan.quotas().get(0).days());
        assertEquals(40_001, plan.quotas().get(0).requests());
        assertEquals(2, plan.checkpoints().size());
        MigrationPlan.Checkpoint day1 = plan.checkpoints().get(0);
        assertEquals(1, day1.day());
        assertEquals("hubspot", day1.system());
        assertEquals("Contact", day1.inProgress().get(0).stage());
        // Day 1 carries 15,000 calls of 100 records: about 1,500,000 records.
        assertEquals(1_500_000, day1.inProgress().get(0).recordsDone(), 1_000);
        assertEquals(3_000_000, plan.checkpoints().get(1).inProgress().get(0).recordsDone(), 1_000);
        // Two full days, then the last 10,000 calls at the sustained rate.
        double lastDay = (10_001 - 100) / sustained(100, 1);
        assertEquals(2 * FluidScheduler.DAY + lastDay, plan.durationSeconds(), 2);
        assertTrue(plan.toTable().contains("End of day 1 (hubspot quota used up"), plan.toTable());
    }

    @Test
    void aCheckpointNamesWhatIsDoneUnderWayAndNotStarted() {
        // 15,000 target calls a day. Day 1: Account's 10,000 batches and 5,000 of Contact's 25,000; day 2: 15,000 more of
        // Contact; day 3: the last 5,000 of Contact and Opportunity's 5,000.
        SystemSpec target = hubspot().withRateLimit(100, Duration.ofSeconds(1)).withDailyQuota(15_000, 0);
        MigrationPlan plan = MigrationPlanner.plan(spec(ObjectSpec.of("Account", 1_000_000),
                ObjectSpec.of("Contact", 2_500_000, Map.of("AccountId", "Account")),
                ObjectSpec.of("Opportunity", 500_000, Map.of("ContactId", "Contact"))).target(target).build());
        assertEquals(3, plan.days(), plan.toTable());
        assertEquals(2, plan.checkpoints().size());
        MigrationPlan.Checkpoint day1 = plan.checkpoints().get(0);
        assertEquals(List.of("Account"), day1.completed());
        assertEquals("Contact", day1.inProgress().get(0).stage());
        assertEquals(500_000, day1.inProgress().get(0).recordsDone(), 1_000);
        assertEquals(List.of("Opportunity"), day1.notStarted());
        MigrationPlan.Checkpoint day2 = plan.checkpoints().get(1);
        assertEquals(2, day2.day());
        assertEquals(2_000_000, day2.inProgress().get(0).recordsDone(), 1_000);
        assertTrue(plan.toTable().contains("End of day 2 (hubspot quota used up after "), plan.toTable());
    }

    @Test
    void quotaAlreadyUsedTodayShortensTheFirstDay() {
        SystemSpec target = hubspot().withRateLimit(100, Duration.ofSeconds(1)).withDailyQuota(15_000, 14_000);
        MigrationPlan plan = MigrationPlanner.plan(spec(ObjectSpec.of("Contact", 200_000)).target(target).build());
        assertEquals(2, plan.days());
        assertEquals(1_000, plan.quotas().get(0).availableFirstDay());
        assertEquals(100_000, plan.checkpoints().get(0).inProgress().get(0).recordsDone(), 500);
    }

    @Test
    void selfReferencesBecomeASecondPassAndUnknownParentsANote() {
        MigrationPlan plan = MigrationPlanner.plan(spec(
                ObjectSpec.of("Account", 10_000, Map.of("ParentId", "Account", "OwnerId", "User"))).build());
        assertEquals(List.of("Account", "Account (2nd pass: ParentId)"), plan.stages().stream().map(MigrationPlan.StagePlan::stage).toList());
        assertEquals(List.of("first pass of Account"), plan.stages().get(1).after());
        assertTrue(plan.notes().stream().anyMatch(n -> n.startsWith("Account.ParentId references Account itself")), plan.notes().toString());
        assertTrue(plan.notes().stream().anyMatch(n -> n.startsWith("Account.OwnerId references User, which is not migrated")));
        assertEquals(10_000, plan.records(), "the second pass moves no new records");

        MigrationPlan ignored = MigrationPlanner.plan(spec(ObjectSpec.of("Account", 10_000, Map.of("ParentId", "Account")))
                .ignore("Account.ParentId").build());
        assertEquals(1, ignored.stages().size());
    }

    @Test
    void aDeferredReferenceBreaksACycle() {
        MigrationPlan plan = MigrationPlanner.plan(spec(
                ObjectSpec.of("Account", 1_000, Map.of("PrimaryContact__c", "Contact")),
                ObjectSpec.of("Contact", 5_000, Map.of("AccountId", "Account")))
                .defer("Account.PrimaryContact__c").build());
        assertEquals(List.of("Account", "Contact", "Account (2nd pass: PrimaryContact__c)"),
                plan.stages().stream().map(MigrationPlan.StagePlan::stage).toList());
        assertEquals(List.of("first pass of Account", "Account.PrimaryContact__c → Contact"), plan.stages().get(2).after());
    }

    @Test
    void tableAndJsonCarryThePlan() throws Exception {
        MigrationPlan plan = MigrationPlanner.plan(spec(
                ObjectSpec.of("Account", 1_000).withTargetName("companies"),
                ObjectSpec.of("Contact", 5_000, Map.of("AccountId", "Account")).withTargetName("contacts")).build());
        String table = plan.toTable();
        assertTrue(table.contains("| # | stage"), table);
        assertTrue(table.contains("Account → companies"), table);
        assertTrue(table.contains("Estimated duration:"), table);
        assertTrue(table.contains("Assumptions:"), table);
        var json = new com.fasterxml.jackson.databind.ObjectMapper().readTree(plan.toJson());
        assertEquals(2, json.get("stages").size());
        assertEquals("contacts", json.get("stages").get(1).get("targetObject").asText());
        assertEquals("Contact.AccountId → Account", json.get("stages").get(1).get("after").get(0).asText());
        assertEquals(plan.durationSeconds(), json.get("durationSeconds").asDouble(), 0.001);
        assertTrue(json.get("assumptions").size() > 3);
    }

    @Test
    void aOneSidedPlanModelsOnlyTheKnownSide() {
        MigrationPlan plan = MigrationPlanner.plan(MigrationSpec.builder().source(SystemSpec.unknown("source")).target(hubspot())
                .object(ObjectSpec.of("contacts", 10_000)).build());
        assertEquals(-1, plan.sourceRequests());
        assertEquals(101, plan.targetRequests());
        double optimum = (100 - 10) / sustained(10, 1);
        assertEquals(optimum, plan.durationSeconds(), 0.05);
        assertTrue(plan.notes().stream().anyMatch(n -> n.contains("Only one side is modeled")));
    }
}
