package io.nificrm.simulator.fault;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Counts requests per system and endpoint, and throttled answers per system, for tests and benchmarks. */
public final class RequestStats {
    private final Map<String, LongAdder> requests = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> throttled = new ConcurrentHashMap<>();
    private final Map<String, LongAdder> injected = new ConcurrentHashMap<>();

    /** A fault the injector applied: {@code kind} is status-NNN, dropped, timeout, malformed, partial or slow. */
    public void recordInjected(String system, String kind) {
        injected.computeIfAbsent(system + "." + kind, k -> new LongAdder()).increment();
    }

    public void record(String system, String endpoint) {
        requests.computeIfAbsent(system + "." + endpoint, k -> new LongAdder()).increment();
    }

    public void recordThrottled(String system) {
        throttled.computeIfAbsent(system, k -> new LongAdder()).increment();
    }

    /** Requests to one endpoint of a system ({@code *} for all endpoints). */
    public long requests(String system, String endpoint) {
        if ("*".equals(endpoint)) {
            return requests.entrySet().stream().filter(e -> e.getKey().startsWith(system + "."))
                    .mapToLong(e -> e.getValue().sum()).sum();
        }
        LongAdder count = requests.get(system + "." + endpoint);
        return count == null ? 0 : count.sum();
    }

    public long throttled(String system) {
        LongAdder count = throttled.get(system);
        return count == null ? 0 : count.sum();
    }

    public Map<String, Object> snapshot() {
        Map<String, Object> out = new TreeMap<>();
        Map<String, Long> req = new TreeMap<>();
        requests.forEach((k, v) -> req.put(k, v.sum()));
        Map<String, Long> thr = new TreeMap<>();
        throttled.forEach((k, v) -> thr.put(k, v.sum()));
        out.put("requests", req);
        out.put("throttled", thr);
        Map<String, Long> inj = new TreeMap<>();
        injected.forEach((k, v) -> inj.put(k, v.sum()));
        out.put("injected", inj);
        return out;
    }

    public void reset() {
        requests.clear();
        throttled.clear();
        injected.clear();
    }
}
