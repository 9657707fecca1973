package io.nificrm.processors.mapping;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nificrm.api.CrmObjectSchema;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Drafts a mapping spec from two saved describes, for review and version control:
 * <pre>
 * java -cp nifi-crm-processors.jar:... io.nificrm.processors.mapping.SuggestMappingMain \
 *     --source salesforce-Contact.json --target hubspot-contacts.json \
 *     [--source-system salesforce] [--target-system hubspot] [--name my-mapping] [--out mapping.json]
 * </pre>
 * A describe file is a {@link CrmObjectSchema} as JSON: {@code {"name", "label", "idField", "modifiedField",
 * "createdField", "fields": [{"name", "label", "type", "required", "unique", "externalId", "readOnly", "length",
 * "picklistValues", "referenceTo"}]}} ({@link #describeToJson} writes one). The spec goes to standard output (or
 * {@code --out}); the target fields nothing matched go to standard error. MapCrmFields' verification prints the
 * same suggestions from live describes.
 */
public final class SuggestMappingMain {
    private static final ObjectMapper JSON = new ObjectMapper().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    static final String USAGE = "Usage: SuggestMappingMain --source SOURCE_DESCRIBE.json --target TARGET_DESCRIBE.json "
            + "[--source-system NAME] [--target-system salesforce|hubspot|dynamics|jdbc] [--name NAME] [--out FILE]";

    private SuggestMappingMain() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the command; returns the exit code (0 done, 1 a file could not be read or written, 2 bad arguments). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Map<String, String> options = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            Set<String> known = Set.of("--source", "--target", "--source-system", "--target-system", "--name", "--out");
            if (!known.contains(args[i]) || i + 1 >= args.length) {
                err.println(args[i].equals("--help") ? USAGE : "Unknown or incomplete option " + args[i] + "\n" + USAGE);
                return 2;
            }
            options.put(args[i], args[++i]);
        }
        if (!options.containsKey("--source") || !options.containsKey("--target")) {
            err.println(USAGE);
            return 2;
        }
        try {
            CrmObjectSchema source = readDescribe(Path.of(options.get("--source")));
            CrmObjectSchema target = readDescribe(Path.of(options.get("--target")));
            String sourceSystem = options.getOrDefault("--source-system", "source");
            String targetSystem = options.get("--target-system");
            MappingSuggester.Draft draft = MappingSuggester.suggest(source, target, Set.of(), targetSystem);
            String name = options.getOrDefault("--name", sourceSystem + "-" + source.name() + "-to-"
                    + (targetSystem == null ? "target" : targetSystem) + "-" + target.name() + "-draft").toLowerCase(java.util.Locale.ROOT);
            String spec = draft.spec(name, new MappingSpec.Endpoint(sourceSystem, source.name()),
                    new MappingSpec.Endpoint(targetSystem, target.name())).toPrettyString();
            if (options.containsKey("--out")) {
                Files.writeString(Path.of(options.get("--out")), spec + "\n", StandardCharsets.UTF_8);
            } else {
                out.println(spec);
            }
            err.println("Suggested " + draft.fields().size() + " field mapping(s); no match for " + draft.unmatched()
                    + (draft.unmatchedRequired().isEmpty() ? "" : ", of which required: " + draft.unmatchedRequired()));
            return 0;
        } catch (IOException | IllegalArgumentException e) {
            err.println(e.getMessage());
            return 1;
        }
    }

    /** Reads a describe saved as JSON. */
    public static CrmObjectSchema readDescribe(Path file) throws IOException {
        try {
            return JSON.readValue(file.toFile(), CrmObjectSchema.class);
        } catch (IOException e) {
            throw new IOException("Cannot read the describe " + file + ": " + e.getMessage(), e);
        }
    }

    /** A describe as JSON, the form {@link #readDescribe} reads. */
    public static String describeToJson(CrmObjectSchema schema) {
        try {
            return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(schema);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
