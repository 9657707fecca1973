package io.nificrm.nifitests.demo;

import com.fasterxml.jackson.databind.JsonNode;
import io.nificrm.nifitests.flows.FlowTemplates;
import io.nificrm.nifitests.flows.RunOutputs;
import io.nificrm.nifitests.flows.TemplateFiles;
import io.nificrm.nifitests.harness.Await;
import io.nificrm.nifitests.harness.DeployedFlow;
import io.nificrm.nifitests.harness.FreePorts;
import io.nificrm.nifitests.harness.NiFiInstance;
import io.nificrm.nifitests.harness.NiFiNodeConfig;
import io.nificrm.nifitests.harness.NiFiRestClient;
import io.nificrm.nifitests.harness.SimulatorParameters;
import io.nificrm.nifitests.harness.SimulatorProcess;
import io.nificrm.nifitests.harness.TestArtifacts;
import io.nificrm.nifitests.harness.model.GroupStatus;
import io.nificrm.simulator.postgres.LocalPostgres;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * The demo behind {@code ./demo.sh}: the CRM simulator with seeded dirty Salesforce data, a PostgreSQL, and a local
 * NiFi 2.3.0 with our NAR; the full-migration flow definitions Salesforce → HubSpot and Salesforce → PostgreSQL
 * uploaded, configured and started through NiFi's REST API; a progress line while they run; the run reports as a
 * table; then everything stays up until Ctrl-C (or {@code ./demo.sh --stop}, which signals this JVM).
 * <p>
 * Options: {@code --contacts N} (default 10,000: 1,000 accounts and 2,000 opportunities come with them),
 * {@code --nifi-port P} (default 18080), {@code --sim-port P} (default 8089), {@code --unlimited} (no simulated
 * API rate limits). State (pids, ports, URLs) goes to {@code <demo dir>/state.properties}.
 */
public final class Demo {

    private static final Set<String> SECRETS = Set.of("source.client.secret", "target.access.token", "target.jdbc.password");
    private static final PrintStream OUT = new PrintStream(System.out, true, StandardCharsets.UTF_8);

    private final Path dir;
    private final int contacts;
    private final int nifiPort;
    private final int simPort;
    private final boolean unlimited;
    private SimulatorProcess sim;
    private LocalPostgres postgres;
    private LocalPostgres.Database database;
    private NiFiInstance nifi;

    private Demo(Path dir, int contacts, int nifiPort, int simPort, boolean unlimited) {
        this.dir = dir;
        this.contacts = contacts;
        this.nifiPort = nifiPort;
        this.simPort = simPort;
        this.unlimited = unlimited;
    }

