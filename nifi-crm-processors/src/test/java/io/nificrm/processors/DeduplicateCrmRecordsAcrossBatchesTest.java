package io.nificrm.processors;

import com.fasterxml.jackson.databind.JsonNode;
import io.nificrm.processors.common.CrmProperties;
import org.apache.nifi.controller.AbstractControllerService;
import org.apache.nifi.distributed.cache.client.Deserializer;
import org.apache.nifi.distributed.cache.client.DistributedMapCacheClient;
import org.apache.nifi.distributed.cache.client.Serializer;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Records of a later FlowFile (a later run, another processor instance, another node) match records of earlier
 * ones through the persistent match index: a local directory or a distributed map cache.
 */
class DeduplicateCrmRecordsAcrossBatchesTest {
    @TempDir
    Path dir;

    private static final String BATCH_1 = """
            [{"Id": "c1", "FirstName": "Robert", "LastName": "Smith", "Email": "robert.smith@acme.com", "Phone": "(415) 555-0134",
              "MailingCity": "Boston", "MailingCountry": "US", "LastModifiedDate": "2024-01-01T00:00:00Z"},
             {"Id": "c2", "FirstName": "Alice", "LastName": "Jones", "Email": "alice@jones.io", "Phone": null,
              "MailingCity": "Austin", "MailingCountry": "US", "LastModifiedDate": "2024-01-01T00:00:00Z"}]
            """;
    private static final String BATCH_2 = """
            [{"Id": "c3", "FirstName": "Bob", "LastName": "Smith", "Email": "bob.smith@gmail.com", "Phone": "+1 415 555 0134",
              "MailingCity": "Boston", "MailingCountry": "US", "LastModifiedDate": "2024-06-01T00:00:00Z"},
             {"Id": "c4", "FirstName": "Dave", "LastName": "Miller", "Email": "dave@miller.io", "Phone": null,
              "MailingCity": "Denver", "MailingCountry": "US", "LastModifiedDate": "2024-06-01T00:00:00Z"}]
            """;
    private static final String BATCH_3 = """
            [{"Id": "c1", "FirstName": "Robert", "LastName": "Smith", "Email": "rob@acme.com", "Phone": "415 555 0134",
              "MailingCity": "Boston", "MailingCountry": "US", "LastModifiedDate": "2024-09-01T00:00:00Z"}]
            """;

    private TestRunner runner(String mode, DistributedMapCacheClient cache) throws Exception {
        TestRunner runner = TestRunners.newTestRunner(DeduplicateCrmRecords.class);
        TestServices.json(runner);
        runner.setProperty(CrmProperties.RECORD_READER, TestServices.READER);
        runner.setProperty(CrmProperties.RECORD_WRITER, TestServices.WRITER);
        runner.setProperty(DeduplicateCrmRecords.MATCH_INDEX, mode);
        if (mode.equals("directory")) {
            runner.setProperty(DeduplicateCrmRecords.INDEX_DIRECTORY_PATH, dir.toString());
        } else if (mode.equals("cache")) {
            runner.addControllerService("cache", cache);
            runner.enableControllerService(cache);
            runner.setProperty(DeduplicateCrmRecords.INDEX_CACHE_CLIENT, "cache");
        }
        return runner;
    }

    private static Map<String, JsonNode> golden(TestRunner runner) throws IOException {
        Map<String, JsonNode> map = new HashMap<>();
        DeduplicateTestSupport.records(runner, DeduplicateCrmRecords.REL_GOLDEN).forEach(r -> map.put(r.get("Id").asText(), r));
        return map;
    }

    /** Runs the three batches, each in a fresh processor (as after a restart, or on another node). */
    private void assertLaterBatchesMatchEarlierOnes(String mode, DistributedMapCacheClient cache1, DistributedMapCacheClient cache2,
                                                     DistributedMapCacheClient cache3) throws Exception {
        TestRunner first = runner(mode, cache1);
        first.enqueue(BATCH_1);
        first.run();
        Map<String, JsonNode> one = golden(first);
        assertEquals(2, one.size());
        String robertCluster = one.get("c1").get("crm_cluster_id").asText();

        TestRunner second = runner(mode, cache2);
        second.enqueue(BATCH_2);
        second.run();
        Map<String, JsonNode> two = golden(second);
        assertEquals(2, two.size(), "each record of batch 2 is the only one of its cluster in this batch");
        JsonNode bob = two.get("c3");
        assertEquals(robertCluster, bob.get("crm_cluster_id").asText(), "Bob of batch 2 joins Robert's cluster of batch 1");
        assertEquals("c1", bob.get("crm_golden_id").asText(), "the cluster's golden id stays that of batch 1");
        assertEquals("c3,c1", bob.get("crm_cluster_members").asText());
        assertEquals(2, bob.get("crm_cluster_size").asInt());
        assertNotEquals(robertCluster, two.get("c4").get("crm_cluster_id").asText(), "Dave is new");
        assertEquals("c4", two.get("c4").get("crm_golden_id").asText());
        assertEquals(1, second.getCounterValue("Index Matches"));

        TestRunner third = runner(mode, cache3);
        third.enqueue(BATCH_3);
        third.run();
        JsonNode robert = golden(third).get("c1");
        assertEquals(robertCluster, robert.get("crm_cluster_id").asText(), "a record sent again keeps its cluster");
        assertEquals("rob@acme.com", robert.get("Email").asText(), "with its new values");
        assertEquals("c1,c3", robert.get("crm_cluster_members").asText(), "and is not its own duplicate");
    }

