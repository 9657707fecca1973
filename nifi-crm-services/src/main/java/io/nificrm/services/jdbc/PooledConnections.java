package io.nificrm.services.jdbc;

import org.apache.nifi.dbcp.DBCPService;
import org.apache.nifi.processor.exception.ProcessException;

import java.sql.Connection;
import java.sql.SQLException;

/** Borrowing from NiFi's connection pool so that pool failures read like the driver's: SQLExceptions with a SQLState. */
public final class PooledConnections {
    private PooledConnections() {
    }

    /** A connection from the pool; pool failures become SQLExceptions (08001 when the pool gives no SQLState). */
    public static Connection borrow(DBCPService pool) throws SQLException {
        try {
            Connection connection = pool.getConnection();
            if (connection == null) {
                throw new SQLException("The connection pool returned no connection", "08001");
            }
            return connection;
        } catch (ProcessException e) {
            Throwable cause = e;
            while (cause != null && !(cause instanceof SQLException)) {
                cause = cause.getCause();
            }
            if (cause instanceof SQLException sql) {
                throw sql;
            }
            throw new SQLException("The connection pool could not connect: " + e.getMessage(), "08001", e);
        }
    }
}
