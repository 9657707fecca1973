package io.nificrm.processors.planner;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pieces under the planner: the LP, the FlowFile size, and the JSON spec round trip. */
class PlanModelTest {

    @Test
    void simplexFindsTheTextbookOptimum() {
        // max 3x + 5y  s.t.  x ≤ 4,  2y ≤ 12,  3x + 2y ≤ 18  →  x = 2, y = 6, value 36.
        double[] x = SmallLp.maximize(new double[]{3, 5}, new double[][]{{1, 0}, {0, 2}, {3, 2}}, new double[]{4, 12, 18});
        assertArrayEquals(new double[]{2, 6}, x, 1e-9);
    }

    @Test
    void simplexHandlesDegenerateAndZeroCapacity() {
        // A budget of 0 (quota spent) leaves every variable that needs it at 0.
        double[] x = SmallLp.maximize(new double[]{1, 1}, new double[][]{{1, 1}, {1, 0}, {0, 1}}, new double[]{0, 5, 5});
        assertArrayEquals(new double[]{0, 0}, x, 1e-12);
        double[] y = SmallLp.maximize(new double[]{1, 1, 1}, new double[][]{{1, 1, 1}, {1, 1, 1}, {1, 0, 0}}, new double[]{3, 3, 1});
        assertEquals(3, y[0] + y[1] + y[2], 1e-9);
    }

    @Test
    void flowFilesHoldWholePagesAndBatches() {
        assertEquals(2_000, MigrationPlanner.flowFileRecords(2000, 100));
        assertEquals(2_000, MigrationPlanner.flowFileRecords(2000, 200));
        assertEquals(5_000, MigrationPlanner.flowFileRecords(5000, 100));
        assertEquals(1_200, MigrationPlanner.flowFileRecords(300, 200), "lcm 600, at least 1,000 records");
        assertEquals(1_000, MigrationPlanner.flowFileRecords(100, 100));
    }

    @Test
    void specJsonRoundTrips() {
        MigrationSpec spec = MigrationSpec.builder()
                .source(new SystemSpec("salesforce", 2000, 200, null, null, 15_000, 1_000, 25, Duration.ofMillis(400), true))
                .target(new SystemSpec("hubspot", 100, 100, 190, Duration.ofSeconds(10), 0, 0, 0, Duration.ofMillis(250), true))
                .object(ObjectSpec.of("Account", 1_000, Map.of("ParentId", "Account")).withTargetName("companies"))
                .object(new ObjectSpec("Contact", "contacts", 5_000L, false, Map.of("AccountId", "Account"), 2))
                .nodes(2).threadsPerNode(4).batchSize(50).ignore("Account.ParentId").build();
        MigrationSpec back = SpecJson.parse(SpecJson.write(spec));
        assertEquals(spec, back);
        MigrationPlan plan = MigrationPlanner.plan(back);
        assertEquals(List.of("Account", "Contact"), plan.stages().stream().map(MigrationPlan.StagePlan::stage).toList());
        assertEquals(50, plan.batchSize());
        assertTrue(plan.notes().stream().anyMatch(n -> n.contains("The count of Contact is the source's estimate")));
    }
}
