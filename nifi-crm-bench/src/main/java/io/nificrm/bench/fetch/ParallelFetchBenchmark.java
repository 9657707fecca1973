package io.nificrm.bench.fetch;

import io.nificrm.bench.BenchServices;
import io.nificrm.bench.Table;
import io.nificrm.processors.FetchCrmPartition;
import io.nificrm.processors.GenerateCrmPartitions;
import io.nificrm.processors.QueryCrmEntities;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.simulator.fault.FaultRule;
import io.nificrm.simulator.seed.SeedConfig;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;

import java.util.List;
import java.util.Map;

/**
 * Single full load (QueryCrmEntities) against a partitioned load (GenerateCrmPartitions + FetchCrmPartition with one
 * task per partition) of the same object, with network latency injected on every query call, as over a WAN.
 * Usage: {@code ./bench.sh fetch [records] [latencyMs] [partitions]}.
 */
public final class ParallelFetchBenchmark {
    private ParallelFetchBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int records = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        long latency = args.length > 1 ? Long.parseLong(args[1]) : 150;
        int partitions = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        try (CrmSimulator sim = CrmSimulator.start(SimulatorConfig.defaults().unlimited()
                .seed("salesforce", SeedConfig.ofContacts(records).withDuplicateRate(0)))) {
            sim.faults().add(FaultRule.on("salesforce", "query").withLatency(latency));
            Table table = new Table("load", "records", "query calls", "seconds", "records/s", "speed-up");
            single(sim, 2_000);  // warm-up
            double singleSeconds = Double.MAX_VALUE;
            double parallelSeconds = Double.MAX_VALUE;
            long[] singleResult = null;
            long[] parallelResult = null;
            for (int run = 0; run < 3; run++) {
                long[] s = single(sim, records);
                long[] p = parallel(sim, records, partitions);
                if (s[2] / 1e9 < singleSeconds) {
                    singleSeconds = s[2] / 1e9;
                    singleResult = s;
                }
                if (p[2] / 1e9 < parallelSeconds) {
                    parallelSeconds = p[2] / 1e9;
                    parallelResult = p;
                }
            }
            table.row("single (QueryCrmEntities)", singleResult[0], singleResult[1], singleSeconds, singleResult[0] / singleSeconds, 1.0);
            table.row(partitions + " partitions x " + partitions + " tasks", parallelResult[0], parallelResult[1], parallelSeconds,
                    parallelResult[0] / parallelSeconds, singleSeconds / parallelSeconds);
            System.out.printf("Salesforce contacts, %d ms added latency per query call, page size 2,000, best of 3 runs%n", latency);
            table.print();
        }
    }

    /** Records, query calls, nanoseconds. */
    private static long[] single(CrmSimulator sim, int records) throws Exception {
        TestRunner query = BenchServices.runner(QueryCrmEntities.class, "salesforce", sim, Map.of());
        BenchServices.json(query);
        query.setProperty("CRM Connection Service", "salesforce");
        query.setProperty("Object", "Contact");
        query.setProperty("Fields", "FirstName, LastName, Email");
        query.setProperty("Record Writer", BenchServices.WRITER);
        long calls = sim.stats().requests("salesforce", "query");
        long start = System.nanoTime();
        query.run();
        long elapsed = System.nanoTime() - start;
        long read = count(query.getFlowFilesForRelationship("success"));
        return new long[]{read, sim.stats().requests("salesforce", "query") - calls, elapsed};
    }

    private static long[] parallel(CrmSimulator sim, int records, int partitions) throws Exception {
        long calls = sim.stats().requests("salesforce", "query");
        long start = System.nanoTime();
        TestRunner generate = BenchServices.runner(GenerateCrmPartitions.class, "salesforce", sim, Map.of());
        generate.setProperty("CRM Connection Service", "salesforce");
        generate.setProperty("Object", "Contact");
        generate.setProperty("Partitions", Integer.toString(partitions));
        generate.setIncomingConnection(false);
        generate.run();
        TestRunner fetch = BenchServices.runner(FetchCrmPartition.class, "salesforce", sim, Map.of());
        BenchServices.json(fetch);
        fetch.setProperty("CRM Connection Service", "salesforce");
        fetch.setProperty("Fields", "FirstName, LastName, Email");
        fetch.setProperty("Max Records Per FlowFile", "2000");
        fetch.setProperty("Record Writer", BenchServices.WRITER);
        fetch.setThreadCount(partitions);
        generate.getFlowFilesForRelationship("success").forEach(p -> fetch.enqueue(new byte[0], p.getAttributes()));
        while (fetch.getFlowFilesForRelationship("completed").size() < partitions) {
            fetch.run(partitions * 4, false, false);
        }
        fetch.run(1, true, false);
        long elapsed = System.nanoTime() - start;
        long read = count(fetch.getFlowFilesForRelationship("success"));
        if (read != records) {
            throw new IllegalStateException("The partitions held " + read + " records, expected " + records);
        }
        return new long[]{read, sim.stats().requests("salesforce", "query") - calls, elapsed};
    }

    private static long count(List<MockFlowFile> flowFiles) {
        return flowFiles.stream().mapToLong(f -> Long.parseLong(f.getAttribute("record.count"))).sum();
    }
}
