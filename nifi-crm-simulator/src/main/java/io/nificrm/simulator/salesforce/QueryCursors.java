package io.nificrm.simulator.salesforce;

import io.nificrm.simulator.store.ObjectStore;
import io.nificrm.simulator.store.SimRecord;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Open query cursors: the rows a SOQL query matched, served page by page through {@code nextRecordsUrl}.
 * Like the real service, only a limited number stay open; the least recently used one is dropped first and its
 * locator then answers {@code INVALID_QUERY_LOCATOR}.
 */
final class QueryCursors {
    private static final int MAX_OPEN = 200;

    record Cursor(ObjectStore store, List<String> fields, List<SimRecord> rows, int pageSize) {
    }

    private final Map<String, Cursor> open = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Cursor> eldest) {
            return size() > MAX_OPEN;
        }
    };

    synchronized String open(Cursor cursor) {
        String id = SalesforcePersona.newLocator();
        open.put(id, cursor);
        return id;
    }

    synchronized Cursor get(String id) {
        return open.get(id);
    }

    synchronized void close(String id) {
        open.remove(id);
    }
}
