package io.nificrm.simulator.seed;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Which seeded records are the same real-world entity: record id → cluster key, per object of one system.
 * Deduplication quality is measured against it.
 */
public final class GroundTruth {
    private final Map<String, Map<String, String>> clustersByObject = new ConcurrentHashMap<>();

    public void put(String object, String recordId, String clusterKey) {
        clustersByObject.computeIfAbsent(object, k -> new ConcurrentHashMap<>()).put(recordId, clusterKey);
    }

    /** Record id → cluster key for one object (empty when nothing was seeded). */
    public Map<String, String> clusters(String object) {
        return Map.copyOf(clustersByObject.getOrDefault(object, Map.of()));
    }

    public void clear() {
        clustersByObject.clear();
    }
}
