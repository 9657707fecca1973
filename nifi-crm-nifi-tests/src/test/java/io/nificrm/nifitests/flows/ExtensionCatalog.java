package io.nificrm.nifitests.flows;

import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

import javax.xml.parsers.DocumentBuilderFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;

/**
 * What NiFi extensions exist, read from the NARs' own extension manifests ({@code META-INF/docs/extension-manifest.xml},
 * written by the NAR plugin from the components' annotations and property descriptors): per bundle, every processor
 * and controller service with its properties (required, default, allowable values, dependencies, sensitive, the
 * service API a property references), relationships, input requirement, primary-node-only flag and provided service
 * APIs. This is exactly the information NiFi itself shows for a type, without starting NiFi.
 */
public final class ExtensionCatalog {

    /** Bundle coordinates as in a flow definition. */
    public record Coordinate(String group, String artifact, String version) {
        @Override
        public String toString() {
            return group + ":" + artifact + ":" + version;
        }
    }

    public record Dependency(String property, Set<String> values) {
    }

    public record PropertyInfo(String name, String displayName, boolean required, String defaultValue, boolean sensitive,
                               Set<String> allowableValues, List<Dependency> dependencies, String serviceApi) {
    }

    public record ExtensionInfo(String type, String kind, Coordinate bundle, Map<String, PropertyInfo> properties,
                                Set<String> relationships, boolean dynamicProperties, String inputRequirement,
                                boolean primaryNodeOnly, Set<String> providedApis, boolean dynamicRelationships) {
        public boolean isProcessor() {
            return "PROCESSOR".equals(kind);
        }
    }

    private final Map<Coordinate, Map<String, ExtensionInfo>> bundles = new LinkedHashMap<>();
    private final Map<Coordinate, Coordinate> aliases = new LinkedHashMap<>();
    private final Map<Coordinate, Path> sources = new LinkedHashMap<>();

