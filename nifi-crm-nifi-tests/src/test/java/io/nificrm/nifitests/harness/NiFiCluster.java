package io.nificrm.nifitests.harness;

import com.fasterxml.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;

/**
 * A real, unsecured NiFi 2.3.0 cluster on this machine: one standalone {@link ZooKeeperProcess} and N
 * {@link NiFiInstance} nodes, each with its own home, web / cluster-protocol / load-balance / management ports and the
 * same sensitive-properties key; cluster state in ZooKeeper (ZooKeeperStateProvider). Settings are those verified in
 * /work/shared/nifi-runtime/CLUSTER.md: flow election waits for all N candidates (at most 20 s), heartbeats every
 * 2 s with 3 missable, ZooKeeper session 4 s, so a killed primary is replaced in ~5 s and marked DISCONNECTED in ~12 s.
 *
 * <p>REST calls made through a node right after another node died can answer HTTP 500 (the survivor still replicates
 * to the dead coordinator until ZooKeeper expires its session); {@link #retrying} rides that window out.
 */
public final class NiFiCluster implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(NiFiCluster.class.getName());
    public static final Duration CONNECT_TIMEOUT = Duration.ofMinutes(4);

    private final ZooKeeperProcess zookeeper;
    private final List<NiFiInstance> nodes;

    private NiFiCluster(ZooKeeperProcess zookeeper, List<NiFiInstance> nodes) {
        this.zookeeper = zookeeper;
        this.nodes = List.copyOf(nodes);
    }

    /**
     * Starts ZooKeeper and creates (does not start) {@code size} nodes under {@code target/cluster-homes}, a folder of
     * their own: the first NiFiHome a test JVM creates in a folder deletes the {@code work/} (unpacked NARs) of every
     * other home there, which breaks nodes still running from it when another test JVM shares the folder (seen:
     * NoClassDefFoundError in the framework, "Unable to create JAXBContext" for heartbeats).
     */
    public static NiFiCluster create(String namePrefix, int size, Consumer<NiFiNodeConfig.Builder> customizer) {
        return create(namePrefix, size, TestArtifacts.runtimeLib(), homesDir(), customizer);
    }

    /** {@code target/cluster-homes} beside {@link TestArtifacts#workDir()}. */
    public static Path homesDir() {
        return TestArtifacts.workDir().resolveSibling("cluster-homes");
    }

    public static NiFiCluster create(String namePrefix, int size, Path runtimeLib, Path workDir,
                                     Consumer<NiFiNodeConfig.Builder> customizer) {
        ProcessReaper.stopOrphansOf(workDir);
        ZooKeeperProcess zk = ZooKeeperProcess.start(workDir);
        try {
            String key = NiFiNodeConfig.randomSensitivePropsKey();
            String root = "/nifi-" + Long.toHexString(System.nanoTime());
            List<NiFiInstance> nodes = new ArrayList<>();
            for (int i = 1; i <= size; i++) {
                int[] ports = FreePorts.allocate(4);
                NiFiNodeConfig.Builder builder = NiFiNodeConfig.builder(namePrefix + "-node" + i)
                        .webPort(ports[0]).managementPort(ports[1]).sensitivePropsKey(key)
                        .properties(clusterProperties(size, zk.connectString(), root, ports[2], ports[3]))
                        .templateToken("clusterStateProvider", stateProvider(zk.connectString(), root))
                        .startupTimeout(Duration.ofMinutes(3));
                customizer.accept(builder);
                nodes.add(NiFiInstance.create(builder.build(), runtimeLib, workDir));
            }
            return new NiFiCluster(zk, nodes);
        } catch (RuntimeException | Error e) {
            zk.close();
            throw e;
        }
    }

    /** The nifi.properties keys of a cluster node (CLUSTER.md), with its own protocol and load-balance ports. */
    public static Map<String, String> clusterProperties(int size, String zkConnect, String zkRoot, int protocolPort,
                                                        int loadBalancePort) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("nifi.state.management.provider.cluster", "zk-provider");
        p.put("nifi.state.management.embedded.zookeeper.start", "false");
        p.put("nifi.cluster.is.node", "true");
        p.put("nifi.cluster.protocol.is.secure", "false");
        p.put("nifi.cluster.node.address", "127.0.0.1");
        p.put("nifi.cluster.node.protocol.port", Integer.toString(protocolPort));
        p.put("nifi.cluster.node.protocol.max.threads", "50");
        p.put("nifi.cluster.protocol.heartbeat.interval", "2 sec");
        p.put("nifi.cluster.protocol.heartbeat.missable.max", "3");
        p.put("nifi.cluster.node.event.history.size", "25");
        p.put("nifi.cluster.node.connection.timeout", "5 sec");
        p.put("nifi.cluster.node.read.timeout", "5 sec");
        p.put("nifi.cluster.node.max.concurrent.requests", "100");
        p.put("nifi.cluster.firewall.file", "");
        p.put("nifi.cluster.flow.election.max.wait.time", "20 sec");
        p.put("nifi.cluster.flow.election.max.candidates", Integer.toString(size));
        p.put("nifi.cluster.leader.election.implementation", "CuratorLeaderElectionManager");
        p.put("nifi.cluster.load.balance.host", "127.0.0.1");
        p.put("nifi.cluster.load.balance.port", Integer.toString(loadBalancePort));
        p.put("nifi.cluster.load.balance.connections.per.node", "1");
        p.put("nifi.cluster.load.balance.max.thread.count", "8");
        p.put("nifi.cluster.load.balance.comms.timeout", "30 sec");
        p.put("nifi.zookeeper.connect.string", zkConnect);
        p.put("nifi.zookeeper.connect.timeout", "4 secs");
        p.put("nifi.zookeeper.session.timeout", "4 secs");
        p.put("nifi.zookeeper.root.node", zkRoot);
        p.put("nifi.zookeeper.client.secure", "false");
        p.put("nifi.zookeeper.auth.type", "");
        return p;
    }

    /** The cluster-provider element of state-management.xml. */
    public static String stateProvider(String zkConnect, String zkRoot) {
        return """
                  <cluster-provider>
                    <id>zk-provider</id>
                    <class>org.apache.nifi.controller.state.providers.zookeeper.ZooKeeperStateProvider</class>
                    <property name="Connect String">%s</property>
                    <property name="Root Node">%s</property>
                    <property name="Session Timeout">4 seconds</property>
                    <property name="Access Control">Open</property>
                  </cluster-provider>""".formatted(zkConnect, zkRoot);
    }

    /** Starts every node at once and waits until all are CONNECTED with a primary and a coordinator. */
    public NiFiCluster start() {
        long started = System.nanoTime();
        List<CompletableFuture<NiFiInstance>> starts = nodes.stream()
                .map(node -> CompletableFuture.supplyAsync(() -> startHealthy(node))).toList();
        try {
            starts.forEach(CompletableFuture::join);
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
        awaitAllConnected(CONNECT_TIMEOUT);
        LOG.log(System.Logger.Level.INFO, "Cluster of {0} nodes CONNECTED after {1} s; primary {2}", nodes.size(),
                Duration.ofNanos(System.nanoTime() - started).toSeconds(), primary().name());
        return this;
    }

    public List<NiFiInstance> nodes() {
        return nodes;
    }

    public NiFiInstance node(int index) {
        return nodes.get(index);
    }

    public ZooKeeperProcess zookeeper() {
        return zookeeper;
    }

    /** The node id NiFi shows for a node: {@code 127.0.0.1:webPort}. */
    public static String address(NiFiInstance node) {
        return "127.0.0.1:" + node.config().webPort();
    }

    /** The node with this {@code address:apiPort}. */
    public NiFiInstance byAddress(String address) {
        return nodes.stream().filter(n -> address(n).equals(address)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("No node " + address + " in " + nodes));
    }

    /** A running node other than the excluded ones (for REST calls while a node is down). */
    public NiFiInstance anyRunning(NiFiInstance... except) {
        List<NiFiInstance> excluded = List.of(except);
        return nodes.stream().filter(NiFiInstance::isRunning).filter(n -> !excluded.contains(n)).findFirst()
                .orElseThrow(() -> new IllegalStateException("No running node"));
    }

    /** {@code GET /controller/cluster} through a node: {@code address:apiPort} → the node's JSON (status, roles). */
    public Map<String, JsonNode> clusterNodes(NiFiInstance via) {
        Map<String, JsonNode> result = new LinkedHashMap<>();
        via.client().get("/controller/cluster").path("cluster").path("nodes")
                .forEach(n -> result.put(n.path("address").asText() + ":" + n.path("apiPort").asInt(), n));
        return result;
    }

    /** address → status (CONNECTED, CONNECTING, DISCONNECTED, ...). */
    public Map<String, String> statuses(NiFiInstance via) {
        Map<String, String> result = new LinkedHashMap<>();
        clusterNodes(via).forEach((address, n) -> result.put(address, n.path("status").asText()));
        return result;
    }

    /** The node holding the role ("Primary Node", "Cluster Coordinator"), as seen by {@code via}. */
    public Optional<NiFiInstance> withRole(NiFiInstance via, String role) {
        for (Map.Entry<String, JsonNode> e : clusterNodes(via).entrySet()) {
            for (JsonNode r : e.getValue().path("roles")) {
                if (role.equals(r.asText()) && "CONNECTED".equals(e.getValue().path("status").asText())) {
                    return Optional.of(byAddress(e.getKey()));
                }
            }
        }
        return Optional.empty();
    }

    /** The current primary node (retrying through the running nodes while the cluster settles). */
    public NiFiInstance primary() {
        return Await.until("a primary node", Duration.ofSeconds(90), Duration.ofMillis(500),
                () -> withRole(anyRunning(), "Primary Node"), Optional::isPresent).orElseThrow();
    }

    public void awaitAllConnected(Duration timeout) {
        Await.until("all " + nodes.size() + " nodes CONNECTED with a primary and a coordinator", timeout,
                Duration.ofSeconds(1), () -> {
                    NiFiInstance via = anyRunning();
                    Map<String, String> statuses = statuses(via);
                    boolean all = statuses.size() == nodes.size()
                            && statuses.values().stream().allMatch("CONNECTED"::equals);
                    return all && withRole(via, "Primary Node").isPresent()
                            && withRole(via, "Cluster Coordinator").isPresent() ? statuses : null;
                }, s -> s != null);
    }

    /** Waits until {@code via} reports {@code node} with the status (e.g. DISCONNECTED after a kill). */
    public void awaitStatus(NiFiInstance node, String status, NiFiInstance via, Duration timeout) {
        Await.until(node.name() + " to be " + status + " (seen from " + via.name() + ")", timeout,
                Duration.ofMillis(500), () -> statuses(via).get(address(node)), status::equals);
    }

    /** SIGKILL of a node, as a crash: its repositories keep what it had not processed. */
    public void kill(NiFiInstance node) {
        LOG.log(System.Logger.Level.INFO, "kill -9 {0}", node.name());
        node.kill();
    }

    /**
     * Starts a node and checks that it can send heartbeats. When a heartbeat cannot be created ({@code HeartbeatPayload}'s
     * static initializer fails: "Unable to create JAXBContext", seen when the node's unpacked NARs were deleted under
     * it), the class stays unusable in that JVM and the node stays CONNECTING for ever; it is killed and started again
     * (at most twice).
     */
    NiFiInstance startHealthy(NiFiInstance node) {
        for (int attempt = 1; ; attempt++) {
            long linesBefore = node.home().appLogLines(l -> true).size();
            node.start();
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            boolean broken = false;
            while (System.nanoTime() < deadline && !broken) {
                List<String> lines = node.home().appLogLines(l -> true);
                broken = lines.subList((int) Math.min(linesBefore, lines.size()), lines.size()).stream()
                        .anyMatch(l -> l.contains("Unable to create JAXBContext") || l.contains("Could not initialize class org.apache.nifi.cluster.protocol.HeartbeatPayload"));
                Await.sleep(Duration.ofSeconds(1));
            }
            if (!broken) {
                return node;
            }
            if (attempt >= 3) {
                throw new IllegalStateException(node.name() + " cannot create heartbeats (JAXBContext) after " + attempt
                        + " starts\n" + node.logTail());
            }
            LOG.log(System.Logger.Level.WARNING, "{0} cannot create heartbeats (JAXBContext init failed); starting it again",
                    node.name());
            node.kill();
        }
    }

    /** Starts a killed or stopped node again (same home, same repositories) and waits until it is CONNECTED. */
    public Duration restart(NiFiInstance node) {
        long started = System.nanoTime();
        startHealthy(node);
        awaitStatus(node, "CONNECTED", node, CONNECT_TIMEOUT);
        awaitAllConnected(CONNECT_TIMEOUT);
        return Duration.ofNanos(System.nanoTime() - started);
    }

    /**
     * Calls {@code call} until it succeeds, retrying REST answers 5xx (a node replicating to a dead peer), 409 and
     * failed connections, for at most {@code timeout}.
     */
    public static <T> T retrying(String what, Duration timeout, Callable<T> call) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                return call.call();
            } catch (NiFiApiException e) {
                boolean transientError = e.status() >= 500 || e.status() == 409 || e.status() == -1;
                if (!transientError || System.nanoTime() - deadline > 0) {
                    throw e;
                }
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException(what, e);
            }
            Await.sleep(Duration.ofMillis(500));
        }
    }

    /** The pid of a running node's JVM (found by the home marker on its command line), or -1. */
    public static long pid(NiFiInstance node) {
        String marker = ProcessReaper.HOME_MARKER + node.home().root();
        return ProcessHandle.allProcesses()
                .filter(p -> p.info().commandLine().map(c -> c.contains(marker + " ") || c.endsWith(marker)).orElse(false))
                .mapToLong(ProcessHandle::pid).findFirst().orElse(-1);
    }

    /**
     * The node whose JVM listens on a TCP port (Linux /proc), e.g. which node's MapCacheServer won a port both nodes
     * of this one-machine cluster try to bind.
     */
    public Optional<NiFiInstance> listeningOn(int port) {
        java.util.Set<String> inodes = new java.util.HashSet<>();
        for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
            try {
                for (String line : java.nio.file.Files.readAllLines(Path.of(table))) {
                    String[] f = line.trim().split("\\s+");
                    if (f.length > 9 && f[1].contains(":") && "0A".equals(f[3])
                            && Integer.parseInt(f[1].substring(f[1].lastIndexOf(':') + 1), 16) == port) {
                        inodes.add("socket:[" + f[9] + "]");
                    }
                }
            } catch (java.io.IOException | NumberFormatException e) {
                // no such table
            }
        }
        if (inodes.isEmpty()) {
            return Optional.empty();
        }
        for (NiFiInstance node : nodes) {
            long pid = node.isRunning() ? pid(node) : -1;
            if (pid < 0) {
                continue;
            }
            try (var fds = java.nio.file.Files.list(Path.of("/proc/" + pid + "/fd"))) {
                boolean owns = fds.anyMatch(fd -> {
                    try {
                        return inodes.contains(java.nio.file.Files.readSymbolicLink(fd).toString());
                    } catch (java.io.IOException e) {
                        return false;
                    }
                });
                if (owns) {
                    return Optional.of(node);
                }
            } catch (java.io.IOException e) {
                // process gone
            }
        }
        return Optional.empty();
    }

    /**
     * {@code GET /counters?nodewise=true}: node address → "processor id/counter name" → value. NiFi's counters live
     * in memory, so a restarted node counts from 0 again.
     */
    public static Map<String, Map<String, Long>> countersPerNode(NiFiInstance via) {
        Map<String, Map<String, Long>> result = new LinkedHashMap<>();
        for (JsonNode node : via.client().get("/counters?nodewise=true").path("counters").path("nodeSnapshots")) {
            Map<String, Long> counters = new LinkedHashMap<>();
            for (JsonNode c : node.path("snapshot").path("counters")) {
                String context = c.path("context").asText("");
                int open = context.lastIndexOf('(');
                if (open >= 0 && context.endsWith(")")) {
                    counters.merge(context.substring(open + 1, context.length() - 1) + "/" + c.path("name").asText(),
                            c.path("valueCount").asLong(), Long::sum);
                }
            }
            result.put(node.path("address").asText() + ":" + node.path("apiPort").asInt(), counters);
        }
        return result;
    }

    /** {@code GET /flow/processors/{id}/status?nodewise=true}: node address → its status snapshot (5-minute window). */
    public static Map<String, JsonNode> processorStatusPerNode(NiFiInstance via, String processorId) {
        Map<String, JsonNode> result = new LinkedHashMap<>();
        via.client().get("/flow/processors/" + processorId + "/status?nodewise=true").path("processorStatus")
                .path("nodeSnapshots").forEach(n -> result.put(n.path("address").asText() + ":" + n.path("apiPort").asInt(),
                        n.path("statusSnapshot")));
        return result;
    }

    /** {@code GET /flow/connections/{id}/status?nodewise=true}: node address → its status snapshot. */
    public static Map<String, JsonNode> connectionStatusPerNode(NiFiInstance via, String connectionId) {
        Map<String, JsonNode> result = new LinkedHashMap<>();
        via.client().get("/flow/connections/" + connectionId + "/status?nodewise=true").path("connectionStatus")
                .path("nodeSnapshots").forEach(n -> result.put(n.path("address").asText() + ":" + n.path("apiPort").asInt(),
                        n.path("statusSnapshot")));
        return result;
    }

    /** {@code GET /processors/{id}/state}: the {@code componentState} (localState, clusterState). */
    public static JsonNode processorState(NiFiInstance via, String processorId) {
        return via.client().get("/processors/" + processorId + "/state").path("componentState");
    }

    /** Stops every node (in parallel) and ZooKeeper. Homes stay for post-mortem. */
    @Override
    public void close() {
        try {
            List<CompletableFuture<Void>> stops = nodes.stream()
                    .map(node -> CompletableFuture.runAsync(node::close)).toList();
            stops.forEach(f -> {
                try {
                    f.join();
                } catch (RuntimeException e) {
                    System.err.println("Stopping a node failed: " + e);
                }
            });
        } finally {
            zookeeper.close();
        }
    }

    /** Log tails of every node, for failure messages. */
    public String logTails() {
        StringBuilder out = new StringBuilder();
        nodes.forEach(n -> out.append("\n=== ").append(n.name()).append(n.isRunning() ? "" : " (not running)")
                .append(" ===\n").append(n.logTail()));
        return out.toString();
    }

    @Override
    public String toString() {
        return "NiFi cluster " + nodes.stream().map(NiFiInstance::toString).toList() + " with " + zookeeper;
    }
}
