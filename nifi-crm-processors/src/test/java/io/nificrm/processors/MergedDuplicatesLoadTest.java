package io.nificrm.processors;

import com.fasterxml.jackson.databind.JsonNode;
import io.nificrm.processors.common.CrmProperties;
import io.nificrm.processors.dedup.FieldRole;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.simulator.store.ObjectStore;
import io.nificrm.simulator.store.SimRecord;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A partitioned migration deduplicates FlowFile by FlowFile through the match index: a duplicate read in a later
 * FlowFile than its original must update the record the original was written as (upsert key = the cluster's golden
 * id), and children that reference any member of a merged cluster must be linked to the golden record (the parents'
 * upsert remembers every member's id in the shared Reference Cache).
 */
class MergedDuplicatesLoadTest {
    @TempDir
    Path index;

    private CrmSimulator sim;
    private final Map<ByteBuffer, byte[]> cacheServer = new ConcurrentHashMap<>();

    @BeforeEach
    void start() {
        sim = CrmSimulator.start(SimulatorConfig.defaults().unlimited());
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    private TestRunner dedupCompanies() throws Exception {
        TestRunner dedup = TestRunners.newTestRunner(DeduplicateCrmRecords.class);
        TestServices.hubspot(dedup, sim);
        TestServices.json(dedup);
        dedup.setProperty(CrmProperties.RECORD_READER, TestServices.READER);
        dedup.setProperty(CrmProperties.RECORD_WRITER, TestServices.WRITER);
        dedup.setProperty(DeduplicateCrmRecords.ENTITY_TYPE, "company");
        dedup.setProperty(DeduplicateCrmRecords.ROLE_PROPERTIES.get(FieldRole.ID), "source_id");
        dedup.setProperty(DeduplicateCrmRecords.MATCH_INDEX, "directory");
        dedup.setProperty(DeduplicateCrmRecords.INDEX_DIRECTORY_PATH, index.toString());
        dedup.setProperty(DeduplicateCrmRecords.TARGET_SERVICE, TestServices.HUBSPOT);
        dedup.setProperty(DeduplicateCrmRecords.TARGET_OBJECT, "companies");
        dedup.setProperty(DeduplicateCrmRecords.TARGET_LOOKUP_KEYS, "phone");
        dedup.setProperty(DeduplicateCrmRecords.TARGET_KEY_FIELD, "source_id");
        return dedup;
    }

    private TestRunner upsert(String object) throws Exception {
        TestRunner upsert = TestRunners.newTestRunner(UpsertCrmRecords.class);
        TestServices.hubspot(upsert, sim);
        TestServices.json(upsert);
        NiFiLikeMapCache cache = new NiFiLikeMapCache(cacheServer);
        upsert.addControllerService("cache", cache);
        upsert.enableControllerService(cache);
        upsert.setProperty(UpsertCrmRecords.REFERENCE_CACHE, "cache");
        upsert.setProperty(CrmProperties.CONNECTION_SERVICE, TestServices.HUBSPOT);
        upsert.setProperty(UpsertCrmRecords.OBJECT, object);
        upsert.setProperty(UpsertCrmRecords.KEY_FIELD, "source_id");
        upsert.setProperty(CrmProperties.RECORD_READER, TestServices.READER);
        upsert.setProperty(CrmProperties.RECORD_WRITER, TestServices.WRITER);
        return upsert;
    }

    /** Dedups one FlowFile in a fresh processor (as the next FlowFile of a load may meet) and returns its golden records. */
    private List<MockFlowFile> dedup(String json) throws Exception {
        TestRunner dedup = dedupCompanies();
        dedup.enqueue(json);
        dedup.run();
        return dedup.getFlowFilesForRelationship(DeduplicateCrmRecords.REL_GOLDEN);
    }

    private void load(TestRunner upsert, List<MockFlowFile> golden) {
        upsert.clearTransferState();
        golden.forEach(f -> upsert.enqueue(f.toByteArray(), f.getAttributes()));
        upsert.run(golden.size());
        upsert.assertAllFlowFilesTransferred(UpsertCrmRecords.REL_SUCCESS, golden.size());
    }

    /** Like NiFi's MapCacheClientService: the value of a missing key reaches the deserializer as an empty array. */
    static final class NiFiLikeMapCache extends org.apache.nifi.controller.AbstractControllerService
            implements org.apache.nifi.distributed.cache.client.DistributedMapCacheClient {
        private final DeduplicateCrmRecordsAcrossBatchesTest.MapCache delegate;

        NiFiLikeMapCache(Map<ByteBuffer, byte[]> server) {
            this.delegate = new DeduplicateCrmRecordsAcrossBatchesTest.MapCache(server);
        }

        @Override
        public <K, V> V get(K key, org.apache.nifi.distributed.cache.client.Serializer<K> ks,
                            org.apache.nifi.distributed.cache.client.Deserializer<V> vd) throws java.io.IOException {
            return delegate.containsKey(key, ks) ? delegate.get(key, ks, vd) : vd.deserialize(new byte[0]);
        }

        @Override
        public <K, V> boolean putIfAbsent(K key, V value, org.apache.nifi.distributed.cache.client.Serializer<K> ks,
                                          org.apache.nifi.distributed.cache.client.Serializer<V> vs) throws java.io.IOException {
            return delegate.putIfAbsent(key, value, ks, vs);
        }

        @Override
        public <K, V> V getAndPutIfAbsent(K key, V value, org.apache.nifi.distributed.cache.client.Serializer<K> ks,
                                          org.apache.nifi.distributed.cache.client.Serializer<V> vs,
                                          org.apache.nifi.distributed.cache.client.Deserializer<V> vd) throws java.io.IOException {
            return delegate.getAndPutIfAbsent(key, value, ks, vs, vd);
        }

        @Override
        public <K> boolean containsKey(K key, org.apache.nifi.distributed.cache.client.Serializer<K> ks) throws java.io.IOException {
            return delegate.containsKey(key, ks);
        }

        @Override
        public <K, V> void put(K key, V value, org.apache.nifi.distributed.cache.client.Serializer<K> ks,
                               org.apache.nifi.distributed.cache.client.Serializer<V> vs) throws java.io.IOException {
            delegate.put(key, value, ks, vs);
        }

        @Override
        public <K> boolean remove(K key, org.apache.nifi.distributed.cache.client.Serializer<K> ks) throws java.io.IOException {
            return delegate.remove(key, ks);
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aDuplicateInALaterFlowFileUpdatesTheGoldenRecordAndItsChildrenFindIt() throws Exception {
        TestRunner companies = upsert("companies");
        load(companies, dedup("""
                [{"source_id": "A1", "name": "Acme Corporation", "domain": "acme.com", "phone": "+14155550100", "city": "Boston"},
                 {"source_id": "A9", "name": "Globex", "domain": "globex.io", "phone": "+16175550199", "city": "Austin"}]
                """));
        // Read later (another partition): a near-duplicate of A1.
        List<MockFlowFile> later = dedup("""
                [{"source_id": "A2", "name": "ACME Corp.", "domain": "acme.com", "phone": "+14155550100", "city": "Boston", "industry": null}]
                """);
        JsonNode golden = DeduplicateTestSupport.JSON.readTree(later.getFirst().toByteArray()).get(0);
        assertEquals("A1", golden.get("crm_golden_id").asText(), golden.toString());
        assertEquals("A1", golden.get("source_id").asText(), "the upsert key is the golden id: " + golden);
        assertTrue(golden.get("crm_cluster_members").asText().contains("A2"), golden.toString());
        load(companies, later);

        ObjectStore hubspotCompanies = sim.hubspot().store("companies").orElseThrow();
        assertEquals(2, hubspotCompanies.count(false), "A2 was merged into A1's company, not created beside it");
        SimRecord acme = hubspotCompanies.findByUnique("source_id", "A1").orElseThrow();

        // Contacts written by another processor (another stage, another node) reference the merged duplicate A2.
        TestRunner contacts = upsert("contacts");
        contacts.setProperty("associations.companies", "companies.source_id");
        contacts.enqueue("""
                [{"source_id": "C1", "lastname": "One", "associations.companies": "A2"},
                 {"source_id": "C2", "lastname": "Two", "associations.companies": "A1"},
                 {"source_id": "C3", "lastname": "Three", "associations.companies": "A404"}]
                """);
        contacts.run();
        contacts.assertTransferCount(UpsertCrmRecords.REL_SUCCESS, 1);
        JsonNode orphan = DeduplicateTestSupport.records(contacts, UpsertCrmRecords.REL_FAILURE).getFirst();
        assertEquals("MISSING_PARENT", orphan.get("crm_error_code").asText(), "a parent in neither cache nor target: " + orphan);
        ObjectStore hubspotContacts = sim.hubspot().store("contacts").orElseThrow();
        for (String contact : List.of("C1", "C2")) {
            assertEquals(List.of(acme.id()), sim.hubspot().associations("contacts",
                    hubspotContacts.findByUnique("source_id", contact).orElseThrow().id(), "companies"), contact);
        }
        assertTrue(cacheServer.keySet().stream().anyMatch(k -> StandardCharsets.UTF_8.decode(k.duplicate()).toString()
                .endsWith("/companies/A2")), "the member id is in the shared cache");
    }
}
