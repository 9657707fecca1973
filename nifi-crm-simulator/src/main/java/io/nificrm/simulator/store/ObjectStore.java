package io.nificrm.simulator.store;

import java.time.Instant;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The records of one simulated object, ordered by id, with case-insensitive unique indexes on unique and
 * external-id fields. Reads are lock-free; writes are serialized so the indexes stay exact.
 */
public final class ObjectStore {
    private final SimSchema schema;
    private final SimClock clock;
    private final Supplier<String> ids;
    private final ConcurrentSkipListMap<String, SimRecord> records = new ConcurrentSkipListMap<>();
    private final Map<String, Map<String, String>> uniqueIndexes = new ConcurrentHashMap<>();
    private final java.util.List<ChangeListener> listeners = new CopyOnWriteArrayList<>();

    /**
     * Told about every stored write (create, update, upsert, delete, put), after it is stored and while the store's
     * lock is held, so it must be quick (e.g. enqueue). {@link #remove} and {@link #clear} are not reported.
     */
    @FunctionalInterface
    public interface ChangeListener {
        /** @param before the previous snapshot, or null for a new record; {@code after} the stored one */
        void changed(ObjectStore store, SimRecord before, SimRecord after);
    }

    public void addChangeListener(ChangeListener listener) {
        listeners.add(listener);
    }

    public void removeChangeListener(ChangeListener listener) {
        listeners.remove(listener);
    }

    public ObjectStore(SimSchema schema, SimClock clock, Supplier<String> ids) {
        this.schema = schema;
        this.clock = clock;
        this.ids = ids;
        schema.indexedFields().forEach(f -> uniqueIndexes.put(f.name(), new ConcurrentHashMap<>()));
    }

    public SimSchema schema() {
        return schema;
    }

    public SimClock clock() {
        return clock;
    }

    public Optional<SimRecord> get(String id) {
        return Optional.ofNullable(id == null ? null : records.get(id));
    }

    /** The live record whose unique field has this value (case-insensitive). */
    public Optional<SimRecord> findByUnique(String field, Object value) {
        Map<String, String> index = uniqueIndexes.get(field);
        if (index == null || value == null) {
            return Optional.empty();
        }
        return get(index.get(key(value)));
    }

    public boolean isIndexed(String field) {
        return uniqueIndexes.containsKey(field);
    }

    /** All records, deleted ones included, in id order. */
    public Stream<SimRecord> stream() {
        return records.values().stream();
    }

    /** Records with an id greater than {@code afterId} (all when null), in id order. */
    public Stream<SimRecord> streamAfter(String afterId) {
        return (afterId == null ? records : records.tailMap(afterId, false)).values().stream();
    }

    public long count(boolean includeDeleted) {
        return includeDeleted ? records.size() : records.values().stream().filter(r -> !r.deleted()).count();
    }

    public synchronized SimRecord create(Map<String, Object> fields) {
        Instant now = clock.now();
        SimRecord record = new SimRecord(ids.get(), fields, now, now, false, null);
        checkUnique(record, null);
        return store(record, null);
    }

    public synchronized SimRecord update(String id, Map<String, Object> changes) {
        SimRecord old = records.get(id);
        if (old == null || old.deleted()) {
            throw new IllegalArgumentException("No record " + id);
        }
        SimRecord updated = old.withChanges(changes, clock.now());
        checkUnique(updated, old);
        return store(updated, old);
    }

    /** Result of an upsert: the record and whether it was created. */
    public record Upserted(SimRecord record, boolean created) {
    }

    /** Updates the live record whose key field equals {@code keyValue}, or creates it. */
    public synchronized Upserted upsert(String keyField, Object keyValue, Map<String, Object> fields) {
        Optional<SimRecord> existing = findByUnique(keyField, keyValue).filter(r -> !r.deleted());
        if (existing.isPresent()) {
            return new Upserted(update(existing.get().id(), fields), false);
        }
        Map<String, Object> withKey = new HashMap<>(fields);
        withKey.put(keyField, keyValue);
        return new Upserted(create(withKey), true);
    }

    /** Soft-deletes a record; it stays visible to queries that include deleted records. */
    public synchronized Optional<SimRecord> delete(String id) {
        SimRecord old = records.get(id);
        if (old == null || old.deleted()) {
            return Optional.empty();
        }
        return Optional.of(store(old.asDeleted(clock.now()), old));
    }

    /**
     * Removes a record outright, as if it had never been written (for example a create rolled back with its
     * transaction); unlike {@link #delete} it leaves no soft-deleted record behind.
     */
    public synchronized Optional<SimRecord> remove(String id) {
        SimRecord old = id == null ? null : records.remove(id);
        if (old != null) {
            uniqueIndexes.forEach((field, index) -> {
                Object value = old.fields().get(field);
                if (value != null) {
                    index.remove(key(value), old.id());
                }
            });
        }
        return Optional.ofNullable(old);
    }

    /**
     * Stores a record exactly as given (explicit id and timestamps), bypassing validation: for seed data and for
     * tests that need to control modified times (ties, late commits).
     */
    public synchronized SimRecord put(SimRecord record) {
        SimRecord old = records.get(record.id());
        checkUnique(record, old);
        return store(record, old);
    }

    public synchronized void clear() {
        records.clear();
        uniqueIndexes.values().forEach(Map::clear);
    }

    public String newId() {
        return ids.get();
    }

    private void checkUnique(SimRecord candidate, SimRecord old) {
        if (candidate.deleted()) {
            return;
        }
        for (var entry : uniqueIndexes.entrySet()) {
            Object value = candidate.fields().get(entry.getKey());
            if (value == null) {
                continue;
            }
            String owner = entry.getValue().get(key(value));
            if (owner != null && !owner.equals(candidate.id()) && records.containsKey(owner) && !records.get(owner).deleted()) {
                throw new UniqueViolation(entry.getKey(), owner);
            }
        }
    }

    private SimRecord store(SimRecord record, SimRecord old) {
        uniqueIndexes.forEach((field, index) -> {
            if (old != null) {
                Object oldValue = old.fields().get(field);
                if (oldValue != null) {
                    index.remove(key(oldValue), old.id());
                }
            }
            Object value = record.fields().get(field);
            if (value != null && !record.deleted()) {
                index.put(key(value), record.id());
            }
        });
        records.put(record.id(), record);
        for (ChangeListener listener : listeners) {
            listener.changed(this, old, record);
        }
        return record;
    }

    private static String key(Object value) {
        return value.toString().trim().toLowerCase(Locale.ROOT);
    }
}
