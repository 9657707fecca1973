package io.nificrm.processors.planner;

import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmException;
import io.nificrm.api.CrmField;
import io.nificrm.api.CrmObjectSchema;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a plan's inputs from connection services: references from describe, record counts from the source,
 * limits from both services' capabilities.
 */
public final class PlanInputs {
    private PlanInputs() {
    }

    /**
     * A spec for migrating {@code objects} (source name → target name, in the preferred order) from {@code source} to
     * {@code target}. Either service may be null for a one-sided plan.
     *
     * @param counts counts to use instead of asking the source (e.g. when it cannot count), by source object name
     * @throws PlanningException naming every object that cannot be described or counted
     */
    public static MigrationSpec.Builder fromServices(CrmConnectionService source, CrmConnectionService target,
                                                     Map<String, String> objects, Map<String, Long> counts,
                                                     Duration sourceLatency, Duration targetLatency) {
        List<String> problems = new ArrayList<>();
        List<ObjectSpec> specs = new ArrayList<>();
        for (Map.Entry<String, String> entry : objects.entrySet()) {
            ObjectSpec object = describe(source, entry.getKey(), counts == null ? null : counts.get(entry.getKey()), problems);
            if (object != null) {
                specs.add(object.withTargetName(entry.getValue()));
            }
        }
        if (!problems.isEmpty()) {
            throw new PlanningException(problems);
        }
        return MigrationSpec.builder().objects(specs)
                .source(side(source, "source", sourceLatency))
                .target(side(target, "target", targetLatency));
    }

    /** A side from a service's capabilities, or an unmodeled side when there is no service. */
    public static SystemSpec side(CrmConnectionService service, String role, Duration latency) {
        if (service == null) {
            return SystemSpec.unknown(role);
        }
        return SystemSpec.of(service.system(), service.capabilities(), latency);
    }

    /**
     * One object: its references from describe (with a source service) and its count (given, or from the source).
     * Adds a problem and returns null when the object cannot be described or counted.
     */
    static ObjectSpec describe(CrmConnectionService source, String object, Long givenCount, List<String> problems) {
        Map<String, String> references = new LinkedHashMap<>();
        if (source != null) {
            try {
                CrmObjectSchema schema = source.describe(object);
                for (CrmField field : schema.fields()) {
                    if (field.referenceTo() != null && !field.referenceTo().isBlank()) {
                        references.put(field.name(), field.referenceTo());
                    }
                }
            } catch (CrmException e) {
                problems.add("Cannot describe " + object + " on " + source.system() + ": " + e.getMessage());
                return null;
            }
        }
        if (givenCount != null) {
            return new ObjectSpec(object, null, givenCount, true, references, 1);
        }
        if (source == null) {
            return new ObjectSpec(object, null, null, false, references, 1);
        }
        try {
            CrmConnectionService.RecordCount count = source.count(object);
            return new ObjectSpec(object, null, count.count(), count.exact(), references, 1);
        } catch (CrmException e) {
            problems.add("Object " + object + " has no record count: " + source.system() + " could not count it (" + e.getMessage()
                    + "). Give its count or an estimate.");
            return null;
        }
    }
}
