package io.nificrm.bench.planner;

import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmPage;
import io.nificrm.api.CrmQuery;
import io.nificrm.api.CrmWriteRequest;
import io.nificrm.api.WriteOperation;
import io.nificrm.bench.BenchServices;
import io.nificrm.bench.Table;
import io.nificrm.processors.planner.MigrationPlan;
import io.nificrm.processors.planner.MigrationPlanner;
import io.nificrm.processors.planner.MigrationSpec;
import io.nificrm.processors.planner.ObjectSpec;
import io.nificrm.processors.planner.PlanInputs;
import io.nificrm.processors.planner.SystemSpec;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.simulator.fault.FaultRule;
import io.nificrm.simulator.seed.SeedConfig;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Calibration of the migration planner: for three shapes of data (small; parent-heavy; one huge object), plan a
 * Salesforce → HubSpot migration from what the services report (describe, count, capabilities, and a measured call
 * latency), then carry the plan out against the simulator with limits on both sides, and compare the estimated with
 * the measured duration.
 * <p>
 * Usage: {@code ./bench.sh planner [small|parent-heavy|huge ...]} (default: all three);
 * {@code ./bench.sh planner plan SPEC.json [--json]} plans a spec file ({@code -} reads standard input);
 * {@code ./bench.sh planner example} prints an example spec.
 */
public final class PlannerBenchmark {
    /** Limits of the calibration: a 10 req/s window on each side, and call latencies a WAN would add. */
    static final int SOURCE_RATE = 10;
    static final int TARGET_RATE = 10;
    static final long SOURCE_LATENCY_MS = 200;
    static final long TARGET_LATENCY_MS = 300;

    record Shape(String name, int accounts, int contacts, int opportunities) {
        int records() {
            return accounts + contacts + opportunities;
        }
    }

    static final List<Shape> SHAPES = List.of(
            new Shape("small", 1_000, 5_000, 1_000),
            new Shape("parent-heavy", 20_000, 2_000, 1_000),
            new Shape("huge", 100, 100_000, 0));

