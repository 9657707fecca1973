package io.nificrm.nifitests.flows;

import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where the templates live ({@code templates/} at the project root) and how their JSON is written. */
public final class TemplateFiles {

    /** The build passes the folder; the default is the same folder relative to this module. */
    public static final String DIR_PROPERTY = "nifi.crm.templates.dir";

    private TemplateFiles() {
    }

    public static Path dir() {
        return Path.of(System.getProperty(DIR_PROPERTY, "../templates")).toAbsolutePath().normalize();
    }

    public static Path file(String relativePath) {
        return dir().resolve(relativePath);
    }

    /** Pretty-printed JSON with two-space indentation and a final newline, as the files are kept. */
    public static String render(JsonNode json) {
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter(Separators.createDefaultInstance()
                .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                .withObjectIndenter(new DefaultIndenter("  ", "\n"))
                .withArrayIndenter(new DefaultIndenter("  ", "\n"));
        try {
            return FlowBuilder.JSON.writer(printer).writeValueAsString(json) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static ObjectNode read(Path file) {
        try {
            return (ObjectNode) FlowBuilder.JSON.readTree(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the flow definition " + file, e);
        }
    }

    public static byte[] bytes(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
