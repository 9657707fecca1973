package io.nificrm.processors.twoway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the sync ledger knows about one linked pair of records, per side (side labels such as {@code salesforce} and
 * {@code hubspot}):
 * <ul>
 *   <li>{@code object}, {@code id}: the object and the record's id on that side;</li>
 *   <li>{@code seen}, {@code seenHash}, {@code written}: the modified time and compared-field hash of the latest
 *       state of the record a sync decision took into account, and whether the sync then wrote to it (so that state
 *       is superseded by the write);</li>
 *   <li>{@code own}: per compared field of that side, the hash of the value the side held when the field was last
 *       synced;</li>
 *   <li>{@code other}: per compared field of that side, the hash of the <em>other</em> side's value mapped into this
 *       side's terms when the field was last synced; {@link #PENDING} when the other side holds a value this side
 *       still has to receive.</li>
 * </ul>
 * A direction source → target reads the target's maps: the source changed a field when its mapped value differs
 * from {@code other}; the target changed it when its value differs from {@code own}.
 * <p>
 * The same class carries an <em>intent</em>: the fields a decision touched, committed by {@link SyncLedger#apply}
 * (partially filled maps overwrite only their fields).
 */
public final class SyncLink {
    /** A hash value meaning "the other side's value has to be written to this side". Never a real value's hash. */
    public static final long PENDING = 1L;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** One side of a pair. */
    public static final class Side {
        public String object;
        public String id;
        public Long seen;
        public long seenHash;
        public boolean written;
        public final Map<String, Long> own = new TreeMap<>();
        public final Map<String, Long> other = new TreeMap<>();

        boolean hasPending() {
            return other.containsValue(PENDING);
        }
    }

    final Map<String, Side> sides = new TreeMap<>();
    /** In an intent: the side whose change was decided on. */
    String sourceSide;
    /** In an intent: the pair is deleted. */
    boolean delete;

    public Side side(String label) {
        return sides.get(label);
    }

    public Side sideOrNew(String label) {
        return sides.computeIfAbsent(label, l -> new Side());
    }

    public boolean isDelete() {
        return delete;
    }

    public void markDelete() {
        delete = true;
    }

    /** In an intent: gives the side other than the source its id, when the intent was made before the id existed (a create). */
    public void fillTargetId(String id) {
        if (id == null || id.isBlank()) {
            return;
        }
        sides.forEach((label, side) -> {
            if (!label.equals(sourceSide) && side.id == null) {
                side.id = id;
            }
        });
    }

    /** Folds an intent into this entry: ids, the newer seen state, and the touched fields. */
    void merge(SyncLink intent) {
        intent.sides.forEach((label, update) -> {
            Side side = sideOrNew(label);
            if (update.id != null) {
                side.id = update.id;
            }
            if (update.object != null) {
                side.object = update.object;
            }
            if (update.seen != null && (side.seen == null || update.seen > side.seen)) {
                side.seen = update.seen;
                side.seenHash = update.seenHash;
                side.written = update.written;
            } else if (update.seen != null && update.seen.equals(side.seen)) {
                side.seenHash = update.seenHash;
                side.written |= update.written;
            } else if (update.seen == null && side.seen == null) {
                side.written |= update.written;
            }
            side.own.putAll(update.own);
            side.other.putAll(update.other);
        });
    }

    public byte[] toBytes() {
        return toJson().getBytes(StandardCharsets.UTF_8);
    }

    public String toJson() {
        ObjectNode root = JSON.createObjectNode();
        if (sourceSide != null) {
            root.put("src", sourceSide);
        }
        if (delete) {
            root.put("del", true);
        }
        ObjectNode all = root.putObject("s");
        sides.forEach((label, side) -> {
            ObjectNode s = all.putObject(label);
            if (side.object != null) {
                s.put("obj", side.object);
            }
            if (side.id != null) {
                s.put("id", side.id);
            }
            if (side.seen != null) {
                s.put("t", side.seen);
                s.put("h", side.seenHash);
            }
            if (side.written) {
                s.put("w", true);
            }
            ObjectNode own = s.putObject("n");
            side.own.forEach(own::put);
            ObjectNode other = s.putObject("o");
            side.other.forEach(other::put);
        });
        return root.toString();
    }

    public static SyncLink fromBytes(byte[] bytes) {
        return fromJson(new String(bytes, StandardCharsets.UTF_8));
    }

    public static SyncLink fromJson(String json) {
        JsonNode root;
        try {
            root = JSON.readTree(json);
        } catch (IOException e) {
            throw new UncheckedIOException("A sync ledger entry is not valid JSON", e);
        }
        SyncLink link = new SyncLink();
        link.sourceSide = root.hasNonNull("src") ? root.get("src").asText() : null;
        link.delete = root.path("del").asBoolean(false);
        root.path("s").fields().forEachRemaining(e -> {
            Side side = link.sideOrNew(e.getKey());
            JsonNode s = e.getValue();
            side.object = s.hasNonNull("obj") ? s.get("obj").asText() : null;
            side.id = s.hasNonNull("id") ? s.get("id").asText() : null;
            if (s.has("t")) {
                side.seen = s.get("t").asLong();
                side.seenHash = s.path("h").asLong();
            }
            side.written = s.path("w").asBoolean(false);
            s.path("n").fields().forEachRemaining(f -> side.own.put(f.getKey(), f.getValue().asLong()));
            s.path("o").fields().forEachRemaining(f -> side.other.put(f.getKey(), f.getValue().asLong()));
        });
        return link;
    }
}