    private PlannerBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && (args[0].equals("plan") || args[0].equals("example"))) {
            PlanCommand.main(args);
            return;
        }
        List<Shape> shapes = new ArrayList<>();
        for (String name : args) {
            shapes.add(SHAPES.stream().filter(s -> s.name().equals(name)).findFirst().orElseThrow(() ->
                    new IllegalArgumentException("Unknown shape " + name + "; expected one of " + SHAPES.stream().map(Shape::name).toList())));
        }
        if (shapes.isEmpty()) {
            shapes.addAll(SHAPES);
        }
        Path out = Path.of("nifi-crm-bench", "target", "planner");
        Files.createDirectories(out);
        Table summary = new Table("shape", "records", "estimated", "measured", "error", "lower bound", "calls est. (sf / hs)",
                "calls measured (sf / hs)", "429s", "binding");
        Table stages = new Table("shape", "stage", "records", "partitions", "est. start", "est. end", "measured start", "measured end",
                "written", "failed");
        for (Shape shape : shapes) {
            calibrate(shape, out, summary, stages);
        }
        System.out.printf(Locale.ROOT, "%nPlanner calibration: Salesforce → HubSpot through the simulator, %d req/s (1 s window) on the "
                        + "Salesforce side, %d req/s on the HubSpot side, %d ms / %d ms injected per call; 1 node, up to 8 tasks per processor%n",
                SOURCE_RATE, TARGET_RATE, SOURCE_LATENCY_MS, TARGET_LATENCY_MS);
        summary.print();
        System.out.println();
        stages.print();
        System.out.println();
        System.out.println("Plans as JSON: " + out.toAbsolutePath() + "/<shape>.json");
        System.out.println();
        System.out.println("Plan only (not run): 2,000,000 accounts and 8,000,000 contacts from a Salesforce org with a 100,000-call daily "
                + "quota into HubSpot's default 190 req / 10 s on a 3-node cluster:");
        System.out.println(quotaExample().toTable());
    }

    private static void calibrate(Shape shape, Path out, Table summary, Table stageTable) throws Exception {
        SimulatorConfig config = SimulatorConfig.defaults().unlimited()
                .limits("salesforce", new SimulatorConfig.Limits(SOURCE_RATE, Duration.ofSeconds(1), 0))
                .limits("hubspot", new SimulatorConfig.Limits(TARGET_RATE, Duration.ofSeconds(1), 0))
                .fault(FaultRule.on("salesforce", "*").withLatency(SOURCE_LATENCY_MS))
                .fault(FaultRule.on("hubspot", "*").withLatency(TARGET_LATENCY_MS))
                .seed("salesforce", new SeedConfig(shape.accounts(), shape.contacts(), shape.opportunities(), 0.0, 11));
        try (CrmSimulator sim = CrmSimulator.start(config)) {
            Map<String, String> objects = new LinkedHashMap<>();
            objects.put("Account", "companies");
            objects.put("Contact", "contacts");
            if (shape.opportunities() > 0) {
                objects.put("Opportunity", "deals");
            }
            Map<String, PlanExecutor.Mapping> mappings = mappings();

            // Plan from what the services say, with latencies measured by a few probe calls.
            CrmConnectionService sfPlan = BenchServices.service("salesforce", sim, salesforceProperties());
            CrmConnectionService hsPlan = BenchServices.service("hubspot", sim, hubspotProperties());
            String largest = shape.contacts() >= shape.accounts() ? "Contact" : "Account";
            Duration sourceLatency = probeRead(sfPlan, largest, mappings.get(largest));
            Duration targetLatency = probeWrite(sfPlan, hsPlan, "Account", objects.get("Account"), mappings.get("Account"));
            MigrationSpec spec = PlanInputs.fromServices(sfPlan, hsPlan, objects, null, sourceLatency, targetLatency)
                    .nodes(1).threadsPerNode(8)
                    .ignore("Account.ParentId") // the mapping does not carry the account hierarchy
                    .build();
            MigrationPlan plan = MigrationPlanner.plan(spec);
            System.out.println("=== " + shape.name() + " (measured latency: salesforce " + sourceLatency.toMillis() + " ms per page, hubspot "
                    + targetLatency.toMillis() + " ms per batch) ===");
            System.out.println(plan.toTable());
            Files.writeString(out.resolve(shape.name() + ".json"), plan.toJson());

            // Let the probes' window pass, then run the plan with fresh services (empty caches, full windows).
            Thread.sleep(1500);
            CrmConnectionService source = BenchServices.service("salesforce", sim, salesforceProperties());
            CrmConnectionService target = BenchServices.service("hubspot", sim, hubspotProperties());
            sim.stats().reset();
            PlanExecutor.Outcome outcome = PlanExecutor.run(plan, source, target, mappings);
            long sfCalls = sim.stats().requests("salesforce", "*") - sim.stats().requests("salesforce", "token");
            long hsCalls = sim.stats().requests("hubspot", "*") - sim.stats().requests("hubspot", "token");
            long throttled = sim.stats().throttled("salesforce") + sim.stats().throttled("hubspot");
            double error = (plan.durationSeconds() - outcome.seconds()) / outcome.seconds() * 100;
            summary.row(shape.name(), (long) shape.records(), seconds(plan.durationSeconds()), seconds(outcome.seconds()),
                    String.format(Locale.ROOT, "%+.1f%%", error), seconds(plan.lowerBoundSeconds()),
                    plan.sourceRequests() + " / " + plan.targetRequests(), sfCalls + " / " + hsCalls, throttled, plan.binding());
            for (int i = 0; i < plan.stages().size(); i++) {
                MigrationPlan.StagePlan s = plan.stages().get(i);
                PlanExecutor.StageRun run = outcome.stages().get(i);
                stageTable.row(shape.name(), s.stage() + " → " + s.targetObject(), s.records(), s.partitions(), seconds(s.startSeconds()),
                        seconds(s.endSeconds()), seconds(run.start()), seconds(run.end()), run.written(), run.failed());
            }
        }
    }

    private static String seconds(double s) {
        return String.format(Locale.ROOT, "%.1f s", s);
    }

    static Map<String, String> salesforceProperties() {
        return Map.of("Rate Limit Requests", Integer.toString(SOURCE_RATE), "Rate Limit Interval", "1 sec",
                "Bulk API Threshold", "0", "Use Bulk API for Full Reads", "false");
    }

    static Map<String, String> hubspotProperties() {
        return Map.of("Rate Limit Requests", Integer.toString(TARGET_RATE), "Rate Limit Interval", "1 sec", "Max Concurrent Requests", "0");
    }

    /** Account → companies, Contact → contacts, Opportunity → deals, keyed by HubSpot's unique source_id. */
    static Map<String, PlanExecutor.Mapping> mappings() {
        Map<String, PlanExecutor.Mapping> m = new HashMap<>();
        m.put("Account", new PlanExecutor.Mapping(List.of("Id", "Name"), "source_id", List.of("source_id", "name"),
                r -> values("source_id", r.getAsString("Id"), "name", r.getAsString("Name"))));
        m.put("Contact", new PlanExecutor.Mapping(List.of("Id", "FirstName", "LastName"), "source_id",
                List.of("source_id", "firstname", "lastname"),
                r -> values("source_id", r.getAsString("Id"), "firstname", r.getAsString("FirstName"), "lastname", r.getAsString("LastName"))));
        m.put("Opportunity", new PlanExecutor.Mapping(List.of("Id", "Name"), "source_id", List.of("source_id", "dealname", "dealstage", "pipeline"),
                r -> values("source_id", r.getAsString("Id"), "dealname", r.getAsString("Name"), "dealstage", "appointmentscheduled",
                        "pipeline", "default")));
        return m;
    }

    private static Map<String, Object> values(String... keyValues) {
        Map<String, Object> map = new HashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            map.put(keyValues[i], keyValues[i + 1]);
        }
        return map;
    }

    /** The median of five full-page reads, after one warm-up read (fewer than one window of calls in all). */
    private static Duration probeRead(CrmConnectionService source, String object, PlanExecutor.Mapping mapping) {
        source.describe(object);
        long[] nanos = new long[6];
        String cursor = null;
        for (int i = 0; i < nanos.length; i++) {
            long start = System.nanoTime();
            CrmPage page = source.query(CrmQuery.of(object).withFields(mapping.fields()).withPageSize(source.capabilities().maxPageSize())
                    .withCursor(cursor));
            nanos[i] = System.nanoTime() - start;
            cursor = page.nextCursor();
        }
        return median(nanos);
    }

    private static Duration median(long[] withWarmUp) {
        long[] samples = Arrays.copyOfRange(withWarmUp, 1, withWarmUp.length);
        Arrays.sort(samples);
        return Duration.ofNanos(samples[samples.length / 2]);
    }

    /** The median of five full-batch upserts after a warm-up (records the migration writes anyway: upserts are idempotent). */
    private static Duration probeWrite(CrmConnectionService source, CrmConnectionService target, String object, String targetObject,
                                       PlanExecutor.Mapping mapping) {
        int batch = target.capabilities().maxBatchSize();
        List<Record> records = new ArrayList<>();
        for (Record r : source.query(CrmQuery.of(object).withFields(mapping.fields()).withPageSize(batch)).records()) {
            records.add(new MapRecord(mapping.schema(), new HashMap<>(mapping.map().apply(r))));
        }
        target.describe(targetObject);
        long[] nanos = new long[6];
        for (int i = 0; i < nanos.length; i++) {
            long start = System.nanoTime();
            target.write(new CrmWriteRequest(targetObject, WriteOperation.UPSERT, mapping.key(), records));
            nanos[i] = System.nanoTime() - start;
        }
        return median(nanos);
    }

    /** A plan that needs several days: the daily quota, the days and the checkpoints. */
    static MigrationPlan quotaExample() {
        return MigrationPlanner.plan(MigrationSpec.builder()
                .source(new SystemSpec("salesforce", 2000, 200, null, null, 100_000, 0, 25, Duration.ofMillis(1200), true))
                .target(new SystemSpec("hubspot", 100, 100, 190, Duration.ofSeconds(10), 500_000, 0, 0, Duration.ofMillis(400), true))
                .object(ObjectSpec.of("Account", 2_000_000, Map.of("ParentId", "Account")).withTargetName("companies"))
                .object(ObjectSpec.of("Contact", 8_000_000, Map.of("AccountId", "Account")).withTargetName("contacts"))
                .ignore("Account.ParentId").nodes(3).threadsPerNode(8).build());
    }
}
