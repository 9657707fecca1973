package io.nificrm.simulator.dynamics;

import io.nificrm.simulator.store.ObjectStore;
import io.nificrm.simulator.store.SimRecord;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Dataverse change tracking and row versions. Every observed change of a record (create, update, delete, also
 * writes made directly on the store by tests or the admin API, and records that vanish on reset or roll-back) gets
 * the next value of one monotonic sequence: the record's {@code versionnumber} and the position a delta token
 * points at. A change is observed when the tracker next looks at the store ({@link #sync}) or at that record
 * ({@link #touch}); records are immutable snapshots, so a changed record is a different instance.
 * <p>
 * Because the sequence, not {@code modifiedon}, orders changes, a late write that carries an old modified time,
 * or several writes within one second, still show up in the next delta.
 */
final class ChangeTracker {

    /** The last observed state of one record: {@code record} is null once it vanished from the store. */
    record Change(String id, SimRecord record, long seq) {
        boolean deleted() {
            return record == null || record.deleted();
        }
    }

    private long sequence;
    private final Map<String, TreeMap<String, Change>> byObject = new HashMap<>();

    /** Observes every record of a store; returns the sequence high-water mark, which covers all of them. */
    synchronized long sync(String object, ObjectStore store) {
        TreeMap<String, Change> seen = byObject.computeIfAbsent(object, k -> new TreeMap<>());
        long size = 0;
        for (SimRecord r : (Iterable<SimRecord>) store.stream()::iterator) {
            size++;
            Change c = seen.get(r.id());
            if (c == null || c.record() != r) {
                seen.put(r.id(), new Change(r.id(), r, ++sequence));
            }
        }
        if (seen.size() > size) {
            for (Change c : new ArrayList<>(seen.values())) {
                if (c.record() != null && store.get(c.id()).isEmpty()) {
                    seen.put(c.id(), new Change(c.id(), null, ++sequence));
                }
            }
        }
        return sequence;
    }

    /** Observes one record and returns its row version. */
    synchronized long touch(String object, ObjectStore store, String id) {
        TreeMap<String, Change> seen = byObject.computeIfAbsent(object, k -> new TreeMap<>());
        SimRecord current = store.get(id).orElse(null);
        Change c = seen.get(id);
        if (current == null) {
            if (c != null && c.record() != null) {
                c = new Change(id, null, ++sequence);
                seen.put(id, c);
            }
            return c == null ? sequence : c.seq();
        }
        if (c == null || c.record() != current) {
            c = new Change(id, current, ++sequence);
            seen.put(id, c);
        }
        return c.seq();
    }

    /** Forgets a record that never became visible (a create rolled back with its change set). */
    synchronized void forget(String object, String id) {
        TreeMap<String, Change> seen = byObject.get(object);
        if (seen != null) {
            seen.remove(id);
        }
    }

    synchronized long current() {
        return sequence;
    }

    /**
     * Changes with {@code from < seq <= to}, in id order after {@code afterId} (from the start when null), at most
     * {@code limit}.
     */
    synchronized List<Change> changes(String object, long from, long to, String afterId, int limit) {
        TreeMap<String, Change> seen = byObject.getOrDefault(object, new TreeMap<>());
        List<Change> out = new ArrayList<>();
        for (Change c : (afterId == null ? seen : seen.tailMap(afterId, false)).values()) {
            if (c.seq() > from && c.seq() <= to) {
                out.add(c);
                if (out.size() >= limit) {
                    break;
                }
            }
        }
        return out;
    }
}
