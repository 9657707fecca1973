package io.nificrm.nifitests.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.nio.file.LinkOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Set;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * One NiFi home folder: {@code lib/} (symlinks to the laid-out runtime), {@code conf/} rendered from the templates,
 * {@code extensions/} (hot-loaded NARs), {@code logs/}. NiFi writes its repositories and {@code work/} beside them.
 * Every node, standalone or cluster, gets its own home; it is kept after the run for post-mortem.
 */
public final class NiFiHome {

    public static final String NIFI_PROPERTIES = "nifi.properties";
    public static final String STATE_MANAGEMENT = "state-management.xml";
    public static final String LOGBACK = "logback.xml";
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS");

    private static final Set<Path> SHRUNK_PARENTS = new HashSet<>();

    private final Path root;

    private NiFiHome(Path root) {
        this.root = root;
    }

    /** Creates a fresh home {@code <parent>/<node name>-<timestamp>} for the node. */
    public static NiFiHome create(Path parent, Path runtimeLib, NiFiNodeConfig config) {
        try {
            Files.createDirectories(parent);
            shrinkHomesOfEarlierRuns(parent);
            Path root = Files.createDirectory(
                    parent.resolve(config.name() + "-" + LocalDateTime.now().format(STAMP))).toAbsolutePath();
            NiFiHome home = new NiFiHome(root);
            home.linkLibraries(runtimeLib);
            home.writeConf(config);
            Files.createDirectories(home.extensions());
            Files.createDirectories(home.logs());
            return home;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot create a NiFi home under " + parent, e);
        }
    }

    public Path root() {
        return root;
    }

    public Path lib() {
        return root.resolve("lib");
    }

    public Path conf() {
        return root.resolve("conf");
    }

    public Path extensions() {
        return root.resolve("extensions");
    }

    public Path logs() {
        return root.resolve("logs");
    }

    /** NiFi's own log (logback.xml template). */
    public Path appLog() {
        return logs().resolve("nifi-app.log");
    }

    /** stdout and stderr of the NiFi JVM. */
    public Path consoleLog() {
        return logs().resolve("nifi-console.log");
    }

    /**
     * Copies a NAR into {@code extensions/}. It is written beside the folder first and then moved in atomically, so
     * NiFi's auto-loader never sees a half-written file. Works before the start and while NiFi runs (hot load).
     */
    public Path installNar(Path nar) {
        try {
            Path staging = Files.createDirectories(root.resolve("nar-staging"));
            Path staged = staging.resolve(nar.getFileName());
            Files.copy(nar, staged, StandardCopyOption.REPLACE_EXISTING);
            return Files.move(staged, extensions().resolve(nar.getFileName()), StandardCopyOption.ATOMIC_MOVE,
                    StandardCopyOption.REPLACE_EXISTING);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot install " + nar + " into " + extensions(), e);
        }
    }

    /** The last lines of a log file in this home ("" when it does not exist yet). */
    public static String tail(Path file, int lines) {
        if (!Files.isRegularFile(file)) {
            return "";
        }
        try {
            List<String> all = Files.readAllLines(file, StandardCharsets.UTF_8);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException | UncheckedIOException e) {
            return "(cannot read " + file + ": " + e + ")";
        }
    }

    /** The lines of nifi-app.log that contain the text (e.g. for ERROR lines about our bundle). */
    public List<String> appLogLines(Predicate<String> filter) {
        if (!Files.isRegularFile(appLog())) {
            return List.of();
        }
        try (Stream<String> lines = Files.lines(appLog(), StandardCharsets.ISO_8859_1)) {
            return lines.filter(filter).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Once per test JVM: deletes the {@code work/} folder (unpacked NARs, ~140 MB) of the homes earlier runs left in
     * {@code parent}; their logs, conf and repositories stay for post-mortem.
     */
    private static synchronized void shrinkHomesOfEarlierRuns(Path parent) throws IOException {
        if (!SHRUNK_PARENTS.add(parent.toAbsolutePath().normalize())) {
            return;
        }
        try (Stream<Path> homes = Files.list(parent)) {
            for (Path home : homes.filter(Files::isDirectory).toList()) {
                deleteRecursively(home.resolve("work"));
                deleteRecursively(home.resolve("nar-staging"));
            }
        }
    }

    private static void deleteRecursively(Path folder) throws IOException {
        if (!Files.isDirectory(folder, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> tree = Files.walk(folder)) {
            for (Path path : tree.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }

    private void linkLibraries(Path runtimeLib) throws IOException {
        Files.createDirectories(lib());
        List<Path> files = new ArrayList<>();
        try (Stream<Path> listing = Files.list(runtimeLib)) {
            listing.filter(Files::isRegularFile).forEach(files::add);
        }
        if (files.stream().noneMatch(f -> f.getFileName().toString().startsWith("nifi-framework-nar"))) {
            throw new IllegalStateException("No nifi-framework-nar in " + runtimeLib + ": the runtime is not laid out");
        }
        for (Path file : files) {
            Path link = lib().resolve(file.getFileName());
            try {
                Files.createSymbolicLink(link, file.toAbsolutePath());
            } catch (UnsupportedOperationException | IOException e) {
                Files.copy(file, link);
            }
        }
    }

    private void writeConf(NiFiNodeConfig config) throws IOException {
        Files.createDirectories(conf());
        Map<String, String> tokens = new HashMap<>();
        tokens.put("webPort", Integer.toString(config.webPort()));
        tokens.put("sensitivePropsKey", config.sensitivePropsKey());
        tokens.put("clusterStateProvider", "");
        tokens.putAll(config.templateTokens());

        String properties = ConfTemplates.fill(ConfTemplates.load(NIFI_PROPERTIES), tokens, NIFI_PROPERTIES);
        write(NIFI_PROPERTIES, ConfTemplates.override(properties, config.propertyOverrides()));
        write(STATE_MANAGEMENT, ConfTemplates.fill(ConfTemplates.load(STATE_MANAGEMENT), tokens, STATE_MANAGEMENT));
        write(LOGBACK, ConfTemplates.fill(ConfTemplates.load(LOGBACK), tokens, LOGBACK));
    }

    private void write(String fileName, String content) throws IOException {
        Files.writeString(conf().resolve(fileName), content, StandardCharsets.UTF_8);
    }

    @Override
    public String toString() {
        return root.toString();
    }
}
