package io.nificrm.services.jdbc;

import io.nificrm.api.CrmCapabilities;
import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmException;
import io.nificrm.api.CrmObjectSchema;
import io.nificrm.api.CrmPage;
import io.nificrm.api.CrmPartition;
import io.nificrm.api.CrmQuery;
import io.nificrm.api.CrmWriteRequest;
import io.nificrm.api.CrmWriteResult;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.annotation.lifecycle.OnDisabled;
import org.apache.nifi.annotation.lifecycle.OnEnabled;
import org.apache.nifi.components.AllowableValue;
import org.apache.nifi.components.ConfigVerificationResult;
import org.apache.nifi.components.ConfigVerificationResult.Outcome;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationContext;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.components.Validator;
import org.apache.nifi.context.PropertyContext;
import org.apache.nifi.controller.AbstractControllerService;
import org.apache.nifi.controller.ConfigurationContext;
import org.apache.nifi.controller.VerifiableControllerService;
import org.apache.nifi.dbcp.DBCPService;
import org.apache.nifi.logging.ComponentLog;
import org.apache.nifi.processor.util.StandardValidators;
import org.apache.nifi.serialization.record.Record;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A relational database as a CRM-like system, through NiFi's Database Connection Pooling Service: describe from the
 * JDBC metadata, keyset-paged reads with restart-safe cursors, change windows on a modified-time column, batched
 * upserts with per-row results and bad-row isolation, lookups and counts.
 */
@Tags({"jdbc", "database", "sql", "postgresql", "mysql", "crm", "connection", "upsert"})
@CapabilityDescription("Connects to a relational database through a Database Connection Pooling Service. Describes tables "
        + "from the JDBC metadata (types, NOT NULL, unique keys, primary key). Reads with keyset paging (ORDER BY the primary "
        + "key, or by the Modified Column and the primary key for change windows) and cursors that survive restarts. Writes "
        + "upserts (PostgreSQL INSERT ... ON CONFLICT, MySQL INSERT ... ON DUPLICATE KEY UPDATE, otherwise SQL:2003 MERGE), "
        + "inserts, updates and deletes (hard, or soft through the Deleted Column) in one transaction per batch; when a batch "
        + "fails because of some rows, they are isolated by bisection so that only they fail, each with the SQLState and "
        + "the database's message. Every value is a bound parameter; table and column names must be plain identifiers "
        + "that exist in the metadata. Without a Deleted Column, hard deletes cannot be seen by queries.")
public class JdbcConnectionService extends AbstractControllerService implements CrmConnectionService, VerifiableControllerService {

    static final AllowableValue DIALECT_AUTO = new AllowableValue("auto", "Auto-detect",
            "Chosen from the database product name: PostgreSQL, MySQL/MariaDB, otherwise Generic MERGE.");
    static final AllowableValue DIALECT_POSTGRESQL = new AllowableValue("postgresql", Dialect.POSTGRESQL.label(),
            "INSERT ... ON CONFLICT (key) DO UPDATE ... RETURNING, which tells created, updated and unchanged rows apart; "
                    + "lookups with = ANY(?). PostgreSQL 9.5 and later, and compatible databases.");
    static final AllowableValue DIALECT_MYSQL = new AllowableValue("mysql", Dialect.MYSQL.label(),
            "INSERT ... ON DUPLICATE KEY UPDATE (MySQL, MariaDB). The upsert key must be the only unique key a row can "
                    + "collide on, since MySQL matches any unique key.");
    static final AllowableValue DIALECT_MERGE = new AllowableValue("merge", Dialect.MERGE.label(),
            "Standard MERGE INTO ... USING (VALUES ...) and OFFSET/FETCH paging, for other databases (SQL Server, DB2, "
                    + "H2, PostgreSQL 15+...).");

    /** A plain identifier: what names in SQL may be. */
    private static final Validator IDENTIFIER_VALIDATOR = (subject, input, context) -> {
        boolean valid = input != null && JdbcDescriber.IDENTIFIER.matcher(input).matches();
        return new ValidationResult.Builder().subject(subject).input(input).valid(valid)
                .explanation(valid ? null : "'" + input + "' is not a plain identifier: use letters, digits, _ and $, starting "
                        + "with a letter or _")
                .build();
    };

    public static final PropertyDescriptor DBCP_SERVICE = new PropertyDescriptor.Builder()
            .name("Database Connection Pooling Service")
            .description("The pool that gives connections to the database (NiFi's DBCPConnectionPool, HikariCPConnectionPool...). "
                    + "Its user needs SELECT on the tables read and INSERT/UPDATE/DELETE on the tables written.")
            .required(true)
            .identifiesControllerService(DBCPService.class)
            .build();

