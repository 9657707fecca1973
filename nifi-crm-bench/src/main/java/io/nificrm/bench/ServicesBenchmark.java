package io.nificrm.bench;

import io.nificrm.api.CrmPage;
import io.nificrm.api.CrmQuery;
import io.nificrm.api.CrmWriteRequest;
import io.nificrm.api.CrmWriteResult;
import io.nificrm.api.WriteOperation;
import io.nificrm.services.AbstractCrmConnectionService;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.simulator.seed.SeedConfig;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Query and upsert throughput of each connection service against the simulator with a rate limit configured on
 * both sides, next to the ceiling the limit allows (requests/s × records per request). Usage:
 * {@code ./bench.sh services [requestsPerMeasurement]}. Each system gets a rate the simulator can serve on two cores
 * (a Dataverse page of 5,000 records takes the simulator about half a second to render, so its rate is lower), so that
 * the limit, not the simulator, is what binds.
 */
public final class ServicesBenchmark {
    private ServicesBenchmark() {
    }

    private record Target(String name, String object, String key, int pageSize, int batchSize, int rate) {
    }

    public static void main(String[] args) throws Exception {
        int requests = args.length > 0 ? Integer.parseInt(args[0]) : 60;
        List<Target> systems = List.of(
                new Target("salesforce", "Contact", "External_Id__c", 2000, 200, 4),
                new Target("hubspot", "contacts", "source_id", 100, 100, 4),
                new Target("dynamics", "contact", "nificrm_sourceid", 5000, 100, 2));
        Table table = new Table("system", "operation", "limit req/s", "records", "seconds", "records/s", "ceiling rec/s", "ratio",
                "API calls/record", "429s");
        for (Target system : systems) {
            int rate = system.rate();
            int records = system.pageSize() * requests;
            SimulatorConfig config = SimulatorConfig.defaults().unlimited()
                    .limits(system.name(), new SimulatorConfig.Limits(rate, Duration.ofSeconds(1), 0))
                    .seed(system.name(), SeedConfig.ofContacts(records + system.pageSize()).withDuplicateRate(0));
            try (CrmSimulator sim = CrmSimulator.start(config)) {
                Map<String, String> properties = Map.of("Rate Limit Requests", Integer.toString(rate), "Rate Limit Interval", "1 sec",
                        "Max Concurrent Requests", "0");
                Map<String, String> withoutBulk = new HashMap<>(properties);
                if (system.name().equals("salesforce")) {
                    withoutBulk.put("Bulk API Threshold", "0");
                }
                AbstractCrmConnectionService service = BenchServices.service(system.name(), sim, withoutBulk);
                service.describe(system.object());
                measureQuery(table, sim, service, system, rate, requests);
                measureUpsert(table, sim, service, system, rate, requests);
            }
        }
        System.out.printf("Connection services at a request limit enforced by the simulator and kept by the client, %d requests per measurement%n",
                requests);
        table.print();
    }

    private static void measureQuery(Table table, CrmSimulator sim, AbstractCrmConnectionService service, Target system, int rate, int requests) {
        long calls0 = sim.stats().requests(system.name(), "*");
        long throttled0 = sim.stats().throttled(system.name());
        long start = java.lang.System.nanoTime();
        String cursor = null;
        long read = 0;
        for (int i = 0; i < requests; i++) {
            CrmPage page = service.query(CrmQuery.of(system.object()).withPageSize(system.pageSize()).withCursor(cursor));
            read += page.records().size();
            cursor = page.nextCursor();
        }
        double seconds = (java.lang.System.nanoTime() - start) / 1e9;
        double ceiling = (double) rate * system.pageSize();
        long calls = sim.stats().requests(system.name(), "*") - calls0;
        table.row(system.name(), "query", rate, read, seconds, read / seconds, ceiling, read / seconds / ceiling, String.format("%.5f", (double) calls / read),
                sim.stats().throttled(system.name()) - throttled0);
    }

    private static void measureUpsert(Table table, CrmSimulator sim, AbstractCrmConnectionService service, Target system, int rate,
                                      int requests) throws Exception {
        var schema = new SimpleRecordSchema(List.of(
                new RecordField(system.key(), RecordFieldType.STRING.getDataType()),
                new RecordField(system.name().equals("salesforce") ? "LastName" : "lastname", RecordFieldType.STRING.getDataType())));
        long calls0 = sim.stats().requests(system.name(), "*");
        long throttled0 = sim.stats().throttled(system.name());
        AtomicInteger written = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(4);
        long start = java.lang.System.nanoTime();
        List<Future<?>> futures = new ArrayList<>();
        for (int call = 0; call < requests; call++) {
            int first = call * system.batchSize();
            futures.add(pool.submit(() -> {
                List<Record> batch = new ArrayList<>();
                for (int i = first; i < first + system.batchSize(); i++) {
                    Map<String, Object> values = new HashMap<>();
                    values.put(system.key(), "BENCH-" + i);
                    values.put(schema.getField(1).getFieldName(), "Bench" + i);
                    batch.add(new MapRecord(schema, values));
                }
                List<CrmWriteResult> results = service.write(new CrmWriteRequest(system.object(), WriteOperation.UPSERT, system.key(), batch));
                written.addAndGet((int) results.stream().filter(CrmWriteResult::isSuccess).count());
                return null;
            }));
        }
        for (Future<?> f : futures) {
            f.get();
        }
        double seconds = (java.lang.System.nanoTime() - start) / 1e9;
        pool.shutdown();
        double ceiling = (double) rate * system.batchSize();
        long calls = sim.stats().requests(system.name(), "*") - calls0;
        table.row(system.name(), "upsert", rate, (long) written.get(), seconds, written.get() / seconds, ceiling,
                written.get() / seconds / ceiling, String.format("%.5f", (double) calls / written.get()), sim.stats().throttled(system.name()) - throttled0);
    }
}
