package io.nificrm.processors.planner;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One object to migrate.
 *
 * @param name               the object's name in the source ({@code Contact})
 * @param targetName         its name in the target ({@code contacts}), or null when it is the same
 * @param count              how many records it holds (from the source's count), or null when unknown
 * @param exactCount         false when the count is the source's estimate
 * @param references         reference fields (from describe): field name → referenced object (source names)
 * @param writeCallsPerBatch API calls one write batch costs on the target (1; 2 when e.g. HubSpot associations follow
 *                           each batch)
 */
public record ObjectSpec(String name, String targetName, Long count, boolean exactCount, Map<String, String> references,
                         int writeCallsPerBatch) {

    public ObjectSpec {
        references = references == null ? Map.of() : java.util.Collections.unmodifiableMap(new LinkedHashMap<>(references));
    }

    public static ObjectSpec of(String name, long count, Map<String, String> references) {
        return new ObjectSpec(name, null, count, true, references, 1);
    }

    public static ObjectSpec of(String name, long count) {
        return of(name, count, Map.of());
    }

    public ObjectSpec withTargetName(String value) {
        return new ObjectSpec(name, value, count, exactCount, references, writeCallsPerBatch);
    }

    public ObjectSpec withWriteCallsPerBatch(int value) {
        return new ObjectSpec(name, targetName, count, exactCount, references, value);
    }

    /** The target's name of the object. */
    public String target() {
        return targetName == null || targetName.isBlank() ? name : targetName;
    }
}
