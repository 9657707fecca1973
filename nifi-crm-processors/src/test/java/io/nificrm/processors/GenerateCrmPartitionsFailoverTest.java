package io.nificrm.processors;

import io.nificrm.processors.common.CrmProperties;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.simulator.seed.SeedConfig;
import org.apache.nifi.components.state.Scope;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

/**
 * A primary-node change must not restart a load: NiFi runs a primary-only processor as soon as a node is elected
 * primary (seen in the 2-node cluster test: the new primary split Account again 23 ms after its election, and the
 * whole migration ran twice). Two runners stand for two nodes sharing the cluster state (ZooKeeper).
 */
class GenerateCrmPartitionsFailoverTest {
    private static CrmSimulator sim;

    @BeforeAll
    static void start() {
        sim = CrmSimulator.start(SimulatorConfig.defaults().unlimited().seed("salesforce", SeedConfig.ofContacts(500)));
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    private static TestRunner node() throws Exception {
        TestRunner runner = TestRunners.newTestRunner(GenerateCrmPartitions.class);
        TestServices.salesforce(runner, sim);
        runner.setProperty(CrmProperties.CONNECTION_SERVICE, TestServices.SALESFORCE);
        runner.setProperty(GenerateCrmPartitions.OBJECT, "Account");
        runner.setProperty(GenerateCrmPartitions.PARTITIONS, "4");
        runner.setIncomingConnection(false);
        return runner;
    }

    private static void shareClusterState(TestRunner from, TestRunner to) throws Exception {
        to.getStateManager().setState(from.getStateManager().getState(Scope.CLUSTER).toMap(), Scope.CLUSTER);
    }

    @Test
    void aNewPrimaryDoesNotRepeatTheLoadTheOldPrimaryGenerated() throws Exception {
        TestRunner primary = node();
        TestRunner other = node();
        // The user starts the processor: both nodes schedule it; only the primary runs it.
        ((GenerateCrmPartitions) other.getProcessor()).onScheduled(other.getProcessContext());
        Thread.sleep(5);
        primary.run(1, false, true);
        primary.assertTransferCount(GenerateCrmPartitions.REL_SUCCESS, 4);
        Map<String, String> state = primary.getStateManager().getState(Scope.CLUSTER).toMap();
        assertNotNull(state.get(GenerateCrmPartitions.STATE_LOAD_ID), "the load is recorded in cluster state: " + state);

        // The primary dies; the other node is elected and NiFi triggers it at once: no second load.
        shareClusterState(primary, other);
        other.run(1, false, false);
        other.assertTransferCount(GenerateCrmPartitions.REL_SUCCESS, 0);
        assertEquals(1L, other.getCounterValue("Loads Not Repeated After Failover"));

        // Its next scheduled run (the run schedule elapsed) generates as usual.
        other.run(1, false, false);
        other.assertTransferCount(GenerateCrmPartitions.REL_SUCCESS, 4);
    }

    @Test
    void aProcessorStartedAfterTheLastLoadGeneratesANewOne() throws Exception {
        TestRunner first = node();
        first.run(1, false, true);
        first.assertTransferCount(GenerateCrmPartitions.REL_SUCCESS, 4);
        // Stopped and started again by the user (or the cluster restarted): a new schedule, a new load.
        TestRunner restarted = node();
        shareClusterState(first, restarted);
        Thread.sleep(5);
        restarted.run(1, false, true);
        restarted.assertTransferCount(GenerateCrmPartitions.REL_SUCCESS, 4);
    }

    @Test
    void repeatedRunsOfOneScheduleEachGenerateALoad() throws Exception {
        TestRunner runner = node();
        runner.run(3, false, true);
        runner.assertTransferCount(GenerateCrmPartitions.REL_SUCCESS, 12);
    }
}
