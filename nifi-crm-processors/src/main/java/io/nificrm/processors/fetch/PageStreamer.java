package io.nificrm.processors.fetch;

import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmPage;
import io.nificrm.api.CrmQuery;
import org.apache.nifi.schema.access.SchemaNotFoundException;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordSchema;

import java.io.IOException;
import java.util.List;
import java.util.function.BooleanSupplier;

/**
 * Reads a query page by page from a position (page cursor + records of that page already out), hands every record
 * to a handler, and asks it to checkpoint whenever its FlowFiles are full and at the end, with the position right
 * after the last record handed over. Only one page is in memory at a time.
 */
public final class PageStreamer {
    private PageStreamer() {
    }

    /** Receives records and checkpoints. */
    public interface Handler {
        /** Takes one record; returns true when the FlowFiles being filled are full and should be checkpointed now. */
        boolean accept(Record record, RecordSchema schema) throws IOException, SchemaNotFoundException;

        /**
         * Emits what was written and saves the position: the next record is record {@code skip} of the page read with
         * {@code cursor}; {@code done} means the query has no records left, and then {@code nextWindowCursor} is the
         * system's change-tracking hand-over for the next window (usually null).
         */
        void checkpoint(String cursor, int skip, boolean done, String nextWindowCursor) throws IOException;
    }

    /**
     * @param keepGoing checked before every page; false stops the read (uncheckpointed records are the caller's to drop)
     * @return true when the query was read to its end
     */
    public static boolean stream(CrmConnectionService service, CrmQuery query, String cursor, int skip, Handler handler,
                                 BooleanSupplier keepGoing) throws IOException, SchemaNotFoundException {
        String current = cursor;
        int from = skip;
        while (keepGoing.getAsBoolean()) {
            CrmPage page = service.query(query.withCursor(current));
            List<Record> records = page.records();
            for (int i = from; i < records.size(); i++) {
                if (handler.accept(records.get(i), page.schema())) {
                    boolean pageDone = i + 1 == records.size();
                    if (!pageDone) {
                        handler.checkpoint(current, i + 1, false, null);
                    } else {
                        handler.checkpoint(page.nextCursor(), 0, page.isLast(), page.isLast() ? page.nextWindowCursor() : null);
                        if (page.isLast()) {
                            return true;
                        }
                    }
                }
            }
            current = page.nextCursor();
            from = 0;
            if (page.isLast()) {
                handler.checkpoint(null, 0, true, page.nextWindowCursor());
                return true;
            }
        }
        return false;
    }
}
