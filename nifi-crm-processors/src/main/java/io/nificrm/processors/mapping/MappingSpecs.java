package io.nificrm.processors.mapping;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;

/** Reading mapping specs from text and the shipped presets. */
public final class MappingSpecs {
    private static final ObjectMapper JSON = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    private static final String PRESET_DIR = "/io/nificrm/mappings/";

    private MappingSpecs() {
    }

    /**
     * @throws IllegalArgumentException with the line, column and key of the problem
     */
    public static MappingSpec parse(String json) {
        try {
            MappingSpec spec = JSON.readValue(json, MappingSpec.class);
            if (spec == null) {
                throw new IllegalArgumentException("The mapping is empty");
            }
            return spec;
        } catch (UnrecognizedPropertyException e) {
            throw new IllegalArgumentException("Unknown key '" + e.getPropertyName() + "' in the mapping at line "
                    + e.getLocation().getLineNr() + " (known keys: " + e.getKnownPropertyIds() + ")");
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("The mapping is not valid JSON at line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr() + ": " + e.getOriginalMessage());
        }
    }

    /** Names of the presets shipped in the bundle. */
    public static List<String> presets() {
        try (InputStream in = MappingSpecs.class.getResourceAsStream(PRESET_DIR + "index.txt")) {
            if (in == null) {
                return List.of();
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).lines()
                    .map(String::trim).filter(s -> !s.isEmpty() && !s.startsWith("#")).toList();
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read the preset index", e);
        }
    }

    /** The JSON text of a shipped preset. */
    public static String preset(String name) {
        try (InputStream in = MappingSpecs.class.getResourceAsStream(PRESET_DIR + name + ".json")) {
            if (in == null) {
                throw new IllegalArgumentException("No mapping preset named '" + name + "' (known: " + presets() + ")");
            }
            return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("Cannot read preset " + name, e);
        }
    }
}
