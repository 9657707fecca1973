package io.nificrm.api;

import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordSchema;

import java.util.List;

/**
 * One page of query results.
 *
 * @param schema     the schema of every record in the page (from describe, so downstream sees real types)
 * @param records    the records, at most the query's page size
 * @param nextCursor the cursor of the next page, or null when this is the last page
 * @param nextWindowCursor on the last page of a change-window read, where the system's own change tracking goes on
 *                   (e.g. a Dataverse delta link): pass it as the cursor of the NEXT window's first query. Null when
 *                   the system needs no such hand-over (the next window is simply queried by its bounds).
 */
public record CrmPage(RecordSchema schema, List<Record> records, String nextCursor, String nextWindowCursor) {

    public CrmPage {
        records = List.copyOf(records);
    }

    /** A page with no change-tracking hand-over. */
    public CrmPage(RecordSchema schema, List<Record> records, String nextCursor) {
        this(schema, records, nextCursor, null);
    }

    public boolean isLast() {
        return nextCursor == null;
    }
}