    public static final PropertyDescriptor SCHEMA = new PropertyDescriptor.Builder()
            .name("Schema")
            .description("The schema (PostgreSQL, SQL Server...) or database (MySQL) holding the tables. When not set, the "
                    + "connection's current schema is used (PostgreSQL: the first of the search_path, usually public). A table "
                    + "can also be named schema.table.")
            .required(false)
            .addValidator(IDENTIFIER_VALIDATOR)
            .build();

    public static final PropertyDescriptor DIALECT = new PropertyDescriptor.Builder()
            .name("Dialect")
            .description("How upserts and paging are written.")
            .required(true)
            .allowableValues(DIALECT_AUTO, DIALECT_POSTGRESQL, DIALECT_MYSQL, DIALECT_MERGE)
            .defaultValue(DIALECT_AUTO.getValue())
            .build();

    public static final PropertyDescriptor MODIFIED_COLUMN = new PropertyDescriptor.Builder()
            .name("Modified Column")
            .description("The timestamp column that holds when a row last changed; change windows read [from, until) on it, "
                    + "ordered by it and the primary key. Tables without it can be read whole but not by window. Writes that "
                    + "change a row set it to CURRENT_TIMESTAMP unless the record carries a value for it, so that changes "
                    + "written here are seen by incremental reads.")
            .required(true)
            .defaultValue("updated_at")
            .addValidator(IDENTIFIER_VALIDATOR)
            .build();

    public static final PropertyDescriptor DELETED_COLUMN = new PropertyDescriptor.Builder()
            .name("Deleted Column")
            .description("A column that marks soft-deleted rows: a boolean (true = deleted), a timestamp or date (set = deleted), "
                    + "or a whole number (non-zero = deleted), e.g. deleted_at. When set, deletes set it instead of removing the "
                    + "row, queries skip marked rows unless deleted records are asked for (then crm_deleted tells them apart), "
                    + "and upserts or updates of a marked row clear it. When not set, deletes remove rows and queries cannot "
                    + "report deleted records.")
            .required(false)
            .addValidator(IDENTIFIER_VALIDATOR)
            .build();

    public static final PropertyDescriptor BATCH_SIZE = new PropertyDescriptor.Builder()
            .name("Batch Size")
            .description("Rows written per transaction (one JDBC batch). Processors send at most this many records per write; "
                    + "larger calls are split into transactions of this size.")
            .required(true)
            .defaultValue("1000")
            .addValidator(StandardValidators.createLongValidator(1, 100_000, true))
            .build();

    public static final PropertyDescriptor MAX_PAGE_SIZE = new PropertyDescriptor.Builder()
            .name("Max Page Size")
            .description("The most rows one query page returns, whatever page size a processor asks for. Each page is one "
                    + "SELECT ... LIMIT; the page's rows are held in memory.")
            .required(true)
            .defaultValue("10000")
            .addValidator(StandardValidators.createLongValidator(1, 1_000_000, true))
            .build();

    private static final List<PropertyDescriptor> PROPERTIES = List.of(DBCP_SERVICE, SCHEMA, DIALECT, MODIFIED_COLUMN,
            DELETED_COLUMN, BATCH_SIZE, MAX_PAGE_SIZE);

    /** The configuration of an enabled service. */
    private record Settings(DBCPService pool, Dialect dialect, JdbcDescriber.Settings describe, int batchSize, int maxPageSize) {
    }

