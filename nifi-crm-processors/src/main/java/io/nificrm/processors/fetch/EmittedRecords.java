package io.nificrm.processors.fetch;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What an incremental load already emitted inside the lookback period, so re-reading that period (to catch
 * late-committed changes) does not emit the same change twice. A change is identified by a 64-bit hash of
 * (id, modified time, deleted), kept per window; whole windows are forgotten once the lookback no longer
 * reaches them. The set is capped so it always fits in cluster state; past the cap the oldest windows go first,
 * and replays they would have caught pass downstream, where upserts absorb them.
 */
public final class EmittedRecords {
    /** About 800 KB of state at most (8 bytes per change, base64). */
    public static final int MAX_ENTRIES = 75_000;

    private final Map<Instant, Set<Long>> byWindowEnd = new LinkedHashMap<>();
    private final Set<Long> current = new HashSet<>();
    private Instant currentWindowEnd;

    /** Starts collecting the changes of the window ending at {@code windowEnd}. */
    public void beginWindow(Instant windowEnd) {
        if (!windowEnd.equals(currentWindowEnd)) {
            currentWindowEnd = windowEnd;
            current.clear();
            current.addAll(byWindowEnd.getOrDefault(windowEnd, Set.of()));
        }
    }

    /** True when the change was not emitted before; it is then remembered. */
    public boolean firstTime(String id, Instant modified, boolean deleted) {
        long hash = hash(id, modified, deleted);
        for (var entry : byWindowEnd.entrySet()) {
            if (!entry.getKey().equals(currentWindowEnd) && entry.getValue().contains(hash)) {
                return false;
            }
        }
        if (!current.add(hash)) {
            return false;
        }
        byWindowEnd.computeIfAbsent(currentWindowEnd, k -> new HashSet<>()).add(hash);
        trim();
        return true;
    }

    /** Forgets windows that end at or before {@code instant}: nothing in them will be read again. */
    public void forgetBefore(Instant instant) {
        byWindowEnd.keySet().removeIf(end -> !end.isAfter(instant));
    }

    public int size() {
        return byWindowEnd.values().stream().mapToInt(Set::size).sum();
    }

    private void trim() {
        while (size() > MAX_ENTRIES && byWindowEnd.size() > 1) {
            Instant oldest = byWindowEnd.keySet().iterator().next();
            if (oldest.equals(currentWindowEnd)) {
                break;
            }
            byWindowEnd.remove(oldest);
        }
    }

    static long hash(String id, Instant modified, boolean deleted) {
        byte[] text = (id + '\u0001' + (modified == null ? "" : modified.toEpochMilli()) + '\u0001' + deleted).getBytes(StandardCharsets.UTF_8);
        long h = 0xcbf29ce484222325L; // FNV-1a 64
        for (byte b : text) {
            h ^= b & 0xff;
            h *= 0x100000001b3L;
        }
        return h;
    }

    /** {@code windowEnd=base64(hashes);...} */
    public String serialize() {
        List<String> parts = new ArrayList<>();
        byWindowEnd.forEach((end, hashes) -> {
            ByteBuffer buffer = ByteBuffer.allocate(hashes.size() * 8);
            hashes.forEach(buffer::putLong);
            parts.add(end.toEpochMilli() + "=" + Base64.getEncoder().encodeToString(buffer.array()));
        });
        return String.join(";", parts);
    }

    public static EmittedRecords parse(String text) {
        EmittedRecords records = new EmittedRecords();
        if (text == null || text.isBlank()) {
            return records;
        }
        for (String part : text.split(";")) {
            int eq = part.indexOf('=');
            Instant end = Instant.ofEpochMilli(Long.parseLong(part.substring(0, eq)));
            ByteBuffer buffer = ByteBuffer.wrap(Base64.getDecoder().decode(part.substring(eq + 1)));
            Set<Long> hashes = new HashSet<>();
            while (buffer.hasRemaining()) {
                hashes.add(buffer.getLong());
            }
            records.byWindowEnd.put(end, hashes);
        }
        return records;
    }
}
