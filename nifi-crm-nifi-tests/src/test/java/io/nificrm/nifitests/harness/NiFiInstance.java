package io.nificrm.nifitests.harness;

import io.nificrm.nifitests.harness.model.ComponentType;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A real NiFi node run as a child JVM ({@code org.apache.nifi.NiFi}, no bootstrap) from its own {@link NiFiHome}.
 * {@link #start()} waits until {@code GET /nifi-api/flow/about} answers 200; {@link #close()} stops the process
 * (SIGTERM, then SIGKILL after {@link NiFiNodeConfig#stopTimeout()}). The home, with its logs, stays for post-mortem.
 * A JVM shutdown hook stops any node a test forgot to close.
 */
public final class NiFiInstance implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(NiFiInstance.class.getName());
    private static final int MIN_JAVA = 21;
    private static final int LOG_TAIL_LINES = 80;

    private final NiFiNodeConfig config;
    private final NiFiHome home;
    private final HttpClient probeClient = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private Process process;
    private NiFiRestClient client;

    private NiFiInstance(NiFiNodeConfig config, NiFiHome home) {
        this.config = config;
        this.home = home;
    }

    /** Creates the node's home under {@link TestArtifacts#workDir()} from the laid-out runtime; does not start it. */
    public static NiFiInstance create(NiFiNodeConfig config) {
        return create(config, TestArtifacts.runtimeLib(), TestArtifacts.workDir());
    }

    public static NiFiInstance create(NiFiNodeConfig config, Path runtimeLib, Path workDir) {
        ProcessReaper.stopOrphansOf(workDir);
        return new NiFiInstance(config, NiFiHome.create(workDir, runtimeLib, config));
    }

    /** Starts the JVM and waits until the REST API answers; on failure the process is killed and logs are quoted. */
    public synchronized NiFiInstance start() {
        if (isRunning()) {
            throw new IllegalStateException("NiFi " + config.name() + " is already running (pid " + process.pid() + ")");
        }
        List<String> command = command();
        LOG.log(Level.INFO, "Starting NiFi {0} in {1} on port {2,number,#}", config.name(), home, config.webPort());
        long started = System.nanoTime();
        try {
            process = new ProcessBuilder(command)
                    .directory(home.root().toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(home.consoleLog().toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start " + String.join(" ", command), e);
        }
        ProcessReaper.register(process);
        try {
            awaitReady(started);
        } catch (RuntimeException | Error e) {
            kill();
            throw e;
        }
        LOG.log(Level.INFO, "NiFi {0} answered after {1} ms (pid {2,number,#})", config.name(),
                Duration.ofNanos(System.nanoTime() - started).toMillis(), process.pid());
        return this;
    }

    /** Graceful stop: SIGTERM, then SIGKILL after the stop timeout. No-op when not running. */
    public synchronized void stop() {
        if (process == null) {
            return;
        }
        try {
            if (process.isAlive()) {
                process.destroy();
                if (!process.waitFor(config.stopTimeout().toMillis(), TimeUnit.MILLISECONDS)) {
                    LOG.log(Level.WARNING, "NiFi {0} did not stop within {1} s; killing it", config.name(),
                            config.stopTimeout().toSeconds());
                    process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        } finally {
            ProcessReaper.unregister(process);
            process = null;
        }
    }

    /** Hard stop (SIGKILL), as in a crash; the repositories keep what was not yet processed. */
    public synchronized void kill() {
        if (process == null) {
            return;
        }
        try {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            ProcessReaper.unregister(process);
            process = null;
        }
    }

    @Override
    public void close() {
        stop();
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    public NiFiNodeConfig config() {
        return config;
    }

    public NiFiHome home() {
        return home;
    }

    public String name() {
        return config.name();
    }

    /** {@code http://127.0.0.1:<port>/nifi-api} */
    public URI apiUri() {
        return URI.create("http://127.0.0.1:" + config.webPort() + "/nifi-api");
    }

    public synchronized NiFiRestClient client() {
        if (client == null) {
            client = new NiFiRestClient(apiUri());
        }
        return client;
    }

    /** Copies a NAR into {@code extensions/}; a running NiFi loads it within a few seconds. */
    public Path installNar(Path nar) {
        return home.installNar(nar);
    }

    /**
     * Installs our NAR (and, with {@code withStockProcessors}, the stock-processors test NAR) and waits until NiFi lists
     * the given processor types.
     */
    public void installCrmBundle(boolean withStockProcessors, String... processorTypes) {
        installNar(TestArtifacts.crmNar().orElseThrow(() -> new IllegalStateException("Our NAR was not built: "
                + TestArtifacts.crmNarLocation())));
        if (withStockProcessors) {
            installNar(TestArtifacts.stockNar());
        }
        List<String> wanted = List.of(processorTypes);
        Await.until("NiFi to load " + wanted, Duration.ofSeconds(90), Duration.ofMillis(500),
                () -> client().processorTypes().stream().map(ComponentType::type).toList(), types -> types.containsAll(wanted));
    }

    /** The tails of nifi-app.log and the console log, for failure messages. */
    public String logTail() {
        return "--- " + home.appLog() + " (last " + LOG_TAIL_LINES + " lines) ---\n"
                + NiFiHome.tail(home.appLog(), LOG_TAIL_LINES)
                + "\n--- " + home.consoleLog() + " (last 20 lines) ---\n" + NiFiHome.tail(home.consoleLog(), 20);
    }

    private List<String> command() {
        Path javaBinary = config.javaHome().resolve("bin").resolve("java");
        int major = javaMajorVersion(config.javaHome());
        if (major < MIN_JAVA) {
            throw new IllegalStateException("NiFi 2 needs Java " + MIN_JAVA + "+, but " + config.javaHome()
                    + " is Java " + major + ": run Maven with JAVA_HOME=$(scripts/find-jdk.sh)");
        }
        List<String> command = new ArrayList<>();
        command.add(javaBinary.toString());
        command.addAll(config.jvmArgs());
        command.add("--class-path");
        command.add("conf" + File.pathSeparator + "lib/*");
        command.add("-Dorg.apache.nifi.bootstrap.config.log.dir=logs");
        command.add("-Dnifi.properties.file.path=conf/" + NiFiHome.NIFI_PROPERTIES);
        command.add("-Dorg.apache.nifi.management.server.address=127.0.0.1:" + config.managementPort());
        command.add("-Dlogback.configurationFile=conf/" + NiFiHome.LOGBACK);
        // Marks the process as ours: for 'ps', and so a later run can stop it if this JVM dies without its hook.
        command.add(ProcessReaper.HOME_MARKER + home.root());
        command.add(ProcessReaper.ownerFlag());
        command.add("org.apache.nifi.NiFi");
        return command;
    }

    private void awaitReady(long startedNanos) {
        URI about = URI.create(apiUri() + "/flow/about");
        long deadline = startedNanos + config.startupTimeout().toNanos();
        String lastProblem = "no answer yet";
        while (System.nanoTime() - deadline < 0) {
            if (!process.isAlive()) {
                throw new IllegalStateException("NiFi " + config.name() + " exited with code " + process.exitValue()
                        + " while starting\n" + logTail());
            }
            try {
                HttpResponse<String> response = probeClient.send(
                        HttpRequest.newBuilder(about).timeout(Duration.ofSeconds(5)).GET().build(),
                        HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
                if (response.statusCode() == 200) {
                    return;
                }
                lastProblem = "HTTP " + response.statusCode();
            } catch (IOException e) {
                lastProblem = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Interrupted while waiting for NiFi " + config.name(), e);
            }
            Await.sleep(Duration.ofMillis(500));
        }
        throw new IllegalStateException("NiFi " + config.name() + " did not answer GET " + about + " with 200 within "
                + config.startupTimeout().toSeconds() + " s (last: " + lastProblem + ")\n" + logTail());
    }

    /** The major version from {@code <javaHome>/release} (the running JVM's own version for its own home). */
    static int javaMajorVersion(Path javaHome) {
        Path current = Path.of(System.getProperty("java.home"));
        if (javaHome.toAbsolutePath().normalize().equals(current.toAbsolutePath().normalize())) {
            return Runtime.version().feature();
        }
        Properties release = new Properties();
        try (var in = Files.newInputStream(javaHome.resolve("release"))) {
            release.load(in);
        } catch (IOException e) {
            throw new IllegalStateException("Not a JDK (no readable 'release' file): " + javaHome, e);
        }
        String version = release.getProperty("JAVA_VERSION", "\"0\"").replace("\"", "");
        String major = version.startsWith("1.") ? version.substring(2) : version;
        return Integer.parseInt(major.split("[.+-]")[0]);
    }

    @Override
    public String toString() {
        return "NiFi " + config.name() + " @ " + apiUri() + " (" + home + ")";
    }
}
