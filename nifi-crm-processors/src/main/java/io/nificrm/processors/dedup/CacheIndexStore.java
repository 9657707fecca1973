package io.nificrm.processors.dedup;

import org.apache.nifi.distributed.cache.client.Deserializer;
import org.apache.nifi.distributed.cache.client.DistributedMapCacheClient;
import org.apache.nifi.distributed.cache.client.Serializer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;

/**
 * A match index in NiFi's distributed map cache, shared by every node of a cluster (the cache server must be
 * sized for it: one entry per record, per distinct blocking-key value and per multi-record cluster).
 */
public final class CacheIndexStore implements IndexStore {
    private static final Serializer<String> KEY = (value, out) -> out.write(value.getBytes(StandardCharsets.UTF_8));
    private static final Serializer<byte[]> VALUE = (value, out) -> out.write(value);
    private static final Deserializer<byte[]> BYTES = input -> input == null || input.length == 0 ? null : input;

    private final DistributedMapCacheClient client;

    public CacheIndexStore(DistributedMapCacheClient client) {
        this.client = client;
    }

    @Override
    public Map<String, byte[]> getAll(Collection<String> keys) throws IOException {
        if (keys.isEmpty()) {
            return Map.of();
        }
        Map<String, byte[]> found = client.subMap(new HashSet<>(keys), KEY, BYTES);
        Map<String, byte[]> present = new HashMap<>();
        found.forEach((k, v) -> {
            if (v != null) {
                present.put(k, v);
            }
        });
        return present;
    }

    @Override
    public void putAll(Map<String, byte[]> entries) throws IOException {
        if (!entries.isEmpty()) {
            client.putAll(entries, KEY, VALUE);
        }
    }

    @Override
    public void removeAll(Collection<String> keys) throws IOException {
        for (String key : keys) {
            client.remove(key, KEY);
        }
    }

    @Override
    public String describe() {
        return "distributed map cache " + client.getIdentifier();
    }

    @Override
    public void close() {
        // The controller service owns the connection.
    }
}