    @Test
    void aDirectoryIndexRemembersEarlierBatches() throws Exception {
        assertLaterBatchesMatchEarlierOnes("directory", null, null, null);
    }

    @Test
    void aDistributedCacheIndexIsSharedByNodes() throws Exception {
        Map<ByteBuffer, byte[]> server = new ConcurrentHashMap<>();
        assertLaterBatchesMatchEarlierOnes("cache", new MapCache(server), new MapCache(server), new MapCache(server));
        assertTrue(server.size() > 4, "records, key lists and clusters are in the cache");
    }

    @Test
    void withoutAnIndexEachFlowFileStandsAlone() throws Exception {
        TestRunner runner = runner("none", null);
        runner.enqueue(BATCH_1);
        runner.enqueue(BATCH_2);
        runner.run(2);
        List<JsonNode> golden = DeduplicateTestSupport.records(runner, DeduplicateCrmRecords.REL_GOLDEN);
        assertEquals(4, golden.size());
        assertEquals(4, golden.stream().map(g -> g.get("crm_cluster_id").asText()).distinct().count());
    }

    @Test
    void aBridgingRecordMergesTwoEarlierClusters() throws Exception {
        TestRunner first = runner("directory", null);
        first.enqueue("""
                [{"Id": "a", "FirstName": "Ann", "LastName": "Lee", "Email": "ann@lee.io", "Phone": null},
                 {"Id": "b", "FirstName": "Ann", "LastName": "Lee", "Email": null, "Phone": "+1 617 555 0100"}]
                """);
        first.run();
        assertEquals(2, DeduplicateTestSupport.count(first, DeduplicateCrmRecords.REL_GOLDEN), "nothing links a and b yet");
        TestRunner second = runner("directory", null);
        second.enqueue("""
                [{"Id": "x", "FirstName": "Ann", "LastName": "Lee", "Email": "ann@lee.io", "Phone": "617-555-0100"}]
                """);
        second.run();
        JsonNode x = DeduplicateTestSupport.records(second, DeduplicateCrmRecords.REL_GOLDEN).getFirst();
        assertEquals(List.of("a", "b", "x"), List.of(x.get("crm_cluster_members").asText().split(",")).stream().sorted().toList());
        TestRunner third = runner("directory", null);
        third.enqueue("""
                [{"Id": "y", "FirstName": "Ann", "LastName": "Lee", "Email": null, "Phone": "(617) 555-0100"}]
                """);
        third.run();
        JsonNode y = DeduplicateTestSupport.records(third, DeduplicateCrmRecords.REL_GOLDEN).getFirst();
        assertEquals(x.get("crm_cluster_id").asText(), y.get("crm_cluster_id").asText(), "b moved into the merged cluster");
        assertEquals(4, y.get("crm_cluster_size").asInt());
    }

    /** A DistributedMapCacheClient over a map standing for the cache server. */
    static final class MapCache extends AbstractControllerService implements DistributedMapCacheClient {
        private final Map<ByteBuffer, byte[]> server;

        MapCache(Map<ByteBuffer, byte[]> server) {
            this.server = server;
        }

        private static <T> ByteBuffer bytes(T value, Serializer<T> serializer) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            serializer.serialize(value, out);
            return ByteBuffer.wrap(out.toByteArray());
        }

        @Override
        public <K, V> boolean putIfAbsent(K key, V value, Serializer<K> ks, Serializer<V> vs) throws IOException {
            return server.putIfAbsent(bytes(key, ks), bytes(value, vs).array()) == null;
        }

        @Override
        public <K, V> V getAndPutIfAbsent(K key, V value, Serializer<K> ks, Serializer<V> vs, Deserializer<V> vd) throws IOException {
            byte[] old = server.putIfAbsent(bytes(key, ks), bytes(value, vs).array());
            return old == null ? null : vd.deserialize(old);
        }

        @Override
        public <K> boolean containsKey(K key, Serializer<K> ks) throws IOException {
            return server.containsKey(bytes(key, ks));
        }

        @Override
        public <K, V> void put(K key, V value, Serializer<K> ks, Serializer<V> vs) throws IOException {
            server.put(bytes(key, ks), bytes(value, vs).array());
        }

        @Override
        public <K, V> V get(K key, Serializer<K> ks, Deserializer<V> vd) throws IOException {
            byte[] value = server.get(bytes(key, ks));
            return vd.deserialize(value);
        }

        @Override
        public void close() {
        }

        @Override
        public <K> boolean remove(K key, Serializer<K> ks) throws IOException {
            return server.remove(bytes(key, ks)) != null;
        }
    }
}
