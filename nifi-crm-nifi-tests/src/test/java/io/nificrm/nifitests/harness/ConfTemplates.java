package io.nificrm.nifitests.harness;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Renders the NiFi conf templates of src/test/resources/nifi-conf: fills {@code {{token}}} placeholders and replaces
 * keys of a properties file. {@code {{...}}} never clashes with logback's {@code ${...}}.
 */
final class ConfTemplates {

    static final String RESOURCE_FOLDER = "/nifi-conf/";
    private static final Pattern TOKEN = Pattern.compile("\\{\\{([A-Za-z0-9_.-]+)}}");

    private ConfTemplates() {
    }

    static String load(String fileName) {
        try (InputStream in = ConfTemplates.class.getResourceAsStream(RESOURCE_FOLDER + fileName)) {
            if (in == null) {
                throw new IllegalStateException("Missing conf template on the test classpath: " + RESOURCE_FOLDER
                        + fileName);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Replaces every {@code {{token}}}; an unknown token is an error, so no placeholder reaches NiFi. */
    static String fill(String template, Map<String, String> tokens, String templateName) {
        Matcher matcher = TOKEN.matcher(template);
        StringBuilder out = new StringBuilder();
        while (matcher.find()) {
            String value = tokens.get(matcher.group(1));
            if (value == null) {
                throw new IllegalArgumentException("No value for {{" + matcher.group(1) + "}} in " + templateName);
            }
            matcher.appendReplacement(out, Matcher.quoteReplacement(value));
        }
        matcher.appendTail(out);
        return out.toString();
    }

    /**
     * Sets keys of a properties text, keeping order and comments: an existing {@code key=...} line is replaced, a new
     * key is appended. Values are written as they are (NiFi's file has no escaping needs).
     */
    static String override(String properties, Map<String, String> overrides) {
        Map<String, String> pending = new LinkedHashMap<>(overrides);
        List<String> lines = new ArrayList<>();
        for (String line : properties.split("\n", -1)) {
            String trimmed = line.strip();
            int eq = trimmed.indexOf('=');
            if (!trimmed.startsWith("#") && eq > 0) {
                String key = trimmed.substring(0, eq).strip();
                if (pending.containsKey(key)) {
                    lines.add(key + "=" + pending.remove(key));
                    continue;
                }
            }
            lines.add(line);
        }
        StringBuilder out = new StringBuilder(String.join("\n", lines));
        if (!pending.isEmpty()) {
            if (out.length() > 0 && out.charAt(out.length() - 1) != '\n') {
                out.append('\n');
            }
            out.append("# added by the test harness\n");
            pending.forEach((key, value) -> out.append(key).append('=').append(value).append('\n'));
        }
        return out.toString();
    }
}
