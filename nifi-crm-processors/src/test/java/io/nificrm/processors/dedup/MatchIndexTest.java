package io.nificrm.processors.dedup;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static io.nificrm.processors.dedup.DedupFixtures.person;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MatchIndexTest {
    @TempDir
    Path dir;

    private static long[] keys(Features f) {
        List<Long> out = new java.util.ArrayList<>();
        for (BlockingKey key : EntityType.PERSON.defaultKeys()) {
            key.emit(f, out::add);
        }
        return out.stream().mapToLong(Long::longValue).toArray();
    }

    @Test
    void entriesSurviveEncoding() throws Exception {
        Features f = new Features("id-1", "ann@acme.com", new long[]{PhoneKeys.key("+1 415 555 0134", "US", "US")}, "ann", "lee",
                "acme", null, "1 main st", "boston", "US", 1234L, 7, 2);
        MatchIndex.Entry back = MatchIndex.decodeEntry(MatchIndex.encode(new MatchIndex.Entry(f, "c1", "g1")));
        assertEquals(f.toString(), back.features().toString());
        assertEquals(1234L, back.features().modified());
        assertEquals(7, back.features().completeness());
        assertEquals(2, back.features().sourceRank());
        assertEquals("c1", back.clusterId());
        assertEquals("g1", back.goldenId());
        assertEquals(List.of("a", "b"), MatchIndex.decodeIds(MatchIndex.encodeIds(List.of("a", "b"))));
    }

    @Test
    void aDirectoryIndexFindsEarlierRecordsByKeyAndIdAfterReopening() throws Exception {
        Features ann = person("ann", "ann@acme.com", "415 555 0134", "Ann", "Lee", null, "Boston");
        Features bob = person("bob", "bob@acme.com", null, "Bob", "Brown", null, "Boston");
        try (DirectoryIndexStore store = new DirectoryIndexStore(dir)) {
            MatchIndex index = new MatchIndex(store, "t.person", 50);
            MatchIndex.Batch batch = index.load(new long[0], List.of());
            batch.save(List.of(new MatchIndex.Entry(ann, "c-ann", "ann"), new MatchIndex.Entry(bob, "c-bob", "bob")),
                    MatchIndexTest::keys, Map.of());
        }
        try (DirectoryIndexStore store = new DirectoryIndexStore(dir)) {
            MatchIndex index = new MatchIndex(store, "t.person", 50);
            Features later = person("ann2", "ANN@acme.com", null, "Ann", "Lee", null, null);
            MatchIndex.Batch batch = index.load(keys(later), List.of("bob"));
            assertEquals(List.of("ann", "bob"), batch.entries().stream().map(e -> e.features().id()).sorted().toList(),
                    "ann by e-mail, bob by id");
            batch.loadClusters(List.of("c-ann"));
            assertEquals(List.of("ann"), batch.clusterMembers("c-ann"));
            MatchIndex other = new MatchIndex(store, "other.person", 50);
            assertTrue(other.load(keys(later), List.of("bob")).entries().isEmpty(), "namespaces do not mix");
        }
    }

    @Test
    void mergedClustersMoveTheirMembers() throws Exception {
        Features a = person("a", "a@acme.com", null, "Ann", "Lee", null, null);
        Features b = person("b", "b@acme.com", null, "Bo", "Kim", null, null);
        Features c = person("c", "c@acme.com", null, "Cy", "Day", null, null);
        try (DirectoryIndexStore store = new DirectoryIndexStore(dir)) {
            MatchIndex index = new MatchIndex(store, "t.person", 50);
            index.load(new long[0], List.of()).save(List.of(new MatchIndex.Entry(a, "c1", "a"), new MatchIndex.Entry(b, "c2", "b"),
                    new MatchIndex.Entry(c, "c2", "b")), MatchIndexTest::keys, Map.of());
            // A later record bridged a and b: c2 merges into c1.
            Features bridge = person("x", "a@acme.com", null, "Ann", "Lee", null, null);
            MatchIndex.Batch batch = index.load(keys(bridge), List.of());
            batch.save(List.of(new MatchIndex.Entry(bridge, "c1", "a")), MatchIndexTest::keys, Map.of("c2", "c1"));
            MatchIndex.Batch after = index.load(new long[0], List.of("c"));
            assertEquals("c1", after.entries().getFirst().clusterId(), "c, never loaded by the bridging batch, moved too");
            assertEquals("a", after.entries().getFirst().goldenId());
            after.loadClusters(List.of("c1", "c2"));
            assertEquals(List.of("a", "b", "c", "x"), after.clusterMembers("c1").stream().sorted().toList());
            assertTrue(after.clusterMembers("c2").isEmpty());
        }
    }

    @Test
    void aLockedDirectorySaysSo() throws Exception {
        try (DirectoryIndexStore first = new DirectoryIndexStore(dir)) {
            assertTrue(assertThrows(java.io.IOException.class, () -> new DirectoryIndexStore(dir)).getMessage()
                    .contains("another processor"));
            assertEquals(0, first.size());
        }
    }
}
