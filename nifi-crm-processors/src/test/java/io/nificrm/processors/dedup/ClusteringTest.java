package io.nificrm.processors.dedup;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static io.nificrm.processors.dedup.DedupFixtures.person;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Union-find, blocking and the engine that ties them to the scoring. */
class ClusteringTest {

    @Test
    void unionFindIsTransitive() {
        UnionFind uf = new UnionFind(2);
        for (int i = 0; i < 10; i++) {
            uf.add();
        }
        assertTrue(uf.union(0, 1));
        assertTrue(uf.union(1, 2));
        assertFalse(uf.union(0, 2), "already one set");
        assertTrue(uf.connected(0, 2));
        assertFalse(uf.connected(0, 3));
        assertEquals(3, uf.setSize(2));
        assertEquals(1, uf.setSize(9));
        assertEquals(10, uf.size());
    }

    @Test
    void smallBlocksAreComparedAllPairsAndLargeOnesAsANeighbourhood() {
        Blocks blocks = new Blocks();
        for (int m = 0; m < 4; m++) {
            blocks.add(42L, m);
        }
        for (int m = 4; m < 104; m++) {
            blocks.add(-7L, m);
        }
        blocks.add(99L, 0);
        List<int[]> pairs = new ArrayList<>();
        Blocks.Stats stats = blocks.forEachPair(10, m -> String.format("%05d", m), m -> true, (a, b) -> pairs.add(new int[]{a, b}));
        long small = pairs.stream().filter(p -> p[0] < 4 && p[1] < 4).count();
        assertEquals(6, small, "4 members: all 6 pairs");
        long large = pairs.stream().filter(p -> p[0] >= 4).count();
        assertEquals(100 * 9 - (9 * 10) / 2, large, "100 members, window 10: each with its next 9");
        assertTrue(pairs.stream().anyMatch(p -> Math.abs(p[0] - p[1]) == 1 && p[0] >= 4), "neighbours in sort order are compared");
        assertEquals(1, stats.oversizedBlocks());
        assertEquals(100, stats.largestBlock());
        assertEquals(3, blocks.distinctHashes().length);
    }

    @Test
    void pairsOfTwoOldMembersAreSkipped() {
        Blocks blocks = new Blocks();
        blocks.add(1L, 0);
        blocks.add(1L, 1);
        blocks.add(1L, 2);
        List<String> pairs = new ArrayList<>();
        blocks.forEachPair(10, m -> "", m -> m == 0, (a, b) -> pairs.add(Math.min(a, b) + "-" + Math.max(a, b)));
        assertEquals(List.of("0-1", "0-2"), pairs.stream().sorted().toList());
    }

    private static DedupEngine engine() {
        Survivorship survivorship = new Survivorship(Survivorship.Strategy.MOST_RECENT, Map.of(), java.util.Set.of("Id"), java.util.Set.of());
        return new DedupEngine(new DedupEngine.Settings(EntityType.PERSON, EntityType.PERSON.defaultKeys(),
                new MatchModel(EntityType.PERSON, Map.of()), 0.95, 0.5, 50, survivorship));
    }

    @Test
    void matchesClusterTransitivelyAndTheMostRecentIsTheMaster() {
        DedupEngine engine = engine();
        engine.add(DedupFixtures.withTime(person("a", "bob@acme.com", null, "Bob", "Smith", null, "Boston"), 1000, 5, 0));
        engine.add(DedupFixtures.withTime(person("b", "bob@acme.com", "415 555 0134", "Robert", "Smith", null, "Boston"), 3000, 5, 0));
        engine.add(DedupFixtures.withTime(person("c", null, "(415) 555-0134", "Robert", "Smith", null, "Boston"), 2000, 5, 0));
        engine.add(person("d", "alice@acme.com", null, "Alice", "Jones", null, "Boston"));
        engine.addFailure("the id field [Id] is empty");
        engine.match();
        engine.matchTarget(List.of());
        engine.finish();
        assertEquals(DedupEngine.Route.DUPLICATE, engine.route(0), "a matches b by e-mail");
        assertEquals(DedupEngine.Route.GOLDEN, engine.route(1), "b is the most recent");
        assertEquals(DedupEngine.Route.DUPLICATE, engine.route(2), "c matches b by phone, so a too");
        assertEquals(DedupEngine.Route.GOLDEN, engine.route(3), "alone");
        assertEquals(DedupEngine.Route.FAILURE, engine.route(4));
        DedupEngine.Cluster cluster = engine.cluster(0);
        assertEquals(3, cluster.batchMembers());
        assertEquals("b", cluster.goldenId());
        assertEquals(engine.clusterIdOf("b"), cluster.id());
        assertNull(engine.cluster(3));
        assertTrue(engine.matchScore(0) >= 0.95);
        assertEquals("the id field [Id] is empty", engine.failure(4));
    }

    @Test
    void aPossibleMatchGoesToReviewWithItsCandidate() {
        DedupEngine engine = engine();
        engine.add(person("a", null, "(415) 555-0134", "Robert", "Smith", null, "Boston"));
        engine.add(person("b", null, "415 555 0134", "Alice", "Smith", null, "Boston"));
        engine.match();
        engine.finish();
        assertEquals(DedupEngine.Route.REVIEW, engine.route(0));
        assertEquals(DedupEngine.Route.REVIEW, engine.route(1));
        DedupEngine.Candidate candidate = engine.reviewCandidate(1);
        assertNotNull(candidate);
        assertEquals("a", candidate.id());
        assertEquals(engine.clusterIdOf("a"), candidate.clusterId());
        assertEquals("batch", candidate.source());
        assertTrue(engine.reviewScore(1) >= 0.5 && engine.reviewScore(1) < 0.95);
    }

    @Test
    void theSameIdTwiceIsOneEntity() {
        DedupEngine engine = engine();
        engine.add(person("a", "x@acme.com", null, "Ann", "Lee", null, null));
        engine.add(person("a", "y@other.com", null, "Bob", "Brown", null, null));
        engine.match();
        engine.finish();
        assertEquals(engine.cluster(0), engine.cluster(1));
    }

    @Test
    void indexedRecordsOfEarlierBatchesJoinTheirCluster() {
        DedupEngine engine = engine();
        engine.add(person("new", "bob@acme.com", null, "Bob", "Smith", null, "Boston"));
        Features old = person("old", "bob@acme.com", "415 555 0134", "Robert", "Smith", null, "Boston");
        Features older = person("older", null, "415 555 0134", "Robert", "Smith", null, "Boston");
        engine.addIndexed(List.of(new MatchIndex.Entry(old, "cluster-1", "older"), new MatchIndex.Entry(older, "cluster-1", "older")));
        engine.match();
        engine.finish();
        DedupEngine.Cluster cluster = engine.cluster(0);
        assertEquals(DedupEngine.Route.GOLDEN, engine.route(0), "the only member of this batch");
        assertEquals("cluster-1", cluster.id());
        assertEquals("older", cluster.goldenId());
        assertTrue(cluster.existing());
        assertEquals(List.of("old", "older"), cluster.externalIds().stream().sorted().toList());
    }
}
