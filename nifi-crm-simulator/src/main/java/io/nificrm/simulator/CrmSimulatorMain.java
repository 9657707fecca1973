package io.nificrm.simulator;

import io.nificrm.simulator.fault.FaultRule;
import io.nificrm.simulator.http.Json;
import io.nificrm.simulator.seed.SeedConfig;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;

/**
 * Runs the simulator standalone: {@code java -jar nifi-crm-simulator-*-standalone.jar [options]}.
 * <pre>
 *   --port N                  listen port (default 8089; 0 picks a free one)
 *   --host H                  listen address (default 127.0.0.1)
 *   --seed SYSTEM=CONTACTS    seed a system with that many contacts (accounts 1/10, opportunities 1/5); repeatable
 *   --random-seed N           seed of the data generator (default 42)
 *   --duplicate-rate R        share of near-duplicate contacts (default 0.10)
 *   --limit SYSTEM=N/MS[/D]   N requests per MS milliseconds (0 = none) and D calls per day; repeatable
 *   --unlimited               no rate limits at all
 *   --token-ttl SECONDS       how long access tokens live (default 7200)
 *   --fault JSON              a fault rule, e.g. {"system":"hubspot","endpoint":"upsert","errorRate":0.1}; repeatable
 * </pre>
 */
public final class CrmSimulatorMain {
    private CrmSimulatorMain() {
    }

    public static void main(String[] args) throws InterruptedException {
        SimulatorConfig config = SimulatorConfig.defaults().port(8089);
        long randomSeed = 42;
        double duplicateRate = 0.10;
        java.util.Map<String, Integer> seeds = new java.util.LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            String value = i + 1 < args.length ? args[i + 1] : null;
            switch (arg) {
                case "--port" -> config.port(Integer.parseInt(require(arg, value)));
                case "--host" -> config.host(require(arg, value));
                case "--seed" -> {
                    String[] kv = require(arg, value).split("=", 2);
                    seeds.put(kv[0], Integer.parseInt(kv[1]));
                }
                case "--random-seed" -> randomSeed = Long.parseLong(require(arg, value));
                case "--duplicate-rate" -> duplicateRate = Double.parseDouble(require(arg, value));
                case "--limit" -> {
                    String[] kv = require(arg, value).split("=", 2);
                    String[] parts = kv[1].split("/");
                    config.limits(kv[0], new SimulatorConfig.Limits(Integer.parseInt(parts[0]),
                            Duration.ofMillis(Long.parseLong(parts[1])), parts.length > 2 ? Long.parseLong(parts[2]) : 0));
                }
                case "--unlimited" -> {
                    config.unlimited();
                    i--;
                }
                case "--token-ttl" -> config.tokenTtl(Duration.ofSeconds(Long.parseLong(require(arg, value))));
                case "--fault" -> {
                    try {
                        config.fault(Json.MAPPER.readValue(require(arg, value), FaultRule.class));
                    } catch (Exception e) {
                        throw new IllegalArgumentException("Not a valid fault rule: " + value + " (" + e.getMessage() + ")");
                    }
                }
                case "--help", "-h" -> {
                    System.out.println("Usage: java -jar nifi-crm-simulator-standalone.jar [--port N] [--seed salesforce=10000] "
                            + "[--limit hubspot=190/10000] [--unlimited] [--token-ttl S] [--fault JSON]");
                    return;
                }
                default -> throw new IllegalArgumentException("Unknown option " + arg + " (try --help)");
            }
            i++;
        }
        for (var seed : seeds.entrySet()) {
            config.seed(seed.getKey(), SeedConfig.ofContacts(seed.getValue()).withRandomSeed(randomSeed).withDuplicateRate(duplicateRate));
        }
        long start = System.nanoTime();
        CrmSimulator sim = CrmSimulator.start(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            sim.close();
            stopped.countDown();
        }));
        System.out.printf("CRM simulator listening on %s (started in %d ms)%n", sim.baseUrl(), (System.nanoTime() - start) / 1_000_000);
        for (var seed : seeds.entrySet()) {
            System.out.printf("  seeded %s with %,d contacts%n", seed.getKey(), seed.getValue());
        }
        stopped.await();
    }

    private static String require(String option, String value) {
        if (value == null) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return value;
    }
}
