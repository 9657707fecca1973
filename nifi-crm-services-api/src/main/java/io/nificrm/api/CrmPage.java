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
 */
public record CrmPage(RecordSchema schema, List<Record> records, String nextCursor) {

    public CrmPage {
        records = List.copyOf(records);
    }

    public boolean isLast() {
        return nextCursor == null;
    }
}
