package io.nificrm.processors.dedup;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The persistent match index: what later batches need to know about records deduplicated before, so a record
 * arriving in a later FlowFile (or a later run) matches the earlier ones. Three kinds of entries, all under a
 * namespace:
 * <ul>
 *   <li>{@code r:<id>} → the record's {@link Features}, its cluster id and the cluster's golden id;</li>
 *   <li>{@code k:<hash>} → ids of the records that have that blocking-key value (the newest {@code maxPerKey});</li>
 *   <li>{@code c:<cluster id>} → ids of the cluster's members.</li>
 * </ul>
 * Keys are hashes, so blocking values (e-mails, phones) never appear as keys in the store; the features stored
 * for matching are normalized values. A record sent again (same id) replaces its entry.
 */
public final class MatchIndex {
    private static final int VERSION = 1;
    private static final int MAX_CLUSTER_IDS = 1000;

    private final IndexStore store;
    private final String namespace;
    private final int maxPerKey;

    /** An indexed record. */
    public record Entry(Features features, String clusterId, String goldenId) {
    }

    public MatchIndex(IndexStore store, String namespace, int maxPerKey) {
        this.store = store;
        this.namespace = namespace;
        this.maxPerKey = maxPerKey;
    }

    public IndexStore store() {
        return store;
    }

    /** One batch's view of the index: loaded once, written once. */
    public final class Batch {
        private final Map<String, List<String>> keyLists = new HashMap<>();
        private final List<Entry> entries = new ArrayList<>();
        private final Map<String, List<String>> clusterLists = new HashMap<>();

        public List<Entry> entries() {
            return entries;
        }

        /** Member ids of indexed clusters (loaded with {@link #loadClusters}). */
        public List<String> clusterMembers(String clusterId) {
            return clusterLists.getOrDefault(clusterId, List.of());
        }

        /** Loads the member lists of these clusters. */
        public void loadClusters(Collection<String> clusterIds) throws IOException {
            List<String> keys = new ArrayList<>();
            for (String id : clusterIds) {
                if (!clusterLists.containsKey(id)) {
                    keys.add(clusterKey(id));
                }
            }
            Map<String, byte[]> found = store.getAll(keys);
            for (String id : clusterIds) {
                byte[] value = found.get(clusterKey(id));
                clusterLists.putIfAbsent(id, value == null ? new ArrayList<>() : decodeIds(value));
            }
        }

        /**
         * Writes this batch's records and cluster changes.
         *
         * @param records        the batch's records with their final cluster and golden ids
         * @param keysOf         the blocking-key hashes of a record
         * @param renamedClusters indexed cluster id → the id it was merged into
         */
        public void save(List<Entry> records, java.util.function.Function<Features, long[]> keysOf,
                         Map<String, String> renamedClusters) throws IOException {
            Map<String, byte[]> writes = new HashMap<>();
            // Members of merged clusters that this batch did not load move to the surviving cluster too.
            Map<String, String> goldenOfCluster = new HashMap<>();
            for (Entry e : records) {
                goldenOfCluster.putIfAbsent(e.clusterId(), e.goldenId());
            }
            Set<String> removed = new HashSet<>();
            Set<String> touched = new LinkedHashSet<>(goldenOfCluster.keySet());
            touched.addAll(renamedClusters.keySet());
            touched.addAll(renamedClusters.values());
            loadClusters(touched);
            if (!renamedClusters.isEmpty()) {
                Set<String> moved = new HashSet<>();
                renamedClusters.forEach((from, to) -> moved.addAll(clusterMembers(from)));
                Map<String, byte[]> old = store.getAll(moved.stream().map(MatchIndex.this::recordKey).toList());
                for (byte[] value : old.values()) {
                    Entry e = decodeEntry(value);
                    String to = renamedClusters.get(e.clusterId());
                    if (to != null) {
                        writes.put(recordKey(e.features().id()), encode(new Entry(e.features(), to,
                                goldenOfCluster.getOrDefault(to, e.goldenId()))));
                    }
                }
                renamedClusters.forEach((from, to) -> {
                    List<String> target = clusterLists.computeIfAbsent(to, k -> new ArrayList<>());
                    for (String id : clusterMembers(from)) {
                        if (!target.contains(id)) {
                            target.add(id);
                        }
                    }
                    removed.add(clusterKey(from));
                });
            }
            Map<String, LinkedHashSet<String>> changedKeys = new HashMap<>();
            Map<String, LinkedHashSet<String>> changedClusters = new HashMap<>();
            for (Entry e : records) {
                String id = e.features().id();
                writes.put(recordKey(id), encode(e));
                for (long hash : keysOf.apply(e.features())) {
                    String key = keyKey(hash);
                    LinkedHashSet<String> ids = changedKeys.computeIfAbsent(key,
                            k -> new LinkedHashSet<>(keyLists.getOrDefault(k, List.of())));
                    ids.remove(id);
                    ids.add(id);
                }
                changedClusters.computeIfAbsent(e.clusterId(), c -> new LinkedHashSet<>(clusterLists.getOrDefault(c, List.of())))
                        .add(id);
            }
            changedKeys.forEach((key, ids) -> writes.put(key, encodeIds(newest(ids, maxPerKey))));
            changedClusters.forEach((cluster, ids) -> writes.put(clusterKey(cluster), encodeIds(newest(ids, MAX_CLUSTER_IDS))));
            renamedClusters.values().forEach(to -> {
                if (!changedClusters.containsKey(to)) {
                    writes.put(clusterKey(to), encodeIds(newest(new LinkedHashSet<>(clusterLists.get(to)), MAX_CLUSTER_IDS)));
                }
            });
            removed.removeAll(writes.keySet());
            store.putAll(writes);
            if (!removed.isEmpty()) {
                store.removeAll(removed);
            }
        }
    }

