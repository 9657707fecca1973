package io.nificrm.processors.push;

import java.util.Collection;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * A bounded, time-windowed memory of keys (request signatures, event ids) that were accepted, so a second delivery is
 * recognised. A key is first <em>claimed</em> (pending: its request is on its way into a FlowFile), then <em>committed</em>
 * (the FlowFile was committed: the key is remembered for the window) or <em>released</em> (the request failed: a later
 * delivery is welcome). Holds at most {@code maxEntries} keys; beyond that the oldest are forgotten first. Thread-safe.
 */
public final class ReplayCache {

    /** What a claim found. */
    public enum Claim {
        /** Not seen: now pending for the caller. */
        NEW,
        /** Another request holds it and has not finished. */
        PENDING,
        /** Committed within the window: a duplicate. */
        COMMITTED
    }

    private static final class Entry {
        boolean committed;
        long expires;
    }

    private final long windowNanos;
    private final long pendingNanos;
    private final int maxEntries;
    private final LongSupplier clock;
    private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>();

    /**
     * @param windowNanos  how long a committed key is remembered
     * @param pendingNanos how long a claim may stay pending before it is treated as abandoned
     */
    public ReplayCache(long windowNanos, long pendingNanos, int maxEntries) {
        this(windowNanos, pendingNanos, maxEntries, System::nanoTime);
    }

    ReplayCache(long windowNanos, long pendingNanos, int maxEntries, LongSupplier clock) {
        this.windowNanos = windowNanos;
        this.pendingNanos = pendingNanos;
        this.maxEntries = maxEntries;
        this.clock = clock;
    }

    public synchronized Claim claim(String key) {
        long now = clock.getAsLong();
        purge(now);
        Entry entry = entries.get(key);
        if (entry != null && now - entry.expires < 0) {
            return entry.committed ? Claim.COMMITTED : Claim.PENDING;
        }
        entries.remove(key);
        entry = new Entry();
        entry.expires = now + pendingNanos;
        entries.put(key, entry);
        trim();
        return Claim.NEW;
    }

    /** Whether a key is committed and remembered (without claiming it). */
    public synchronized boolean isCommitted(String key) {
        Entry entry = entries.get(key);
        return entry != null && entry.committed && clock.getAsLong() - entry.expires < 0;
    }

    public synchronized void commit(Collection<String> keys) {
        long expires = clock.getAsLong() + windowNanos;
        for (String key : keys) {
            entries.remove(key);
            Entry entry = new Entry();
            entry.committed = true;
            entry.expires = expires;
            entries.put(key, entry);
        }
        trim();
    }

    public synchronized void release(Collection<String> keys) {
        for (String key : keys) {
            Entry entry = entries.get(key);
            if (entry != null && !entry.committed) {
                entries.remove(key);
            }
        }
    }

    public synchronized int size() {
        return entries.size();
    }

    public synchronized void clear() {
        entries.clear();
    }

    /** Drops expired entries from the oldest end (entries are kept in the order they were last claimed or committed). */
    private void purge(long now) {
        Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
        int scanned = 0;
        while (it.hasNext() && scanned++ < 64) {
            Entry entry = it.next().getValue();
            if (now - entry.expires >= 0) {
                it.remove();
            } else if (entry.committed) {
                break;
            }
        }
    }

    private void trim() {
        Iterator<Map.Entry<String, Entry>> it = entries.entrySet().iterator();
        while (entries.size() > maxEntries && it.hasNext()) {
            it.next();
            it.remove();
        }
    }
}
