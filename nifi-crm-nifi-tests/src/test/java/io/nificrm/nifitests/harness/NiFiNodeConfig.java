package io.nificrm.nifitests.harness;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything that differs between two NiFi nodes on this machine: name (and so home folder), web port, management
 * port, sensitive properties key, nifi.properties overrides, template tokens and JVM settings. Ports left at 0 are
 * picked free when {@link Builder#build()} runs. A cluster node is a config with the cluster keys of
 * /work/shared/nifi-runtime/CLUSTER.md as {@link Builder#property overrides}, a shared sensitive key and a
 * {@code clusterStateProvider} template token.
 */
public record NiFiNodeConfig(String name, int webPort, int managementPort, String sensitivePropsKey,
                             Map<String, String> propertyOverrides, Map<String, String> templateTokens,
                             Path javaHome, List<String> jvmArgs, Duration startupTimeout, Duration stopTimeout) {

    /** Heap and module flags from the runtime README; {@link Builder#jvmArgs} replaces them. */
    public static final List<String> DEFAULT_JVM_ARGS = List.of("-Xms256m", "-Xmx1g", "-Djava.awt.headless=true",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED");

    public NiFiNodeConfig {
        Objects.requireNonNull(name, "name");
        propertyOverrides = Map.copyOf(propertyOverrides);
        templateTokens = Map.copyOf(templateTokens);
        jvmArgs = List.copyOf(jvmArgs);
    }

    public static Builder builder(String name) {
        return new Builder(name);
    }

    /** A random key for {@code nifi.sensitive.props.key} (NiFi wants at least 12 characters). */
    public static String randomSensitivePropsKey() {
        byte[] bytes = new byte[18];
        new SecureRandom().nextBytes(bytes);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    public static final class Builder {
        private final String name;
        private int webPort;
        private int managementPort;
        private String sensitivePropsKey;
        private final Map<String, String> propertyOverrides = new LinkedHashMap<>();
        private final Map<String, String> templateTokens = new LinkedHashMap<>();
        private Path javaHome = Path.of(System.getProperty("java.home"));
        private final List<String> jvmArgs = new ArrayList<>(DEFAULT_JVM_ARGS);
        private final List<String> extraJvmArgs = new ArrayList<>();
        private Duration startupTimeout = Duration.ofSeconds(120);
        private Duration stopTimeout = Duration.ofSeconds(30);

        private Builder(String name) {
            if (!name.matches("[A-Za-z0-9._-]+")) {
                throw new IllegalArgumentException("Node name must be usable as a folder name: " + name);
            }
            this.name = name;
        }

        public Builder webPort(int port) {
            this.webPort = port;
            return this;
        }

        public Builder managementPort(int port) {
            this.managementPort = port;
            return this;
        }

        /** Same value on every node of a cluster; random when not set. */
        public Builder sensitivePropsKey(String key) {
            if (key.length() < 12) {
                throw new IllegalArgumentException("nifi.sensitive.props.key needs at least 12 characters");
            }
            this.sensitivePropsKey = key;
            return this;
        }

        /** Replaces (or adds) a key of the rendered nifi.properties. */
        public Builder property(String key, String value) {
            propertyOverrides.put(key, value);
            return this;
        }

        public Builder properties(Map<String, String> overrides) {
            propertyOverrides.putAll(overrides);
            return this;
        }

        /** Fills a {@code {{token}}} of the conf templates (e.g. {@code clusterStateProvider}). */
        public Builder templateToken(String token, String value) {
            templateTokens.put(token, value);
            return this;
        }

        public Builder javaHome(Path home) {
            this.javaHome = home;
            return this;
        }

        /** Replaces the default JVM flags (heap, headless, module opens). */
        public Builder jvmArgs(List<String> args) {
            jvmArgs.clear();
            jvmArgs.addAll(args);
            return this;
        }

        /** Adds JVM flags after the defaults (e.g. a debug agent). */
        public Builder extraJvmArg(String arg) {
            extraJvmArgs.add(arg);
            return this;
        }

        public Builder startupTimeout(Duration timeout) {
            this.startupTimeout = timeout;
            return this;
        }

        public Builder stopTimeout(Duration timeout) {
            this.stopTimeout = timeout;
            return this;
        }

        public NiFiNodeConfig build() {
            int[] free = FreePorts.allocate(2);
            List<String> args = new ArrayList<>(jvmArgs);
            args.addAll(extraJvmArgs);
            return new NiFiNodeConfig(name, webPort > 0 ? webPort : free[0],
                    managementPort > 0 ? managementPort : free[1],
                    sensitivePropsKey != null ? sensitivePropsKey : randomSensitivePropsKey(),
                    propertyOverrides, templateTokens, javaHome, args, startupTimeout, stopTimeout);
        }
    }
}
