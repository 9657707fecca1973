package io.nificrm.processors.upsert;

import org.apache.nifi.distributed.cache.client.Deserializer;
import org.apache.nifi.distributed.cache.client.DistributedMapCacheClient;
import org.apache.nifi.distributed.cache.client.Serializer;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Target ids of parents by (object, source id): a bounded in-memory LRU, backed when configured by NiFi's
 * Distributed Map Cache so that the parents' upsert on one node fills it for the children's upsert on any node.
 */
public final class ParentIdCache {
    private static final Serializer<String> UTF8 = (value, out) -> out.write(value.getBytes(StandardCharsets.UTF_8));
    /** NiFi's MapCacheClientService hands a missing key's value over as an empty array, not null. */
    private static final Deserializer<String> FROM_UTF8 = bytes -> bytes == null || bytes.length == 0 ? null : new String(bytes, StandardCharsets.UTF_8);

    private final Map<String, String> local;
    private volatile DistributedMapCacheClient shared;

    public ParentIdCache(int capacity) {
        this.local = new LinkedHashMap<>(1024, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, String> eldest) {
                return size() > capacity;
            }
        };
    }

    /** Backs the cache with a Distributed Map Cache (or none). */
    public void share(DistributedMapCacheClient client) {
        this.shared = client;
    }

    private static String key(String object, String sourceId) {
        return "nifi-crm/parent/" + object + "/" + sourceId;
    }

    public String get(String object, String sourceId) {
        String key = key(object, sourceId);
        synchronized (local) {
            String hit = local.get(key);
            if (hit != null) {
                return hit;
            }
        }
        DistributedMapCacheClient client = shared;
        if (client == null) {
            return null;
        }
        try {
            String value = client.get(key, UTF8, FROM_UTF8);
            if (value != null) {
                synchronized (local) {
                    local.put(key, value);
                }
            }
            return value;
        } catch (IOException e) {
            return null; // the cache is an optimisation: a lookup in the target follows
        }
    }

    public void put(String object, String sourceId, String targetId) {
        String key = key(object, sourceId);
        synchronized (local) {
            local.put(key, targetId);
        }
        DistributedMapCacheClient client = shared;
        if (client != null) {
            try {
                client.put(key, targetId, UTF8, UTF8);
            } catch (IOException ignored) {
                // Best effort: children fall back to a lookup in the target.
            }
        }
    }
}
