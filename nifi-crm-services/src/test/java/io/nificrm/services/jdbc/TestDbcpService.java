package io.nificrm.services.jdbc;

import org.apache.nifi.annotation.lifecycle.OnDisabled;
import org.apache.nifi.annotation.lifecycle.OnEnabled;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.controller.AbstractControllerService;
import org.apache.nifi.controller.ConfigurationContext;
import org.apache.nifi.dbcp.DBCPService;
import org.apache.nifi.processor.exception.ProcessException;
import org.apache.nifi.processor.util.StandardValidators;
import org.postgresql.ds.PGSimpleDataSource;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A small pooling DBCPService on the PostgreSQL driver's data source, for tests (NiFi's DBCPConnectionPool is not
 * published to Maven Central as a jar). Connections go back to an idle queue on close; one returned with a transaction
 * open or auto-commit off is recorded as a violation, so the tests see connection-state leaks. Failures can be injected.
 */
public class TestDbcpService extends AbstractControllerService implements DBCPService {
    public static final PropertyDescriptor URL = new PropertyDescriptor.Builder().name("URL").required(true)
            .addValidator(StandardValidators.NON_EMPTY_VALIDATOR).build();
    public static final PropertyDescriptor USER = new PropertyDescriptor.Builder().name("User").required(true)
            .addValidator(StandardValidators.NON_EMPTY_VALIDATOR).build();
    public static final PropertyDescriptor PASSWORD = new PropertyDescriptor.Builder().name("Password").required(false).sensitive(true)
            .addValidator(StandardValidators.NON_EMPTY_VALIDATOR).build();

    private final Queue<Connection> idle = new ConcurrentLinkedQueue<>();
    final AtomicInteger borrowed = new AtomicInteger();
    final AtomicInteger opened = new AtomicInteger();
    final List<String> violations = new CopyOnWriteArrayList<>();
    /** getConnection() calls that still succeed before every further one fails as if the database were down; -1: never. */
    final AtomicInteger failAfter = new AtomicInteger(-1);
    private volatile PGSimpleDataSource dataSource;

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return List.of(URL, USER, PASSWORD);
    }

    @OnEnabled
    public void onEnabled(ConfigurationContext context) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(context.getProperty(URL).getValue());
        ds.setUser(context.getProperty(USER).getValue());
        ds.setPassword(context.getProperty(PASSWORD).getValue());
        dataSource = ds;
    }

    @OnDisabled
    public void onDisabled() {
        Connection c;
        while ((c = idle.poll()) != null) {
            try {
                c.close();
            } catch (SQLException e) {
                // closing anyway
            }
        }
    }

    @Override
    public Connection getConnection() throws ProcessException {
        int remaining = failAfter.getAndUpdate(n -> n > 0 ? n - 1 : n);
        if (remaining == 0) {
            throw new ProcessException("Cannot get a connection", new SQLException("Connection to 127.0.0.1 refused", "08001"));
        }
        try {
            Connection physical = idle.poll();
            if (physical == null || physical.isClosed()) {
                physical = dataSource.getConnection();
                opened.incrementAndGet();
            }
            borrowed.incrementAndGet();
            return wrap(physical);
        } catch (SQLException e) {
            throw new ProcessException("Cannot get a connection: " + e.getMessage(), e);
        }
    }

    private Connection wrap(Connection physical) {
        boolean[] closed = {false};
        return (Connection) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[]{Connection.class}, (proxy, method, args) -> {
            switch (method.getName()) {
                case "close" -> {
                    if (!closed[0]) {
                        closed[0] = true;
                        borrowed.decrementAndGet();
                        giveBack(physical);
                    }
                    return null;
                }
                case "isClosed" -> {
                    return closed[0] || physical.isClosed();
                }
                default -> {
                    if (closed[0]) {
                        throw new SQLException("connection already returned to the pool", "08003");
                    }
                    try {
                        return method.invoke(physical, args);
                    } catch (InvocationTargetException e) {
                        throw e.getCause();
                    }
                }
            }
        });
    }

    private void giveBack(Connection physical) throws SQLException {
        if (physical.isClosed()) {
            return;
        }
        if (!physical.getAutoCommit()) {
            violations.add("a connection came back with auto-commit off");
            physical.rollback();
            physical.setAutoCommit(true);
        }
        idle.add(physical);
    }
}
