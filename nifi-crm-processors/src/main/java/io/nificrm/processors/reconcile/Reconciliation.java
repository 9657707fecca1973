package io.nificrm.processors.reconcile;

import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmObjectSchema;
import io.nificrm.api.CrmPage;
import io.nificrm.api.CrmQuery;
import io.nificrm.processors.mapping.CompiledMapping;
import org.apache.nifi.serialization.record.Record;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.BooleanSupplier;

/**
 * Compares an object in a source and a target record by record, in the target's terms: each source record is mapped
 * with the mapping and its compared fields are hashed ({@link ValueHash}); the target record holding its key (the
 * source id in an external-id field) is hashed the same way.
 * <p>
 * <b>Full</b> scope reads the target completely first and keeps, per record, only its key, its id and one 64-bit hash of
 * the compared fields (about 200 bytes of heap per target record); then it streams the source page by page: a key
 * the target lacks is <em>missing</em>, a different hash is <em>different</em> (the target records of differing keys are
 * then looked up, a few hundred at a time, to name the fields), and target keys no source record claimed are
 * <em>extra</em>. With {@code partitions} greater than 1 the key space is hashed into that many slices, compared one
 * after the other, each reading both sides again but holding only its slice: heap divides by the partitions, reads
 * multiply by them. <b>Window</b> scope reads only the source records modified in a window and looks their
 * counterparts up by key (no extras: the rest of the target is not read).
 */
public final class Reconciliation {
    private static final int DIFF_BATCH = 200;

    /** Receives the findings as they are made. */
    public interface Sink {
        void missing(String key, Record mapped) throws IOException;

        void different(String key, String targetId, Record mapped, List<String> fields) throws IOException;

        void extra(String key, String targetId, String reason) throws IOException;
    }

    /**
     * @param compared     target fields compared (each must be a target of the mapping)
     * @param sourceKey    the source field whose value the target's key field holds (usually the source id)
     * @param targetKey    the target field holding the source key (an external id such as source_id)
     * @param windowFrom   window scope: start of the source change window (inclusive); with windowUntil null for full scope
     * @param partitions   key-space slices compared one after the other (full scope)
     */
    public record Settings(CrmConnectionService source, CrmObjectSchema sourceSchema, CrmConnectionService target,
                           CrmObjectSchema targetSchema, CompiledMapping mapping, List<String> compared, String sourceKey,
                           String targetKey, int pageSize, int partitions, Instant windowFrom, Instant windowUntil, int samples) {
        boolean window() {
            return windowFrom != null || windowUntil != null;
        }
    }

    private final Settings settings;
    private final ReconcileReport report;
    private final BooleanSupplier keepGoing;

    public Reconciliation(Settings settings, BooleanSupplier keepGoing) {
        this.settings = settings;
        this.keepGoing = keepGoing;
        this.report = new ReconcileReport(settings.samples());
        report.sourceSystem = settings.source().system();
        report.sourceObject = settings.sourceSchema().name();
        report.targetSystem = settings.target().system();
        report.targetObject = settings.targetSchema().name();
        report.sourceKeyField = settings.sourceKey();
        report.targetKeyField = settings.targetKey();
        report.compared = settings.compared();
        report.scope = settings.window() ? "window" : "full";
        report.windowFrom = settings.windowFrom();
        report.windowUntil = settings.windowUntil();
        report.partitions = settings.window() ? 1 : settings.partitions();
    }

    /** Thrown when the run was stopped before it finished. */
    public static final class Stopped extends RuntimeException {
        Stopped() {
            super("The reconciliation was stopped before it finished", null, false, false);
        }
    }

    public ReconcileReport run(Sink sink) throws IOException {
        report.started = Instant.now();
        settings.compared().forEach(f -> report.fieldDifferences.put(f, 0L));
        if (settings.window()) {
            window(sink);
        } else {
            for (int p = 0; p < settings.partitions(); p++) {
                partition(p, sink);
            }
        }
        report.finished = Instant.now();
        return report;
    }

    private int partitionOf(String key) {
        return settings.partitions() <= 1 ? 0 : Math.floorMod(Long.hashCode(ValueHash.of(key)), settings.partitions());
    }

