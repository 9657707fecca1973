package io.nificrm.processors.dedup;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Matching and clustering of one batch, on features only (no records): blocking, pairwise scoring, union-find,
 * then one {@link Cluster} per group of matched records. Members 0..n-1 are the batch's records in input order
 * (a failed record is a hole); members after them are external: records of earlier batches from the
 * {@link MatchIndex}, and records found in the target.
 * <p>
 * Use: {@link #add}/{@link #addFailure} every record, then {@link #addIndexed} and {@link #match()}, then
 * {@link #matchTarget}, then {@link #finish()}; then ask {@link #outcome} per record. Not thread-safe.
 */
public final class DedupEngine {

    /** The matching settings. */
    public record Settings(EntityType entity, List<BlockingKey> keys, MatchModel model, double matchThreshold,
                           double reviewThreshold, int maxBlockSize, Survivorship survivorship) {
    }

    /** Where a batch record goes. */
    public enum Route { GOLDEN, DUPLICATE, REVIEW, FAILURE }

    private static final byte BATCH = 0;
    private static final byte INDEXED = 1;
    private static final byte TARGET = 2;

    private final Settings settings;
    private final double matchWeight;
    private final double reviewWeight;

    private Features[] features = new Features[1024];
    private byte[] origin = new byte[1024];
    private float[] bestScore = new float[1024];
    private int[] reviewCandidate = new int[1024];
    private float[] reviewScore = new float[1024];
    private int members;
    private int batchSize;
    private boolean batchClosed;
    private final Map<Integer, String> failures = new HashMap<>();
    private final Map<Integer, MatchIndex.Entry> indexed = new HashMap<>();
    private final Map<Integer, TargetLookup.Found> targets = new HashMap<>();
    private final Set<Integer> superseded = new java.util.HashSet<>();
    /** Golden id of each indexed cluster id. */
    private final Map<String, String> indexedGolden = new HashMap<>();
    private UnionFind unionFind;
    private Map<Integer, Cluster> clusters;
    private long pairsCompared;
    private long oversizedBlocks;
    private int largestBlock;
    private long targetMatches;
    private long indexMatches;

    public DedupEngine(Settings settings) {
        this.settings = settings;
        this.matchWeight = settings.model().weightAt(settings.matchThreshold());
        this.reviewWeight = settings.model().weightAt(Math.min(settings.reviewThreshold(), settings.matchThreshold()));
    }

    public Settings settings() {
        return settings;
    }

    // ---- input ----

    /** Adds the next batch record. */
    public void add(Features f) {
        append(f, BATCH);
        batchSize = members;
    }

    /** Adds the next batch record as failed (it takes part in nothing). */
    public void addFailure(String reason) {
        failures.put(members, reason);
        append(null, BATCH);
        batchSize = members;
    }

    /** Batch records added so far (failures included). */
    public int batchSize() {
        return batchSize;
    }

    /** The features of batch record {@code i} (null for a failure). */
    public Features features(int i) {
        return features[i];
    }

    public String failure(int i) {
        return failures.get(i);
    }

    /** The distinct blocking-key hashes of the batch (for loading the index). */
    public long[] batchKeyHashes() {
        Blocks all = new Blocks();
        for (int i = 0; i < batchSize; i++) {
            Features f = features[i];
            if (f != null) {
                for (BlockingKey key : settings.keys()) {
                    key.emit(f, h -> all.add(h, 0));
                }
            }
        }
        return all.distinctHashes();
    }

    /** The ids of the batch's records. */
    public List<String> batchIds() {
        List<String> ids = new ArrayList<>(batchSize);
        for (int i = 0; i < batchSize; i++) {
            if (features[i] != null) {
                ids.add(features[i].id);
            }
        }
        return ids;
    }

    /** The blocking-key hashes of one record under the configured keys. */
    public long[] keyHashes(Features f) {
        long[][] out = {new long[4]};
        int[] n = {0};
        for (BlockingKey key : settings.keys()) {
            key.emit(f, h -> {
                if (n[0] == out[0].length) {
                    out[0] = Arrays.copyOf(out[0], n[0] * 2);
                }
                out[0][n[0]++] = h;
            });
        }
        return Arrays.copyOf(out[0], n[0]);
    }

    /** Adds records of earlier batches; those of one indexed cluster start out as one cluster. */
    public void addIndexed(List<MatchIndex.Entry> entries) {
        closeBatch();
        Map<String, Integer> firstOfCluster = new HashMap<>();
        for (MatchIndex.Entry e : entries) {
            int m = append(e.features(), INDEXED);
            unionFind.add();
            indexed.put(m, e);
            indexedGolden.putIfAbsent(e.clusterId(), e.goldenId());
            Integer first = firstOfCluster.putIfAbsent(e.clusterId(), m);
            if (first != null) {
                unionFind.union(first, m);
            }
        }
    }

    private void closeBatch() {
        if (!batchClosed) {
            batchClosed = true;
            unionFind = new UnionFind(members + 16);
            for (int i = 0; i < members; i++) {
                unionFind.add();
            }
        }
    }

    private int append(Features f, byte from) {
        if (members == features.length) {
            int grown = members + (members >> 1);
            features = Arrays.copyOf(features, grown);
            origin = Arrays.copyOf(origin, grown);
            bestScore = Arrays.copyOf(bestScore, grown);
            reviewCandidate = Arrays.copyOf(reviewCandidate, grown);
            reviewScore = Arrays.copyOf(reviewScore, grown);
        }
        features[members] = f;
        origin[members] = from;
        reviewCandidate[members] = -1;
        return members++;
    }

    // ---- matching ----

    /** Blocks the batch (and indexed records), scores candidate pairs and clusters the matches. */
    public void match() {
        closeBatch();
        Blocks ids = new Blocks();
        Blocks blocks = new Blocks();
        for (int m = 0; m < members; m++) {
            Features f = features[m];
            if (f == null) {
                continue;
            }
            int member = m;
            ids.add(BlockingKey.idHash(f.id), member);
            for (BlockingKey key : settings.keys()) {
                key.emit(f, h -> blocks.add(h, member));
            }
        }
        // The same id twice is the same record: sent twice in the batch, or sent again after an earlier batch.
        ids.forEachPair(Integer.MAX_VALUE, m -> "", m -> origin[m] == BATCH, (a, b) -> {
            unionFind.union(a, b);
            record(a, b, 1.0);
            if (origin[a] == INDEXED) {
                superseded.add(a);
            }
            if (origin[b] == INDEXED) {
                superseded.add(b);
            }
        });
        Blocks.Stats stats = blocks.forEachPair(settings.maxBlockSize(), m -> features[m].neighbourhoodKey(),
                m -> origin[m] == BATCH, this::compare);
        pairsCompared += stats.pairs();
        oversizedBlocks += stats.oversizedBlocks();
        largestBlock = Math.max(largestBlock, stats.largestBlock());
    }

    private void compare(int a, int b) {
        if (unionFind.connected(a, b)) {
            return;
        }
        double w = settings.model().weight(features[a], features[b], reviewWeight);
        if (w >= matchWeight) {
            unionFind.union(a, b);
            record(a, b, settings.model().probability(w));
        } else if (w >= reviewWeight) {
            double p = settings.model().probability(w);
            if (p > reviewScore[a]) {
                reviewScore[a] = (float) p;
                reviewCandidate[a] = b;
            }
            if (p > reviewScore[b]) {
                reviewScore[b] = (float) p;
                reviewCandidate[b] = a;
            }
        }
    }

    private void record(int a, int b, double p) {
        bestScore[a] = Math.max(bestScore[a], (float) p);
        bestScore[b] = Math.max(bestScore[b], (float) p);
        if (origin[a] == INDEXED || origin[b] == INDEXED) {
            indexMatches++;
        }
    }

    /** Adds records found in the target and matches them against the batch's records by shared blocking keys. */
    public void matchTarget(List<TargetLookup.Found> found) {
        closeBatch();
        Map<Long, List<Integer>> byKey = new HashMap<>();
        for (TargetLookup.Found t : found) {
            int m = append(t.features(), TARGET);
            unionFind.add();
            targets.put(m, t);
            for (long h : keyHashes(t.features())) {
                List<Integer> list = byKey.computeIfAbsent(h, k -> new ArrayList<>());
                if (list.size() < settings.maxBlockSize()) {
                    list.add(m);
                }
            }
        }
        if (byKey.isEmpty()) {
            return;
        }
        for (int i = 0; i < batchSize; i++) {
            Features f = features[i];
            if (f == null) {
                continue;
            }
            for (long h : keyHashes(f)) {
                List<Integer> candidates = byKey.get(h);
                if (candidates != null) {
                    for (int t : candidates) {
                        boolean wasConnected = unionFind.connected(i, t);
                        compare(i, t);
                        if (!wasConnected && unionFind.connected(i, t)) {
                            targetMatches++;
                        }
                        pairsCompared++;
                    }
                }
            }
        }
    }

    // ---- clusters ----

    /** A group of matched records with at least one batch record and at least one other member. */
    public static final class Cluster {
        int batchMembers;
        int master = -1;
        String id;
        String goldenId;
        boolean existing;
        String targetId;
        Object targetKey;
        float targetScore = -1;
        final List<Integer> batch = new ArrayList<>(2);
        final List<String> externalIds = new ArrayList<>(0);
        final Set<String> indexedClusterIds = new LinkedHashSet<>(1);

        public String id() {
            return id;
        }

        public String goldenId() {
            return goldenId;
        }

        public int batchMembers() {
            return batchMembers;
        }

        public int master() {
            return master;
        }

        /** Batch members in input order. */
        public List<Integer> batch() {
            return batch;
        }

        public String targetId() {
            return targetId;
        }

        public Object targetKey() {
            return targetKey;
        }

        /** Whether the cluster already existed in the index (its ids come from an earlier batch). */
        public boolean existing() {
            return existing;
        }

        /** Ids of members from earlier batches. */
        public List<String> externalIds() {
            return externalIds;
        }
    }

    /** Builds the clusters, chooses masters and ids. */
    public void finish() {
        closeBatch();
        clusters = new HashMap<>();
        var order = settings.survivorship().order();
        for (int m = 0; m < members; m++) {
            if (features[m] == null || unionFind.setSize(m) == 1) {
                continue;
            }
            Cluster c = clusters.computeIfAbsent(unionFind.find(m), r -> new Cluster());
            switch (origin[m]) {
                case BATCH -> {
                    c.batchMembers++;
                    c.batch.add(m);
                    if (c.master < 0 || order.compare(features[m], features[c.master]) < 0) {
                        c.master = m;
                    }
                }
                case INDEXED -> {
                    MatchIndex.Entry e = indexed.get(m);
                    c.indexedClusterIds.add(e.clusterId());
                    if (!superseded.contains(m)) {
                        c.externalIds.add(e.features().id);
                    }
                }
                default -> {
                    if (bestScore[m] > c.targetScore) {
                        TargetLookup.Found t = targets.get(m);
                        c.targetScore = bestScore[m];
                        c.targetId = t.targetId();
                        c.targetKey = t.key();
                    }
                }
            }
        }
        clusters.values().removeIf(c -> c.batchMembers == 0);
        for (Cluster c : clusters.values()) {
            String masterId = features[c.master].id;
            if (c.indexedClusterIds.isEmpty()) {
                c.id = clusterIdOf(masterId);
                c.goldenId = masterId;
            } else {
                c.existing = true;
                c.id = c.indexedClusterIds.stream().min(String::compareTo).orElseThrow();
                c.goldenId = goldenOfIndexed(c.id);
            }
        }
    }

    private String goldenOfIndexed(String clusterId) {
        return indexedGolden.get(clusterId);
    }

    /** The cluster id of a cluster first seen with this master id: a name-based UUID, stable across runs. */
    public String clusterIdOf(String masterId) {
        return UUID.nameUUIDFromBytes((settings.entity().value() + ":" + masterId).getBytes(StandardCharsets.UTF_8)).toString();
    }

    /** The cluster of batch record {@code i}, or null when it matched nothing. */
    public Cluster cluster(int i) {
        return clusters.get(unionFind.find(i));
    }

    /** Where batch record {@code i} goes. */
    public Route route(int i) {
        if (features[i] == null) {
            return Route.FAILURE;
        }
        Cluster c = cluster(i);
        if (c == null) {
            return reviewCandidate[i] >= 0 ? Route.REVIEW : Route.GOLDEN;
        }
        return c.master == i ? Route.GOLDEN : Route.DUPLICATE;
    }

    /** The best match probability of record {@code i} with a member of its cluster. */
    public double matchScore(int i) {
        return bestScore[i];
    }

    public double reviewScore(int i) {
        return reviewScore[i];
    }

    /** The possible match of a record routed to review: its id, cluster id and where it comes from. */
    public record Candidate(String id, String clusterId, String source) {
    }

    public Candidate reviewCandidate(int i) {
        int c = reviewCandidate[i];
        if (c < 0) {
            return null;
        }
        String id = features[c].id;
        return switch (origin[c]) {
            case INDEXED -> {
                Cluster cluster = clusters.get(unionFind.find(c));
                yield new Candidate(id, cluster != null ? cluster.id : indexed.get(c).clusterId(), "index");
            }
            case TARGET -> {
                Cluster cluster = clusters.get(unionFind.find(c));
                yield new Candidate(targets.get(c).targetId(), cluster == null ? null : cluster.id, "target");
            }
            default -> {
                Cluster cluster = clusters.get(unionFind.find(c));
                yield new Candidate(id, cluster != null ? cluster.id : clusterIdOf(id), "batch");
            }
        };
    }

    /** Clusters with more than one member, by root. */
    public Map<Integer, Cluster> clusters() {
        return clusters;
    }

    /** The index entries of this batch's records, and which indexed clusters were merged into which. */
    public List<MatchIndex.Entry> indexEntries(Map<String, String> renamedOut) {
        List<MatchIndex.Entry> out = new ArrayList<>(batchSize);
        for (int i = 0; i < batchSize; i++) {
            Features f = features[i];
            if (f == null) {
                continue;
            }
            Cluster c = cluster(i);
            if (c == null) {
                out.add(new MatchIndex.Entry(f, clusterIdOf(f.id), f.id));
            } else {
                out.add(new MatchIndex.Entry(f, c.id, c.goldenId));
            }
        }
        Map<String, String> renamed = new LinkedHashMap<>();
        for (Cluster c : clusters.values()) {
            for (String old : c.indexedClusterIds) {
                if (!old.equals(c.id)) {
                    renamed.put(old, c.id);
                }
            }
        }
        renamedOut.putAll(renamed);
        return out;
    }

    /** Ids of the indexed clusters that batch records joined (their member lists complete crm_cluster_members). */
    public Set<String> joinedIndexedClusters() {
        Set<String> ids = new LinkedHashSet<>();
        for (Cluster c : clusters.values()) {
            ids.addAll(c.indexedClusterIds);
        }
        return ids;
    }

    public long pairsCompared() {
        return pairsCompared;
    }

    public long oversizedBlocks() {
        return oversizedBlocks;
    }

    public int largestBlock() {
        return largestBlock;
    }

    public long targetMatches() {
        return targetMatches;
    }

    public long indexMatches() {
        return indexMatches;
    }
}