    /**
     * Loads the indexed records that share a blocking-key value with the batch, and those with the batch's ids.
     */
    public Batch load(long[] keyHashes, Collection<String> ids) throws IOException {
        Batch batch = new Batch();
        List<String> keys = new ArrayList<>(keyHashes.length);
        for (long hash : keyHashes) {
            keys.add(keyKey(hash));
        }
        Set<String> wanted = new LinkedHashSet<>();
        for (int start = 0; start < keys.size(); start += 10_000) {
            Map<String, byte[]> lists = store.getAll(keys.subList(start, Math.min(keys.size(), start + 10_000)));
            lists.forEach((key, value) -> {
                List<String> members = decodeIds(value);
                batch.keyLists.put(key, members);
                members.forEach(id -> wanted.add(recordKey(id)));
            });
        }
        for (String id : ids) {
            wanted.add(recordKey(id));
        }
        List<String> all = new ArrayList<>(wanted);
        for (int start = 0; start < all.size(); start += 10_000) {
            for (byte[] value : store.getAll(all.subList(start, Math.min(all.size(), start + 10_000))).values()) {
                batch.entries.add(decodeEntry(value));
            }
        }
        return batch;
    }

    private static List<String> newest(LinkedHashSet<String> ids, int max) {
        List<String> list = new ArrayList<>(ids);
        return list.size() <= max ? list : list.subList(list.size() - max, list.size());
    }

    String recordKey(String id) {
        return namespace + ":r:" + id;
    }

    String keyKey(long hash) {
        return namespace + ":k:" + Long.toHexString(hash);
    }

    String clusterKey(String clusterId) {
        return namespace + ":c:" + clusterId;
    }

    static byte[] encode(Entry e) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(128);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            Features f = e.features();
            out.writeByte(VERSION);
            writeString(out, f.id);
            writeString(out, f.email);
            out.writeByte(f.phones.length);
            for (long p : f.phones) {
                out.writeLong(p);
            }
            writeString(out, f.first);
            writeString(out, f.last);
            writeString(out, f.company);
            writeString(out, f.domain);
            writeString(out, f.street);
            writeString(out, f.city);
            writeString(out, f.country);
            out.writeLong(f.modified);
            out.writeShort(f.completeness);
            out.writeByte(f.sourceRank);
            writeString(out, e.clusterId());
            writeString(out, e.goldenId());
        } catch (IOException impossible) {
            throw new IllegalStateException(impossible);
        }
        return bytes.toByteArray();
    }

    static Entry decodeEntry(byte[] value) throws IOException {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(value))) {
            int version = in.readByte();
            if (version != VERSION) {
                throw new IOException("The match index holds an entry of format " + version + "; this version reads " + VERSION);
            }
            String id = readString(in);
            String email = readString(in);
            long[] phones = new long[in.readByte()];
            for (int i = 0; i < phones.length; i++) {
                phones[i] = in.readLong();
            }
            String first = readString(in);
            String last = readString(in);
            String company = readString(in);
            String domain = readString(in);
            String street = readString(in);
            String city = readString(in);
            String country = readString(in);
            long modified = in.readLong();
            int completeness = in.readShort();
            int rank = in.readByte();
            Features f = new Features(id, email, phones, first, last, company, domain, street, city, country, modified, completeness, rank);
            return new Entry(f, readString(in), readString(in));
        }
    }

    static byte[] encodeIds(Collection<String> ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(16 * ids.size() + 4);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeInt(ids.size());
            for (String id : ids) {
                out.writeUTF(id);
            }
        } catch (IOException impossible) {
            throw new IllegalStateException(impossible);
        }
        return bytes.toByteArray();
    }

    static List<String> decodeIds(byte[] value) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(value))) {
            int n = in.readInt();
            List<String> ids = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                ids.add(in.readUTF());
            }
            return ids;
        } catch (IOException e) {
            return new ArrayList<>();
        }
    }

    private static void writeString(DataOutputStream out, String s) throws IOException {
        out.writeBoolean(s != null);
        if (s != null) {
            // writeUTF takes at most 65,535 bytes; nothing worth matching on is that long.
            out.writeUTF(s.length() > 8_000 ? s.substring(0, 8_000) : s);
        }
    }

    private static String readString(DataInputStream in) throws IOException {
        return in.readBoolean() ? in.readUTF() : null;
    }
}
