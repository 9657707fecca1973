package io.nificrm.services.jdbc;

import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.SQLException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * What the service learned about the database from the first connection.
 *
 * @param dialect    the dialect in use (configured, or detected from the product name)
 * @param detected   the dialect the product name suggests
 * @param product    database product name and version
 * @param driver     JDBC driver name and version
 * @param url        the JDBC URL without credentials and parameters
 * @param savepoints whether the driver supports savepoints (bad-row isolation inside one transaction)
 * @param terminate  whether statements such as MERGE need a terminating semicolon (SQL Server)
 * @param majorVersion the database's major version
 */
record DatabaseInfo(Dialect dialect, Dialect detected, String product, String driver, String url, boolean savepoints,
                    boolean terminate, int majorVersion) {

    private static final Pattern USER_INFO = Pattern.compile("//[^/@?;]*@");
    private static final Pattern ORACLE_CREDENTIALS = Pattern.compile("^(jdbc:oracle:[a-z]+:)[^@/]*/[^@]*@");

    static DatabaseInfo of(Connection connection, Dialect configured) throws SQLException {
        DatabaseMetaData metaData = connection.getMetaData();
        String productName = metaData.getDatabaseProductName();
        Dialect detected = Dialect.detect(productName);
        boolean savepoints;
        try {
            savepoints = metaData.supportsSavepoints();
        } catch (SQLException | AbstractMethodError e) {
            savepoints = false;
        }
        int major;
        try {
            major = metaData.getDatabaseMajorVersion();
        } catch (SQLException | RuntimeException e) {
            major = 0;
        }
        return new DatabaseInfo(configured == null ? detected : configured, detected,
                productName + " " + metaData.getDatabaseProductVersion(),
                metaData.getDriverName() + " " + metaData.getDriverVersion(), sanitize(metaData.getURL()), savepoints,
                productName.toLowerCase(Locale.ROOT).contains("sql server"), major);
    }

    /** A JDBC URL without user, password or parameters: safe for provenance and messages. */
    static String sanitize(String url) {
        if (url == null || url.isBlank()) {
            return "jdbc:unknown";
        }
        String clean = url.trim();
        int query = clean.indexOf('?');
        if (query >= 0) {
            clean = clean.substring(0, query);
        }
        int semicolon = clean.indexOf(';');
        if (semicolon >= 0) {
            clean = clean.substring(0, semicolon);
        }
        clean = ORACLE_CREDENTIALS.matcher(clean).replaceFirst("$1@");
        clean = USER_INFO.matcher(clean).replaceFirst("//");
        return clean;
    }
}
