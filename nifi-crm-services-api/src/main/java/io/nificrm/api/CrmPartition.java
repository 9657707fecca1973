package io.nificrm.api;

import java.util.Objects;

/**
 * One slice of an object for parallel loads: records whose {@code field} lies in {@code [lower, upper)}.
 * Bounds are text: ids as the system spells them, instants in ISO-8601 ({@code 2024-01-31T00:00:00Z}).
 * A null bound is open.
 *
 * @param field the field the object is sliced on (its id or created-time field)
 * @param lower inclusive lower bound, or null
 * @param upper exclusive upper bound, or null
 */
public record CrmPartition(String field, String lower, String upper) {
    public CrmPartition {
        Objects.requireNonNull(field, "field");
    }
}
