package io.nificrm.processors.planner;

import io.nificrm.api.CrmConnectionService;
import io.nificrm.processors.GenerateCrmPartitions;
import io.nificrm.processors.UpsertCrmRecords;
import io.nificrm.services.hubspot.HubSpotConnectionService;
import io.nificrm.services.salesforce.SalesforceConnectionService;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.simulator.SimulatorCredentials;
import io.nificrm.simulator.seed.SeedConfig;
import org.apache.nifi.components.ConfigVerificationResult;
import org.apache.nifi.components.ConfigVerificationResult.Outcome;
import org.apache.nifi.processor.VerifiableProcessor;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The verify() façade and the service-read inputs, against the simulator. */
class PlanVerificationTest {
    private static CrmSimulator sim;
    private static CrmConnectionService salesforce;
    private static CrmConnectionService hubspot;
    private static TestRunner partitioner;

    @BeforeAll
    static void start() throws Exception {
        sim = CrmSimulator.start(SimulatorConfig.defaults().unlimited().seed("salesforce", new SeedConfig(300, 5_000, 700, 0, 3)));
        TestRunner runner = TestRunners.newTestRunner(GenerateCrmPartitions.class);
        SalesforceConnectionService sf = new SalesforceConnectionService();
        runner.addControllerService("salesforce", sf);
        runner.setProperty(sf, SalesforceConnectionService.LOGIN_URL, sim.baseUrl());
        runner.setProperty(sf, SalesforceConnectionService.CLIENT_ID, SimulatorCredentials.SALESFORCE_CLIENT_ID);
        runner.setProperty(sf, SalesforceConnectionService.CLIENT_SECRET, SimulatorCredentials.SALESFORCE_CLIENT_SECRET);
        runner.enableControllerService(sf);
        HubSpotConnectionService hs = new HubSpotConnectionService();
        runner.addControllerService("hubspot", hs);
        runner.setProperty(hs, HubSpotConnectionService.BASE_URL, sim.baseUrl());
        runner.setProperty(hs, HubSpotConnectionService.ACCESS_TOKEN, SimulatorCredentials.HUBSPOT_PRIVATE_APP_TOKEN);
        runner.enableControllerService(hs);
        salesforce = sf;
        hubspot = hs;
        partitioner = runner;
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    private static ConfigVerificationResult step(List<ConfigVerificationResult> results, String name) {
        return results.stream().filter(r -> r.getVerificationStepName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no step " + name + " in " + results));
    }

    @Test
    void partitionsStepsExplainOrderPartitionsAndReadTime() {
        List<ConfigVerificationResult> results = PlanVerification.forPartitions(salesforce, "Contact", 8, null, Map.of());
        results.forEach(r -> assertEquals(Outcome.SUCCESSFUL, r.getOutcome(), r.getExplanation()));
        assertTrue(step(results, "Plan migration order").getExplanation().startsWith("Contact references Account (AccountId): load Account first"),
                step(results, "Plan migration order").getExplanation());
        String partitions = step(results, "Plan partitions").getExplanation();
        assertTrue(partitions.startsWith("For 5,000 records the plan is "), partitions);
        assertTrue(partitions.contains("Partitions is 8, more than the 3 pages the object fills"), partitions);
        assertTrue(step(results, "Plan read duration").getExplanation().startsWith("Reading takes about "));
    }

    @Test
    void partitionsOfAnUnknownObjectFailWithTheServicesMessage() {
        List<ConfigVerificationResult> results = PlanVerification.forPartitions(salesforce, "Nope", 8, null, Map.of());
        assertEquals(1, results.size());
        assertEquals(Outcome.FAILED, results.get(0).getOutcome());
        assertTrue(results.get(0).getExplanation().startsWith("Cannot plan Nope: "), results.get(0).getExplanation());
    }

    @Test
    void theProcessorsVerificationIncludesThePlan() throws Exception {
        partitioner.setProperty("CRM Connection Service", "salesforce");
        partitioner.setProperty("Object", "Contact");
        partitioner.setProperty("Partitions", "8");
        List<ConfigVerificationResult> partitions = ((VerifiableProcessor) partitioner.getProcessor())
                .verify(partitioner.getProcessContext(), partitioner.getLogger(), Map.of());
        assertEquals(Outcome.SUCCESSFUL, step(partitions, "Partition object").getOutcome());
        assertEquals(Outcome.SUCCESSFUL, step(partitions, "Plan partitions").getOutcome());

        TestRunner upsert = TestRunners.newTestRunner(UpsertCrmRecords.class);
        HubSpotConnectionService hs = new HubSpotConnectionService();
        try {
            upsert.addControllerService("hubspot", hs);
            upsert.setProperty(hs, HubSpotConnectionService.BASE_URL, sim.baseUrl());
            upsert.setProperty(hs, HubSpotConnectionService.ACCESS_TOKEN, SimulatorCredentials.HUBSPOT_PRIVATE_APP_TOKEN);
            upsert.enableControllerService(hs);
            upsert.setProperty("CRM Connection Service", "hubspot");
            upsert.setProperty("Object", "contacts");
            upsert.setProperty("Batch Size", "500");
            List<ConfigVerificationResult> tooBig = ((VerifiableProcessor) upsert.getProcessor())
                    .verify(upsert.getProcessContext(), upsert.getLogger(), Map.of());
            assertEquals(Outcome.FAILED, step(tooBig, "Plan batch size").getOutcome());
        } finally {
            upsert.disableControllerService(hs);
        }
    }

    @Test
    void upsertStepsCheckTheBatchSizeAndEstimateWithARecordCount() {
        List<ConfigVerificationResult> tooBig = PlanVerification.forUpsert(hubspot, "contacts", 500, 1, null, Map.of());
        assertEquals(Outcome.FAILED, tooBig.get(0).getOutcome());
        assertEquals("Batch Size 500 is above hubspot's maximum of 100 records per write call: set it to 100 or less (or leave it empty).",
                tooBig.get(0).getExplanation());

        List<ConfigVerificationResult> unknownCount = PlanVerification.forUpsert(hubspot, "contacts", null, 1, null, Map.of());
        assertEquals(Outcome.SKIPPED, step(unknownCount, "Plan write duration").getOutcome());
        assertTrue(step(unknownCount, "Plan write duration").getExplanation().startsWith("No record count: add the attribute crm.plan.records"));

        List<ConfigVerificationResult> known = PlanVerification.forUpsert(hubspot, "contacts", null, 1, null,
                Map.of(PlanVerification.RECORDS, "190000", PlanVerification.LATENCY, "300"));
        String estimate = step(known, "Plan write duration").getExplanation();
        // HubSpot's default window, 190 per 10 s, sustains 190 / 10.24 s = 18.6 req/s: the first window's 190 calls go
        // out as fast as 19 FlowFiles of 100 calls on 7 tasks allow (21 calls/s: 9 s), the other 1,710 take 92.2 s,
        // plus the describe and the last call (0.3 s each). Each of the 7 first writers describes contacts once.
        assertTrue(estimate.startsWith("Writing 190,000 records takes about 1 min 42 s in 1,907 calls at hubspot's limits "
                + "(binding: target rate limit (hubspot 190 req / 10.0 s))."), estimate);
        assertTrue(estimate.contains("Keep 7 batches in flight: Concurrent Tasks 7 per node (configured 1: too few"), estimate);

        // At 500 ms per call, 8 tasks carry only 16 calls/s, and FlowFiles of 10,000 records (100 calls in a row) on 8
        // tasks take 3 rounds of 50 s: the write chains bind, not the window.
        List<ConfigVerificationResult> slow = PlanVerification.forUpsert(hubspot, "contacts", null, 8, null,
                Map.of(PlanVerification.RECORDS, "190000", PlanVerification.LATENCY, "500"));
        assertTrue(step(slow, "Plan write duration").getExplanation().startsWith("Writing 190,000 records takes about 2 min 31 s in 1,908 "
                        + "calls at hubspot's limits (binding: write chains: 19 FlowFile(s) of up to 10,000 records, each 100 calls in a row"),
                step(slow, "Plan write duration").getExplanation());
    }

    @Test
    void aBadAttributeIsAClearFailure() {
        List<ConfigVerificationResult> results = PlanVerification.forUpsert(hubspot, "contacts", null, 1, null,
                Map.of(PlanVerification.RECORDS, "lots"));
        assertEquals(Outcome.FAILED, results.get(results.size() - 1).getOutcome());
        assertEquals("Cannot plan the migration: The attribute crm.plan.records must be a whole number, got 'lots'.",
                results.get(results.size() - 1).getExplanation());
    }

    @Test
    void inputsComeFromDescribeAndCount() {
        Map<String, String> objects = new LinkedHashMap<>();
        objects.put("Opportunity", "deals");
        objects.put("Contact", "contacts");
        objects.put("Account", "companies");
        MigrationSpec spec = PlanInputs.fromServices(salesforce, hubspot, objects, null, Duration.ofMillis(50), Duration.ofMillis(50)).build();
        assertEquals(List.of(700L, 5_000L, 300L), spec.objects().stream().map(ObjectSpec::count).toList());
        assertEquals("Account", spec.objects().get(1).references().get("AccountId"));
        MigrationPlan plan = MigrationPlanner.plan(spec);
        assertEquals(List.of("Account", "Contact", "Opportunity", "Account (2nd pass: ParentId)"),
                plan.stages().stream().map(MigrationPlan.StagePlan::stage).toList(), plan.toTable());
        assertEquals(6_000, plan.records());
        List<ConfigVerificationResult> steps = PlanVerification.steps(spec);
        assertEquals("Account → Contact → Opportunity → Account (2nd pass: ParentId)", step(steps, "Plan migration order").getExplanation());
    }

    @Test
    void anObjectThatCannotBeDescribedIsNamed() {
        PlanningException e = assertThrows(PlanningException.class, () -> PlanInputs.fromServices(salesforce, hubspot,
                Map.of("Nope", "nope"), null, null, null));
        assertTrue(e.getMessage().startsWith("Cannot plan the migration: Cannot describe Nope on salesforce: "), e.getMessage());
    }
}
