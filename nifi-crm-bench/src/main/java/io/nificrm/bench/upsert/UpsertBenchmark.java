package io.nificrm.bench.upsert;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.nificrm.bench.BenchServices;
import io.nificrm.bench.Table;
import io.nificrm.processors.UpsertCrmRecords;
import io.nificrm.services.jdbc.JdbcConnectionService;
import io.nificrm.services.jdbc.TestDbcpService;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.simulator.postgres.LocalPostgres;
import org.apache.nifi.processor.Processor;
import org.apache.nifi.processors.standard.PutDatabaseRecord;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * UpsertCrmRecords throughput. Part 1: each CRM at a request limit (enforced by the simulator, kept by the service),
 * with 8 concurrent tasks: API calls per record against 1 / batch size, records/s against the ceiling (limit × batch).
 * Part 2: PostgreSQL, UpsertCrmRecords (JDBC service) next to stock PutDatabaseRecord (UPSERT) on the same data and
 * table, alternating, median of 3 after a warm-up. Usage: {@code ./bench.sh upsert [pgRecords [crm [system]|postgres|profile]]}.
 */
public final class UpsertBenchmark {
    private static final ObjectMapper JSON = new ObjectMapper();

    private UpsertBenchmark() {
    }

    private record Target(String system, String object, String key, String lastName, int batch, int rate, int records) {
    }

    public static void main(String[] args) throws Exception {
        int pgRecords = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        boolean only = args.length > 1;
        if (!only || args[1].equals("crm")) {
            rateLimited(args.length > 2 ? args[2] : null);
        }
        if (!only || args[1].equals("postgres")) {
            postgres(pgRecords);
        }
        if (only && args[1].equals("profile")) {
            LocalPostgres.Database db = LocalPostgres.shared().createDatabase("upsert_profile");
            try (Connection c = db.connect(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE contacts (id bigserial PRIMARY KEY, source_id varchar(40) NOT NULL UNIQUE, first_name varchar(80), "
                        + "last_name varchar(80), email varchar(120), phone varchar(40), city varchar(80), updated_at timestamptz)");
            }
            byte[] input = pgInput(pgRecords);
            for (int i = 0; i < 4; i++) {
                System.out.printf("ours %.2f s, stock %.2f s%n", run(db, input, true), run(db, input, false));
            }
        }
    }

    /** @param onlySystem one system to measure, or null for all three */
    private static void rateLimited(String onlySystem) throws Exception {
        List<Target> targets = List.of(
                new Target("salesforce", "Contact", "External_Id__c", "LastName", 200, 4, 40_000),
                new Target("hubspot", "contacts", "source_id", "lastname", 100, 4, 20_000),
                new Target("dynamics", "contact", "nificrm_sourceid", "lastname", 100, 4, 20_000));
        Table table = new Table("target", "limit req/s", "records", "write calls", "other calls", "429s", "calls/record", "1/batch",
                "seconds", "records/s", "ceiling rec/s", "ratio");
        for (Target t : targets) {
            if (onlySystem != null && !onlySystem.equals(t.system())) {
                continue;
            }
            try (CrmSimulator sim = CrmSimulator.start(SimulatorConfig.defaults().unlimited()
                    .limits(t.system(), new SimulatorConfig.Limits(t.rate(), Duration.ofSeconds(1), 0)))) {
                Map<String, String> properties = new HashMap<>(Map.of("Rate Limit Requests", Integer.toString(t.rate()),
                        "Rate Limit Interval", "1 sec", "Max Concurrent Requests", "0"));
                if (t.system().equals("salesforce")) {
                    properties.put("Bulk API Threshold", "0");
                }
                TestRunner runner = BenchServices.runner(UpsertCrmRecords.class, t.system(), sim, properties);
                BenchServices.json(runner);
                runner.setProperty("CRM Connection Service", t.system());
                runner.setProperty("Object", t.object());
                runner.setProperty("Key Field", t.key());
                runner.setProperty("Record Reader", BenchServices.READER);
                runner.setProperty("Record Writer", BenchServices.WRITER);
                runner.setThreadCount(8);
                int flowFiles = t.records() / 1000;
                for (int f = 0; f < flowFiles; f++) {
                    runner.enqueue(records(f * 1000, 1000, t.key(), t.lastName()));
                }
                String endpoint = t.system().equals("dynamics") ? "batch" : "upsert";
                long calls0 = sim.stats().requests(t.system(), endpoint);
                long all0 = sim.stats().requests(t.system(), "*");
                long throttled0 = sim.stats().throttled(t.system());
                long start = System.nanoTime();
                runner.run(flowFiles);
                double seconds = (System.nanoTime() - start) / 1e9;
                long written = runner.getFlowFilesForRelationship("success").stream()
                        .mapToLong(ff -> Long.parseLong(ff.getAttribute("record.count"))).sum();
                long calls = sim.stats().requests(t.system(), endpoint) - calls0;
                long others = sim.stats().requests(t.system(), "*") - all0 - calls;
                long throttled = sim.stats().throttled(t.system()) - throttled0;
                double ceiling = (double) t.rate() * t.batch();
                table.row(t.system(), t.rate(), written, calls, others, throttled, String.format("%.5f", (double) calls / written),
                        String.format("%.5f", 1.0 / t.batch()), seconds, written / seconds, ceiling, written / seconds / ceiling);
            }
        }
        System.out.println("UpsertCrmRecords at a request limit (8 concurrent tasks, 1,000 records per FlowFile, 200 write calls)");
        table.print();
    }

    private static byte[] records(int first, int count, String key, String lastName) {
        ArrayNode array = JSON.createArrayNode();
        for (int i = first; i < first + count; i++) {
            array.addObject().put(key, "B-" + i).put(lastName, "Last" + i);
        }
        return array.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void postgres(int count) throws Exception {
        LocalPostgres.Database db = LocalPostgres.shared().createDatabase("upsert_bench");
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE contacts (id bigserial PRIMARY KEY, source_id varchar(40) NOT NULL UNIQUE, first_name varchar(80), "
                    + "last_name varchar(80), email varchar(120), phone varchar(40), city varchar(80), updated_at timestamptz)");
        }
        byte[] input = pgInput(count);
        run(db, input, true);  // warm-up
        run(db, input, false);
        List<Double> ours = new ArrayList<>();
        List<Double> stock = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            ours.add(run(db, input, true));
            stock.add(run(db, input, false));
        }
        double oursMedian = median(ours);
        double stockMedian = median(stock);
        Table table = new Table("processor", "records", "median seconds", "records/s", "ratio");
        table.row("UpsertCrmRecords (JDBC service, ON CONFLICT)", (long) count, oursMedian, count / oursMedian, stockMedian / oursMedian);
        table.row("stock PutDatabaseRecord (UPSERT)", (long) count, stockMedian, count / stockMedian, 1.0);
        System.out.printf("%nPostgreSQL upsert of %,d records into an empty table, one FlowFile, median of 3 alternating runs%n", count);
        table.print();
        LocalPostgres.shared().dropDatabase(db.name());
    }

