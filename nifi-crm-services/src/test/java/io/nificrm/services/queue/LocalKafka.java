package io.nificrm.services.queue;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.lang.reflect.InvocationTargetException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A real Apache Kafka broker for tests and benchmarks: {@code org.apache.kafka:kafka_2.13} from Maven Central, run in
 * this JVM in KRaft combined mode (one node that is both broker and controller), on free 127.0.0.1 ports, with its
 * log directory in a new temporary directory.
 * <pre>{@code
 * LocalKafka kafka = LocalKafka.shared();          // one broker per JVM, stopped at exit
 * kafka.createTopic("changes", 4);
 * String bootstrap = kafka.bootstrapServers();
 * }</pre>
 * Start-up is the storage format ({@code kafka-storage format}) plus the server's own start, about 3-5 seconds.
 * Settings are those of a single-node development broker: replication factor 1 for internal topics, no initial
 * rebalance delay (consumer groups form at once), 4 partitions for auto-created topics. The broker's classes are
 * reached by reflection so that only the Kafka client API is needed at compile time.
 */
public final class LocalKafka implements AutoCloseable {
    private static LocalKafka shared;

    private final Path directory;
    private final int port;
    private final Object server;
    private volatile boolean closed;

    private LocalKafka(Path directory, int port, Object server) {
        this.directory = directory;
        this.port = port;
        this.server = server;
    }

    /** The broker shared by this JVM, started on first use and stopped when the JVM exits. */
    public static synchronized LocalKafka shared() {
        if (shared == null || shared.closed) {
            shared = start();
            LocalKafka started = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "local-kafka-stop"));
        }
        return shared;
    }

    /** Starts a new broker; close it when done. */
    public static LocalKafka start() {
        quietLogs();
        Path directory = null;
        try {
            directory = Files.createTempDirectory("nificrm-kafka-");
            int brokerPort = freePort();
            int controllerPort = freePort();
            Properties config = new Properties();
            config.put("process.roles", "broker,controller");
            config.put("node.id", "1");
            config.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
            config.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
            config.put("controller.listener.names", "CONTROLLER");
            config.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
            config.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
            config.put("log.dirs", directory.resolve("data").toString());
            config.put("num.partitions", "4");
            config.put("offsets.topic.replication.factor", "1");
            config.put("offsets.topic.num.partitions", "4");
            config.put("transaction.state.log.replication.factor", "1");
            config.put("transaction.state.log.min.isr", "1");
            config.put("share.coordinator.state.topic.replication.factor", "1");
            config.put("share.coordinator.state.topic.min.isr", "1");
            config.put("group.initial.rebalance.delay.ms", "0");
            config.put("log.flush.interval.messages", Long.toString(Long.MAX_VALUE));
            Path file = directory.resolve("server.properties");
            try (Writer writer = Files.newBufferedWriter(file)) {
                config.store(writer, "LocalKafka");
            }
            int formatted = (Integer) Class.forName("kafka.tools.StorageTool").getMethod("execute", String[].class, PrintStream.class)
                    .invoke(null, new String[]{"format", "-t", Uuid.randomUuid().toString(), "-c", file.toString()},
                            new PrintStream(OutputStream.nullOutputStream()));
            if (formatted != 0) {
                throw new IllegalStateException("kafka-storage format exited with " + formatted);
            }
            Class<?> configClass = Class.forName("kafka.server.KafkaConfig");
            Object kafkaConfig = configClass.getMethod("fromProps", Properties.class, boolean.class).invoke(null, config, false);
            Object server = Class.forName("kafka.server.KafkaRaftServer").getConstructor(configClass, Time.class)
                    .newInstance(kafkaConfig, Time.SYSTEM);
            server.getClass().getMethod("startup").invoke(server);
            LocalKafka kafka = new LocalKafka(directory, brokerPort, server);
            kafka.awaitReady();
            return kafka;
        } catch (InvocationTargetException e) {
            deleteQuietly(directory);
            throw new IllegalStateException("The Kafka broker did not start: " + e.getCause(), e.getCause());
        } catch (ReflectiveOperationException e) {
            deleteQuietly(directory);
            throw new IllegalStateException("org.apache.kafka:kafka_2.13 is not on the classpath: " + e, e);
        } catch (IOException e) {
            deleteQuietly(directory);
            throw new UncheckedIOException(e);
        }
    }

    /** Keeps the broker's INFO chatter out of test and benchmark output (slf4j-simple reads these at first use). */
    private static void quietLogs() {
        for (String logger : List.of("org.apache.kafka", "kafka", "state.change.logger", "org.apache.zookeeper")) {
            System.setProperty("org.slf4j.simpleLogger.log." + logger, System.getProperty("org.slf4j.simpleLogger.log." + logger, "warn"));
        }
    }

    private void awaitReady() {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        RuntimeException last = null;
        while (System.nanoTime() < deadline) {
            try (Admin admin = admin()) {
                admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
                return;
            } catch (Exception e) {
                last = new IllegalStateException("The Kafka broker is not answering: " + e, e);
            }
        }
        throw last;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 0, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    /** {@code 127.0.0.1:port}, for {@code bootstrap.servers}. */
    public String bootstrapServers() {
        return "127.0.0.1:" + port;
    }

    /** An admin client for the broker; close it. */
    public Admin admin() {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000));
    }

    /** Creates a topic with this many partitions (replication factor 1) and waits until it exists. */
    public void createTopic(String name, int partitions) {
        try (Admin admin = admin()) {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(30, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (System.nanoTime() < deadline) {
                var description = admin.describeTopics(List.of(name)).allTopicNames().get(10, TimeUnit.SECONDS).get(name);
                if (description.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
                    return;
                }
                Thread.sleep(50);
            }
            throw new IllegalStateException("Topic " + name + " has no leader after 30 s");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        } catch (Exception e) {
            throw new IllegalStateException("Cannot create topic " + name + ": " + e.getMessage(), e);
        }
    }

    /** Stops the broker and deletes its directory. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            server.getClass().getMethod("shutdown").invoke(server);
            server.getClass().getMethod("awaitShutdown").invoke(server);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // stopping anyway
        }
        deleteQuietly(directory);
    }

    private static void deleteQuietly(Path directory) {
        if (directory == null) {
            return;
        }
        try (Stream<Path> files = Files.walk(directory)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> {
                try {
                    Files.deleteIfExists(path);
                } catch (IOException e) {
                    // left for the OS's temp cleanup
                }
            });
        } catch (IOException e) {
            // left for the OS's temp cleanup
        }
    }

    @Override
    public String toString() {
        return "LocalKafka[" + bootstrapServers() + "]";
    }
}
