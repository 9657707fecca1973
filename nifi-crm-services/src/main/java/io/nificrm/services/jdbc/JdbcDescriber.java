package io.nificrm.services.jdbc;

import io.nificrm.api.CrmException;
import io.nificrm.api.CrmField;
import io.nificrm.api.CrmFieldType;
import io.nificrm.api.CrmObjectSchema;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Describes a table from {@link DatabaseMetaData}: columns ({@code getColumns}), the primary key
 * ({@code getPrimaryKeys}), single-column unique indexes ({@code getIndexInfo}) and foreign keys
 * ({@code getImportedKeys}). Names are plain identifiers only, so nothing a caller passes can change the SQL.
 */
final class JdbcDescriber {
    /** Letters, digits, _ and $, starting with a letter or _: what every database accepts unquoted. */
    static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_$]{0,127}");
    static final String CREATED_COLUMN = "created_at";

    private JdbcDescriber() {
    }

    /** What describe needs from the service's configuration. */
    record Settings(String schema, String modifiedColumn, String deletedColumn) {
    }

    /**
     * @throws CrmException CONFIGURATION when the name is not a plain identifier, naming it and the rule
     */
    static String requireIdentifier(String what, String name) {
        if (name == null || !IDENTIFIER.matcher(name).matches()) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "Invalid " + what + " name '" + abbreviate(name)
                    + "': use letters, digits, _ and $, starting with a letter or _ (names with other characters are refused "
                    + "so that they can never change the SQL)");
        }
        return name;
    }

    private static String abbreviate(String name) {
        if (name == null) {
            return "null";
        }
        return name.length() <= 60 ? name : name.substring(0, 57) + "...";
    }

    /** Whether schemas are catalogs on this database (MySQL, MariaDB). */
    static boolean schemasAreCatalogs(DatabaseMetaData metaData) throws SQLException {
        String product = metaData.getDatabaseProductName().toLowerCase(Locale.ROOT);
        return product.contains("mysql") || product.contains("mariadb");
    }

    static JdbcTable describe(Connection connection, Settings settings, String object) throws SQLException {
        if (object == null || object.isBlank()) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "No table name given");
        }
        String schemaName = settings.schema();
        String tableName = object;
        int dot = object.indexOf('.');
        if (dot > 0 && dot == object.lastIndexOf('.')) {
            schemaName = requireIdentifier("schema", object.substring(0, dot));
            tableName = object.substring(dot + 1);
        }
        requireIdentifier("table", tableName);
        DatabaseMetaData metaData = connection.getMetaData();
        boolean catalogs = schemasAreCatalogs(metaData);
        if (schemaName == null) {
            schemaName = catalogs ? connection.getCatalog() : connection.getSchema();
        }
        String quote = quoteString(metaData);

        Found found = null;
        for (String schemaCandidate : variants(schemaName)) {
            for (String tableCandidate : variants(tableName)) {
                found = findColumns(metaData, catalogs, schemaCandidate, tableCandidate);
                if (found != null) {
                    break;
                }
            }
            if (found != null) {
                break;
            }
        }
        String display = (schemaName == null ? "" : schemaName + ".") + tableName;
        if (found == null) {
            throw new CrmException(CrmException.Reason.NOT_FOUND, "Table " + display + " does not exist or is not visible to the database user");
        }
        String qualified = (found.qualifier == null ? "" : quote + found.qualifier + quote + ".") + quote + found.table + quote;
        display = (found.qualifier == null ? "" : found.qualifier + ".") + found.table;
        String catalog = catalogs ? found.qualifier : found.catalog;
        String schema = catalogs ? null : found.qualifier;

        List<String> primaryKey = primaryKey(metaData, catalog, schema, found.table);
        if (primaryKey.isEmpty()) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "Table " + display + " has no primary key; the JDBC service "
                    + "needs a single-column primary key to page through a table and address its rows");
        }
        if (primaryKey.size() > 1) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "Table " + display + " has a composite primary key "
                    + primaryKey + "; the JDBC service needs a single-column primary key");
        }
        Set<String> unique = new LinkedHashSet<>(primaryKey);
        unique.addAll(uniqueColumns(metaData, catalog, schema, found.table));
        Map<String, String> references = references(metaData, catalog, schema, found.table);

        JdbcColumn pk = found.columns.get(primaryKey.get(0));
        JdbcColumn modified = match(found.columns, settings.modifiedColumn(), CrmFieldType.DATETIME, CrmFieldType.DATE);
        JdbcColumn created = match(found.columns, CREATED_COLUMN, CrmFieldType.DATETIME, CrmFieldType.DATE);
        JdbcColumn deleted = match(found.columns, settings.deletedColumn(), CrmFieldType.BOOLEAN, CrmFieldType.DATETIME,
                CrmFieldType.DATE, CrmFieldType.INTEGER);

        List<CrmField> fields = new ArrayList<>();
        for (JdbcColumn column : found.columns.values()) {
            boolean computed = column.generated() || column.autoIncrement();
            boolean required = !column.nullable() && !column.hasDefault() && !computed;
            boolean isUnique = unique.contains(column.name());
            fields.add(new CrmField(column.name(), column.name(), column.crmType(), required, isUnique, isUnique,
                    computed, column.length(), List.of(),
                    references.get(column.name())));
        }
        CrmObjectSchema crmSchema = new CrmObjectSchema(found.table, display, pk.name(),
                modified == null ? null : modified.name(), created == null ? null : created.name(), fields);
        return new JdbcTable(crmSchema, display, qualified, found.columns, pk, modified, deleted, Set.copyOf(unique), quote,
                settings.modifiedColumn());
    }

    static String quoteString(DatabaseMetaData metaData) throws SQLException {
        String quote = metaData.getIdentifierQuoteString();
        return quote == null || quote.isBlank() ? "" : quote.trim();
    }

    /** The name as given, then lower and upper case (unquoted names are folded by most databases). */
    private static List<String> variants(String name) {
        if (name == null) {
            List<String> none = new ArrayList<>();
            none.add(null);
            return none;
        }
        Set<String> variants = new LinkedHashSet<>(List.of(name, name.toLowerCase(Locale.ROOT), name.toUpperCase(Locale.ROOT)));
        return List.copyOf(variants);
    }

    private record Found(String catalog, String qualifier, String table, Map<String, JdbcColumn> columns) {
    }

    private static Found findColumns(DatabaseMetaData metaData, boolean catalogs, String schema, String table) throws SQLException {
        String escape = metaData.getSearchStringEscape();
        Map<String, TreeMap<Integer, JdbcColumn>> bySchema = new LinkedHashMap<>();
        Map<String, String> catalogOf = new HashMap<>();
        try (ResultSet rs = metaData.getColumns(catalogs ? schema : null, catalogs ? null : pattern(schema, escape),
                pattern(table, escape), "%")) {
            while (rs.next()) {
                if (!table.equals(rs.getString("TABLE_NAME"))) {
                    continue; // the pattern matched more than the name (an escape the driver ignores)
                }
                String qualifier = catalogs ? rs.getString("TABLE_CAT") : rs.getString("TABLE_SCHEM");
                if (schema != null && qualifier != null && !schema.equals(qualifier)) {
                    continue;
                }
                catalogOf.putIfAbsent(String.valueOf(qualifier), rs.getString("TABLE_CAT"));
                JdbcColumn column = new JdbcColumn(rs.getString("COLUMN_NAME"), rs.getInt("DATA_TYPE"), rs.getString("TYPE_NAME"),
                        rs.getInt("COLUMN_SIZE"), rs.getInt("DECIMAL_DIGITS"), rs.getInt("NULLABLE") != DatabaseMetaData.columnNoNulls,
                        rs.getString("COLUMN_DEF") != null, "YES".equalsIgnoreCase(optional(rs, "IS_AUTOINCREMENT")),
                        "YES".equalsIgnoreCase(optional(rs, "IS_GENERATEDCOLUMN")));
                bySchema.computeIfAbsent(String.valueOf(qualifier), k -> new TreeMap<>()).put(rs.getInt("ORDINAL_POSITION"), column);
            }
        }
        if (bySchema.isEmpty()) {
            return null;
        }
        if (bySchema.size() > 1) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "Table " + table + " exists in several schemas "
                    + bySchema.keySet() + "; set the Schema property or name the table as schema.table");
        }
        var entry = bySchema.entrySet().iterator().next();
        Map<String, JdbcColumn> columns = new LinkedHashMap<>();
        entry.getValue().values().forEach(c -> columns.put(c.name(), c));
        String qualifier = "null".equals(entry.getKey()) ? null : entry.getKey();
        return new Found(catalogOf.get(entry.getKey()), qualifier, table, columns);
    }

    private static String optional(ResultSet rs, String column) {
        try {
            return rs.getString(column);
        } catch (SQLException e) {
            return null; // an old driver without the JDBC 4.1 columns
        }
    }

    /** A metadata search pattern that matches exactly {@code name}. */
    static String pattern(String name, String escape) {
        if (name == null || escape == null || escape.isEmpty()) {
            return name;
        }
        return name.replace(escape, escape + escape).replace("_", escape + "_").replace("%", escape + "%");
    }

    private static List<String> primaryKey(DatabaseMetaData metaData, String catalog, String schema, String table) throws SQLException {
        TreeMap<Integer, String> columns = new TreeMap<>();
        try (ResultSet rs = metaData.getPrimaryKeys(catalog, schema, table)) {
            while (rs.next()) {
                columns.put(rs.getInt("KEY_SEQ"), rs.getString("COLUMN_NAME"));
            }
        }
        return List.copyOf(columns.values());
    }

    /** Columns that a unique index or constraint covers alone (partial and expression indexes do not count). */
    private static Set<String> uniqueColumns(DatabaseMetaData metaData, String catalog, String schema, String table) throws SQLException {
        Map<String, List<String>> indexes = new LinkedHashMap<>();
        Set<String> partial = new LinkedHashSet<>();
        try (ResultSet rs = metaData.getIndexInfo(catalog, schema, table, true, true)) {
            while (rs.next()) {
                if (rs.getShort("TYPE") == DatabaseMetaData.tableIndexStatistic || rs.getBoolean("NON_UNIQUE")) {
                    continue;
                }
                String index = rs.getString("INDEX_NAME");
                String filter = optional(rs, "FILTER_CONDITION");
                if (filter != null && !filter.isBlank()) {
                    partial.add(index);
                }
                indexes.computeIfAbsent(index, k -> new ArrayList<>()).add(rs.getString("COLUMN_NAME"));
            }
        }
        Set<String> unique = new LinkedHashSet<>();
        indexes.forEach((index, columns) -> {
            if (columns.size() == 1 && !partial.contains(index) && columns.get(0) != null) {
                unique.add(columns.get(0));
            }
        });
        return unique;
    }

    /** Single-column foreign keys: column → referenced table. */
    private static Map<String, String> references(DatabaseMetaData metaData, String catalog, String schema, String table) {
        Map<String, List<String[]>> byKey = new LinkedHashMap<>();
        try (ResultSet rs = metaData.getImportedKeys(catalog, schema, table)) {
            while (rs.next()) {
                String key = rs.getString("FK_NAME") + "|" + rs.getString("PKTABLE_NAME");
                byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(new String[]{rs.getString("FKCOLUMN_NAME"), rs.getString("PKTABLE_NAME")});
            }
        } catch (SQLException e) {
            return Map.of(); // foreign keys are a nicety of describe
        }
        Map<String, String> references = new HashMap<>();
        byKey.values().stream().filter(l -> l.size() == 1).forEach(l -> references.put(l.get(0)[0], l.get(0)[1]));
        return references;
    }

    /** The column named {@code name} (exact, else ignoring case) when its type is one of {@code types}. */
    private static JdbcColumn match(Map<String, JdbcColumn> columns, String name, CrmFieldType... types) {
        if (name == null || name.isBlank()) {
            return null;
        }
        JdbcColumn column = columns.get(name);
        if (column == null) {
            column = columns.values().stream().filter(c -> c.name().equalsIgnoreCase(name)).findFirst().orElse(null);
        }
        if (column == null) {
            return null;
        }
        for (CrmFieldType type : types) {
            if (column.crmType() == type) {
                return column;
            }
        }
        return null;
    }
}