    /** The target records of one slice of the key space, by key: id and hash only. */
    private static final class TargetIndex {
        final Map<String, Integer> byKey = new HashMap<>();
        String[] ids = new String[1024];
        long[] hashes = new long[1024];
        final BitSet claimed = new BitSet();
        int size;

        int add(String key, String id, long hash) {
            if (size == ids.length) {
                ids = Arrays.copyOf(ids, size * 2);
                hashes = Arrays.copyOf(hashes, size * 2);
            }
            ids[size] = id;
            hashes[size] = hash;
            byKey.put(key, size);
            return size++;
        }
    }

    private void partition(int p, Sink sink) throws IOException {
        CrmObjectSchema t = settings.targetSchema();
        List<String> targetFields = new ArrayList<>(new LinkedHashSet<>(concat(settings.compared(), settings.targetKey())));
        TargetIndex index = new TargetIndex();
        read(settings.target(), CrmQuery.of(t.name()).withFields(targetFields), record -> {
            String id = Objects.toString(record.getValue(t.idField()), null);
            String key = text(record.getValue(settings.targetKey()));
            if (key == null) {
                if (partitionOf(id) == p) {
                    report.targetRecords++;
                    report.targetWithoutKey++;
                    report.extra++;
                    report.sample(report.extraSamples, "(no key) " + id);
                    sink.extra(null, id, "no-key");
                }
                return;
            }
            if (partitionOf(key) != p) {
                return;
            }
            report.targetRecords++;
            if (index.byKey.containsKey(key)) {
                report.targetDuplicateKeys++;
                report.extra++;
                report.sample(report.extraSamples, key);
                sink.extra(key, id, "duplicate-key");
                return;
            }
            index.add(key, id, ValueHash.combine(ValueHash.of(record, settings.compared(), t)));
        });
        List<Pending> pending = new ArrayList<>();
        CrmObjectSchema s = settings.sourceSchema();
        List<String> sourceFields = sourceFields();
        read(settings.source(), CrmQuery.of(s.name()).withFields(sourceFields), record -> {
            String key = text(record.getValue(settings.sourceKey()));
            if (key == null) {
                if (p == 0) {
                    report.sourceRecords++;
                    report.sourceWithoutKey++;
                }
                return;
            }
            if (partitionOf(key) != p) {
                return;
            }
            report.sourceRecords++;
            Record mapped = map(key, record);
            if (mapped == null) {
                return;
            }
            Integer at = index.byKey.get(key);
            if (at == null) {
                missing(key, mapped, sink);
                return;
            }
            index.claimed.set(at);
            long[] hashes = ValueHash.of(mapped, settings.compared(), settings.targetSchema());
            if (ValueHash.combine(hashes) == index.hashes[at]) {
                report.matched++;
                return;
            }
            pending.add(new Pending(key, index.ids[at], mapped, hashes));
            if (pending.size() == DIFF_BATCH) {
                diff(pending, sink);
            }
        });
        diff(pending, sink);
        for (var entry : index.byKey.entrySet()) {
            int at = entry.getValue();
            if (!index.claimed.get(at)) {
                report.extra++;
                report.sample(report.extraSamples, entry.getKey());
                sink.extra(entry.getKey(), index.ids[at], "no-source-record");
            }
        }
    }

    private void window(Sink sink) throws IOException {
        CrmObjectSchema s = settings.sourceSchema();
        CrmQuery query = CrmQuery.of(s.name()).withFields(sourceFields())
                .withWindow(new CrmQuery.ChangeWindow(settings.windowFrom(), settings.windowUntil()));
        List<Pending> batch = new ArrayList<>();
        read(settings.source(), query, record -> {
            String key = text(record.getValue(settings.sourceKey()));
            report.sourceRecords++;
            if (key == null) {
                report.sourceWithoutKey++;
                return;
            }
            Record mapped = map(key, record);
            if (mapped == null) {
                return;
            }
            batch.add(new Pending(key, null, mapped, ValueHash.of(mapped, settings.compared(), settings.targetSchema())));
            if (batch.size() == DIFF_BATCH) {
                lookUpByKey(batch, sink);
            }
        });
        lookUpByKey(batch, sink);
    }

