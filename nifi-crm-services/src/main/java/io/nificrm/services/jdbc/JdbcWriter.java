package io.nificrm.services.jdbc;

import io.nificrm.api.CrmException;
import io.nificrm.api.CrmFieldType;
import io.nificrm.api.CrmWriteRequest;
import io.nificrm.api.CrmWriteResult;
import io.nificrm.api.WriteOperation;
import io.nificrm.services.records.WriteFields;
import org.apache.nifi.serialization.record.Record;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Writes one request: records are checked and converted first (unknown columns, values that do not fit a column, a
 * missing key fail right away, without a round trip), then written in transactions of Batch Size rows with JDBC
 * batching. When a batch fails because of its data, the batch is rolled back to a savepoint and split in halves,
 * recursively, until each bad row stands alone: every good row is written and each bad row gets a FAILED result with
 * the SQLState and the driver's message. Without savepoints the transaction is rolled back and the rows are written
 * one by one, each in its own transaction. Failures of the moment (connection, timeout, deadlock, serialization) end
 * the call: when nothing was committed yet the call throws {@link CrmException} (UNAVAILABLE); when earlier
 * transactions of the call were committed, their results stand and every record not yet written gets a transient
 * failure, so that no result is lost.
 */
final class JdbcWriter {
    /** Opens connections of the service's pool. */
    interface Connections {
        Connection get() throws SQLException;
    }

    private final JdbcTable table;
    private final DatabaseInfo db;
    private final int batchSize;
    private final Connections connections;

    JdbcWriter(JdbcTable table, DatabaseInfo db, int batchSize, Connections connections) {
        this.table = table;
        this.db = db;
        this.batchSize = batchSize;
        this.connections = connections;
    }

    private Dialect dialect() {
        return db.dialect();
    }

    /** A record ready to write: its columns and values (converted for JDBC) and its key. */
    private record Row(List<JdbcColumn> columns, List<Object> values, Object key, String keyText) {
        Object value(JdbcColumn column) {
            int i = columns.indexOf(column);
            return i < 0 ? null : values.get(i);
        }
    }

    /** A failure that ends the current transaction (transient, or the same for every row). */
    private static final class ChunkFailure extends Exception {
        final SQLException cause;

        ChunkFailure(SQLException cause) {
            super(cause);
            this.cause = cause;
        }
    }

    List<CrmWriteResult> write(CrmWriteRequest request) {
        WriteOperation operation = request.operation();
        JdbcColumn key = key(request);
        List<Record> records = request.records();
        CrmWriteResult[] results = new CrmWriteResult[records.size()];
        Row[] rows = new Row[records.size()];
        for (int i = 0; i < rows.length; i++) {
            try {
                rows[i] = prepare(records.get(i), operation, key);
            } catch (Rejection r) {
                results[i] = CrmWriteResult.rejected(r.code, r.getMessage());
            }
        }
        boolean committed = false;
        for (int start = 0; start < rows.length; start += batchSize) {
            int end = Math.min(rows.length, start + batchSize);
            List<Integer> chunk = new ArrayList<>();
            for (int i = start; i < end; i++) {
                if (rows[i] != null) {
                    chunk.add(i);
                }
            }
            if (chunk.isEmpty()) {
                continue;
            }
            try {
                writeChunk(operation, key, chunk, rows, results);
                committed = true;
            } catch (ChunkFailure failure) {
                CrmException whole = SqlErrors.toCrmException("Writing to " + table.displayName(), failure.cause);
                if (!committed) {
                    throw whole;
                }
                boolean isTransient = SqlErrors.scope(failure.cause) == SqlErrors.Scope.TRANSIENT;
                for (int i = start; i < rows.length; i++) {
                    if (results[i] == null) {
                        results[i] = isTransient ? CrmWriteResult.failedTransiently(whole.code(), whole.getMessage())
                                : CrmWriteResult.rejected(whole.code(), whole.getMessage());
                    }
                }
                break;
            }
        }
        return Arrays.asList(results);
    }

    // ---- preparing records ----

    private static final class Rejection extends Exception {
        final String code;

        Rejection(String code, String message) {
            super(message, null, false, false);
            this.code = code;
        }
    }

