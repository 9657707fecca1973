package io.nificrm.processors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import io.nificrm.processors.common.CrmProperties;
import io.nificrm.simulator.CrmSimulator;
import org.apache.nifi.controller.AbstractControllerService;
import org.apache.nifi.dbcp.DBCPService;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.exception.ProcessException;
import org.apache.nifi.reporting.InitializationException;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Helpers of the MapCrmFields tests: reading a source object as JSON, mapping it, looking at the outcome. */
final class MapTestSupport {
    static final ObjectMapper JSON = new ObjectMapper();

    private MapTestSupport() {
    }

    /** What one MapCrmFields run produced. */
    record Outcome(TestRunner runner, List<JsonNode> success, List<JsonNode> invalid, List<MockFlowFile> failure) {
        long in() {
            return success.size() + invalid.size();
        }

        byte[] successContent() {
            ArrayNode array = JSON.createArrayNode();
            success.forEach(array::add);
            return array.toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
    }

    /** Every record of a CRM object, as JSON FlowFile contents written by QueryCrmEntities. */
    static List<byte[]> query(CrmSimulator sim, String system, String object) throws Exception {
        TestRunner query = TestRunners.newTestRunner(QueryCrmEntities.class);
        addService(query, sim, system);
        TestServices.json(query);
        query.setProperty(CrmProperties.CONNECTION_SERVICE, system);
        query.setProperty(QueryCrmEntities.OBJECT, object);
        query.setProperty(QueryCrmEntities.MAX_RECORDS_PER_FLOWFILE, "100000");
        query.setProperty(CrmProperties.RECORD_WRITER, TestServices.WRITER);
        query.run();
        List<byte[]> contents = new ArrayList<>();
        query.getFlowFilesForRelationship(QueryCrmEntities.REL_SUCCESS).forEach(f -> contents.add(f.toByteArray()));
        return contents;
    }

    /** Adds and enables the named CRM's connection service (id = system name) on a runner. */
    static void addService(TestRunner runner, CrmSimulator sim, String system) throws InitializationException {
        switch (system) {
            case TestServices.SALESFORCE -> TestServices.salesforce(runner, sim);
            case TestServices.HUBSPOT -> TestServices.hubspot(runner, sim);
            case TestServices.DYNAMICS -> TestServices.dynamics(runner, sim);
            default -> throw new IllegalArgumentException(system);
        }
    }

    /**
     * A MapCrmFields runner with JSON reader and writer; {@code configure} sets the rest. The writer writes dates and
     * date-times as ISO-8601 text, as a flow into a CRM should (without formats NiFi's JSON writer writes epoch
     * milliseconds, which the connection services do not read as dates).
     */
    static TestRunner mapper(Consumer<TestRunner> configure) throws InitializationException {
        TestRunner runner = TestRunners.newTestRunner(MapCrmFields.class);
        TestServices.json(runner);
        var writer = runner.getControllerService(TestServices.WRITER);
        runner.disableControllerService(writer);
        runner.setProperty(writer, "Date Format", "yyyy-MM-dd");
        runner.setProperty(writer, "Timestamp Format", "yyyy-MM-dd'T'HH:mm:ssXXX");
        runner.enableControllerService(writer);
        runner.setProperty(CrmProperties.RECORD_READER, TestServices.READER);
        runner.setProperty(CrmProperties.RECORD_WRITER, TestServices.WRITER);
        configure.accept(runner);
        return runner;
    }

    /** Runs a configured mapper over the inputs and collects every record out. */
    static Outcome run(TestRunner runner, List<byte[]> inputs) throws Exception {
        runner.assertValid();
        inputs.forEach(runner::enqueue);
        runner.run(inputs.size());
        return new Outcome(runner, records(runner, MapCrmFields.REL_SUCCESS), records(runner, MapCrmFields.REL_INVALID),
                runner.getFlowFilesForRelationship(MapCrmFields.REL_FAILURE));
    }

    static Outcome run(TestRunner runner, String json) throws Exception {
        return run(runner, List.of(json.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    static List<JsonNode> records(TestRunner runner, Relationship relationship) throws Exception {
        List<JsonNode> records = new ArrayList<>();
        for (MockFlowFile flowFile : runner.getFlowFilesForRelationship(relationship)) {
            JsonNode array = JSON.readTree(flowFile.toByteArray());
            assertEquals(array.size(), Integer.parseInt(flowFile.getAttribute("record.count")), "record.count matches the content");
            array.forEach(records::add);
        }
        return records;
    }

    static int count(List<byte[]> contents) throws Exception {
        int n = 0;
        for (byte[] content : contents) {
            n += JSON.readTree(content).size();
        }
        return n;
    }

    /** A plain, non-pooling DBCPService on the PostgreSQL driver, for MapCrmFields' PostgreSQL preset tests. */
    static final class PostgresDbcp extends AbstractControllerService implements DBCPService {
        private final String url;
        private final String user;
        private final String password;

        PostgresDbcp(String url, String user, String password) {
            this.url = url;
            this.user = user;
            this.password = password;
        }

        @Override
        public Connection getConnection() throws ProcessException {
            try {
                return DriverManager.getConnection(url, user, password);
            } catch (SQLException e) {
                throw new ProcessException("Cannot connect: " + e.getMessage(), e);
            }
        }
    }
}
