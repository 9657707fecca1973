package io.nificrm.processors.common;

import io.nificrm.api.CrmConnectionService;
import io.nificrm.processors.mapping.MappingSpec;
import io.nificrm.processors.mapping.MappingSpecs;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.resource.ResourceCardinality;
import org.apache.nifi.components.resource.ResourceType;
import org.apache.nifi.context.PropertyContext;
import org.apache.nifi.processor.util.StandardValidators;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.regex.Pattern;

/**
 * The property shapes the mapping-driven processors (MapCrmFields, SyncCrmChanges, ReconcileCrmObjects) share: a mapping
 * given as text, file or preset, the connection services on either side and API names of objects and fields. Each
 * processor words its own descriptions.
 */
public final class MappingProperties {
    private MappingProperties() {
    }

    private static final Pattern API_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]*");

    /** A mapping spec as JSON text or the path of a JSON file. */
    public static PropertyDescriptor mapping(String name, String description) {
        return new PropertyDescriptor.Builder()
                .name(name)
                .description(description)
                .required(false)
                .identifiesExternalResource(ResourceCardinality.SINGLE, ResourceType.TEXT, ResourceType.FILE)
                .build();
    }

    /** One of the mappings shipped with the bundle. */
    public static PropertyDescriptor preset(String name, String description) {
        List<String> presets = MappingSpecs.presets();
        return new PropertyDescriptor.Builder()
                .name(name)
                .description(description)
                .required(false)
                .allowableValues(presets.isEmpty() ? new String[]{"none"} : presets.toArray(String[]::new))
                .build();
    }

    public static PropertyDescriptor connectionService(String name, String description, boolean required) {
        return new PropertyDescriptor.Builder()
                .name(name)
                .description(description)
                .required(required)
                .identifiesControllerService(CrmConnectionService.class)
                .build();
    }

    /** An optional object or field API name (letters, digits, underscores). */
    public static PropertyDescriptor apiName(String name, String description) {
        return new PropertyDescriptor.Builder()
                .name(name)
                .description(description)
                .required(false)
                .addValidator(StandardValidators.createRegexMatchingValidator(API_NAME))
                .build();
    }

    /** The mapping the text property holds (JSON or a file), else the one the preset property names. */
    public static MappingSpec read(PropertyContext context, PropertyDescriptor text, PropertyDescriptor preset) throws IOException {
        if (context.getProperty(text).isSet()) {
            try (InputStream in = context.getProperty(text).asResource().read()) {
                return MappingSpecs.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
            }
        }
        return MappingSpecs.parse(MappingSpecs.preset(context.getProperty(preset).getValue()));
    }
}
