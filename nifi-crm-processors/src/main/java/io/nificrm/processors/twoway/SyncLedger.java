package io.nificrm.processors.twoway;

import io.nificrm.processors.dedup.IndexStore;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The sync ledger: per linked pair of records, what was last synced ({@link SyncLink}), kept in an {@link IndexStore}
 * under one key per side, {@code <sync name>|<side>|<object>|<record id>}, so a change from either side finds its pair with
 * one read. Both keys hold the same entry.
 */
public final class SyncLedger {
    private final IndexStore store;
    private final Object lock;
    private final String namespace;

    public SyncLedger(LedgerStores.Handle handle, String namespace) {
        this(handle.store(), handle.lock(), namespace);
    }

    SyncLedger(IndexStore store, Object lock, String namespace) {
        this.store = store;
        this.lock = lock;
        this.namespace = namespace;
    }

    String key(String side, String object, String id) {
        return namespace + "|" + side + "|" + object + "|" + id;
    }

    private String key(String side, SyncLink.Side state) {
        return key(side, state.object, state.id);
    }

    /** The entries of those records of {@code object} on {@code side} that are linked, by record id. */
    public Map<String, SyncLink> find(String side, String object, Collection<String> ids) throws IOException {
        Map<String, String> keys = new HashMap<>();
        for (String id : ids) {
            if (id != null) {
                keys.put(key(side, object, id), id);
            }
        }
        Map<String, SyncLink> found = new HashMap<>();
        store.getAll(keys.keySet()).forEach((key, bytes) -> found.put(keys.get(key), SyncLink.fromBytes(bytes)));
        return found;
    }

    /**
     * Commits intents in order: each is folded into the pair's entry (found by any side's id it names), or removes
     * the pair when it is a delete. An intent whose pair does not have both ids yet is skipped.
     *
     * @return how many intents were stored
     */
    public int apply(List<SyncLink> intents) throws IOException {
        if (intents.isEmpty()) {
            return 0;
        }
        synchronized (lock) {
            Set<String> wanted = new HashSet<>();
            for (SyncLink intent : intents) {
                intent.sides.forEach((label, side) -> {
                    if (side.id != null) {
                        wanted.add(key(label, side));
                    }
                });
            }
            Map<String, SyncLink> current = new HashMap<>();
            store.getAll(wanted).forEach((key, bytes) -> current.put(key, SyncLink.fromBytes(bytes)));
            Map<String, SyncLink> puts = new LinkedHashMap<>();
            Set<String> removes = new HashSet<>();
            int stored = 0;
            for (SyncLink intent : intents) {
                SyncLink entry = null;
                List<String> ownKeys = new ArrayList<>();
                for (var e : intent.sides.entrySet()) {
                    if (e.getValue().id == null) {
                        continue;
                    }
                    String key = key(e.getKey(), e.getValue());
                    ownKeys.add(key);
                    SyncLink existing = puts.containsKey(key) ? puts.get(key) : removes.contains(key) ? null : current.get(key);
                    if (entry == null && existing != null) {
                        entry = existing;
                    }
                }
                if (intent.delete) {
                    Set<String> gone = new HashSet<>(ownKeys);
                    if (entry != null) {
                        entry.sides.forEach((label, side) -> {
                            if (side.id != null) {
                                gone.add(key(label, side));
                            }
                        });
                    }
                    gone.forEach(puts::remove);
                    removes.addAll(gone);
                    stored++;
                    continue;
                }
                SyncLink merged = entry == null ? new SyncLink() : entry;
                // A side now linked to a different record: the old record's key no longer belongs to this pair.
                for (var e : intent.sides.entrySet()) {
                    SyncLink.Side before = merged.side(e.getKey());
                    if (before != null && before.id != null && e.getValue().id != null && !before.id.equals(e.getValue().id)) {
                        String stale = key(e.getKey(), before);
                        puts.remove(stale);
                        removes.add(stale);
                        merged.sides.remove(e.getKey());
                    }
                }
                merged.merge(intent);
                merged.sourceSide = null;
                merged.delete = false;
                boolean complete = merged.sides.size() == 2 && merged.sides.values().stream().allMatch(s -> s.id != null && s.object != null);
                if (!complete) {
                    continue;
                }
                merged.sides.forEach((label, side) -> {
                    String key = key(label, side);
                    removes.remove(key);
                    puts.put(key, merged);
                });
                stored++;
            }
            if (!removes.isEmpty()) {
                store.removeAll(removes);
            }
            if (!puts.isEmpty()) {
                Map<String, byte[]> bytes = new LinkedHashMap<>();
                Map<SyncLink, byte[]> encoded = new java.util.IdentityHashMap<>();
                puts.forEach((key, link) -> bytes.put(key, encoded.computeIfAbsent(link, SyncLink::toBytes)));
                store.putAll(bytes);
            }
            return stored;
        }
    }

    /** What the ledger is kept in, for messages. */
    public String describe() {
        return store.describe() + " (sync " + namespace + ")";
    }
}