    /** Window scope: finds the counterparts of a batch of source records by key and compares them. */
    private void lookUpByKey(List<Pending> batch, Sink sink) throws IOException {
        if (batch.isEmpty()) {
            return;
        }
        Map<String, Record> found = new HashMap<>();
        for (Record t : settings.target().lookup(settings.targetSchema().name(), settings.targetKey(),
                batch.stream().map(Pending::key).toList(), lookupFields())) {
            String key = text(t.getValue(settings.targetKey()));
            if (key != null) {
                found.putIfAbsent(key, t);
            }
        }
        report.targetRecords += found.size();
        for (Pending p : batch) {
            Record t = found.get(p.key());
            if (t == null) {
                missing(p.key(), p.mapped(), sink);
            } else {
                compare(p, t, sink);
            }
        }
        batch.clear();
    }

    private record Pending(String key, String targetId, Record mapped, long[] hashes) {
    }

    /** Looks up the target records of differing keys and names the fields that differ. */
    private void diff(List<Pending> pending, Sink sink) throws IOException {
        if (pending.isEmpty()) {
            return;
        }
        String idField = settings.targetSchema().idField();
        Map<String, Record> byId = new HashMap<>();
        for (Record t : settings.target().lookup(settings.targetSchema().name(), idField,
                pending.stream().map(Pending::targetId).toList(), lookupFields())) {
            byId.put(Objects.toString(t.getValue(idField), null), t);
        }
        for (Pending p : pending) {
            Record t = byId.get(p.targetId());
            if (t == null) {
                // Deleted since the target was read: it is missing now.
                missing(p.key(), p.mapped(), sink);
            } else {
                compare(p, t, sink);
            }
        }
        pending.clear();
    }

    private void compare(Pending p, Record t, Sink sink) throws IOException {
        long[] theirs = ValueHash.of(t, settings.compared(), settings.targetSchema());
        List<String> fields = new ArrayList<>();
        for (int i = 0; i < theirs.length; i++) {
            if (theirs[i] != p.hashes()[i]) {
                fields.add(settings.compared().get(i));
            }
        }
        if (fields.isEmpty()) {
            report.matched++;
            return;
        }
        report.different++;
        report.sample(report.differentSamples, p.key());
        fields.forEach(f -> report.fieldDifferences.merge(f, 1L, Long::sum));
        sink.different(p.key(), Objects.toString(t.getValue(settings.targetSchema().idField()), null), p.mapped(), fields);
    }

    private void missing(String key, Record mapped, Sink sink) throws IOException {
        report.missing++;
        report.sample(report.missingSamples, key);
        sink.missing(key, mapped);
    }

    private Record map(String key, Record record) {
        CompiledMapping.Result result = settings.mapping().apply(record);
        if (!result.isValid()) {
            report.unmappable++;
            report.sample(report.unmappableSamples, key);
            return null;
        }
        return result.record();
    }

    private List<String> sourceFields() {
        Set<String> fields = new LinkedHashSet<>(settings.mapping().sourceFields());
        fields.add(settings.sourceKey());
        fields.remove(settings.sourceSchema().idField());
        return new ArrayList<>(fields);
    }

    private List<String> lookupFields() {
        List<String> fields = new ArrayList<>(settings.compared());
        if (!fields.contains(settings.targetKey())) {
            fields.add(settings.targetKey());
        }
        return fields;
    }

    private interface RecordHandler {
        void accept(Record record) throws IOException;
    }

    private void read(CrmConnectionService service, CrmQuery query, RecordHandler handler) throws IOException {
        String cursor = null;
        CrmQuery paged = query.withPageSize(settings.pageSize());
        do {
            if (!keepGoing.getAsBoolean()) {
                throw new Stopped();
            }
            CrmPage page = service.query(paged.withCursor(cursor));
            for (Record record : page.records()) {
                handler.accept(record);
            }
            cursor = page.nextCursor();
        } while (cursor != null);
    }

    private static String text(Object value) {
        if (value == null) {
            return null;
        }
        String text = value.toString().trim();
        return text.isEmpty() ? null : text;
    }

    private static List<String> concat(List<String> list, String one) {
        List<String> all = new ArrayList<>(list);
        all.add(one);
        return all;
    }
}
