package io.nificrm.simulator.query;

import io.nificrm.simulator.store.SimRecord;
import io.nificrm.simulator.store.SimSchema;

import java.util.Comparator;
import java.util.List;

/** One sort key; nulls sort first ascending and last descending, as in SOQL's default. */
public record OrderBy(String field, boolean descending) {

    /** A comparator for these keys, ending with the record id so every order is total and stable. */
    public static Comparator<SimRecord> comparator(List<OrderBy> keys, SimSchema schema) {
        Comparator<SimRecord> result = (a, b) -> 0;
        for (OrderBy key : keys) {
            var field = schema.field(key.field())
                    .orElseThrow(() -> new QueryException("INVALID_FIELD", "No such field to order by: " + key.field()));
            Comparator<SimRecord> one = (a, b) -> Values.compare(a.value(field), b.value(field));
            result = result.thenComparing(key.descending() ? one.reversed() : one);
        }
        return result.thenComparing(SimRecord::id);
    }
}
