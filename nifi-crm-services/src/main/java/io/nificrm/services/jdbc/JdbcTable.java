package io.nificrm.services.jdbc;

import io.nificrm.api.CrmException;
import io.nificrm.api.CrmObjectSchema;

import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A described table: its {@link CrmObjectSchema} plus what SQL needs (quoted names, column types, keys).
 *
 * @param schema        what describe() reports
 * @param displayName   {@code schema.table} for messages
 * @param qualifiedName the quoted, qualified name for SQL
 * @param columns       columns by name, in table order
 * @param primaryKey    the single-column primary key
 * @param modified      the Modified Column, or null when the table has none
 * @param deleted       the Deleted Column, or null when the service has none or the table lacks it
 * @param unique        columns with a single-column unique index or constraint (the primary key included)
 * @param quote         the driver's identifier quote string ("" when it has none)
 * @param modifiedSetting the Modified Column property (for messages when the table lacks it)
 */
record JdbcTable(CrmObjectSchema schema, String displayName, String qualifiedName, Map<String, JdbcColumn> columns,
                 JdbcColumn primaryKey, JdbcColumn modified, JdbcColumn deleted, Set<String> unique, String quote,
                 String modifiedSetting) {

    /** A column name quoted for SQL; only names from the database's metadata come here. */
    String q(String column) {
        return quote + column + quote;
    }

    String q(JdbcColumn column) {
        return q(column.name());
    }

    /** The column, or a CONFIGURATION error naming the table. */
    JdbcColumn column(String name, String role) {
        JdbcColumn column = columns.get(name);
        if (column == null) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "Table " + displayName + " has no column '" + name + "'"
                    + (role == null ? "" : " (" + role + ")") + "; its columns are " + List.copyOf(columns.keySet()));
        }
        return column;
    }

    boolean isUnique(JdbcColumn column) {
        return unique.contains(column.name());
    }
}
