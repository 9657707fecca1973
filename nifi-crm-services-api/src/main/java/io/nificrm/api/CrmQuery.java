package io.nificrm.api;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * A request for one page of records. Build it with {@link #of(String)} and the {@code with...} methods.
 *
 * @param object         object API name
 * @param fields         fields to return; empty means all fields
 * @param window         only records modified in this window, or null for all records
 * @param partition      only records in this partition, or null for the whole object
 * @param includeDeleted also return deleted records, flagged in {@link CrmConnectionService#DELETED_FIELD}
 * @param pageSize       most records wanted in the page; the service caps it at its own maximum
 * @param cursor         the previous page's {@link CrmPage#nextCursor()}, or null for the first page
 */
public record CrmQuery(String object, List<String> fields, ChangeWindow window, CrmPartition partition,
                       boolean includeDeleted, int pageSize, String cursor) {

    public CrmQuery {
        Objects.requireNonNull(object, "object");
        fields = fields == null ? List.of() : List.copyOf(fields);
        if (pageSize < 1) {
            throw new IllegalArgumentException("Page size must be at least 1, was " + pageSize);
        }
    }

    /** All fields of all records of {@code object}, in pages of up to 2,000. */
    public static CrmQuery of(String object) {
        return new CrmQuery(object, List.of(), null, null, false, 2000, null);
    }

    public CrmQuery withFields(List<String> newFields) {
        return new CrmQuery(object, newFields, window, partition, includeDeleted, pageSize, cursor);
    }

    public CrmQuery withWindow(ChangeWindow newWindow) {
        return new CrmQuery(object, fields, newWindow, partition, includeDeleted, pageSize, cursor);
    }

    public CrmQuery withPartition(CrmPartition newPartition) {
        return new CrmQuery(object, fields, window, newPartition, includeDeleted, pageSize, cursor);
    }

    public CrmQuery withIncludeDeleted(boolean newIncludeDeleted) {
        return new CrmQuery(object, fields, window, partition, newIncludeDeleted, pageSize, cursor);
    }

    public CrmQuery withPageSize(int newPageSize) {
        return new CrmQuery(object, fields, window, partition, includeDeleted, newPageSize, cursor);
    }

    public CrmQuery withCursor(String newCursor) {
        return new CrmQuery(object, fields, window, partition, includeDeleted, pageSize, newCursor);
    }

    /**
     * Records modified at or after {@code from} and before {@code until}: the half-open interval
     * {@code [from, until)}. Either end may be null for an open end.
     */
    public record ChangeWindow(Instant from, Instant until) {
        public ChangeWindow {
            if (from != null && until != null && until.isBefore(from)) {
                throw new IllegalArgumentException("Change window ends (" + until + ") before it starts (" + from + ")");
            }
        }
    }
}
