package io.nificrm.processors.fetch;

import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * Where a load stands, as kept in cluster state and advanced only together with the FlowFiles it describes:
 * the current load (or change window), the cursor of the page being read, how many records of that page are out,
 * and for incremental loads the watermark and the changes emitted within the lookback period.
 */
public final class LoadPosition {
    static final String LOAD_ID = "load.id";
    static final String CURSOR = "cursor";
    static final String SKIP = "skip";
    static final String RECORDS = "load.records";
    static final String INDEX = "load.index";
    static final String WATERMARK = "watermark";
    static final String WINDOW_FROM = "window.from";
    static final String WINDOW_UNTIL = "window.until";
    static final String EMITTED = "emitted";
    static final String NEXT_WINDOW_CURSOR = "next.window.cursor";

    public String loadId;
    public String cursor;
    public int skip;
    public long records;
    public long index;
    /** End of the last completed change window (incremental), or null before the first. */
    public Instant watermark;
    /** The window being read, or null between windows. */
    public Instant windowFrom;
    public Instant windowUntil;
    public EmittedRecords emitted = new EmittedRecords();
    /** The system's change-tracking hand-over from the last window, to start the next one with (usually null). */
    public String nextWindowCursor;

    public static LoadPosition from(Map<String, String> state) {
        LoadPosition p = new LoadPosition();
        p.loadId = state.get(LOAD_ID);
        p.cursor = state.get(CURSOR);
        p.skip = parseInt(state.get(SKIP));
        p.records = parseLong(state.get(RECORDS));
        p.index = parseLong(state.get(INDEX));
        p.watermark = instant(state.get(WATERMARK));
        p.windowFrom = instant(state.get(WINDOW_FROM));
        p.windowUntil = instant(state.get(WINDOW_UNTIL));
        p.emitted = EmittedRecords.parse(state.get(EMITTED));
        p.nextWindowCursor = state.get(NEXT_WINDOW_CURSOR);
        return p;
    }

    /** Whether a load (or window) is under way. */
    public boolean inProgress() {
        return loadId != null;
    }

    /** Starts a new load or window. */
    public void begin(Instant from, Instant until) {
        loadId = UUID.randomUUID().toString();
        cursor = nextWindowCursor;
        nextWindowCursor = null;
        skip = 0;
        records = 0;
        index = 0;
        windowFrom = from;
        windowUntil = until;
    }

    /** Ends the load; for a window, its end becomes the watermark and the hand-over is kept for the next one. */
    public void complete(String handOver) {
        nextWindowCursor = handOver;
        if (windowUntil != null) {
            watermark = windowUntil;
        }
        loadId = null;
        cursor = null;
        skip = 0;
        windowFrom = null;
        windowUntil = null;
    }

    public Map<String, String> toState() {
        Map<String, String> map = new HashMap<>();
        put(map, LOAD_ID, loadId);
        put(map, CURSOR, cursor);
        map.put(SKIP, Integer.toString(skip));
        map.put(RECORDS, Long.toString(records));
        map.put(INDEX, Long.toString(index));
        put(map, WATERMARK, watermark == null ? null : watermark.toString());
        put(map, WINDOW_FROM, windowFrom == null ? null : windowFrom.toString());
        put(map, WINDOW_UNTIL, windowUntil == null ? null : windowUntil.toString());
        String emittedText = emitted.serialize();
        put(map, EMITTED, emittedText.isEmpty() ? null : emittedText);
        put(map, NEXT_WINDOW_CURSOR, nextWindowCursor);
        return map;
    }

    private static void put(Map<String, String> map, String key, String value) {
        if (value != null) {
            map.put(key, value);
        }
    }

    private static int parseInt(String s) {
        return s == null ? 0 : Integer.parseInt(s);
    }

    private static long parseLong(String s) {
        return s == null ? 0 : Long.parseLong(s);
    }

    private static Instant instant(String s) {
        return s == null ? null : Instant.parse(s);
    }
}
