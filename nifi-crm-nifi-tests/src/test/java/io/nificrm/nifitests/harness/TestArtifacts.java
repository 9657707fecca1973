package io.nificrm.nifitests.harness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the build put the things the tests need. The Maven build passes the locations as system properties (see this
 * module's pom); the defaults are the same paths relative to the module folder, so tests also run from an IDE after
 * one {@code mvn process-test-resources}.
 */
public final class TestArtifacts {

    /** Folder with the NiFi runtime jars and NARs (laid out by maven-dependency-plugin). */
    public static final String RUNTIME_LIB_PROPERTY = "nifi.runtime.lib";
    /** Our NAR file (io.nificrm:nifi-crm-nar), copied by maven-dependency-plugin. */
    public static final String CRM_NAR_PROPERTY = "nifi.crm.nar";
    /** Parent folder for the NiFi home folders the tests create. */
    public static final String WORK_DIR_PROPERTY = "nifi.tests.work.dir";
    /** The test-only NAR with NiFi's stock processors (io.nificrm:nifi-crm-stock-test-nar). */
    public static final String STOCK_NAR_PROPERTY = "nifi.crm.stock.nar";
    /** The PostgreSQL JDBC driver jar NiFi's DBCPConnectionPool loads. */
    public static final String POSTGRESQL_DRIVER_PROPERTY = "postgresql.driver";

    private TestArtifacts() {
    }

    public static Path runtimeLib() {
        Path lib = path(RUNTIME_LIB_PROPERTY, "target/nifi-runtime/lib");
        if (!Files.isDirectory(lib)) {
            throw new IllegalStateException("NiFi runtime not laid out at " + lib
                    + ": run 'mvn process-test-resources' in nifi-crm-nifi-tests first");
        }
        return lib;
    }

    /** Our NAR, or empty when the build has not produced it. */
    public static Optional<Path> crmNar() {
        Path nar = crmNarLocation();
        return Files.isRegularFile(nar) ? Optional.of(nar) : Optional.empty();
    }

    /** Where our NAR is expected, whether or not it exists. */
    public static Path crmNarLocation() {
        return path(CRM_NAR_PROPERTY, "target/nifi-crm-nar/nifi-crm-nar.nar");
    }

    /** The stock-processors test NAR; fails when the build has not produced it. */
    public static Path stockNar() {
        Path nar = path(STOCK_NAR_PROPERTY, "target/nifi-crm-nar/nifi-crm-stock-test-nar.nar");
        if (!Files.isRegularFile(nar)) {
            throw new IllegalStateException("No stock-processors test NAR at " + nar
                    + ": build nifi-crm-stock-test-nar first (mvn -pl nifi-crm-stock-test-nar install)");
        }
        return nar;
    }

    public static Path postgresqlDriver() {
        Path jar = path(POSTGRESQL_DRIVER_PROPERTY, "target/jdbc/postgresql.jar");
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException("No PostgreSQL JDBC driver at " + jar + ": run 'mvn process-test-resources' in nifi-crm-nifi-tests");
        }
        return jar;
    }

    public static Path workDir() {
        return path(WORK_DIR_PROPERTY, "target/nifi-homes");
    }

    private static Path path(String property, String defaultRelativeToModule) {
        return Path.of(System.getProperty(property, defaultRelativeToModule)).toAbsolutePath().normalize();
    }
}