    private static byte[] pgInput(int count) {
        ArrayNode array = JSON.createArrayNode();
        for (int i = 0; i < count; i++) {
            array.addObject().put("source_id", "S-" + i).put("first_name", "First" + i).put("last_name", "Last" + i)
                    .put("email", "p" + i + "@example.com").put("phone", "+1415555" + String.format("%04d", i % 10_000)).put("city", "Austin");
        }
        return array.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** One run into a truncated table; seconds. */
    private static double run(LocalPostgres.Database db, byte[] input, boolean ours) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("TRUNCATE contacts");
        }
        Class<? extends Processor> type = ours ? UpsertCrmRecords.class : PutDatabaseRecord.class;
        TestRunner runner = TestRunners.newTestRunner(type);
        TestDbcpService dbcp = new TestDbcpService();
        runner.addControllerService("dbcp", dbcp);
        runner.setProperty(dbcp, TestDbcpService.URL, db.jdbcUrl());
        runner.setProperty(dbcp, TestDbcpService.USER, db.user());
        runner.setProperty(dbcp, TestDbcpService.PASSWORD, db.password());
        runner.enableControllerService(dbcp);
        BenchServices.json(runner);
        if (ours) {
            JdbcConnectionService jdbc = new JdbcConnectionService();
            runner.addControllerService("jdbc", jdbc);
            runner.setProperty(jdbc, JdbcConnectionService.DBCP_SERVICE, "dbcp");
            runner.enableControllerService(jdbc);
            runner.setProperty("CRM Connection Service", "jdbc");
            runner.setProperty("Object", "contacts");
            runner.setProperty("Key Field", "source_id");
            runner.setProperty("Record Reader", BenchServices.READER);
            runner.setProperty("Record Writer", BenchServices.WRITER);
        } else {
            runner.setProperty("put-db-record-record-reader", BenchServices.READER);
            runner.setProperty("put-db-record-statement-type", "UPSERT");
            runner.setProperty("put-db-record-dcbp-service", "dbcp");
            runner.setProperty("put-db-record-table-name", "contacts");
            runner.setProperty("put-db-record-update-keys", "source_id");
            runner.setProperty("db-type", "PostgreSQL");
        }
        runner.enqueue(input);
        long start = System.nanoTime();
        runner.run();
        double seconds = (System.nanoTime() - start) / 1e9;
        try (Connection c = db.connect(); Statement s = c.createStatement(); var rows = s.executeQuery("SELECT count(*) FROM contacts")) {
            rows.next();
            if (rows.getLong(1) != JSON.readTree(input).size()) {
                throw new IllegalStateException((ours ? "UpsertCrmRecords" : "PutDatabaseRecord") + " wrote " + rows.getLong(1) + " rows");
            }
        }
        return seconds;
    }

    private static double median(List<Double> values) {
        List<Double> sorted = new ArrayList<>(values);
        sorted.sort(Double::compare);
        return sorted.get(sorted.size() / 2);
    }
}
