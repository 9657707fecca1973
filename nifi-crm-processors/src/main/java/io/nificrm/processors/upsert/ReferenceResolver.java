package io.nificrm.processors.upsert;

import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmException;
import io.nificrm.api.CrmWriteResult;
import org.apache.nifi.serialization.record.Record;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Replaces the source parent ids in children's reference fields with the parents' target ids, a batch at a time:
 * cached ids first (filled by earlier lookups and by parents' upserts), then one lookup per parent object for the
 * rest. A parent that cannot be found, or is found twice, fails that child with a clear reason.
 */
public final class ReferenceResolver {
    private final List<ParentReference> references;
    private final ParentIdCache cache;
    private final boolean missingIsTransient;

    public ReferenceResolver(List<ParentReference> references, ParentIdCache cache, boolean missingIsTransient) {
        this.references = List.copyOf(references);
        this.cache = cache;
        this.missingIsTransient = missingIsTransient;
    }

    public boolean isEmpty() {
        return references.isEmpty();
    }

    /**
     * Resolves the batch in place.
     *
     * @return per record, the failure that stops it from being written, or empty
     * @throws CrmException when a lookup call fails as a whole
     */
    public List<Optional<CrmWriteResult>> resolve(CrmConnectionService service, List<Record> batch) {
        List<Optional<CrmWriteResult>> failures = new ArrayList<>(batch.size());
        batch.forEach(r -> failures.add(Optional.empty()));
        for (ParentReference reference : references) {
            Map<String, String> targetIds = targetIds(service, reference, batch);
            for (int i = 0; i < batch.size(); i++) {
                Record record = batch.get(i);
                Object value = record.getValue(reference.field());
                if (value == null || value.toString().isBlank() || failures.get(i).isPresent()) {
                    continue;
                }
                String sourceId = value.toString().trim();
                String targetId = targetIds.get(sourceId);
                if (targetId == null) {
                    String message = "No " + reference.object() + " with " + reference.keyField() + " = " + sourceId
                            + " exists in the target for reference " + reference.field() + " (write the parent first)";
                    failures.set(i, Optional.of(missingIsTransient ? CrmWriteResult.failedTransiently("MISSING_PARENT", message)
                            : CrmWriteResult.rejected("MISSING_PARENT", message)));
                } else if (targetId.isEmpty()) {
                    failures.set(i, Optional.of(CrmWriteResult.rejected("AMBIGUOUS_PARENT", "More than one " + reference.object()
                            + " has " + reference.keyField() + " = " + sourceId + " in the target (reference " + reference.field() + ")")));
                } else {
                    record.setValue(reference.field(), targetId);
                }
            }
        }
        return failures;
    }

    /** Source id → target id for the batch's values of one reference; "" marks an ambiguous value. */
    private Map<String, String> targetIds(CrmConnectionService service, ParentReference reference, List<Record> batch) {
        Set<String> wanted = new HashSet<>();
        for (Record record : batch) {
            Object value = record.getValue(reference.field());
            if (value != null && !value.toString().isBlank()) {
                wanted.add(value.toString().trim());
            }
        }
        Map<String, String> found = new HashMap<>();
        List<String> misses = new ArrayList<>();
        for (String sourceId : wanted) {
            String cached = cache.get(reference.object(), sourceId);
            if (cached != null) {
                found.put(sourceId, cached);
            } else {
                misses.add(sourceId);
            }
        }
        if (!misses.isEmpty()) {
            String idField = service.describe(reference.object()).idField();
            Map<String, String> looked = new LinkedHashMap<>();
            for (Record parent : service.lookup(reference.object(), reference.keyField(), misses, List.of(reference.keyField()))) {
                String key = parent.getAsString(reference.keyField());
                String id = parent.getAsString(idField);
                if (key == null || id == null) {
                    continue;
                }
                looked.merge(key.trim(), id, (a, b) -> a.equals(b) ? a : "");
            }
            looked.forEach((sourceId, targetId) -> {
                found.put(sourceId, targetId);
                if (!targetId.isEmpty()) {
                    cache.put(reference.object(), sourceId, targetId);
                }
            });
        }
        return found;
    }
}
