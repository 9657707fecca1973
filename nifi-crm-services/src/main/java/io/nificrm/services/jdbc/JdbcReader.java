package io.nificrm.services.jdbc;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmException;
import io.nificrm.api.CrmField;
import io.nificrm.api.CrmFieldType;
import io.nificrm.api.CrmObjectSchema;
import io.nificrm.api.CrmPage;
import io.nificrm.api.CrmPartition;
import io.nificrm.api.CrmQuery;
import io.nificrm.services.records.Cursors;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordSchema;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads tables with keyset paging: {@code WHERE (window) AND (partition) AND (m, pk) > (last m, last pk)
 * ORDER BY m, pk LIMIT n+1} (or {@code ORDER BY pk} without a change window). Every value is a bound parameter and every
 * name comes from the table's metadata. The cursor holds the last row's modified time and primary key, so it stays valid
 * across restarts and is not disturbed by rows inserted or deleted meanwhile.
 */
final class JdbcReader {
    static final String SYSTEM_LABEL = "JDBC";
    private static final int ANY_CHUNK = 5_000;
    private static final int IN_CHUNK = 500;

    private final JdbcTable table;
    private final DatabaseInfo db;

    JdbcReader(JdbcTable table, DatabaseInfo db) {
        this.table = table;
        this.db = db;
    }

    private Dialect dialect() {
        return db.dialect();
    }

    /** A value bound to a parameter with the column it belongs to. */
    private record Bind(JdbcColumn column, Object value) {
    }

