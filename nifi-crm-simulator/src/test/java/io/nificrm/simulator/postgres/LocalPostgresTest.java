package io.nificrm.simulator.postgres;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class LocalPostgresTest {

    @Test
    void startsConnectsCreatesATableAndStops() throws SQLException {
        Path dir;
        String url;
        String user;
        String password;
        try (LocalPostgres pg = LocalPostgres.start()) {
            assertNotNull(pg.source());
            url = pg.jdbcUrl();
            user = pg.user();
            password = pg.password();
            dir = pg.clusterDirectory();
            roundTrip(url, user, password);
            if (pg.source() != LocalPostgres.Source.EXTERNAL) {
                assertEquals("127.0.0.1", pg.host());
                assertTrue(Files.isDirectory(dir.resolve("data")), "the cluster lives in " + dir);
            }
        }
        if (dir != null) {
            assertFalse(Files.exists(dir), "close() deletes the cluster directory");
            assertThrows(SQLException.class, () -> DriverManager.getConnection(url, user, password).close(),
                    "close() stops the server");
        }
    }

    @Test
    void passwordIsRequiredOverTcp() {
        LocalPostgres pg = LocalPostgres.shared();
        assumeTrue(pg.source() != LocalPostgres.Source.EXTERNAL, "only our own clusters have a known authentication setup");
        SQLException e = assertThrows(SQLException.class, () -> DriverManager.getConnection(pg.jdbcUrl(), pg.user(), "wrong").close());
        assertEquals("28P01", e.getSQLState(), e.getMessage());
    }

    @Test
    void runsTheBinariesFromMaven() throws SQLException {
        try (LocalPostgres pg = LocalPostgres.start(LocalPostgres.Source.MAVEN)) {
            assertEquals(LocalPostgres.Source.MAVEN, pg.source());
            assertTrue(pg.description().contains("from Maven"), pg.description());
            roundTrip(pg.jdbcUrl(), pg.user(), pg.password());
            try (Connection c = pg.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW fsync")) {
                rs.next();
                assertEquals("off", rs.getString(1));
            }
        }
    }

    @Test
    void unpacksTheMavenArchiveInJavaWhenThereIsNoTar(@org.junit.jupiter.api.io.TempDir Path temp) throws Exception {
        String name = PostgresBinaries.mavenArchiveNames().stream()
                .filter(n -> getClass().getClassLoader().getResource(n) != null).findFirst().orElse(null);
        assumeTrue(name != null, "no zonky archive for this platform on the classpath");
        Path archive = temp.resolve(name);
        try (var in = getClass().getClassLoader().getResourceAsStream(name)) {
            Files.copy(in, archive);
        }
        Path tree = Files.createDirectory(temp.resolve("tree"));
        PostgresBinaries.untarWithCommonsCompress(archive, tree);
        assertTrue(PostgresBinaries.isComplete(tree.resolve("bin")), "bin/initdb, pg_ctl and postgres are executable");
        assertTrue(Files.isSymbolicLink(tree.resolve("lib/libpq.so")) || !Files.exists(tree.resolve("lib/libpq.so.5")));
    }

    @Test
    void runsTheMachinesBinariesWhenThereAreAny() throws SQLException {
        assumeTrue(PostgresBinaries.onMachine(new java.util.ArrayList<>()).isPresent(), "no PostgreSQL installed here");
        try (LocalPostgres pg = LocalPostgres.start(LocalPostgres.Source.MACHINE)) {
            assertEquals(LocalPostgres.Source.MACHINE, pg.source());
            if (LocalPostgres.currentUid() == 0) {
                assertTrue(pg.description().contains("uid 65534"), pg.description());
            }
            roundTrip(pg.jdbcUrl(), pg.user(), pg.password());
            try (Connection c = pg.connect(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT current_setting('synchronous_commit'), current_setting('full_page_writes')")) {
                rs.next();
                assertEquals("off", rs.getString(1));
                assertEquals("off", rs.getString(2));
            }
        }
    }

    @Test
    void databasesAreIsolated() throws SQLException {
        LocalPostgres pg = LocalPostgres.shared();
        assertSame(pg, LocalPostgres.shared());
        LocalPostgres.Database a = pg.createDatabase("lp_test_a");
        LocalPostgres.Database b = pg.createDatabase("lp_test_b");
        try (Connection c = a.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE only_in_a (id int)");
        }
        try (Connection c = b.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM information_schema.tables WHERE table_name = 'only_in_a'")) {
            rs.next();
            assertEquals(0, rs.getInt(1));
        }
        // Creating it again gives an empty database.
        LocalPostgres.Database again = pg.createDatabase("lp_test_a");
        try (Connection c = again.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM information_schema.tables WHERE table_name = 'only_in_a'")) {
            rs.next();
            assertEquals(0, rs.getInt(1));
        }
        pg.dropDatabase("lp_test_a");
        pg.dropDatabase("lp_test_b");
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> pg.createDatabase("x\"; DROP DATABASE postgres; --"));
        assertTrue(bad.getMessage().contains("Invalid database name"), bad.getMessage());
    }

    @Test
    void usesAnExistingServerNamedByTheEnvironment() throws SQLException {
        LocalPostgres server = LocalPostgres.shared();
        System.setProperty("nificrm.pg.url", server.jdbcUrl());
        System.setProperty("nificrm.pg.user", server.user());
        System.setProperty("nificrm.pg.password", server.password());
        try (LocalPostgres external = LocalPostgres.start()) {
            assertEquals(LocalPostgres.Source.EXTERNAL, external.source());
            assertEquals(server.port(), external.port());
            LocalPostgres.Database db = external.createDatabase("lp_test_external");
            roundTrip(db.jdbcUrl(), db.user(), db.password());
        } finally {
            System.clearProperty("nificrm.pg.url");
            System.clearProperty("nificrm.pg.user");
            System.clearProperty("nificrm.pg.password");
        }
        // close() dropped the database it created on the external server.
        try (Connection c = server.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM pg_database WHERE datname = 'lp_test_external'")) {
            rs.next();
            assertEquals(0, rs.getInt(1));
        }
    }

    @Test
    void explainsWhatWasTriedWhenNothingWorks() {
        assumeTrue(System.getenv("NIFICRM_PG_URL") == null, "NIFICRM_PG_URL is set here");
        System.setProperty("nificrm.pg.url", "jdbc:postgresql://127.0.0.1:1/nothing");
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> LocalPostgres.start(LocalPostgres.Source.EXTERNAL));
            assertTrue(e.getMessage().contains("Tried:") && e.getMessage().contains("NIFICRM_PG_URL is set but connecting"), e.getMessage());
            assertTrue(e.getMessage().contains("install PostgreSQL"), e.getMessage());
        } finally {
            System.clearProperty("nificrm.pg.url");
        }
    }

    private static void roundTrip(String url, String user, String password) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, user, password); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS lp_probe (id bigint PRIMARY KEY, name text NOT NULL)");
            s.execute("INSERT INTO lp_probe VALUES (1, 'one'), (2, 'two') ON CONFLICT DO NOTHING");
            try (ResultSet rs = s.executeQuery("SELECT count(*), max(name) FROM lp_probe")) {
                rs.next();
                assertEquals(2, rs.getInt(1));
                assertEquals("two", rs.getString(2));
            }
            s.execute("DROP TABLE lp_probe");
        }
    }
}
