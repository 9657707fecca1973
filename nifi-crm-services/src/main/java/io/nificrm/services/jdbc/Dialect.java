package io.nificrm.services.jdbc;

import java.util.Locale;

/**
 * How upserts and paging are written for a database.
 * <ul>
 *   <li>{@link #POSTGRESQL}: {@code INSERT ... ON CONFLICT (key) DO UPDATE ... WHERE <changed> RETURNING pk, (xmax = 0)},
 *       which tells created, updated and unchanged rows apart in one statement; {@code = ANY(?)} lookups.</li>
 *   <li>{@link #MYSQL} (and MariaDB): {@code INSERT ... ON DUPLICATE KEY UPDATE}; affected rows tell inserts (1) from
 *       updates (2).</li>
 *   <li>{@link #MERGE}: standard SQL:2003 {@code MERGE INTO ... USING (VALUES ...)} for everything else (PostgreSQL 15+,
 *       SQL Server, DB2, H2...); {@code OFFSET 0 ROWS FETCH NEXT n ROWS ONLY} paging.</li>
 * </ul>
 */
enum Dialect {
    POSTGRESQL("PostgreSQL"),
    MYSQL("MySQL"),
    MERGE("Generic MERGE (SQL:2003)");

    private final String label;

    Dialect(String label) {
        this.label = label;
    }

    String label() {
        return label;
    }

    /** The dialect of a database product, as DatabaseMetaData.getDatabaseProductName() names it. */
    static Dialect detect(String productName) {
        String product = productName == null ? "" : productName.toLowerCase(Locale.ROOT);
        if (product.contains("postgres")) {
            return POSTGRESQL;
        }
        if (product.contains("mysql") || product.contains("mariadb")) {
            return MYSQL;
        }
        return MERGE;
    }

    /** The clause that limits a query to {@code rows} rows. */
    String limit(int rows) {
        return this == MERGE ? " OFFSET 0 ROWS FETCH NEXT " + rows + " ROWS ONLY" : " LIMIT " + rows;
    }

    /** Whether {@code (a, b) > (?, ?)} row comparisons work (and use the index). */
    boolean rowComparisons() {
        return this != MERGE;
    }
}
