package io.nificrm.api.queue;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Where a consumer group starts reading: the first or the next new message, an offset, per-partition offsets, or
 * the first message published at or after a time. Used to replay ({@link CrmChangeQueue#seek}) and as the start of
 * a group that has no committed position yet.
 *
 * @param kind       which of the forms this is
 * @param offset     {@link Kind#OFFSET}: the offset (Kafka) or outbox row id to start at, for every partition
 * @param offsets    {@link Kind#OFFSETS}: partition → offset; partitions not named keep their position
 * @param time       {@link Kind#TIME}: the earliest publish time to deliver
 */
public record QueuePosition(Kind kind, long offset, Map<Integer, Long> offsets, Instant time) {

    /** The forms of a position. */
    public enum Kind {
        /** The oldest message still kept. */
        EARLIEST,
        /** After the newest message: only messages published from now on. */
        LATEST,
        /** One offset for every partition. */
        OFFSET,
        /** An offset per partition. */
        OFFSETS,
        /** The first message published at or after a time. */
        TIME
    }

    public QueuePosition {
        Objects.requireNonNull(kind, "kind");
        offsets = offsets == null ? Map.of() : Map.copyOf(offsets);
        if (kind == Kind.TIME) {
            Objects.requireNonNull(time, "time");
        }
    }

    public static QueuePosition earliest() {
        return new QueuePosition(Kind.EARLIEST, 0, null, null);
    }

    public static QueuePosition latest() {
        return new QueuePosition(Kind.LATEST, 0, null, null);
    }

    public static QueuePosition offset(long offset) {
        return new QueuePosition(Kind.OFFSET, offset, null, null);
    }

    public static QueuePosition offsets(Map<Integer, Long> offsets) {
        return new QueuePosition(Kind.OFFSETS, 0, offsets, null);
    }

    public static QueuePosition time(Instant time) {
        return new QueuePosition(Kind.TIME, 0, null, time);
    }

    /**
     * Parses the text form: {@code earliest}, {@code latest}, an offset ({@code 42}), per-partition offsets
     * ({@code 0:42,1:17}) or an ISO-8601 instant ({@code 2024-05-01T00:00:00Z}).
     *
     * @throws IllegalArgumentException when the text is none of these
     */
    public static QueuePosition parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("A position is needed: earliest, latest, an offset, partition:offset pairs or an ISO-8601 time");
        }
        String value = text.trim();
        if (value.equalsIgnoreCase("earliest")) {
            return earliest();
        }
        if (value.equalsIgnoreCase("latest")) {
            return latest();
        }
        if (value.matches("\\d+")) {
            return offset(Long.parseLong(value));
        }
        if (value.matches("\\d+:\\d+(\\s*,\\s*\\d+:\\d+)*")) {
            Map<Integer, Long> offsets = new TreeMap<>();
            for (String pair : value.split(",")) {
                String[] parts = pair.trim().split(":");
                offsets.put(Integer.parseInt(parts[0]), Long.parseLong(parts[1]));
            }
            return offsets(offsets);
        }
        try {
            return time(Instant.parse(value));
        } catch (DateTimeParseException e) {
            throw new IllegalArgumentException("'" + value + "' is not a position: use earliest, latest, an offset (42), "
                    + "partition:offset pairs (0:42,1:17) or an ISO-8601 time (2024-05-01T00:00:00Z)");
        }
    }

    /** The text form that {@link #parse} reads. */
    @Override
    public String toString() {
        return switch (kind) {
            case EARLIEST -> "earliest";
            case LATEST -> "latest";
            case OFFSET -> Long.toString(offset);
            case OFFSETS -> String.join(",", new TreeMap<>(offsets).entrySet().stream().map(e -> e.getKey() + ":" + e.getValue()).toList());
            case TIME -> time.toString();
        };
    }
}
