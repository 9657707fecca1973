package io.nificrm.bench;

import java.util.Map;
import java.util.TreeMap;

/**
 * Entry point of {@code ./bench.sh NAME [args]}: runs one named benchmark, which prints its own table.
 * Benchmarks register here; each is a class with a {@code main}.
 */
public final class Bench {
    /** Benchmark name → its class. */
    private static final Map<String, String> BENCHMARKS = new TreeMap<>(Map.of(
            "dedup", "io.nificrm.bench.dedup.DedupBenchmark",
            "mapping", "io.nificrm.bench.mapping.MappingBenchmark",
            "planner", "io.nificrm.bench.planner.PlannerBenchmark",
            "fetch", "io.nificrm.bench.fetch.ParallelFetchBenchmark",
            "services", "io.nificrm.bench.ServicesBenchmark",
            "upsert", "io.nificrm.bench.upsert.UpsertBenchmark",
            "push", "io.nificrm.bench.push.PushLatencyBenchmark",
            "queue", "io.nificrm.bench.queue.QueueLatencyBenchmark"));

    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || !BENCHMARKS.containsKey(args[0])) {
            System.out.println("Usage: ./bench.sh NAME [args]   where NAME is one of " + BENCHMARKS.keySet());
            System.exit(args.length == 0 ? 0 : 2);
        }
        String[] rest = java.util.Arrays.copyOfRange(args, 1, args.length);
        Class.forName(BENCHMARKS.get(args[0])).getMethod("main", String[].class).invoke(null, (Object) rest);
    }
}
