package io.nificrm.nifitests.harness;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A standalone ZooKeeper 3.9.3 server ({@code ZooKeeperServerMain}) as a child JVM, for the NiFi cluster tests: the
 * cluster coordinator / primary node elections and the cluster-scoped state (ZooKeeperStateProvider) live in it. It
 * is separate from the NiFi nodes (not NiFi's embedded ZooKeeper) so killing a node never takes ZooKeeper down. Its jars
 * are laid out by the module's pom into {@code target/zookeeper/lib} (system property {@value #LIB_PROPERTY}); its home
 * ({@code zookeeper-<time>}: conf, data, logs) stays for post-mortem. See /work/shared/nifi-runtime/CLUSTER.md.
 */
public final class ZooKeeperProcess implements AutoCloseable {

    public static final String LIB_PROPERTY = "zookeeper.lib";
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS");

    private final Path home;
    private final int port;
    private Process process;

    private ZooKeeperProcess(Path home, int port) {
        this.home = home;
        this.port = port;
    }

    /** The laid-out server jars. */
    public static Path lib() {
        Path lib = Path.of(System.getProperty(LIB_PROPERTY, "target/zookeeper/lib")).toAbsolutePath().normalize();
        if (!Files.isDirectory(lib)) {
            throw new IllegalStateException("ZooKeeper server not laid out at " + lib
                    + ": run 'mvn process-test-resources' in nifi-crm-nifi-tests first");
        }
        return lib;
    }

    /** Creates a home under {@code workDir}, starts the server on a free port and waits until it serves. */
    public static ZooKeeperProcess start(Path workDir) {
        ProcessReaper.stopOrphansOf(workDir);
        try {
            Path home = Files.createDirectories(workDir.resolve("zookeeper-" + LocalDateTime.now().format(STAMP)))
                    .toAbsolutePath();
            Files.createDirectories(home.resolve("conf"));
            Files.createDirectories(home.resolve("data"));
            Files.createDirectories(home.resolve("logs"));
            int port = FreePorts.allocate();
            Files.writeString(home.resolve("conf/zoo.cfg"), String.join("\n",
                    "tickTime=2000", "initLimit=10", "syncLimit=5", "dataDir=" + home.resolve("data"),
                    "clientPort=" + port, "clientPortAddress=127.0.0.1", "admin.enableServer=false",
                    "4lw.commands.whitelist=ruok,stat,srvr,mntr", ""), StandardCharsets.UTF_8);
            Files.writeString(home.resolve("conf/logback.xml"), """
                    <configuration>
                      <appender name="FILE" class="ch.qos.logback.core.FileAppender">
                        <file>logs/zookeeper.log</file>
                        <encoder><pattern>%date %level [%thread] %logger{30} %msg%n</pattern></encoder>
                      </appender>
                      <root level="INFO"><appender-ref ref="FILE"/></root>
                    </configuration>
                    """, StandardCharsets.UTF_8);
            ZooKeeperProcess zk = new ZooKeeperProcess(home, port);
            zk.startProcess();
            return zk;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create a ZooKeeper home under " + workDir, e);
        }
    }

    private void startProcess() throws IOException {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx128m",
                "-cp", "conf" + File.pathSeparator + lib() + File.separator + "*",
                "-Dlogback.configurationFile=conf/logback.xml", "-Dzookeeper.admin.enableServer=false",
                ProcessReaper.HOME_MARKER + home, ProcessReaper.ownerFlag(),
                "org.apache.zookeeper.server.ZooKeeperServerMain", "conf/zoo.cfg");
        process = new ProcessBuilder(command).directory(home.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(home.resolve("logs/console.log").toFile())).start();
        ProcessReaper.register(process);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        String last = "";
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("ZooKeeper exited with " + process.exitValue() + ":\n"
                        + NiFiHome.tail(home.resolve("logs/console.log"), 40) + "\n"
                        + NiFiHome.tail(home.resolve("logs/zookeeper.log"), 40));
            }
            last = fourLetterWord("srvr");
            if (last.contains("Mode: standalone")) {
                return;
            }
            Await.sleep(Duration.ofMillis(200));
        }
        close();
        throw new IllegalStateException("ZooKeeper did not serve within 60 s (last srvr answer: " + last + ")\n"
                + NiFiHome.tail(home.resolve("logs/zookeeper.log"), 40));
    }

    /** Sends a four-letter command ({@code srvr}, {@code ruok}, {@code mntr}); "" when it cannot connect. */
    public String fourLetterWord(String command) {
        try (Socket socket = new Socket(InetAddress.getLoopbackAddress(), port)) {
            socket.setSoTimeout(2000);
            OutputStream out = socket.getOutputStream();
            out.write(command.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            return "";
        }
    }

    /** {@code 127.0.0.1:PORT}, for {@code nifi.zookeeper.connect.string}. */
    public String connectString() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    public Path home() {
        return home;
    }

    public boolean isRunning() {
        return process != null && process.isAlive();
    }

    @Override
    public synchronized void close() {
        if (process == null) {
            return;
        }
        try {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        } finally {
            ProcessReaper.unregister(process);
            process = null;
        }
    }

    @Override
    public String toString() {
        return "ZooKeeper @ " + connectString() + " (" + home + ")";
    }
}
