package io.nificrm.processors.upsert;

import java.time.Instant;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Which version of each record an incremental sync last wrote to the target, so that an older version still on its
 * way through a slower branch of the flow (deduplication, a throttled target, a retry) cannot overwrite a newer one
 * that overtook it: an old update after a newer one (a stale value), an old upsert after the delete (a deleted record
 * brought back), or an old delete after a restore. The fault matrix found the first two under 429 storms
 * (RELIABILITY.md).
 *
 * <p>A version is identified by the end of the change window it was read in ({@code crm.window.until} of
 * QueryCrmEntities): a poll reflects the source's state when it ran, so a later window holds a later (or the same)
 * state. A version is superseded when a version of a later window was already written, or a deletion of the same or
 * a later window. Equal windows are written again (replays after a restart are idempotent upserts). Shared by the
 * upsert and delete processors of one NiFi JVM (different instances that use the same connection service, which
 * scopes the entries); bounded, oldest entries out first. FlowFiles without a change window (full migrations) are
 * neither checked nor recorded.
 */
public final class WrittenVersions {

    /** One per JVM: the delete and the upsert processors of a flow are different instances. */
    public static final WrittenVersions SHARED = new WrittenVersions(500_000);

    private record Written(Instant windowUntil, boolean deleted) {
    }

    private final Map<String, Written> written;

    public WrittenVersions(int capacity) {
        this.written = new LinkedHashMap<>(1024, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Written> eldest) {
                return size() > capacity;
            }
        };
    }

    private final Set<String> inFlight = new HashSet<>();

    /**
     * Claims the records of a batch for the time of its check, write and record, so that a delete and an upsert (or two
     * upserts) of the same record in concurrent tasks cannot interleave: e.g. a delete that finds nothing to archive
     * while the upsert of the older version is still on the wire. All or nothing, so claims cannot deadlock.
     */
    public Claim claim(String scope, String object, Collection<String> keys) throws InterruptedException {
        Set<String> wanted = new HashSet<>();
        keys.forEach(k -> wanted.add(key(scope, object, k)));
        synchronized (inFlight) {
            while (!Collections.disjoint(inFlight, wanted)) {
                inFlight.wait();
            }
            inFlight.addAll(wanted);
        }
        return () -> {
            synchronized (inFlight) {
                inFlight.removeAll(wanted);
                inFlight.notifyAll();
            }
        };
    }

    /** Released when the batch is written and recorded. */
    public interface Claim extends AutoCloseable {
        @Override
        void close();
    }

    private static String key(String scope, String object, String key) {
        return scope + '\u0000' + object + '\u0000' + key;
    }

    /** A version read in a window ending at {@code windowUntil} was written (an upsert) or deleted. */
    public synchronized void written(String scope, String object, String key, Instant windowUntil, boolean deleted) {
        written.merge(key(scope, object, key), new Written(windowUntil, deleted),
                (a, b) -> b.windowUntil().isAfter(a.windowUntil()) || (b.windowUntil().equals(a.windowUntil()) && b.deleted()) ? b : a);
    }

    /** Whether the version read in a window ending at {@code windowUntil} is older than what was already written. */
    public synchronized boolean supersedes(String scope, String object, String key, Instant windowUntil) {
        Written last = written.get(key(scope, object, key));
        if (last == null) {
            return false;
        }
        return windowUntil.isBefore(last.windowUntil()) || (last.deleted() && !windowUntil.isAfter(last.windowUntil()));
    }
}
