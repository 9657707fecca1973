package io.nificrm.processors.twoway;

import io.nificrm.api.ChangeRecords;
import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmValues;
import io.nificrm.processors.mapping.CompiledMapping;
import io.nificrm.processors.reconcile.ValueHash;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Decides, for one change of a source record, what the target gets: nothing (our own write coming back, a stale or
 * replayed change, nothing new), a create, an update of the fields that should change, a delete, or a person's review;
 * and what the sync ledger then records. It never talks to a system: the caller supplies the ledger entry and the
 * target's current record.
 *
 * <h2>Rules, for a change of source record s linked to target record t</h2>
 * <ol>
 *   <li><b>Stale</b>: s is older than the state of s that a decision already took into account ({@code seen}), or the
 *       same state again (a replay, or the state our own write superseded) → dropped. The same state still counts when
 *       the ledger says this side owes the other one a value ({@link SyncLink#PENDING}); then only those fields.</li>
 *   <li><b>Echo</b>: for every compared target field, s mapped to the target equals what the ledger recorded for the
 *       source at the last sync → dropped: it is our own write coming back, or a change to fields the sync does not
 *       carry. This is what stops echo loops: after a write, the ledger holds exactly what the write made the sides
 *       look like.</li>
 *   <li>Otherwise per compared target field f: the source changed f (its mapped value differs from the last synced);
 *       the target changed f (t's value differs from the last synced). Source-only changes are written; a value both
 *       sides already agree on needs no write; a field both changed to different values is a <b>conflict</b>, decided
 *       by the policy (or, with record scope, any changes on both sides make the whole record one conflict).</li>
 * </ol>
 * A record not in the ledger is linked through the link fields (t found by the source id in the target's link field,
 * or by the target id in the source's link field): then every differing field is a conflict, since neither side's
 * last synced value is known. Without a counterpart it is created.
 */
public final class SyncEngine {

    public enum Policy {
        LAST_WRITER_WINS, SOURCE_OF_TRUTH, FIELD_OWNERS, MANUAL_REVIEW;

        public static Policy parse(String value) {
            return valueOf(value.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
        }
    }

    public enum Scope { FIELD, RECORD }

    public enum Action { CREATE, UPDATE, DELETE, REVIEW, OVERRULED, ECHO, INVALID }

    /**
     * @param owners per compared target field, the side that wins its conflicts (field-owners policy)
     */
    public record Settings(String sourceSide, String targetSide, Policy policy, Scope scope, String winningSide,
                           Map<String, String> owners) {
    }

    /** One incoming change and what is known about it so far. */
    public static final class Change {
        final Record record;
        final String key;
        final Instant modified;
        final boolean deleted;
        Record mapped;
        long[] mappedHashes;
        long[] sourceHashes;
        boolean[] changed;
        SyncLink link;
        Decision decision;

        Change(Record record, String key, Instant modified, boolean deleted) {
            this.record = record;
            this.key = key;
            this.modified = modified;
            this.deleted = deleted;
        }

        public String key() {
            return key;
        }

        public Record record() {
            return record;
        }

        public Instant modified() {
            return modified;
        }

        /** Decided without the target's record (stale, echo, invalid, delete), else null. */
        public Decision decision() {
            return decision;
        }

        /** The linked target id to look up, or null when the record is not linked (look it up by the link fields). */
        public String linkedTargetId() {
            SyncLink.Side t = link == null ? null : link.side(targetSide);
            return t == null ? null : t.id;
        }

        private String targetSide;
    }

    /**
     * @param output          the record to write (create, update, review) or null
     * @param written         target fields written (update, create)
     * @param conflicts       fields in conflict, each with the winning side: {@code field=side}, or {@code field} for review
     * @param targetValues    the target's current values of the conflicting fields (review)
     * @param intent          what the ledger records once the write succeeded (or at once when {@code commitNow})
     * @param violations      why the record cannot be mapped (invalid)
     */
    public record Decision(Action action, String reason, Record output, List<String> written, List<String> conflicts,
                           Map<String, Object> targetValues, String targetId, Instant targetModified, SyncLink intent,
                           boolean commitNow, List<CompiledMapping.Violation> violations) {
        static Decision simple(Action action, String reason) {
            return new Decision(action, reason, null, List.of(), List.of(), Map.of(), null, null, null, false, List.of());
        }
    }

    private final SyncFields fields;
    private final Settings settings;
    private final List<String> ct;
    private final List<String> cs;

    public SyncEngine(SyncFields fields, Settings settings) {
        this.fields = fields;
        this.settings = settings;
        this.ct = fields.targetCompared;
        this.cs = fields.sourceCompared;
    }

    public SyncFields fields() {
        return fields;
    }

    /** Reads a change's key, modified time and deleted flag (from the source's own fields, else the change-record fields). */
    public Change change(Record record) {
        Object id = record.getValue(fields.source.idField());
        if (id == null) {
            id = record.getValue(ChangeRecords.KEY);
        }
        Object modified = fields.source.modifiedField() == null ? null : record.getValue(fields.source.modifiedField());
        if (modified == null) {
            modified = record.getValue(ChangeRecords.SOURCE_TIMESTAMP);
        }
        Instant at;
        try {
            at = CrmValues.toInstant(modified);
        } catch (RuntimeException e) {
            at = null;
        }
        boolean deleted = Boolean.TRUE.equals(record.getValue(CrmConnectionService.DELETED_FIELD))
                || "true".equals(String.valueOf(record.getValue(CrmConnectionService.DELETED_FIELD)))
                || "delete".equals(record.getValue(ChangeRecords.OPERATION));
        Change change = new Change(record, id == null || id.toString().isBlank() ? null : id.toString().trim(), at, deleted);
        change.targetSide = settings.targetSide();
        return change;
    }

    /** Decides what needs no look at the target: deletes, unmappable records, stale changes and echoes. */
    public void precheck(Change c, SyncLink link) {
        SyncLink.Side t = link == null ? null : link.side(settings.targetSide());
        if (t == null || t.id == null) {
            link = null;
            t = null;
        }
        if (c.deleted) {
            if (link == null) {
                c.decision = Decision.simple(Action.ECHO, "not-linked");
            } else {
                SyncLink intent = newIntent();
                intent.delete = true;
                intent.sideOrNew(settings.sourceSide()).id = c.key;
                intent.sideOrNew(settings.targetSide()).id = t.id;
                c.decision = new Decision(Action.DELETE, "deleted", null, List.of(), List.of(), Map.of(), t.id, null, intent, false, List.of());
            }
            return;
        }
        CompiledMapping.Result result = fields.forward.apply(c.record);
        if (!result.isValid()) {
            c.decision = new Decision(Action.INVALID, "unmappable", null, List.of(), List.of(), Map.of(), null, null, null, false,
                    result.violations());
            return;
        }
        c.mapped = result.record();
        c.mappedHashes = ValueHash.of(c.mapped, ct, fields.target);
        c.sourceHashes = ValueHash.of(c.record, cs, fields.source);
        c.link = link;
        if (link == null) {
            return;
        }
        SyncLink.Side s = link.side(settings.sourceSide());
        boolean pending = t.hasPending();
        boolean onlyPending = false;
        if (s != null && s.seen != null && c.modified != null) {
            long at = c.modified.toEpochMilli();
            if (at < s.seen) {
                c.decision = Decision.simple(Action.ECHO, "stale");
                return;
            }
            if (at == s.seen && (s.written || ValueHash.combine(c.sourceHashes) == s.seenHash)) {
                if (!pending) {
                    c.decision = Decision.simple(Action.ECHO, "stale");
                    return;
                }
                onlyPending = true;
            }
        }
        c.changed = new boolean[ct.size()];
        boolean any = false;
        for (int i = 0; i < ct.size(); i++) {
            Long last = t.other.get(ct.get(i));
            boolean changed = onlyPending ? last != null && last == SyncLink.PENDING : last == null || last != c.mappedHashes[i];
            c.changed[i] = changed;
            any |= changed;
        }
        if (!any) {
            c.decision = Decision.simple(Action.ECHO, "echo");
        }
    }

    /** Decides a change that {@link #precheck} left open, given the target's current record (null when there is none). */
    public Decision decide(Change c, Record target) {
        if (target == null) {
            if (c.link != null) {
                return new Decision(Action.REVIEW, "counterpart-missing", c.mapped, List.copyOf(ct), List.of(), Map.of(),
                        null, null, createIntent(c), false, List.of());
            }
            return new Decision(Action.CREATE, "new", c.mapped, List.copyOf(ct), List.of(), Map.of(), null, null, createIntent(c),
                    false, List.of());
        }
        String targetId = Objects.toString(target.getValue(fields.target.idField()), null);
        Instant targetModified = modifiedOf(target);
        long[] ht = ValueHash.of(target, ct, fields.target);
        SyncLink.Side last = c.link == null ? null : c.link.side(settings.targetSide());
        int n = ct.size();
        boolean[] sChanged = new boolean[n];
        boolean[] tChanged = new boolean[n];
        for (int i = 0; i < n; i++) {
            boolean differs = c.mappedHashes[i] != ht[i];
            if (last == null) {
                sChanged[i] = true;
                tChanged[i] = differs;
            } else {
                sChanged[i] = c.changed[i];
                Long own = last.own.get(ct.get(i));
                tChanged[i] = own == null || own != ht[i];
            }
        }
        // Classify each field the source changed: agreed, source-only (write), or conflict.
        List<Integer> write = new ArrayList<>();
        List<Integer> agreed = new ArrayList<>();
        List<Integer> conflicts = new ArrayList<>();
        boolean targetChangedAny = false;
        for (int i = 0; i < n; i++) {
            boolean differs = c.mappedHashes[i] != ht[i];
            targetChangedAny |= tChanged[i] && differs;
            if (!sChanged[i]) {
                continue;
            }
            if (!differs) {
                agreed.add(i);
            } else if (!tChanged[i]) {
                write.add(i);
            } else {
                conflicts.add(i);
            }
        }
        if (settings.scope() == Scope.RECORD && targetChangedAny && (!write.isEmpty() || !conflicts.isEmpty())) {
            // Changes on both sides: the whole record is one conflict, every differing field goes to one winner.
            write.clear();
            conflicts.clear();
            for (int i = 0; i < n; i++) {
                if (c.mappedHashes[i] != ht[i] && (sChanged[i] || tChanged[i])) {
                    conflicts.add(i);
                }
            }
        }
        List<Integer> lost = new ArrayList<>();
        List<String> conflictNotes = new ArrayList<>();
        if (!conflicts.isEmpty() && settings.policy() == Policy.MANUAL_REVIEW) {
            return review(c, target, targetId, targetModified, ht, sChanged, write, agreed, conflicts);
        }
        for (int i : conflicts) {
            String winner = winner(ct.get(i), c.modified, targetModified);
            conflictNotes.add(ct.get(i) + "=" + winner);
            (winner.equals(settings.sourceSide()) ? write : lost).add(i);
        }
        write.sort(null);
        SyncLink intent = intent(c, target, targetId, targetModified, ht, write, agreed, lost);
        if (!write.isEmpty()) {
            List<String> names = write.stream().map(ct::get).toList();
            return new Decision(Action.UPDATE, conflicts.isEmpty() ? "changed" : "conflict-resolved", c.mapped, names, conflictNotes,
                    Map.of(), targetId, targetModified, intent, false, List.of());
        }
        if (!lost.isEmpty()) {
            return new Decision(Action.OVERRULED, "conflict-lost", null, List.of(), conflictNotes, Map.of(), targetId, targetModified,
                    intent, true, List.of());
        }
        return new Decision(Action.ECHO, "in-sync", null, List.of(), List.of(), Map.of(), targetId, targetModified, intent, true, List.of());
    }

    private String winner(String field, Instant sourceModified, Instant targetModified) {
        return switch (settings.policy()) {
            case LAST_WRITER_WINS -> sourceModified == null || targetModified == null || sourceModified.equals(targetModified)
                    ? settings.winningSide() : sourceModified.isAfter(targetModified) ? settings.sourceSide() : settings.targetSide();
            case SOURCE_OF_TRUTH, MANUAL_REVIEW -> settings.winningSide();
            case FIELD_OWNERS -> settings.owners().getOrDefault(field, settings.winningSide());
        };
    }

    /** A conflict for a person: the source's version merged onto the target's (source values where the source changed). */
    private Decision review(Change c, Record target, String targetId, Instant targetModified, long[] ht, boolean[] sChanged,
                            List<Integer> write, List<Integer> agreed, List<Integer> conflicts) {
        Map<String, Object> merged = new LinkedHashMap<>(c.mapped.toMap());
        for (int i = 0; i < ct.size(); i++) {
            if (!sChanged[i]) {
                merged.put(ct.get(i), target.getValue(ct.get(i)));
            }
        }
        Map<String, Object> targetValues = new LinkedHashMap<>();
        List<String> names = new ArrayList<>();
        for (int i : conflicts) {
            names.add(ct.get(i));
            targetValues.put(ct.get(i), target.getValue(ct.get(i)));
        }
        List<Integer> all = new ArrayList<>(write);
        all.addAll(conflicts);
        all.sort(null);
        SyncLink intent = intent(c, target, targetId, targetModified, ht, all, agreed, List.of());
        return new Decision(Action.REVIEW, "conflict", new MapRecord(c.mapped.getSchema(), merged), all.stream().map(ct::get).toList(),
                names, targetValues, targetId, targetModified, intent, false, List.of());
    }

    /** The ledger intent of a decision on a linked (or just linked) pair. */
    private SyncLink intent(Change c, Record target, String targetId, Instant targetModified, long[] ht, List<Integer> write,
                            List<Integer> agreed, List<Integer> lost) {
        SyncLink intent = newIntent();
        SyncLink.Side t = intent.side(settings.targetSide());
        t.id = targetId;
        t.seen = targetModified == null ? null : targetModified.toEpochMilli();
        t.seenHash = ValueHash.combine(ht);
        t.written = !write.isEmpty();
        long[] after = ht.clone();
        for (int i : write) {
            after[i] = c.mappedHashes[i];
            t.own.put(ct.get(i), c.mappedHashes[i]);
            t.other.put(ct.get(i), c.mappedHashes[i]);
        }
        for (int i : agreed) {
            t.own.put(ct.get(i), c.mappedHashes[i]);
            t.other.put(ct.get(i), c.mappedHashes[i]);
        }
        for (int i : lost) {
            t.own.put(ct.get(i), ht[i]);
            t.other.put(ct.get(i), c.mappedHashes[i]);
        }
        Map<String, Object> afterValues = new HashMap<>(target.toMap());
        for (int i : write) {
            afterValues.put(ct.get(i), c.mapped.getValue(ct.get(i)));
        }
        sourceSide(intent, c, new MapRecord(target.getSchema(), afterValues), java.util.Arrays.equals(after, c.mappedHashes));
        return intent;
    }

    /** The intent of a create: the target will hold exactly the mapped record. */
    private SyncLink createIntent(Change c) {
        SyncLink intent = newIntent();
        SyncLink.Side t = intent.side(settings.targetSide());
        t.written = true;
        for (int i = 0; i < ct.size(); i++) {
            t.own.put(ct.get(i), c.mappedHashes[i]);
            t.other.put(ct.get(i), c.mappedHashes[i]);
        }
        sourceSide(intent, c, c.mapped, true);
        return intent;
    }

    /**
     * The source side of an intent: its current state counts as seen; what the target will hold, mapped back, is what
     * the reverse direction will compare with. Where the sides do not agree after this decision (the target keeps
     * values the source lacks), the source's fields that differ are marked {@link SyncLink#PENDING}, so the reverse
     * direction writes them even if its own change record is not newer than what was seen.
     */
    private void sourceSide(SyncLink intent, Change c, Record targetAfter, boolean agreement) {
        SyncLink.Side s = intent.sideOrNew(settings.sourceSide());
        s.id = c.key;
        s.seen = c.modified == null ? null : c.modified.toEpochMilli();
        s.seenHash = ValueHash.combine(c.sourceHashes);
        for (int i = 0; i < cs.size(); i++) {
            s.own.put(cs.get(i), c.sourceHashes[i]);
        }
        CompiledMapping.Result back = fields.reverse.apply(targetAfter);
        if (!back.isValid()) {
            return;
        }
        long[] hr = ValueHash.of(back.record(), cs, fields.source);
        for (int i = 0; i < cs.size(); i++) {
            s.other.put(cs.get(i), agreement || hr[i] == c.sourceHashes[i] ? hr[i] : SyncLink.PENDING);
        }
    }

    private SyncLink newIntent() {
        SyncLink intent = new SyncLink();
        intent.sourceSide = settings.sourceSide();
        intent.sideOrNew(settings.sourceSide()).object = fields.source.name();
        intent.sideOrNew(settings.targetSide()).object = fields.target.name();
        return intent;
    }

    private Instant modifiedOf(Record target) {
        String field = fields.target.modifiedField();
        if (field == null) {
            return null;
        }
        try {
            return CrmValues.toInstant(target.getValue(field));
        } catch (RuntimeException e) {
            return null;
        }
    }
}
