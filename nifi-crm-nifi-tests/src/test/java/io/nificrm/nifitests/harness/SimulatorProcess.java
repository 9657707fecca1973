package io.nificrm.nifitests.harness;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The CRM simulator ({@code io.nificrm.simulator.CrmSimulatorMain}) as a separate process, as NiFi's processors
 * reach it over HTTP, with a {@link SimulatorAdmin} client for its admin API.
 */
public final class SimulatorProcess implements AutoCloseable {

    private static final Pattern LISTENING = Pattern.compile("listening on (http://\\S+)");

    private final Process process;
    private final String baseUrl;
    private final Path log;
    private final SimulatorAdmin admin;

    private SimulatorProcess(Process process, String baseUrl, Path log) {
        this.process = process;
        this.baseUrl = baseUrl;
        this.log = log;
        this.admin = new SimulatorAdmin(baseUrl);
    }

    /**
     * Starts the simulator with the current JVM's class path (which holds it) and waits until it listens.
     *
     * @param workDir   where its log goes ({@code simulator-<time>.log}); a simulator left there by a killed run is stopped
     * @param arguments its options, e.g. {@code --port 0 --seed salesforce=3000 --unlimited}
     */
    public static SimulatorProcess start(Path workDir, List<String> arguments) {
        return start(workDir, arguments, System.getProperty("java.class.path"));
    }

    public static SimulatorProcess start(Path workDir, List<String> arguments, String classPath) {
        try {
            Files.createDirectories(workDir);
            ProcessReaper.stopOrphansOf(workDir);
            Path log = workDir.resolve("simulator-" + System.currentTimeMillis() + ".log");
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx512m", "-cp", classPath, ProcessReaper.HOME_MARKER + workDir.toAbsolutePath().normalize().resolve("simulator"),
                    ProcessReaper.ownerFlag(), "io.nificrm.simulator.CrmSimulatorMain"));
            command.addAll(arguments);
            Process process = new ProcessBuilder(command).redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
            ProcessReaper.register(process);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("The simulator exited with " + process.exitValue() + ":\n" + NiFiHome.tail(log, 40));
                }
                Matcher m = LISTENING.matcher(Files.exists(log) ? Files.readString(log) : "");
                if (m.find()) {
                    return new SimulatorProcess(process, m.group(1), log);
                }
                Await.sleep(Duration.ofMillis(100));
            }
            process.destroyForcibly();
            throw new IllegalStateException("The simulator did not start within 120 s:\n" + NiFiHome.tail(log, 40));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot start the simulator", e);
        }
    }

    /** {@code http://127.0.0.1:PORT}: every simulated system answers here. */
    public String baseUrl() {
        return baseUrl;
    }

    public long pid() {
        return process.pid();
    }

    public Path log() {
        return log;
    }

    /** The admin and API client of this simulator. */
    public SimulatorAdmin admin() {
        return admin;
    }

    public long count(String system, String object) {
        return admin.count(system, object);
    }

    public List<JsonNode> records(String system, String object) {
        return admin.records(system, object);
    }

    public Map<String, String> groundTruth(String system, String object) {
        return admin.groundTruth(system, object);
    }

    public JsonNode putRecord(String system, String object, Map<String, Object> body) {
        return admin.putRecord(system, object, body);
    }

    public void deleteRecord(String system, String object, String id) {
        admin.deleteRecord(system, object, id);
    }

    public JsonNode call(String method, String path, Map<String, String> headers, String body) {
        return admin.call(method, path, headers, body);
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroy();
            try {
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                process.destroyForcibly();
            }
        }
        ProcessReaper.unregister(process);
    }
}