    public static void main(String[] args) throws Exception {
        // The harness logs its steps at INFO through java.util.logging; the demo prints its own.
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.setLevel(java.util.logging.Level.WARNING);
        for (java.util.logging.Handler handler : root.getHandlers()) {
            handler.setLevel(java.util.logging.Level.WARNING);
        }
        Path dir = Path.of(System.getProperty("demo.dir", ".demo")).toAbsolutePath().normalize();
        int contacts = 10_000;
        int nifiPort = 18080;
        int simPort = 8089;
        boolean unlimited = false;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--contacts" -> contacts = Integer.parseInt(args[++i]);
                case "--nifi-port" -> nifiPort = Integer.parseInt(args[++i]);
                case "--sim-port" -> simPort = Integer.parseInt(args[++i]);
                case "--unlimited" -> unlimited = true;
                default -> throw new IllegalArgumentException("Unknown option " + args[i]
                        + " (options: --contacts N, --nifi-port P, --sim-port P, --unlimited, --stop)");
            }
        }
        new Demo(dir, contacts, nifiPort, simPort, unlimited).run();
    }

    private void run() throws Exception {
        Files.createDirectories(dir);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            OUT.println("\nStopping the demo: NiFi, the simulator, PostgreSQL ...");
            shutdown();
            stopped.countDown();
            OUT.println("Demo stopped.");
        }, "demo-shutdown"));
        long started = System.nanoTime();

        step("Starting the CRM simulator with " + String.format(Locale.ROOT, "%,d", contacts) + " Salesforce contacts, "
                + String.format(Locale.ROOT, "%,d", contacts / 10) + " accounts and " + String.format(Locale.ROOT, "%,d", contacts / 5)
                + " opportunities (dirty: near-duplicates, malformed e-mails, mixed phone and date formats)");
        List<String> simArgs = new ArrayList<>(List.of("--port", Integer.toString(simPort), "--seed", "salesforce=" + contacts));
        if (unlimited) {
            simArgs.add("--unlimited");
        }
        sim = SimulatorProcess.start(dir, simArgs);
        writeState();

        step("Starting PostgreSQL");
        postgres = LocalPostgres.start();
        database = postgres.createDatabase("crm_demo_" + System.currentTimeMillis() / 1000);
        try (Connection c = database.connect(); Statement s = c.createStatement()) {
            s.execute(Files.readString(TemplateFiles.dir().resolve("postgres/crm-schema.sql")));
        }
        writeState();

        step("Starting NiFi 2.3.0 with the nifi-crm NAR on port " + nifiPort);
        nifi = NiFiInstance.create(NiFiNodeConfig.builder("demo").webPort(nifiPort).build(), TestArtifacts.runtimeLib(), dir.resolve("nifi"))
                .start();
        writeState();
        NiFiRestClient api = nifi.client();
        nifi.installCrmBundle(true, "io.nificrm.processors.GenerateCrmPartitions");

        step("Uploading and starting the full migrations Salesforce → HubSpot and Salesforce → PostgreSQL "
                + "(written: accounts/contacts/opportunities so far)");
        Path hubspotOut = dir.resolve("output/hubspot");
        Path postgresOut = dir.resolve("output/postgresql");
        DeployedFlow toHubSpot = DeployedFlow.deploy(api, "Demo: full migration Salesforce to HubSpot",
                TemplateFiles.read(TemplateFiles.file(FlowTemplates.FULL_MIGRATION_HUBSPOT)), hubspotParameters(hubspotOut), SECRETS);
        DeployedFlow toPostgres = DeployedFlow.deploy(api, "Demo: full migration Salesforce to PostgreSQL",
                TemplateFiles.read(TemplateFiles.file(FlowTemplates.FULL_MIGRATION_POSTGRESQL)), postgresParameters(postgresOut), SECRETS);
        long migrationStarted = System.nanoTime();
        toHubSpot.start();
        toPostgres.start();

        progress(api, List.of(toHubSpot, toPostgres), List.of(hubspotOut.resolve("reports"), postgresOut.resolve("reports")), migrationStarted);

        OUT.println();
        printReport("Salesforce → HubSpot", RunOutputs.read(hubspotOut.resolve("review"), hubspotOut.resolve("reports")),
                List.of("companies", "contacts", "deals"), hubspotOut);
        printReport("Salesforce → PostgreSQL", RunOutputs.read(postgresOut.resolve("review"), postgresOut.resolve("reports")),
                List.of("accounts", "contacts", "opportunities"), postgresOut);

        String url = "http://127.0.0.1:" + nifiPort;
        OUT.printf("%nIn the targets now: HubSpot %s companies/contacts/deals | PostgreSQL %s accounts/contacts/opportunities%n",
                hubspotCounts(), postgresCounts());
        OUT.printf("%nDone in %d s. Everything keeps running:%n", Duration.ofNanos(System.nanoTime() - started).toSeconds());
        OUT.printf("  NiFi UI        %s/nifi/%n", url);
        OUT.printf("  NiFi REST API  %s/nifi-api   (e.g. curl %s/nifi-api/flow/process-groups/root/status)%n", url, url);
        OUT.printf("  CRM simulator  %s   (e.g. curl %s/sim/hubspot/contacts/count)%n", sim.baseUrl(), sim.baseUrl());
        OUT.printf("  PostgreSQL     %s   user %s, password %s%n", database.jdbcUrl(), database.user(), database.password());
        OUT.printf("  Rejects, run reports: %s%n", dir.resolve("output"));
        OUT.printf("Stop with Ctrl-C, or ./demo.sh --stop from another terminal.%n");
        stopped.await();
    }

    private Map<String, String> hubspotParameters(Path out) {
        Map<String, String> p = SimulatorParameters.salesforceToHubSpot(sim.baseUrl());
        p.put("review.directory", out.resolve("review").toString());
        p.put("report.directory", out.resolve("reports").toString());
        p.put("cache.port", Integer.toString(FreePorts.allocate(1)[0]));
        return p;
    }

    private Map<String, String> postgresParameters(Path out) {
        Map<String, String> p = SimulatorParameters.salesforceSource(sim.baseUrl());
        p.put("target.jdbc.url", database.jdbcUrl());
        p.put("target.jdbc.user", database.user());
        p.put("target.jdbc.password", database.password());
        p.put("target.jdbc.driver.location", TestArtifacts.postgresqlDriver().toString());
        p.put("review.directory", out.resolve("review").toString());
        p.put("report.directory", out.resolve("reports").toString());
        p.put("cache.port", Integer.toString(FreePorts.allocate(1)[0]));
        return p;
    }

    /** One line, rewritten every second, until both flows have their three reports and are idle. */
    private void progress(NiFiRestClient api, List<DeployedFlow> flows, List<Path> reportDirs, long startedNanos) {
        long total = contacts + contacts / 10 + contacts / 5;
        Duration timeout = Duration.ofMinutes(30);
        List<Set<String>> processors = flows.stream().map(DeployedFlow::processorIds).toList();
        while (true) {
            boolean done = true;
            long queued = 0;
            List<Long> read = new ArrayList<>();
            for (int i = 0; i < flows.size(); i++) {
                GroupStatus status = flows.get(i).status();
                queued += status.flowFilesQueued();
                done &= RunOutputs.reportCount(reportDirs.get(i)) >= 3 && status.flowFilesQueued() == 0 && status.activeThreadCount() == 0;
                read.add(api.counters(processors.get(i)).getOrDefault("Records Read", 0L));
            }
            long seconds = Duration.ofNanos(System.nanoTime() - startedNanos).toSeconds();
            OUT.printf(Locale.ROOT, "\r  [%3ds] HubSpot: read %,d/%,d, written %s | PostgreSQL: read %,d/%,d, written %s | queued %d   ",
                    seconds, read.get(0), total, hubspotCounts(), read.get(1), total, postgresCounts(), queued);
            if (done) {
                OUT.println();
                return;
            }
            if (seconds > timeout.toSeconds()) {
                throw new IllegalStateException("The migrations did not finish within " + timeout.toMinutes() + " minutes; see " + nifi.home().appLog());
            }
            Await.sleep(Duration.ofSeconds(1));
        }
    }

    private String hubspotCounts() {
        return String.format(Locale.ROOT, "%,d/%,d/%,d", sim.count("hubspot", "companies"),
                sim.count("hubspot", "contacts"), sim.count("hubspot", "deals"));
    }

    private String postgresCounts() {
        List<Long> counts = new ArrayList<>();
        try (Connection c = database.connect(); Statement s = c.createStatement()) {
            for (String table : List.of("accounts", "contacts", "opportunities")) {
                try (ResultSet rs = s.executeQuery("SELECT count(*) FROM " + table)) {
                    rs.next();
                    counts.add(rs.getLong(1));
                }
            }
        } catch (Exception e) {
            return "(" + e.getMessage() + ")";
        }
        return String.format(Locale.ROOT, "%,d/%,d/%,d", counts.get(0), counts.get(1), counts.get(2));
    }

    private static void printReport(String title, RunOutputs outputs, List<String> objects, Path out) {
        OUT.printf("%nFull migration %s (rejects and reports: %s)%n", title, out);
        String header = String.format("  %-14s %9s %9s %8s %11s %9s %9s %7s %9s %10s", "object", "read", "mapped", "invalid",
                "dup.merged", "created", "updated", "failed", "elapsed", "records/s");
        OUT.println(header);
        OUT.println("  " + "-".repeat(header.length() - 2));
        long[] sums = new long[7];
        double elapsed = 0;
        for (String object : objects) {
            JsonNode r = outputs.report(object);
            long read = r.path("read").asLong();
            long invalid = r.path("invalid").asLong();
            long mapFailures = r.path("endedBy").path("map.failure").asLong();
            long[] row = {read, read - invalid - mapFailures, invalid, r.path("duplicatesMerged").asLong(), r.path("created").asLong(),
                    r.path("updated").asLong(), r.path("failed").asLong() + r.path("retriesExhausted").asLong()};
            for (int i = 0; i < row.length; i++) {
                sums[i] += row[i];
            }
            double seconds = r.path("elapsedSeconds").asDouble();
            elapsed += seconds;
            OUT.printf(Locale.ROOT, "  %-14s %,9d %,9d %,8d %,11d %,9d %,9d %,7d %8.1fs %,10.0f%n", object, row[0], row[1], row[2], row[3],
                    row[4], row[5], row[6], seconds, r.path("recordsPerSecond").asDouble());
        }
        OUT.println("  " + "-".repeat(header.length() - 2));
        OUT.printf(Locale.ROOT, "  %-14s %,9d %,9d %,8d %,11d %,9d %,9d %,7d %8.1fs %,10.0f%n", "total", sums[0], sums[1], sums[2], sums[3],
                sums[4], sums[5], sums[6], elapsed, elapsed > 0 ? sums[0] / elapsed : 0);
        OUT.println("  dup.merged: merged into a golden record of the same FlowFile; updated: written onto a record already in the");
        OUT.println("  target (on a first run, duplicates merged into a golden record of an earlier FlowFile); failed: refused by the");
        OUT.println("  target or retries exhausted (the reason is in each rejected record).");
    }

    private void writeState() throws IOException {
        Properties state = new Properties();
        state.setProperty("demo.pid", Long.toString(ProcessHandle.current().pid()));
        if (sim != null) {
            state.setProperty("simulator.pid", Long.toString(sim.pid()));
            state.setProperty("simulator.url", sim.baseUrl());
        }
        if (database != null) {
            state.setProperty("postgresql.url", database.jdbcUrl());
        }
        if (nifi != null) {
            state.setProperty("nifi.url", "http://127.0.0.1:" + nifiPort + "/nifi-api");
            state.setProperty("nifi.home", nifi.home().root().toString());
            ProcessHandle.current().children().filter(p -> p.info().commandLine().orElse("").contains("org.apache.nifi.NiFi"))
                    .findFirst().ifPresent(p -> state.setProperty("nifi.pid", Long.toString(p.pid())));
        }
        Path file = dir.resolve("state.properties");
        try (var out = Files.newOutputStream(file)) {
            state.store(out, "nifi-crm demo: ./demo.sh --stop signals demo.pid");
        }
    }

    private void shutdown() {
        if (nifi != null) {
            try {
                nifi.close();
            } catch (RuntimeException e) {
                OUT.println("NiFi: " + e.getMessage());
            }
        }
        if (sim != null) {
            sim.close();
        }
        if (postgres != null) {
            postgres.close();
        }
        try {
            Files.deleteIfExists(dir.resolve("state.properties"));
        } catch (IOException ignored) {
            // best effort
        }
    }

    private static void step(String text) {
        OUT.println("==> " + text);
    }
}