    static List<CrmField> selectFields(CrmObjectSchema schema, Collection<String> requested) {
        for (String name : requested) {
            JdbcDescriber.requireIdentifier("field", name);
        }
        try {
            return schema.resolveFields(requested);
        } catch (IllegalArgumentException e) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, e.getMessage());
        }
    }

    CrmPage query(Connection connection, CrmQuery query, int maxPageSize) throws SQLException {
        CrmObjectSchema schema = table.schema();
        List<CrmField> fields = selectFields(schema, query.fields());
        boolean flagDeleted = query.includeDeleted();
        RecordSchema recordSchema = CrmObjectSchema.toRecordSchema(schema.name(), fields, flagDeleted);
        int pageSize = Math.min(query.pageSize(), maxPageSize);
        boolean windowed = query.window() != null;
        JdbcColumn modified = windowed ? requireModified() : null;
        JdbcColumn pk = table.primaryKey();

        List<String> select = new ArrayList<>();
        for (CrmField field : fields) {
            select.add(table.q(field.name()));
        }
        int deletedIndex = 0;
        if (flagDeleted && table.deleted() != null) {
            select.add(table.q(table.deleted()));
            deletedIndex = select.size();
        }
        int pkIndex = fields.stream().map(CrmField::name).toList().indexOf(pk.name()) + 1;
        int modifiedIndex = windowed ? fields.stream().map(CrmField::name).toList().indexOf(modified.name()) + 1 : 0;

        List<String> where = new ArrayList<>();
        List<Bind> binds = new ArrayList<>();
        if (!flagDeleted && table.deleted() != null) {
            where.add(SoftDelete.isLive(table.deleted(), table.q(table.deleted()), dialect()));
        }
        if (windowed) {
            String m = table.q(modified);
            where.add(m + " IS NOT NULL");
            if (query.window().from() != null) {
                where.add(m + " >= ?");
                binds.add(new Bind(modified, JdbcValues.instantBound(modified, query.window().from(), dialect())));
            }
            if (query.window().until() != null) {
                where.add(m + " < ?");
                binds.add(new Bind(modified, JdbcValues.instantBound(modified, query.window().until(), dialect())));
            }
        }
        if (query.partition() != null) {
            addPartition(query.partition(), where, binds);
        }
        ObjectNode cursor = Cursors.decode(query.cursor(), SYSTEM_LABEL);
        if (cursor != null) {
            checkCursor(cursor, windowed);
            Object lastKey = keyValue(pk, cursor.path("k").asText(null));
            String p = table.q(pk);
            if (windowed) {
                Object lastModified = keyValue(modified, cursor.path("m").asText(null));
                String m = table.q(modified);
                if (dialect().rowComparisons()) {
                    where.add("(" + m + ", " + p + ") > (?, ?)");
                    binds.add(new Bind(modified, lastModified));
                } else {
                    where.add("(" + m + " > ? OR (" + m + " = ? AND " + p + " > ?))");
                    binds.add(new Bind(modified, lastModified));
                    binds.add(new Bind(modified, lastModified));
                }
            } else {
                where.add(p + " > ?");
            }
            binds.add(new Bind(pk, lastKey));
        }
        String sql = "SELECT " + String.join(", ", select) + " FROM " + table.qualifiedName()
                + (where.isEmpty() ? "" : " WHERE " + String.join(" AND ", where))
                + " ORDER BY " + (windowed ? table.q(modified) + ", " : "") + table.q(pk)
                + dialect().limit(pageSize + 1);

        List<Record> records = new ArrayList<>(Math.min(pageSize, 10_000));
        String nextCursor = null;
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setMaxRows(pageSize + 1);
            statement.setFetchSize(Math.min(pageSize + 1, 1_000));
            bindAll(statement, binds);
            try (ResultSet rs = statement.executeQuery()) {
                String lastKey = null;
                String lastModified = null;
                while (rs.next()) {
                    if (records.size() == pageSize) {
                        nextCursor = cursor(lastModified, lastKey, windowed);
                        break;
                    }
                    records.add(record(rs, recordSchema, fields, flagDeleted, deletedIndex));
                    if (records.size() == pageSize) {
                        lastKey = JdbcValues.keyText(rs, pkIndex, pk, dialect());
                        lastModified = windowed ? JdbcValues.keyText(rs, modifiedIndex, modified, dialect()) : null;
                    }
                }
            }
        }
        return new CrmPage(recordSchema, records, nextCursor);
    }

    private JdbcColumn requireModified() {
        if (table.modified() != null) {
            return table.modified();
        }
        String name = table.modifiedSetting();
        JdbcColumn present = name == null ? null : table.columns().values().stream()
                .filter(c -> c.name().equalsIgnoreCase(name)).findFirst().orElse(null);
        String problem = present == null ? "has no column " + name + " (the Modified Column)"
                : "has a column " + present.name() + " of type " + present.typeName() + ", which is not a timestamp (the Modified Column)";
        throw new CrmException(CrmException.Reason.CONFIGURATION, "Table " + table.displayName() + " " + problem
                + ", so it cannot be read by change window; its columns are " + List.copyOf(table.columns().keySet()));
    }

    private void addPartition(CrmPartition partition, List<String> where, List<Bind> binds) {
        JdbcDescriber.requireIdentifier("partition field", partition.field());
        JdbcColumn column = table.column(partition.field(), "partition field");
        String ref = table.q(column);
        try {
            if (partition.lower() != null) {
                where.add(ref + " >= ?");
                binds.add(new Bind(column, JdbcValues.toJdbc(column, partition.lower(), dialect())));
            }
            if (partition.upper() != null) {
                // The first partition also holds the rows without a value, so that every row is in exactly one.
                where.add(partition.lower() == null ? "(" + ref + " < ? OR " + ref + " IS NULL)" : ref + " < ?");
                binds.add(new Bind(column, JdbcValues.toJdbc(column, partition.upper(), dialect())));
            }
        } catch (IllegalArgumentException e) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "Partition bound of " + table.displayName() + ": " + e.getMessage());
        }
    }

    private void checkCursor(ObjectNode cursor, boolean windowed) {
        if (!table.displayName().equals(cursor.path("t").asText()) || cursor.path("w").asBoolean() != windowed
                || !cursor.hasNonNull("k") || (windowed && !cursor.hasNonNull("m"))) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "The cursor belongs to another query (a different table, "
                    + "or with/without a change window); pass cursors only to the query that returned them");
        }
    }

    private Object keyValue(JdbcColumn column, String text) {
        try {
            return JdbcValues.fromKeyText(column, text, dialect());
        } catch (RuntimeException e) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "The cursor does not fit column " + column.name()
                    + " of " + table.displayName() + " (was the table changed?)");
        }
    }

    private String cursor(String lastModified, String lastKey, boolean windowed) {
        ObjectNode state = Cursors.newCursor();
        state.put("t", table.displayName());
        state.put("w", windowed);
        if (windowed) {
            state.put("m", lastModified);
        }
        state.put("k", lastKey);
        return Cursors.encode(state);
    }

    private Record record(ResultSet rs, RecordSchema schema, List<CrmField> fields, boolean flagDeleted, int deletedIndex) throws SQLException {
        Map<String, Object> values = new HashMap<>(fields.size() * 2);
        for (int i = 0; i < fields.size(); i++) {
            CrmField field = fields.get(i);
            values.put(field.name(), JdbcValues.read(rs, i + 1, field.type()));
        }
        if (flagDeleted) {
            boolean deleted = false;
            if (table.deleted() != null) {
                Object raw = JdbcValues.read(rs, deletedIndex, table.deleted().crmType());
                deleted = SoftDelete.isDeletedValue(table.deleted(), raw);
            }
            values.put(CrmConnectionService.DELETED_FIELD, deleted);
        }
        return new MapRecord(schema, values);
    }

    private void bindAll(PreparedStatement statement, List<Bind> binds) throws SQLException {
        for (int i = 0; i < binds.size(); i++) {
            JdbcValues.bind(statement, i + 1, binds.get(i).column(), binds.get(i).value(), dialect());
        }
    }

    // ---- lookup and count ----

    List<Record> lookup(Connection connection, String field, Collection<String> values, List<String> requested) throws SQLException {
        JdbcDescriber.requireIdentifier("field", field);
        JdbcColumn column = table.column(field, null);
        List<String> wanted = new ArrayList<>(requested == null ? List.of() : requested);
        if (!wanted.isEmpty() && !wanted.contains(field)) {
            wanted.add(field);
        }
        List<CrmField> fields = selectFields(table.schema(), wanted);
        RecordSchema recordSchema = CrmObjectSchema.toRecordSchema(table.schema().name(), fields, false);
        Set<Object> keys = new LinkedHashSet<>();
        for (String value : values) {
            if (value == null || (value.isBlank() && !column.isText())) {
                continue;
            }
            try {
                keys.add(JdbcValues.toJdbc(column, column.isText() ? value : value.trim(), dialect()));
            } catch (IllegalArgumentException e) {
                // a value that cannot be stored in the column matches no row
            }
        }
        List<Record> found = new ArrayList<>();
        if (keys.isEmpty()) {
            return found;
        }
        String select = "SELECT " + fields.stream().map(f -> table.q(f.name())).collect(Collectors.joining(", "))
                + " FROM " + table.qualifiedName() + " WHERE ";
        String live = table.deleted() == null ? "" : " AND " + SoftDelete.isLive(table.deleted(), table.q(table.deleted()), dialect());
        List<Object> all = List.copyOf(keys);
        boolean any = dialect() == Dialect.POSTGRESQL;
        int chunkSize = any ? ANY_CHUNK : IN_CHUNK;
        for (int start = 0; start < all.size(); start += chunkSize) {
            List<Object> chunk = all.subList(start, Math.min(all.size(), start + chunkSize));
            String sql = select + (any ? table.q(column) + " = ANY(?)"
                    : table.q(column) + " IN (" + String.join(", ", java.util.Collections.nCopies(chunk.size(), "?")) + ")") + live;
            try (PreparedStatement statement = connection.prepareStatement(sql)) {
                if (any) {
                    Array array = connection.createArrayOf(arrayType(column),
                            chunk.stream().map(v -> JdbcValues.canonical(v, dialect())).toArray());
                    statement.setArray(1, array);
                } else {
                    for (int i = 0; i < chunk.size(); i++) {
                        JdbcValues.bind(statement, i + 1, column, chunk.get(i), dialect());
                    }
                }
                try (ResultSet rs = statement.executeQuery()) {
                    while (rs.next()) {
                        found.add(record(rs, recordSchema, fields, false, 0));
                    }
                }
            }
        }
        return found;
    }

    /** PostgreSQL's element type name for an array parameter of the column's type. */
    private static String arrayType(JdbcColumn column) {
        String type = column.typeName() == null ? "text" : column.typeName().toLowerCase(Locale.ROOT);
        return switch (type) {
            case "serial" -> "int4";
            case "bigserial" -> "int8";
            case "smallserial" -> "int2";
            default -> type.matches("[a-z_][a-z0-9_]*") ? type : "text";
        };
    }

    long count(Connection connection) throws SQLException {
        String sql = "SELECT COUNT(*) FROM " + table.qualifiedName()
                + (table.deleted() == null ? "" : " WHERE " + SoftDelete.isLive(table.deleted(), table.q(table.deleted()), dialect()));
        try (PreparedStatement statement = connection.prepareStatement(sql); ResultSet rs = statement.executeQuery()) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /**
     * {@code count} slices of about equal row counts: {@code NTILE(count) OVER (ORDER BY field)} gives the smallest value of
     * each tile, which become the inner bounds. One query, in the database's own collation and type order.
     */
    List<CrmPartition> partitions(Connection connection, String field, int count) throws SQLException {
        if (count < 1) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "The number of partitions must be at least 1, was " + count);
        }
        JdbcDescriber.requireIdentifier("partition field", field);
        JdbcColumn column = table.column(field, "partition field");
        CrmFieldType type = column.crmType();
        if (!column.isComparable() || type == CrmFieldType.BOOLEAN) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "Cannot partition " + table.displayName() + " by " + field
                    + " (" + column.typeName() + "): use the primary key " + table.primaryKey().name() + " or a date-time column");
        }
        List<CrmPartition> partitions = new ArrayList<>();
        if (count == 1) {
            partitions.add(new CrmPartition(field, null, null));
            return partitions;
        }
        String ref = table.q(column);
        String sql = "SELECT MIN(v) FROM (SELECT " + ref + " AS v, NTILE(" + count + ") OVER (ORDER BY " + ref + ") AS tile FROM "
                + table.qualifiedName() + " WHERE " + ref + " IS NOT NULL) x GROUP BY tile ORDER BY tile";
        List<String> bounds = new ArrayList<>();
        try (PreparedStatement statement = connection.prepareStatement(sql); ResultSet rs = statement.executeQuery()) {
            boolean first = true;
            while (rs.next()) {
                String bound = boundText(rs, column);
                if (!first && bound != null && (bounds.isEmpty() || !bounds.get(bounds.size() - 1).equals(bound))) {
                    bounds.add(bound);
                }
                first = false;
            }
        }
        String lower = null;
        for (String bound : bounds) {
            partitions.add(new CrmPartition(field, lower, bound));
            lower = bound;
        }
        partitions.add(new CrmPartition(field, lower, null));
        return partitions;
    }

    private static String boundText(ResultSet rs, JdbcColumn column) throws SQLException {
        return switch (column.crmType()) {
            case DATETIME -> {
                java.sql.Timestamp t = rs.getTimestamp(1);
                yield t == null ? null : t.toInstant().toString();
            }
            case DATE -> {
                java.sql.Date d = rs.getDate(1);
                yield d == null ? null : d.toLocalDate().toString();
            }
            case DECIMAL -> {
                java.math.BigDecimal b = rs.getBigDecimal(1);
                yield b == null ? null : b.toPlainString();
            }
            default -> rs.getString(1);
        };
    }
}
