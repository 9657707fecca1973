package io.nificrm.simulator.dynamics;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What one write knows about its surroundings: inside a {@code $batch} change set the {@code Content-ID}s declared
 * so far (for {@code $1} references) and an undo log that rolls the whole change set back; outside, nothing.
 */
final class WriteContext {
    private final boolean transactional;
    private final Map<String, String> contentIds = new HashMap<>();
    private final List<Runnable> undo = new ArrayList<>();
    private DynamicsEntities.Entity lastEntity;
    private String lastId;

    private WriteContext(boolean transactional) {
        this.transactional = transactional;
    }

    /** A single request, or one outside a change set: nothing to reference, nothing to roll back. */
    static WriteContext single() {
        return new WriteContext(false);
    }

    /** A change set: one transaction with Content-ID references. */
    static WriteContext changeSet() {
        return new WriteContext(true);
    }

    boolean transactional() {
        return transactional;
    }

    /** Notes the record a request wrote, so a Content-ID can later refer to it. */
    void wrote(DynamicsEntities.Entity entity, String id) {
        lastEntity = entity;
        lastId = id;
    }

    /** Forgets the last written record (before running the next request). */
    void clearLast() {
        lastEntity = null;
        lastId = null;
    }

    /** The last written record as a path relative to the service root, {@code contacts(<guid>)}, or null. */
    String lastEntityPath() {
        return lastEntity == null ? null : lastEntity.setName() + "(" + lastId + ")";
    }

    void declare(String contentId, String entityPath) {
        contentIds.put(contentId, entityPath);
    }

    /** The entity path a {@code $n} reference stands for, or null when no such Content-ID was declared before. */
    String reference(String contentId) {
        return contentIds.get(contentId);
    }

    void onRollback(Runnable action) {
        if (transactional) {
            undo.add(action);
        }
    }

    /** Undoes every write of the change set, last first. */
    void rollback() {
        for (int i = undo.size() - 1; i >= 0; i--) {
            undo.get(i).run();
        }
        undo.clear();
    }
}
