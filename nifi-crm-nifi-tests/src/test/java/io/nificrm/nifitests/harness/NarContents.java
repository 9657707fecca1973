package io.nificrm.nifitests.harness;

import io.nificrm.nifitests.harness.model.Bundle;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.jar.Attributes;
import java.util.jar.Manifest;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipInputStream;

/**
 * What a NAR file declares, read from the file itself: its bundle coordinate (manifest {@code Nar-Group/Nar-Id/
 * Nar-Version}), parent NAR, build time, its bundled jars, and the processor and controller-service classes listed in the
 * {@code META-INF/services} files of those jars. This is the same list NiFi's extension discovery starts from.
 *
 * <p>nifi-nar-maven-plugin 2.1.0 puts the jars in {@code META-INF/bundled-dependencies/}; NiFi unpacks them to
 * {@code NAR-INF/bundled-dependencies/} in its work folder. Both locations are read.
 */
public record NarContents(Bundle bundle, Bundle parent, String buildTimestamp, List<String> bundledJars,
                          SortedSet<String> processors, SortedSet<String> controllerServices) {

    static final String PROCESSOR_SERVICES = "META-INF/services/org.apache.nifi.processor.Processor";
    static final String CONTROLLER_SERVICE_SERVICES = "META-INF/services/org.apache.nifi.controller.ControllerService";
    private static final List<String> BUNDLED_FOLDERS =
            List.of("META-INF/bundled-dependencies/", "NAR-INF/bundled-dependencies/");

    public static NarContents read(Path nar) {
        try (ZipFile zip = new ZipFile(nar.toFile())) {
            Manifest manifest = manifest(zip, nar);
            Attributes main = manifest.getMainAttributes();
            Bundle bundle = new Bundle(main.getValue("Nar-Group"), main.getValue("Nar-Id"),
                    main.getValue("Nar-Version"));
            Bundle parent = main.getValue("Nar-Dependency-Id") == null ? null
                    : new Bundle(main.getValue("Nar-Dependency-Group"), main.getValue("Nar-Dependency-Id"),
                    main.getValue("Nar-Dependency-Version"));

            List<String> jars = new ArrayList<>();
            SortedSet<String> processors = new TreeSet<>();
            SortedSet<String> services = new TreeSet<>();
            for (ZipEntry entry : zip.stream().toList()) {
                if (entry.isDirectory() || !entry.getName().endsWith(".jar") || !isBundled(entry.getName())) {
                    continue;
                }
                jars.add(entry.getName().substring(entry.getName().lastIndexOf('/') + 1));
                try (ZipInputStream jar = new ZipInputStream(zip.getInputStream(entry))) {
                    for (ZipEntry inner = jar.getNextEntry(); inner != null; inner = jar.getNextEntry()) {
                        if (PROCESSOR_SERVICES.equals(inner.getName())) {
                            processors.addAll(serviceClassNames(jar));
                        } else if (CONTROLLER_SERVICE_SERVICES.equals(inner.getName())) {
                            services.addAll(serviceClassNames(jar));
                        }
                    }
                }
            }
            return new NarContents(bundle, parent, main.getValue("Build-Timestamp"), List.copyOf(jars), processors,
                    services);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read NAR " + nar, e);
        }
    }

    private static boolean isBundled(String entryName) {
        return BUNDLED_FOLDERS.stream().anyMatch(folder -> entryName.startsWith(folder)
                && entryName.indexOf('/', folder.length()) < 0);
    }

    private static Manifest manifest(ZipFile zip, Path nar) throws IOException {
        ZipEntry entry = zip.getEntry("META-INF/MANIFEST.MF");
        if (entry == null) {
            throw new IllegalArgumentException("Not a NAR (no META-INF/MANIFEST.MF): " + nar);
        }
        try (InputStream in = zip.getInputStream(entry)) {
            return new Manifest(in);
        }
    }

    /** Class names of a ServiceLoader file: one a line, {@code #} starts a comment. */
    private static List<String> serviceClassNames(InputStream current) throws IOException {
        // Read just this entry (the ZipInputStream ends at the entry's end) without closing the outer stream.
        byte[] content = current.readAllBytes();
        List<String> names = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(
                new InputStreamReader(new ByteArrayInputStream(content), StandardCharsets.UTF_8))) {
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                int comment = line.indexOf('#');
                String name = (comment >= 0 ? line.substring(0, comment) : line).strip();
                if (!name.isEmpty()) {
                    names.add(name);
                }
            }
        }
        return names;
    }
}