    private final Map<String, JdbcTable> tables = new ConcurrentHashMap<>();
    private volatile Settings settings;
    private volatile DatabaseInfo database;

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return PROPERTIES;
    }

    @Override
    protected Collection<ValidationResult> customValidate(ValidationContext context) {
        List<ValidationResult> results = new ArrayList<>();
        String modified = context.getProperty(MODIFIED_COLUMN).getValue();
        String deleted = context.getProperty(DELETED_COLUMN).getValue();
        if (modified != null && modified.equalsIgnoreCase(deleted)) {
            results.add(new ValidationResult.Builder().subject(DELETED_COLUMN.getDisplayName()).input(deleted).valid(false)
                    .explanation("the Deleted Column must differ from the Modified Column").build());
        }
        return results;
    }

    @OnEnabled
    public void onEnabled(ConfigurationContext context) {
        settings = settings(context);
        database = null;
        tables.clear();
    }

    @OnDisabled
    public void onDisabled() {
        settings = null;
        database = null;
        tables.clear();
    }

    private static Settings settings(PropertyContext context) {
        DBCPService pool = context.getProperty(DBCP_SERVICE).asControllerService(DBCPService.class);
        String dialect = context.getProperty(DIALECT).getValue();
        Dialect configured = dialect == null || DIALECT_AUTO.getValue().equals(dialect) ? null : switch (dialect) {
            case "postgresql" -> Dialect.POSTGRESQL;
            case "mysql" -> Dialect.MYSQL;
            default -> Dialect.MERGE;
        };
        String deleted = context.getProperty(DELETED_COLUMN).getValue();
        return new Settings(pool, configured, new JdbcDescriber.Settings(blankToNull(context.getProperty(SCHEMA).getValue()),
                context.getProperty(MODIFIED_COLUMN).getValue(), blankToNull(deleted)),
                context.getProperty(BATCH_SIZE).asInteger(), context.getProperty(MAX_PAGE_SIZE).asInteger());
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
    }

    private Settings settings() {
        Settings current = settings;
        if (current == null) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "JDBC connection service is not enabled");
        }
        return current;
    }

    // ---- connections ----

    private interface SqlWork<T> {
        T run(Connection connection, DatabaseInfo db) throws SQLException;
    }

    /** Runs work on a pooled connection; SQL failures become CrmExceptions saying what was being done. */
    private <T> T withConnection(String action, SqlWork<T> work) {
        Settings current = settings();
        try (Connection connection = PooledConnections.borrow(current.pool())) {
            DatabaseInfo db = database;
            if (db == null) {
                db = DatabaseInfo.of(connection, current.dialect());
                database = db;
            }
            return work.run(connection, db);
        } catch (SQLException e) {
            throw SqlErrors.toCrmException(action, e);
        }
    }

    /**
     * Runs a call on a described table; when the database says the statement itself is wrong (SQLState class 42: a
     * column or table gone, a privilege revoked), the table's description is dropped so the next call describes it anew.
     */
    private <T> T forgetOnSchemaError(String object, java.util.function.Supplier<T> call) {
        try {
            return call.get();
        } catch (CrmException e) {
            if (object != null && e.code() != null && e.code().startsWith("42")) {
                tables.remove(object);
            }
            throw e;
        }
    }

    // ---- CrmConnectionService ----

    @Override
    public String system() {
        return "jdbc";
    }

    @Override
    public CrmCapabilities capabilities() {
        Settings current = settings();
        return new CrmCapabilities(current.batchSize(), current.maxPageSize(), CrmCapabilities.RateLimit.UNLIMITED, 0, 0,
                current.describe().deletedColumn() != null, true, false);
    }

    @Override
    public CrmObjectSchema describe(String object) {
        return table(object).schema();
    }

    private JdbcTable table(String object) {
        JdbcTable cached = object == null ? null : tables.get(object);
        if (cached != null) {
            return cached;
        }
        Settings current = settings();
        JdbcTable table = withConnection("Describing table " + object, (connection, db) ->
                JdbcDescriber.describe(connection, current.describe(), object));
        tables.put(object, table);
        return table;
    }

    @Override
    public CrmPage query(CrmQuery query) {
        JdbcTable table = table(query.object());
        int maxPage = settings().maxPageSize();
        return forgetOnSchemaError(query.object(), () -> withConnection("Reading " + table.displayName(), (connection, db) ->
                new JdbcReader(table, db).query(connection, query, maxPage)));
    }

    @Override
    public List<CrmWriteResult> write(CrmWriteRequest request) {
        if (request.records().isEmpty()) {
            return List.of();
        }
        JdbcTable table = table(request.object());
        Settings current = settings();
        DatabaseInfo db = database;
        if (db == null) {
            db = withConnection("Connecting to the database", (connection, info) -> info);
        }
        DatabaseInfo info = db;
        return forgetOnSchemaError(request.object(), () ->
                new JdbcWriter(table, info, current.batchSize(), () -> PooledConnections.borrow(current.pool())).write(request));
    }

    @Override
    public List<Record> lookup(String object, String field, Collection<String> values, List<String> fields) {
        JdbcTable table = table(object);
        if (values == null || values.isEmpty()) {
            return List.of();
        }
        return forgetOnSchemaError(object, () -> withConnection("Looking up " + table.displayName() + " by " + field, (connection, db) ->
                new JdbcReader(table, db).lookup(connection, field, values, fields)));
    }

    @Override
    public List<CrmPartition> partitions(String object, String field, int count) {
        JdbcTable table = table(object);
        return withConnection("Partitioning " + table.displayName() + " by " + field, (connection, db) ->
                new JdbcReader(table, db).partitions(connection, field, count));
    }

    @Override
    public RecordCount count(String object) {
        JdbcTable table = table(object);
        return forgetOnSchemaError(object, () -> withConnection("Counting " + table.displayName(), (connection, db) ->
                new RecordCount(new JdbcReader(table, db).count(connection), true)));
    }

    @Override
    public String transitUri(String object) {
        DatabaseInfo db = database;
        if (db == null) {
            try {
                db = withConnection("Connecting to the database", (connection, info) -> info);
            } catch (CrmException e) {
                return "jdbc:unknown/" + object;
            }
        }
        JdbcTable table = object == null ? null : tables.get(object);
        return db.url() + "/" + (table == null ? object : table.displayName());
    }

    // ---- verification ----

    @Override
    public List<ConfigVerificationResult> verify(ConfigurationContext context, ComponentLog verificationLogger, Map<String, String> variables) {
        List<ConfigVerificationResult> results = new ArrayList<>();
        Settings candidate;
        try {
            candidate = settings(context);
        } catch (RuntimeException e) {
            results.add(result("Read configuration", Outcome.FAILED, "The configuration cannot be used: " + e.getMessage()));
            return results;
        }
        if (candidate.pool() == null) {
            results.add(result("Connect to database", Outcome.FAILED, "No Database Connection Pooling Service is set"));
            return results;
        }
        try (Connection connection = PooledConnections.borrow(candidate.pool())) {
            DatabaseInfo db = DatabaseInfo.of(connection, candidate.dialect());
            results.add(result("Connect to database", Outcome.SUCCESSFUL, "Connected to " + db.product() + " at " + db.url()
                    + " with " + db.driver()));
            boolean dialectOk = verifyDialect(results, db, candidate);
            boolean schemaOk = verifySchema(results, connection, candidate.describe().schema());
            if (!schemaOk) {
                results.add(result("List tables", Outcome.SKIPPED, "Skipped because the schema was not found"));
            } else {
                verifyTables(results, connection, candidate.describe());
            }
            verificationLogger.info("Verified JDBC connection to {}: dialect {} {}", db.product(), db.dialect().label(),
                    dialectOk ? "fits" : "does not fit");
        } catch (SQLException e) {
            results.add(result("Connect to database", Outcome.FAILED, explain(e)));
        } catch (RuntimeException e) {
            results.add(result("Connect to database", Outcome.FAILED, "Connecting failed: " + e.getMessage()));
        }
        return results;
    }

    private static boolean verifyDialect(List<ConfigVerificationResult> results, DatabaseInfo db, Settings candidate) {
        Dialect used = db.dialect();
        if (candidate.dialect() == null) {
            results.add(result("Choose dialect", Outcome.SUCCESSFUL, "Detected " + used.label() + " from the product name "
                    + db.product() + "; upserts use " + upsertSyntax(used)));
            return true;
        }
        boolean conflicting = (used == Dialect.POSTGRESQL || used == Dialect.MYSQL) && db.detected() != used;
        if (conflicting || (used == Dialect.MERGE && db.detected() == Dialect.MYSQL)) {
            results.add(result("Choose dialect", Outcome.FAILED, "The Dialect property is " + used.label() + " but the database is "
                    + db.product() + ", which needs " + db.detected().label() + "; choose Auto-detect"));
            return false;
        }
        if (used == Dialect.MERGE && db.detected() == Dialect.POSTGRESQL && db.majorVersion() > 0 && db.majorVersion() < 15) {
            results.add(result("Choose dialect", Outcome.FAILED, "MERGE needs PostgreSQL 15 or later; this is " + db.product()
                    + "; choose Auto-detect or PostgreSQL"));
            return false;
        }
        results.add(result("Choose dialect", Outcome.SUCCESSFUL, "Using " + used.label() + " (configured) on " + db.product()
                + "; upserts use " + upsertSyntax(used)));
        return true;
    }

    private static String upsertSyntax(Dialect dialect) {
        return switch (dialect) {
            case POSTGRESQL -> "INSERT ... ON CONFLICT ... RETURNING";
            case MYSQL -> "INSERT ... ON DUPLICATE KEY UPDATE";
            case MERGE -> "MERGE INTO ... USING (VALUES ...)";
        };
    }

    private static boolean verifySchema(List<ConfigVerificationResult> results, Connection connection, String schema) throws SQLException {
        if (schema == null) {
            String current = JdbcDescriber.schemasAreCatalogs(connection.getMetaData()) ? connection.getCatalog() : connection.getSchema();
            results.add(result("Find schema", Outcome.SUCCESSFUL, "No Schema set: using the connection's current schema"
                    + (current == null ? "" : " " + current)));
            return true;
        }
        DatabaseMetaData metaData = connection.getMetaData();
        boolean catalogs = JdbcDescriber.schemasAreCatalogs(metaData);
        Set<String> names = new TreeSet<>(String.CASE_INSENSITIVE_ORDER);
        try (ResultSet rs = catalogs ? metaData.getCatalogs() : metaData.getSchemas()) {
            while (rs.next()) {
                names.add(rs.getString(catalogs ? "TABLE_CAT" : "TABLE_SCHEM"));
            }
        }
        if (names.contains(schema)) {
            results.add(result("Find schema", Outcome.SUCCESSFUL, (catalogs ? "Database " : "Schema ") + schema + " exists"));
            return true;
        }
        results.add(result("Find schema", Outcome.FAILED, (catalogs ? "Database " : "Schema ") + schema + " does not exist or "
                + "is not visible to this user; visible: " + abbreviate(names)));
        return false;
    }

    private static void verifyTables(List<ConfigVerificationResult> results, Connection connection, JdbcDescriber.Settings describe)
            throws SQLException {
        DatabaseMetaData metaData = connection.getMetaData();
        boolean catalogs = JdbcDescriber.schemasAreCatalogs(metaData);
        String schema = describe.schema() != null ? describe.schema() : catalogs ? connection.getCatalog() : connection.getSchema();
        String escape = metaData.getSearchStringEscape();
        Set<String> tableNames = new TreeSet<>();
        try (ResultSet rs = metaData.getTables(catalogs ? schema : null, catalogs ? null : JdbcDescriber.pattern(schema, escape),
                "%", null)) {
            while (rs.next()) {
                String type = String.valueOf(rs.getString("TABLE_TYPE")).toUpperCase(Locale.ROOT);
                if ((type.contains("TABLE") || type.contains("VIEW")) && !type.contains("SYSTEM") && !type.contains("TEMPORARY")) {
                    tableNames.add(rs.getString("TABLE_NAME"));
                }
            }
        }
        String where = schema == null ? "the current schema" : (catalogs ? "database " : "schema ") + schema;
        if (tableNames.isEmpty()) {
            results.add(result("List tables", Outcome.FAILED, "No tables are visible in " + where + " to this user: check the "
                    + "Schema property and the user's privileges (GRANT SELECT, USAGE on the schema)"));
            return;
        }
        Set<String> withModified = new TreeSet<>();
        try (ResultSet rs = metaData.getColumns(catalogs ? schema : null, catalogs ? null : JdbcDescriber.pattern(schema, escape),
                "%", JdbcDescriber.pattern(describe.modifiedColumn(), escape))) {
            while (rs.next()) {
                if (describe.modifiedColumn().equalsIgnoreCase(rs.getString("COLUMN_NAME"))) {
                    withModified.add(rs.getString("TABLE_NAME"));
                }
            }
        }
        withModified.retainAll(tableNames);
        results.add(result("List tables", Outcome.SUCCESSFUL, tableNames.size() + " table(s) visible in " + where + ": "
                + abbreviate(tableNames) + "; " + withModified.size() + " of them have the Modified Column "
                + describe.modifiedColumn() + " (needed for change windows)"));
    }

    private static String abbreviate(Collection<String> names) {
        List<String> list = List.copyOf(names);
        return list.size() <= 10 ? String.join(", ", list) : String.join(", ", list.subList(0, 10)) + " and " + (list.size() - 10) + " more";
    }

    /** A failure to connect in plain words, with what to check. */
    static String explain(SQLException e) {
        String state = SqlErrors.state(e);
        String message = SqlErrors.message(e) + (state == null ? "" : " (SQLState " + state + ")");
        if (state == null) {
            return "Connecting failed: " + message;
        }
        if (state.startsWith("28")) {
            return "The database refused the user name or password: " + message + ". Check the user and password of the "
                    + "connection pool service.";
        }
        if (state.startsWith("08")) {
            return "Could not reach the database: " + message + ". Check the host and port in the connection URL, that the "
                    + "database is running, and firewalls.";
        }
        if (state.equals("3D000")) {
            return "The database named in the connection URL does not exist: " + message + ".";
        }
        if (state.equals("42501")) {
            return "The database user lacks a privilege: " + message + ".";
        }
        return "Connecting failed: " + message;
    }

    private static ConfigVerificationResult result(String step, Outcome outcome, String explanation) {
        return new ConfigVerificationResult.Builder().verificationStepName(step).outcome(outcome).explanation(explanation).build();
    }
}