    private JdbcColumn key(CrmWriteRequest request) {
        if (request.operation() == WriteOperation.INSERT) {
            return null;
        }
        String name = request.keyField() == null || request.keyField().isBlank() ? table.primaryKey().name() : request.keyField();
        JdbcDescriber.requireIdentifier("key field", name);
        JdbcColumn key = table.column(name, "the key field");
        if (!table.isUnique(key)) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "Column " + name + " of table " + table.displayName()
                    + " has no unique index or constraint, so it cannot be the key of an " + request.operation().name().toLowerCase()
                    + " (it could match several rows); use the primary key or a column with a unique index");
        }
        return key;
    }

    private Row prepare(Record record, WriteOperation operation, JdbcColumn key) throws Rejection {
        if (operation == WriteOperation.DELETE) {
            Object keyValue = convert(key, record.getValue(key.name()));
            if (keyValue == null) {
                throw new Rejection("MISSING_KEY", "The key column " + key.name() + " has no value");
            }
            return new Row(List.of(key), Collections.singletonList(keyValue), keyValue, JdbcValues.canonical(keyValue, dialect()));
        }
        WriteFields.Outcome fields = WriteFields.of(record, table.schema(), key == null ? Set.of() : Set.of(key.name()));
        List<String> unknown = new ArrayList<>(fields.unknown());
        fields.values().keySet().stream().filter(n -> !table.columns().containsKey(n)).forEach(unknown::add);
        if (!unknown.isEmpty()) {
            throw new Rejection("UNKNOWN_FIELD", "Table " + table.displayName() + " has no column(s) " + unknown);
        }
        List<JdbcColumn> columns = new ArrayList<>(fields.values().size());
        List<Object> values = new ArrayList<>(fields.values().size());
        for (var entry : fields.values().entrySet()) {
            JdbcColumn column = table.columns().get(entry.getKey());
            columns.add(column);
            values.add(convert(column, entry.getValue()));
        }
        Object keyValue = null;
        if (key != null) {
            int at = columns.indexOf(key);
            keyValue = at < 0 ? null : values.get(at);
            if (keyValue == null) {
                throw new Rejection("MISSING_KEY", "The key column " + key.name() + " has no value");
            }
        }
        if (columns.isEmpty()) {
            throw new Rejection("NO_FIELDS", "The record has no field that table " + table.displayName() + " can store");
        }
        return new Row(List.copyOf(columns), Collections.unmodifiableList(values), keyValue,
                keyValue == null ? null : JdbcValues.canonical(keyValue, dialect()));
    }

    private Object convert(JdbcColumn column, Object value) throws Rejection {
        try {
            return JdbcValues.toJdbc(column, value, dialect());
        } catch (IllegalArgumentException e) {
            throw new Rejection("INVALID_VALUE", e.getMessage());
        }
    }

    // ---- one transaction ----

    /** How a batch is run: bisecting with savepoints, whole (no savepoints, first try), or row by row (no savepoints). */
    private enum Mode { SAVEPOINTS, WHOLE, ROW_BY_ROW }

    /** A data error in a batch of a database without savepoints: the chunk is written again row by row. */
    private static final class RetryRowByRow extends Exception {
        RetryRowByRow() {
            super(null, null, false, false);
        }
    }

    private void writeChunk(WriteOperation operation, JdbcColumn key, List<Integer> chunk, Row[] rows, CrmWriteResult[] results)
            throws ChunkFailure {
        Map<Integer, CrmWriteResult> outcomes;
        try {
            outcomes = writeChunk(operation, key, chunk, rows, db.savepoints() ? Mode.SAVEPOINTS : Mode.WHOLE);
        } catch (RetryRowByRow retry) {
            try {
                outcomes = writeChunk(operation, key, chunk, rows, Mode.ROW_BY_ROW);
            } catch (RetryRowByRow impossible) {
                throw new IllegalStateException(impossible);
            }
        }
        outcomes.forEach((i, result) -> results[i] = result);
    }

    private Map<Integer, CrmWriteResult> writeChunk(WriteOperation operation, JdbcColumn key, List<Integer> chunk, Row[] rows,
                                                    Mode mode) throws ChunkFailure, RetryRowByRow {
        Map<Integer, CrmWriteResult> outcomes = new HashMap<>();
        try (Connection connection = connections.get()) {
            boolean autoCommit = connection.getAutoCommit();
            try {
                connection.setAutoCommit(mode == Mode.ROW_BY_ROW);
                boolean upsertRowsAtOnce = operation == WriteOperation.UPSERT && dialect() == Dialect.POSTGRESQL && mode == Mode.SAVEPOINTS;
                // Multi-row upserts return each written row's id and whether it was inserted: only unchanged rows need a lookup.
                Map<String, String> existing = operation == WriteOperation.INSERT || upsertRowsAtOnce ? new HashMap<>()
                        : existingKeys(connection, key, chunk, rows);
                List<Integer> toWrite = new ArrayList<>();
                for (int i : chunk) {
                    boolean exists = operation == WriteOperation.INSERT || existing.containsKey(rows[i].keyText());
                    if ((operation == WriteOperation.UPDATE || operation == WriteOperation.DELETE) && !exists) {
                        outcomes.put(i, CrmWriteResult.rejected("NOT_FOUND", "No row of " + table.displayName()
                                + " has this " + key.name()));
                    } else if (operation == WriteOperation.UPDATE && rows[i].columns().size() == 1) {
                        outcomes.put(i, CrmWriteResult.unchanged(existing.get(rows[i].keyText())));
                    } else {
                        toWrite.add(i);
                    }
                }
                Map<List<JdbcColumn>, List<Integer>> shapes = new LinkedHashMap<>();
                for (int i : toWrite) {
                    shapes.computeIfAbsent(rows[i].columns(), k -> new ArrayList<>()).add(i);
                }
                for (var shape : shapes.entrySet()) {
                    if (upsertRowsAtOnce) {
                        upsertRows(connection, key, shape.getKey(), shape.getValue(), rows, existing, outcomes);
                        continue;
                    }
                    Plan plan = plan(operation, key, shape.getKey());
                    try (PreparedStatement statement = prepare(connection, plan)) {
                        if (mode == Mode.ROW_BY_ROW) {
                            for (int i : shape.getValue()) {
                                attempt(connection, statement, plan, List.of(i), rows, existing, outcomes, mode);
                            }
                        } else {
                            attempt(connection, statement, plan, shape.getValue(), rows, existing, outcomes, mode);
                        }
                    }
                }
                fillCreatedIds(connection, key, rows, existing, outcomes);
                if (mode != Mode.ROW_BY_ROW) {
                    connection.commit();
                }
            } catch (SQLException e) {
                rollbackQuietly(connection);
                throw new ChunkFailure(e);
            } catch (RetryRowByRow retry) {
                rollbackQuietly(connection);
                throw retry;
            } finally {
                try {
                    connection.setAutoCommit(autoCommit);
                } catch (SQLException e) {
                    // the pool resets it
                }
            }
        } catch (SQLException e) {
            throw new ChunkFailure(e);
        }
        return outcomes;
    }

    private static void rollbackQuietly(Connection connection) {
        try {
            if (!connection.getAutoCommit()) {
                connection.rollback();
            }
        } catch (SQLException e) {
            // the connection is broken; the pool discards it
        }
    }

    /**
     * Runs a batch. On a data error: with savepoints, rolls back to the savepoint and bisects until each bad row is alone;
     * without, asks for the chunk to be written again row by row; row by row, fails that row.
     */
    private void attempt(Connection connection, PreparedStatement statement, Plan plan, List<Integer> part, Row[] rows,
                         Map<String, String> existing, Map<Integer, CrmWriteResult> outcomes, Mode mode)
            throws SQLException, RetryRowByRow {
        Savepoint savepoint = mode == Mode.SAVEPOINTS ? connection.setSavepoint() : null;
        int[] counts;
        try {
            for (int i : part) {
                plan.bind(statement, rows[i]);
                statement.addBatch();
            }
            counts = statement.executeBatch();
        } catch (SQLException e) {
            clearQuietly(statement);
            if (SqlErrors.scope(e) != SqlErrors.Scope.ROW) {
                throw e;
            }
            if (mode == Mode.WHOLE) {
                throw new RetryRowByRow();
            }
            if (savepoint != null) {
                connection.rollback(savepoint);
            }
            if (part.size() == 1) {
                outcomes.put(part.get(0), rowFailure(e, rows[part.get(0)]));
                return;
            }
            int half = part.size() / 2;
            attempt(connection, statement, plan, part.subList(0, half), rows, existing, outcomes, mode);
            attempt(connection, statement, plan, part.subList(half, part.size()), rows, existing, outcomes, mode);
            return;
        }
        try (ResultSet generated = plan.returning || plan.generatedKeys ? generatedKeys(statement, plan) : null) {
            record(plan, part, counts, generated, rows, existing, outcomes);
        }
        if (savepoint != null) {
            try {
                connection.releaseSavepoint(savepoint);
            } catch (SQLException | UnsupportedOperationException e) {
                // released at commit
            }
        }
    }

    private static ResultSet generatedKeys(PreparedStatement statement, Plan plan) throws SQLException {
        try {
            return statement.getGeneratedKeys();
        } catch (SQLFeatureNotSupportedException e) {
            if (plan.returning) {
                throw e;
            }
            return null;
        }
    }

    private static void clearQuietly(PreparedStatement statement) {
        try {
            statement.clearBatch();
        } catch (SQLException e) {
            // nothing queued
        }
    }

    /** The FAILED result of a row: SQLState and the driver's message, plus which column is too long when that is the error. */
    private CrmWriteResult rowFailure(SQLException e, Row row) {
        String state = SqlErrors.state(e);
        StringBuilder message = new StringBuilder(SqlErrors.message(e));
        if ("22001".equals(state) || (state != null && state.startsWith("22") && message.toString().toLowerCase().contains("too long"))) {
            List<String> tooLong = new ArrayList<>();
            for (int c = 0; c < row.columns().size(); c++) {
                JdbcColumn column = row.columns().get(c);
                if (column.length() > 0 && row.values().get(c) instanceof String text && text.length() > column.length()) {
                    tooLong.add(column.name() + " allows " + column.length() + " characters, the value has " + text.length());
                }
            }
            if (!tooLong.isEmpty() && !message.toString().contains(tooLong.get(0).split(" ")[0])) {
                message.append(" (column ").append(String.join("; ", tooLong)).append(')');
            }
        }
        return CrmWriteResult.rejected(state == null ? "SQL_ERROR" : state, message.toString());
    }

    // ---- PostgreSQL multi-row upserts ----

    /** PostgreSQL accepts at most 65,535 bind parameters per statement; stay well below. */
    private static final int MAX_PARAMETERS = 30_000;

    /**
     * PostgreSQL upserts of many rows in one statement ({@code INSERT ... VALUES (...), (...) ON CONFLICT ...}): one round
     * trip per statement instead of one execution per row. A key appears at most once per statement (PostgreSQL cannot
     * update a row twice in one statement); rows with repeated keys go to the next statement. A data error splits the
     * rows in halves, as for batches, until each bad row stands alone.
     */
    private void upsertRows(Connection connection, JdbcColumn key, List<JdbcColumn> columns, List<Integer> indexes, Row[] rows,
                            Map<String, String> existing, Map<Integer, CrmWriteResult> outcomes) throws SQLException {
        int perStatement = Math.max(1, MAX_PARAMETERS / columns.size());
        List<Integer> pending = new ArrayList<>(indexes);
        while (!pending.isEmpty()) {
            List<Integer> statement = new ArrayList<>();
            List<Integer> later = new ArrayList<>();
            Set<String> keys = new java.util.HashSet<>();
            for (int i : pending) {
                if (statement.size() < perStatement && keys.add(rows[i].keyText())) {
                    statement.add(i);
                } else {
                    later.add(i);
                }
            }
            upsertRowsOrSplit(connection, key, columns, statement, rows, existing, outcomes);
            pending = later;
        }
    }

    private void upsertRowsOrSplit(Connection connection, JdbcColumn key, List<JdbcColumn> columns, List<Integer> part, Row[] rows,
                                   Map<String, String> existing, Map<Integer, CrmWriteResult> outcomes) throws SQLException {
        Savepoint savepoint = connection.setSavepoint();
        Map<String, String[]> returned = new HashMap<>();
        String sql = postgresUpsertRows(key, columns, part.size());
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            int p = 1;
            for (int i : part) {
                for (JdbcColumn column : columns) {
                    JdbcValues.bind(statement, p++, column, rows[i].value(column), dialect());
                }
            }
            try (ResultSet rs = statement.executeQuery()) {
                while (rs.next()) {
                    returned.put(JdbcValues.canonical(rs.getObject(1), dialect()), new String[]{rs.getString(2), Boolean.toString(rs.getBoolean(3))});
                }
            }
        } catch (SQLException e) {
            if (SqlErrors.scope(e) != SqlErrors.Scope.ROW) {
                throw e;
            }
            connection.rollback(savepoint);
            if (part.size() == 1) {
                outcomes.put(part.get(0), rowFailure(e, rows[part.get(0)]));
                return;
            }
            int half = part.size() / 2;
            upsertRowsOrSplit(connection, key, columns, part.subList(0, half), rows, existing, outcomes);
            upsertRowsOrSplit(connection, key, columns, part.subList(half, part.size()), rows, existing, outcomes);
            return;
        }
        try {
            connection.releaseSavepoint(savepoint);
        } catch (SQLException | UnsupportedOperationException e) {
            // released at commit
        }
        List<Integer> unchanged = new ArrayList<>();
        for (int i : part) {
            String[] result = returned.get(rows[i].keyText());
            if (result == null) {
                unchanged.add(i);
            } else {
                existing.put(rows[i].keyText(), result[0]);
                outcomes.put(i, Boolean.parseBoolean(result[1]) ? CrmWriteResult.created(result[0]) : CrmWriteResult.updated(result[0]));
            }
        }
        if (!unchanged.isEmpty()) {
            // Rows equal to what the table holds are not returned by the upsert: their ids come from one lookup.
            List<Integer> unknown = unchanged.stream().filter(i -> !existing.containsKey(rows[i].keyText())).toList();
            if (!unknown.isEmpty()) {
                existing.putAll(existingKeys(connection, key, unknown, rows));
            }
            unchanged.forEach(i -> outcomes.put(i, CrmWriteResult.unchanged(existing.get(rows[i].keyText()))));
        }
    }

    /** The multi-row form of {@link #postgresUpsert}, returning the key, the primary key and whether the row was inserted. */
    private String postgresUpsertRows(JdbcColumn key, List<JdbcColumn> columns, int rowCount) {
        Plan single = plan(WriteOperation.UPSERT, key, columns);
        String sql = single.sql();
        int values = sql.indexOf(") VALUES (");
        int valuesEnd = sql.indexOf(") ON CONFLICT (");
        String row = sql.substring(values + ") VALUES ".length(), valuesEnd + 1);
        String rowsSql = String.join(", ", Collections.nCopies(rowCount, row));
        String returning = " RETURNING " + table.q(table.primaryKey()) + ", (xmax = 0) AS inserted";
        String tail = sql.substring(valuesEnd + 1, sql.length() - returning.length());
        return sql.substring(0, values + ") VALUES ".length()) + rowsSql + tail
                + " RETURNING t." + table.q(key) + ", t." + table.q(table.primaryKey()) + ", (xmax = 0) AS inserted";
    }

    // ---- outcomes ----

    private void record(Plan plan, List<Integer> part, int[] counts, ResultSet generated, Row[] rows,
                        Map<String, String> existing, Map<Integer, CrmWriteResult> outcomes) throws SQLException {
        boolean keysUsable = generated != null;
        for (int n = 0; n < part.size(); n++) {
            int i = part.get(n);
            Row row = rows[i];
            int count = n < counts.length ? counts[n] : Statement.SUCCESS_NO_INFO;
            boolean wrote = count > 0 || count == Statement.SUCCESS_NO_INFO;
            String id = row.keyText() == null ? null : existing.get(row.keyText());
            CrmWriteResult result = switch (plan.operation) {
                case INSERT -> {
                    String newId = null;
                    if (keysUsable && wrote) {
                        keysUsable = generated.next();
                        newId = keysUsable ? generated.getString(1) : null;
                    }
                    if (newId == null && row.value(table.primaryKey()) != null) {
                        newId = JdbcValues.canonical(row.value(table.primaryKey()), Dialect.POSTGRESQL);
                    }
                    yield CrmWriteResult.created(newId);
                }
                case UPSERT -> {
                    if (dialect() == Dialect.POSTGRESQL) {
                        if (count == 0) {
                            yield CrmWriteResult.unchanged(id);
                        }
                        if (!generated.next()) {
                            throw new SQLException("The database returned fewer rows than it reported written");
                        }
                        String newId = generated.getString(1);
                        boolean inserted = generated.getBoolean(2);
                        existing.put(row.keyText(), newId);
                        yield inserted ? CrmWriteResult.created(newId) : CrmWriteResult.updated(newId);
                    }
                    if (!existing.containsKey(row.keyText())) {
                        existing.put(row.keyText(), null); // its id is read after the batch
                        yield CrmWriteResult.created(null);
                    }
                    boolean updated = dialect() == Dialect.MYSQL ? count == 2 || count == Statement.SUCCESS_NO_INFO : wrote;
                    yield updated ? CrmWriteResult.updated(id) : CrmWriteResult.unchanged(id);
                }
                case UPDATE -> wrote ? CrmWriteResult.updated(id) : CrmWriteResult.unchanged(id);
                case DELETE -> CrmWriteResult.deleted(id);
            };
            outcomes.put(i, result);
        }
    }

    /** Created rows whose id the statement did not return (MySQL, MERGE): read them by key. */
    private void fillCreatedIds(Connection connection, JdbcColumn key, Row[] rows, Map<String, String> existing,
                                Map<Integer, CrmWriteResult> outcomes) throws SQLException {
        if (key == null) {
            return;
        }
        List<Integer> missing = outcomes.entrySet().stream()
                .filter(e -> e.getValue().outcome() == CrmWriteResult.Outcome.CREATED && e.getValue().targetId() == null)
                .map(Map.Entry::getKey).sorted().toList();
        if (missing.isEmpty()) {
            return;
        }
        Map<String, String> ids = existingKeys(connection, key, missing, rows);
        for (int i : missing) {
            String id = ids.get(rows[i].keyText());
            if (id != null) {
                outcomes.put(i, CrmWriteResult.created(id));
                existing.put(rows[i].keyText(), id);
            }
        }
    }

    /** Key → primary key of the rows (live or soft-deleted) that hold the keys of {@code indexes}. */
    private Map<String, String> existingKeys(Connection connection, JdbcColumn key, List<Integer> indexes, Row[] rows) throws SQLException {
        List<Object> keys = indexes.stream().map(i -> rows[i].key()).filter(java.util.Objects::nonNull).distinct().toList();
        Map<String, String> found = new HashMap<>();
        String select = "SELECT " + table.q(key) + ", " + table.q(table.primaryKey()) + " FROM " + table.qualifiedName() + " WHERE ";
        boolean any = dialect() == Dialect.POSTGRESQL;
        int chunkSize = any ? 10_000 : 500;
        for (int start = 0; start < keys.size(); start += chunkSize) {
            List<Object> chunk = keys.subList(start, Math.min(keys.size(), start + chunkSize));
            String sql = select + (any ? table.q(key) + " = ANY(?)"
                    : table.q(key) + " IN (" + String.join(", ", Collections.nCopies(chunk.size(), "?")) + ")");
            try (PreparedStatement statement = connection.prepareStatement(sql)) {
                if (any) {
                    Array array = connection.createArrayOf(arrayType(key), chunk.stream().map(v -> JdbcValues.canonical(v, dialect())).toArray());
                    statement.setArray(1, array);
                } else {
                    for (int i = 0; i < chunk.size(); i++) {
                        JdbcValues.bind(statement, i + 1, key, chunk.get(i), dialect());
                    }
                }
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        found.put(JdbcValues.canonical(rs.getObject(1), dialect()), rs.getString(2));
                    }
                }
            }
        }
        return found;
    }

    private static String arrayType(JdbcColumn column) {
        String type = column.typeName() == null ? "text" : column.typeName().toLowerCase(java.util.Locale.ROOT);
        return switch (type) {
            case "serial" -> "int4";
            case "bigserial" -> "int8";
            case "smallserial" -> "int2";
            default -> type.matches("[a-z_][a-z0-9_]*") ? type : "text";
        };
    }

    // ---- statements ----

    /**
     * One statement for rows with the same columns.
     *
     * @param sql       the statement
     * @param binds     the columns bound, in parameter order (a column may appear twice)
     * @param returning whether the statement returns rows (PostgreSQL RETURNING, generated keys)
     */
    private record Plan(WriteOperation operation, String sql, List<JdbcColumn> binds, Dialect dialect, boolean returning,
                        boolean generatedKeys) {
        void bind(PreparedStatement statement, Row row) throws SQLException {
            for (int p = 0; p < binds.size(); p++) {
                JdbcValues.bind(statement, p + 1, binds.get(p), row.value(binds.get(p)), dialect);
            }
        }
    }

    private PreparedStatement prepare(Connection connection, Plan plan) throws SQLException {
        if (plan.returning || plan.generatedKeys) {
            try {
                return connection.prepareStatement(plan.sql, Statement.RETURN_GENERATED_KEYS);
            } catch (SQLFeatureNotSupportedException e) {
                if (plan.returning) {
                    throw e;
                }
            }
        }
        return connection.prepareStatement(plan.sql);
    }

    private Plan plan(WriteOperation operation, JdbcColumn key, List<JdbcColumn> columns) {
        JdbcColumn modified = table.modified();
        boolean touchModified = modified != null && modified.crmType() == CrmFieldType.DATETIME && !columns.contains(modified);
        JdbcColumn deleted = table.deleted();
        boolean revive = deleted != null && !columns.contains(deleted);
        List<JdbcColumn> updates = columns.stream().filter(c -> c != key).toList();
        return switch (operation) {
            case INSERT -> insert(columns, touchModified && !modified.hasDefault());
            case UPSERT -> switch (dialect()) {
                case POSTGRESQL -> postgresUpsert(key, columns, updates, touchModified, revive);
                case MYSQL -> mysqlUpsert(key, columns, updates, touchModified, revive);
                case MERGE -> merge(key, columns, updates, touchModified, revive);
            };
            case UPDATE -> update(key, updates, touchModified, revive);
            case DELETE -> delete(key, touchModified);
        };
    }

    private String names(List<JdbcColumn> columns, String prefix) {
        return columns.stream().map(c -> prefix + table.q(c)).collect(Collectors.joining(", "));
    }

    private static String marks(int count) {
        return String.join(", ", Collections.nCopies(count, "?"));
    }

    private Plan insert(List<JdbcColumn> columns, boolean stampModified) {
        String sql = "INSERT INTO " + table.qualifiedName() + " (" + names(columns, "")
                + (stampModified ? ", " + table.q(table.modified()) : "") + ") VALUES (" + marks(columns.size())
                + (stampModified ? ", CURRENT_TIMESTAMP" : "") + ")";
        if (dialect() == Dialect.POSTGRESQL) {
            return new Plan(WriteOperation.INSERT, sql + " RETURNING " + table.q(table.primaryKey()), columns, dialect(), true, false);
        }
        boolean generated = table.primaryKey().autoIncrement() && !columns.contains(table.primaryKey());
        return new Plan(WriteOperation.INSERT, sql, columns, dialect(), false, generated);
    }

    /** {@code (a IS DISTINCT FROM b OR ...)} over comparable columns; null when some column cannot be compared. */
    private String changed(List<JdbcColumn> updates, String target, java.util.function.Function<JdbcColumn, String> source,
                           boolean revive) {
        if (updates.stream().anyMatch(c -> !c.isComparable())) {
            return null;
        }
        List<String> parts = new ArrayList<>();
        if (!updates.isEmpty()) {
            if (dialect() == Dialect.MYSQL) {
                parts.add("NOT (" + updates.stream().map(c -> target + table.q(c) + " <=> " + source.apply(c))
                        .collect(Collectors.joining(" AND ")) + ")");
            } else if (dialect() == Dialect.POSTGRESQL) {
                parts.add("(" + updates.stream().map(c -> target + table.q(c)).collect(Collectors.joining(", ")) + ") IS DISTINCT FROM ("
                        + updates.stream().map(source).collect(Collectors.joining(", ")) + ")");
            } else {
                updates.forEach(c -> parts.add(target + table.q(c) + " IS DISTINCT FROM " + source.apply(c)));
            }
        }
        if (revive) {
            parts.add(SoftDelete.isDeleted(table.deleted(), target + table.q(table.deleted()), dialect()));
        }
        return parts.isEmpty() ? null : "(" + String.join(" OR ", parts) + ")";
    }

    private Plan postgresUpsert(JdbcColumn key, List<JdbcColumn> columns, List<JdbcColumn> updates, boolean touchModified, boolean revive) {
        boolean stampOnInsert = touchModified && !table.modified().hasDefault();
        StringBuilder sql = new StringBuilder("INSERT INTO ").append(table.qualifiedName()).append(" AS t (")
                .append(names(columns, "")).append(stampOnInsert ? ", " + table.q(table.modified()) : "")
                .append(") VALUES (").append(marks(columns.size())).append(stampOnInsert ? ", CURRENT_TIMESTAMP" : "")
                .append(") ON CONFLICT (").append(table.q(key)).append(") ");
        List<String> sets = new ArrayList<>();
        updates.forEach(c -> sets.add(table.q(c) + " = EXCLUDED." + table.q(c)));
        if (revive) {
            sets.add(table.q(table.deleted()) + " = " + SoftDelete.liveValue(table.deleted(), dialect()));
        }
        if (sets.isEmpty()) {
            sql.append("DO NOTHING");
        } else {
            if (touchModified) {
                sets.add(table.q(table.modified()) + " = CURRENT_TIMESTAMP");
            }
            sql.append("DO UPDATE SET ").append(String.join(", ", sets));
            String changed = changed(updates, "t.", c -> "EXCLUDED." + table.q(c), revive);
            if (changed != null) {
                sql.append(" WHERE ").append(changed);
            }
        }
        sql.append(" RETURNING ").append(table.q(table.primaryKey())).append(", (xmax = 0) AS inserted");
        return new Plan(WriteOperation.UPSERT, sql.toString(), columns, dialect(), true, false);
    }

    private Plan mysqlUpsert(JdbcColumn key, List<JdbcColumn> columns, List<JdbcColumn> updates, boolean touchModified, boolean revive) {
        boolean stampOnInsert = touchModified && !table.modified().hasDefault();
        StringBuilder sql = new StringBuilder("INSERT INTO ").append(table.qualifiedName()).append(" (")
                .append(names(columns, "")).append(stampOnInsert ? ", " + table.q(table.modified()) : "")
                .append(") VALUES (").append(marks(columns.size())).append(stampOnInsert ? ", CURRENT_TIMESTAMP" : "")
                .append(") ON DUPLICATE KEY UPDATE ");
        List<String> sets = new ArrayList<>();
        // Assignments run left to right: the modified stamp looks at the old values before they are replaced.
        String changed = changed(updates, "", c -> "VALUES(" + table.q(c) + ")", revive);
        if (touchModified && (!updates.isEmpty() || revive)) {
            String m = table.q(table.modified());
            sets.add(m + " = " + (changed == null ? "CURRENT_TIMESTAMP" : "IF(" + changed + ", CURRENT_TIMESTAMP, " + m + ")"));
        }
        if (revive) {
            sets.add(table.q(table.deleted()) + " = " + SoftDelete.liveValue(table.deleted(), dialect()));
        }
        updates.forEach(c -> sets.add(table.q(c) + " = VALUES(" + table.q(c) + ")"));
        if (sets.isEmpty()) {
            sets.add(table.q(key) + " = " + table.q(key));
        }
        sql.append(String.join(", ", sets));
        return new Plan(WriteOperation.UPSERT, sql.toString(), columns, dialect(), false, false);
    }

    private Plan merge(JdbcColumn key, List<JdbcColumn> columns, List<JdbcColumn> updates, boolean touchModified, boolean revive) {
        boolean stampOnInsert = touchModified && !table.modified().hasDefault();
        String values = columns.stream().map(c -> c.castType() == null ? "?" : "CAST(? AS " + c.castType() + ")")
                .collect(Collectors.joining(", "));
        StringBuilder sql = new StringBuilder("MERGE INTO ").append(table.qualifiedName()).append(" t USING (VALUES (")
                .append(values).append(")) AS s (").append(names(columns, "")).append(") ON (t.").append(table.q(key))
                .append(" = s.").append(table.q(key)).append(")");
        List<String> sets = new ArrayList<>();
        updates.forEach(c -> sets.add(table.q(c) + " = s." + table.q(c)));
        if (revive) {
            sets.add(table.q(table.deleted()) + " = " + SoftDelete.liveValue(table.deleted(), dialect()));
        }
        if (!sets.isEmpty()) {
            if (touchModified) {
                sets.add(table.q(table.modified()) + " = CURRENT_TIMESTAMP");
            }
            String changed = changed(updates, "t.", c -> "s." + table.q(c), revive);
            sql.append(" WHEN MATCHED").append(changed == null ? "" : " AND " + changed).append(" THEN UPDATE SET ")
                    .append(String.join(", ", sets));
        }
        sql.append(" WHEN NOT MATCHED THEN INSERT (").append(names(columns, ""))
                .append(stampOnInsert ? ", " + table.q(table.modified()) : "").append(") VALUES (").append(names(columns, "s."))
                .append(stampOnInsert ? ", CURRENT_TIMESTAMP" : "").append(")");
        if (db.terminate()) {
            sql.append(';');
        }
        return new Plan(WriteOperation.UPSERT, sql.toString(), columns, dialect(), false, false);
    }

    private Plan update(JdbcColumn key, List<JdbcColumn> updates, boolean touchModified, boolean revive) {
        List<String> sets = new ArrayList<>();
        updates.forEach(c -> sets.add(table.q(c) + " = ?"));
        if (revive) {
            sets.add(table.q(table.deleted()) + " = " + SoftDelete.liveValue(table.deleted(), dialect()));
        }
        if (touchModified) {
            sets.add(table.q(table.modified()) + " = CURRENT_TIMESTAMP");
        }
        List<JdbcColumn> binds = new ArrayList<>(updates);
        binds.add(key);
        String changed = changed(updates, "", c -> "?", revive);
        if (changed != null) {
            binds.addAll(updates);
        }
        String sql = "UPDATE " + table.qualifiedName() + " SET " + String.join(", ", sets) + " WHERE " + table.q(key) + " = ?"
                + (changed == null ? "" : " AND " + changed);
        return new Plan(WriteOperation.UPDATE, sql, binds, dialect(), false, false);
    }

    private Plan delete(JdbcColumn key, boolean touchModified) {
        JdbcColumn deleted = table.deleted();
        if (deleted == null) {
            return new Plan(WriteOperation.DELETE, "DELETE FROM " + table.qualifiedName() + " WHERE " + table.q(key) + " = ?",
                    List.of(key), dialect(), false, false);
        }
        String sql = "UPDATE " + table.qualifiedName() + " SET " + table.q(deleted) + " = " + SoftDelete.deletedValue(deleted, dialect())
                + (touchModified ? ", " + table.q(table.modified()) + " = CURRENT_TIMESTAMP" : "")
                + " WHERE " + table.q(key) + " = ? AND " + SoftDelete.isLive(deleted, table.q(deleted), dialect());
        return new Plan(WriteOperation.DELETE, sql, List.of(key), dialect(), false, false);
    }
}
