package io.nificrm.services.jdbc;

import io.nificrm.simulator.postgres.LocalPostgres;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.reporting.InitializationException;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.util.NoOpProcessor;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Each test class gets its own database on the JVM's shared {@link LocalPostgres}, a TestRunner hosting a pooling
 * {@link TestDbcpService}, and helpers to run SQL and build records.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class JdbcTestSupport {
    protected LocalPostgres.Database database;
    protected TestRunner runner;
    protected TestDbcpService dbcp;
    protected JdbcConnectionService service;
    private int services;

    @BeforeAll
    void startDatabase() throws Exception {
        database = LocalPostgres.shared().createDatabase(getClass().getSimpleName().toLowerCase(Locale.ROOT));
        runner = TestRunners.newTestRunner(NoOpProcessor.class);
        dbcp = new TestDbcpService();
        runner.addControllerService("dbcp", dbcp);
        runner.setProperty(dbcp, TestDbcpService.URL, database.jdbcUrl());
        runner.setProperty(dbcp, TestDbcpService.USER, database.user());
        runner.setProperty(dbcp, TestDbcpService.PASSWORD, database.password());
        runner.enableControllerService(dbcp);
        createTables();
        service = newService(Map.of());
    }

    /** Creates and fills the class's tables. */
    protected abstract void createTables() throws SQLException;

    @AfterEach
    void noConnectionLeaks() {
        assertEquals(0, dbcp.borrowed.get(), "every connection was given back");
        assertEquals(List.of(), dbcp.violations, "connections came back clean");
    }

    @AfterAll
    void dropDatabase() {
        runner.disableControllerService(dbcp);
        LocalPostgres.shared().dropDatabase(database.name());
    }

    /** A new, enabled JdbcConnectionService on the class's database with these properties (besides the pool). */
    protected JdbcConnectionService newService(Map<PropertyDescriptor, String> properties) throws InitializationException {
        JdbcConnectionService fresh = new JdbcConnectionService();
        runner.addControllerService("jdbc-" + services++, fresh);
        runner.setProperty(fresh, JdbcConnectionService.DBCP_SERVICE, "dbcp");
        properties.forEach((p, v) -> runner.setProperty(fresh, p, v));
        runner.enableControllerService(fresh);
        return fresh;
    }

    protected void sql(String... statements) throws SQLException {
        try (Connection c = database.connect(); Statement s = c.createStatement()) {
            for (String statement : statements) {
                s.execute(statement);
            }
        }
    }

    protected long scalar(String query) throws SQLException {
        try (Connection c = database.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(query)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    protected List<List<Object>> rows(String query) throws SQLException {
        List<List<Object>> rows = new ArrayList<>();
        try (Connection c = database.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(query)) {
            int columns = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<Object> row = new ArrayList<>(columns);
                for (int i = 1; i <= columns; i++) {
                    row.add(rs.getObject(i));
                }
                rows.add(row);
            }
        }
        return rows;
    }

    /** A record from name/value pairs; field types follow the values (null values are strings). */
    protected static Record record(Object... namesAndValues) {
        List<RecordField> fields = new ArrayList<>();
        Map<String, Object> values = new HashMap<>();
        for (int i = 0; i < namesAndValues.length; i += 2) {
            String name = (String) namesAndValues[i];
            Object value = namesAndValues[i + 1];
            RecordFieldType type = switch (value) {
                case null -> RecordFieldType.STRING;
                case Long l -> RecordFieldType.LONG;
                case Integer n -> RecordFieldType.INT;
                case Double d -> RecordFieldType.DOUBLE;
                case Boolean b -> RecordFieldType.BOOLEAN;
                case java.sql.Timestamp t -> RecordFieldType.TIMESTAMP;
                case java.sql.Date d -> RecordFieldType.DATE;
                default -> RecordFieldType.STRING;
            };
            fields.add(new RecordField(name, type.getDataType(), true));
            values.put(name, value);
        }
        return new MapRecord(new SimpleRecordSchema(fields), values);
    }
}
