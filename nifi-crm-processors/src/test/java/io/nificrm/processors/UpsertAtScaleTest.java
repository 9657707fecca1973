package io.nificrm.processors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.processors.common.CrmProperties;
import io.nificrm.processors.common.WriteOutcomeFields;
import io.nificrm.services.jdbc.JdbcConnectionService;
import io.nificrm.services.jdbc.TestDbcpService;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.simulator.fault.FaultRule;
import io.nificrm.simulator.postgres.LocalPostgres;
import io.nificrm.simulator.store.ObjectStore;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.IntFunction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 100,000 records into each target with 1% the target refuses for good and a storm of 429s and 5xx answers: the
 * target ends exact, every reject is on 'failure' with its reason, nothing is lost on the way (what was throttled
 * beyond the service's own retries goes to 'retry' and is looped back, as an operator would), and running the same
 * input again creates nothing.
 */
class UpsertAtScaleTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int RECORDS = 100_000;
    private static final int REJECT_EVERY = 100;
    private static final int PER_FLOWFILE = 25_000;
    private static final int TASKS = 4;
    private static CrmSimulator sim;

    @BeforeAll
    static void start() {
        sim = CrmSimulator.start(SimulatorConfig.defaults().unlimited());
    }

    @AfterAll
    static void stop() {
        sim.close();
    }

    /** One target: its object, key, how record i looks (every 100th one refused by the target), how to read back. */
    private record Target(String serviceId, String object, String key, IntFunction<ObjectNode> record) {
    }

    private static ObjectNode person(String key, String keyValue, String last, String lastValue, String email, String emailValue) {
        ObjectNode node = JSON.createObjectNode();
        node.put(key, keyValue);
        node.put(last, lastValue);
        node.put(email, emailValue);
        return node;
    }

    /** The records as FlowFiles of {@value #PER_FLOWFILE}, written by {@value #TASKS} concurrent tasks. */
    private static List<byte[]> input(Target target) {
        List<byte[]> flowFiles = new java.util.ArrayList<>();
        for (int first = 0; first < RECORDS; first += PER_FLOWFILE) {
            ArrayNode array = JSON.createArrayNode();
            for (int i = first; i < Math.min(RECORDS, first + PER_FLOWFILE); i++) {
                array.add(target.record().apply(i));
            }
            flowFiles.add(array.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
        return flowFiles;
    }

    private static boolean rejected(int i) {
        return i % REJECT_EVERY == 7;
    }

    /** Runs the upsert until nothing is left to retry; returns success and failure record counts. */
    private static long[] upsertAll(TestRunner runner, List<byte[]> input, String key) {
        runner.clearTransferState();
        runner.setThreadCount(TASKS);
        input.forEach(runner::enqueue);
        long success = 0;
        long failure = 0;
        for (int round = 0; round < 20; round++) {
            runner.run(runner.getQueueSize().getObjectCount(), true, round == 0);
            success += FirstSliceTest.records(runner, UpsertCrmRecords.REL_SUCCESS);
            failure += FirstSliceTest.records(runner, UpsertCrmRecords.REL_FAILURE);
            for (MockFlowFile rejects : runner.getFlowFilesForRelationship(UpsertCrmRecords.REL_FAILURE)) {
                assertRejectsCarryReasons(rejects, key);
            }
            List<MockFlowFile> retry = runner.getFlowFilesForRelationship(UpsertCrmRecords.REL_RETRY);
            runner.clearTransferState();
            if (retry.isEmpty()) {
                return new long[]{success, failure};
            }
            retry.forEach(f -> runner.enqueue(f.toByteArray()));
        }
        throw new AssertionError("records still waiting for a retry after 20 rounds");
    }

    private static void assertRejectsCarryReasons(MockFlowFile flowFile, String key) {
        try {
            for (JsonNode record : JSON.readTree(flowFile.toByteArray())) {
                assertFalse(record.path(WriteOutcomeFields.ERROR_CODE).asText().isBlank());
                assertFalse(record.path(WriteOutcomeFields.ERROR_MESSAGE).asText().isBlank());
                assertEquals(7, Integer.parseInt(record.path(key).asText().substring(1)) % REJECT_EVERY,
                        "only the planted rejects fail: " + record);
            }
        } catch (java.io.IOException e) {
            throw new AssertionError(e);
        }
    }

    private TestRunner runner(Target target) throws Exception {
        TestRunner runner = TestRunners.newTestRunner(UpsertCrmRecords.class);
        switch (target.serviceId()) {
            case TestServices.SALESFORCE -> TestServices.salesforce(runner, sim);
            case TestServices.HUBSPOT -> {
                TestServices.hubspot(runner, sim);
                runner.disableControllerService(runner.getControllerService(TestServices.HUBSPOT));
                runner.setProperty(runner.getControllerService(TestServices.HUBSPOT), "Rate Limit Requests", "0");
                runner.enableControllerService(runner.getControllerService(TestServices.HUBSPOT));
            }
            default -> TestServices.dynamics(runner, sim);
        }
        TestServices.json(runner);
        runner.setProperty(CrmProperties.CONNECTION_SERVICE, target.serviceId());
        runner.setProperty(UpsertCrmRecords.OBJECT, target.object());
        runner.setProperty(UpsertCrmRecords.KEY_FIELD, target.key());
        runner.setProperty(CrmProperties.RECORD_READER, TestServices.READER);
        runner.setProperty(CrmProperties.RECORD_WRITER, TestServices.WRITER);
        return runner;
    }

    private void storm(String system) {
        sim.faults().clear();
        sim.faults().add(FaultRule.on(system, "*").withThrottling(0.5, 1).times(16));
        sim.faults().add(FaultRule.on(system, "*").withErrors(0.3, 503).times(40));
    }

    private void check(Target target, String system, String lastNameField, String emailField) throws Exception {
        TestRunner runner = runner(target);
        List<byte[]> input = input(target);
        storm(system);
        long[] first = upsertAll(runner, input, target.key());
        assertTrue(sim.stats().throttled(system) > 0, "the storm happened");
        assertEquals(RECORDS / REJECT_EVERY, first[1], "exactly the planted rejects failed");
        assertEquals(RECORDS - RECORDS / REJECT_EVERY, first[0]);
        ObjectStore store = sim.system(system).store(target.object()).orElseThrow();
        assertEquals(first[0], store.count(false), "the target holds exactly the accepted records");
        Map<String, Object> byKey = new HashMap<>();
        store.stream().forEach(r -> byKey.put(String.valueOf(r.fields().get(target.key())), r.fields().get(lastNameField)));
        for (int i = 0; i < RECORDS; i += 997) {
            if (!rejected(i)) {
                assertEquals("Last" + i, byKey.get("K" + i), "contents of record " + i);
            }
        }
        long createdBefore = runner.getCounterValue("Records Created");
        sim.faults().clear();
        long[] second = upsertAll(runner, input, target.key());
        assertEquals(first[0], second[0], "the re-run updates what exists");
        assertEquals(first[0], store.count(false), "and creates nothing new");
        assertEquals(createdBefore, runner.getCounterValue("Records Created"), "no create counted in the re-run");
    }

    @Test
    void salesforceThroughBulkAndCollections() throws Exception {
        check(new Target(TestServices.SALESFORCE, "Contact", "External_Id__c",
                i -> person("External_Id__c", "K" + i, "LastName", "Last" + i, "Email", rejected(i) ? "no-at-sign" : "p" + i + "@example.com")
), "salesforce", "LastName", "Email");
    }

    @Test
    void hubSpotBatches() throws Exception {
        check(new Target(TestServices.HUBSPOT, "contacts", "source_id",
                i -> person("source_id", "K" + i, "lastname", "Last" + i, "email", rejected(i) ? "no-at-sign" : "p" + i + "@example.com")
), "hubspot", "lastname", "email");
    }

    @Test
    void dataverseBatches() throws Exception {
        // Dataverse accepts any e-mail text; what it refuses here is a contact without the required last name.
        check(new Target(TestServices.DYNAMICS, "contact", "nificrm_sourceid",
                i -> {
                    return person("nificrm_sourceid", "K" + i, "lastname", rejected(i) ? "" : "Last" + i, "emailaddress1", "p" + i + "@example.com");
                }), "dynamics", "lastname", "emailaddress1");
    }

    @Test
    void postgreSqlUpsertsWithBadRowsIsolated() throws Exception {
        LocalPostgres.Database db = LocalPostgres.shared().createDatabase("upsert_at_scale");
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE contacts (id bigserial PRIMARY KEY, source_id varchar(40) NOT NULL UNIQUE, "
                    + "last_name varchar(80) NOT NULL, email varchar(120), idx varchar(10), updated_at timestamptz)");
        }
        TestRunner runner = TestRunners.newTestRunner(UpsertCrmRecords.class);
        TestDbcpService dbcp = new TestDbcpService();
        runner.addControllerService("dbcp", dbcp);
        runner.setProperty(dbcp, TestDbcpService.URL, db.jdbcUrl());
        runner.setProperty(dbcp, TestDbcpService.USER, db.user());
        runner.setProperty(dbcp, TestDbcpService.PASSWORD, db.password());
        runner.enableControllerService(dbcp);
        JdbcConnectionService jdbc = new JdbcConnectionService();
        runner.addControllerService("jdbc", jdbc);
        runner.setProperty(jdbc, JdbcConnectionService.DBCP_SERVICE, "dbcp");
        runner.enableControllerService(jdbc);
        TestServices.json(runner);
        runner.setProperty(CrmProperties.CONNECTION_SERVICE, "jdbc");
        runner.setProperty(UpsertCrmRecords.OBJECT, "contacts");
        runner.setProperty(UpsertCrmRecords.KEY_FIELD, "source_id");
        runner.setProperty(CrmProperties.RECORD_READER, TestServices.READER);
        runner.setProperty(CrmProperties.RECORD_WRITER, TestServices.WRITER);
        List<byte[]> input = input(new Target("jdbc", "contacts", "source_id", i -> {
            ObjectNode node = JSON.createObjectNode();
            node.put("source_id", "K" + i);
            if (rejected(i)) {
                node.putNull("last_name");  // NOT NULL: PostgreSQL refuses the row
            } else {
                node.put("last_name", "Last" + i);
            }
            node.put("email", "p" + i + "@example.com");
            node.put("idx", Integer.toString(i));
            return node;
        }));
        long[] first = upsertAll(runner, input, "source_id");
        assertEquals(RECORDS / REJECT_EVERY, first[1]);
        assertEquals(RECORDS - RECORDS / REJECT_EVERY, first[0]);
        Set<String> keys = new HashSet<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rows = s.executeQuery("SELECT source_id, last_name FROM contacts")) {
            while (rows.next()) {
                int i = Integer.parseInt(rows.getString(1).substring(1));
                assertEquals("Last" + i, rows.getString(2));
                assertTrue(keys.add(rows.getString(1)));
            }
        }
        assertEquals(first[0], keys.size(), "the table holds exactly the accepted rows");
        long[] second = upsertAll(runner, input, "source_id");
        assertEquals(first[0], second[0]);
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet n = s.executeQuery("SELECT count(*) FROM contacts")) {
            n.next();
            assertEquals(first[0], n.getLong(1), "the re-run created nothing");
        }
        LocalPostgres.shared().dropDatabase(db.name());
    }
}