    /** Reads every {@code *.nar} among the given files and folders. */
    public static ExtensionCatalog of(List<Path> narsOrFolders) {
        ExtensionCatalog catalog = new ExtensionCatalog();
        for (Path path : narsOrFolders) {
            if (Files.isDirectory(path)) {
                try (Stream<Path> files = Files.list(path)) {
                    files.filter(f -> f.getFileName().toString().endsWith(".nar")).sorted().forEach(catalog::read);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            } else if (Files.isRegularFile(path)) {
                catalog.read(path);
            } else {
                throw new IllegalStateException("No NAR at " + path);
            }
        }
        return catalog;
    }

    /**
     * Resolves the flow definition's {@code alias} coordinates to the bundle {@code actual}: a stand-in built from the
     * same extension classes (the test NAR repackaging nifi-standard-processors for the stock nifi-standard-nar).
     */
    public ExtensionCatalog alias(Coordinate alias, Coordinate actual) {
        aliases.put(alias, actual);
        return this;
    }

    public Set<Coordinate> bundles() {
        return bundles.keySet();
    }

    public Path source(Coordinate bundle) {
        return sources.get(bundle);
    }

    /** The extension of that type in that bundle (or the bundle it is an alias of). */
    public Optional<ExtensionInfo> find(Coordinate bundle, String type) {
        Map<String, ExtensionInfo> extensions = bundles.get(aliases.getOrDefault(bundle, bundle));
        return extensions == null ? Optional.empty() : Optional.ofNullable(extensions.get(type));
    }

    public boolean hasBundle(Coordinate bundle) {
        return bundles.containsKey(aliases.getOrDefault(bundle, bundle));
    }

    /** The bundles that declare a type (to say where an unknown type really lives). */
    public Set<Coordinate> bundlesOf(String type) {
        Set<Coordinate> found = new TreeSet<>((a, b) -> a.toString().compareTo(b.toString()));
        bundles.forEach((bundle, extensions) -> {
            if (extensions.containsKey(type)) {
                found.add(bundle);
            }
        });
        aliases.forEach((alias, actual) -> {
            if (bundles.getOrDefault(actual, Map.of()).containsKey(type)) {
                found.add(alias);
            }
        });
        return found;
    }

    private void read(Path nar) {
        try (JarFile jar = new JarFile(nar.toFile())) {
            ZipEntry entry = jar.getEntry("META-INF/docs/extension-manifest.xml");
            if (entry == null) {
                return; // e.g. the framework and API NARs: no extensions to document
            }
            Document doc;
            try (InputStream in = jar.getInputStream(entry)) {
                DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
                factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
                doc = factory.newDocumentBuilder().parse(in);
            }
            Element root = doc.getDocumentElement();
            Coordinate bundle = new Coordinate(text(root, "groupId"), text(root, "artifactId"), text(root, "version"));
            Map<String, ExtensionInfo> extensions = new LinkedHashMap<>();
            Element list = child(root, "extensions");
            for (Element ext : children(list, "extension")) {
                ExtensionInfo info = extension(bundle, ext);
                extensions.put(info.type(), info);
            }
            bundles.put(bundle, extensions);
            sources.put(bundle, nar);
        } catch (Exception e) {
            throw new IllegalStateException("Cannot read the extension manifest of " + nar + ": " + e, e);
        }
    }

    private static ExtensionInfo extension(Coordinate bundle, Element ext) {
        Map<String, PropertyInfo> properties = new LinkedHashMap<>();
        Element props = child(ext, "properties");
        for (Element p : children(props, "property")) {
            Set<String> allowable = new LinkedHashSet<>();
            Element values = child(p, "allowableValues");
            for (Element v : children(values, "allowableValue")) {
                allowable.add(text(v, "value"));
            }
            List<Dependency> dependencies = new ArrayList<>();
            for (Element d : children(child(p, "dependencies"), "dependency")) {
                Set<String> dependentValues = new LinkedHashSet<>();
                for (Element v : children(child(d, "dependentValues"), "dependentValue")) {
                    dependentValues.add(v.getTextContent());
                }
                dependencies.add(new Dependency(text(d, "propertyName"), dependentValues));
            }
            Element service = child(p, "controllerServiceDefinition");
            PropertyInfo info = new PropertyInfo(text(p, "name"), text(p, "displayName"), "true".equals(text(p, "required")),
                    text(p, "defaultValue"), "true".equals(text(p, "sensitive")), allowable, dependencies,
                    service == null ? null : text(service, "className"));
            properties.put(info.name(), info);
        }
        Set<String> relationships = new LinkedHashSet<>();
        for (Element r : children(child(ext, "relationships"), "relationship")) {
            relationships.add(text(r, "name"));
        }
        Set<String> apis = new LinkedHashSet<>();
        for (Element a : children(child(ext, "providedServiceAPIs"), "providedServiceAPI")) {
            apis.add(text(a, "className"));
        }
        return new ExtensionInfo(text(ext, "name"), text(ext, "type"), bundle, properties, relationships,
                child(ext, "dynamicProperties") != null, text(ext, "inputRequirement"),
                "true".equals(text(ext, "primaryNodeOnly")), apis, child(ext, "dynamicRelationship") != null);
    }

    private static Element child(Element parent, String name) {
        if (parent == null) {
            return null;
        }
        for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
            if (n instanceof Element e && e.getTagName().equals(name)) {
                return e;
            }
        }
        return null;
    }

    private static List<Element> children(Element parent, String name) {
        List<Element> result = new ArrayList<>();
        if (parent == null) {
            return result;
        }
        NodeList nodes = parent.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
            if (nodes.item(i) instanceof Element e && e.getTagName().equals(name)) {
                result.add(e);
            }
        }
        return result;
    }

    private static String text(Element parent, String name) {
        Element e = child(parent, name);
        return e == null ? null : e.getTextContent();
    }
}
