package io.nificrm.api.queue;

import java.util.List;
import java.util.Objects;

/**
 * Messages handed to one consumer by {@link CrmChangeQueue#poll}. Until the batch is
 * {@link CrmChangeQueue#acknowledge acknowledged} or {@link CrmChangeQueue#release released} its messages are
 * leased to the caller: no other consumer of the group receives them, nor later messages with the same keys.
 *
 * @param id       identifies the lease inside the service (opaque)
 * @param topic    the topic polled
 * @param group    the consumer group polled for
 * @param messages the messages, in delivery order (per key: publish order)
 */
public record QueueBatch(String id, String topic, String group, List<ReceivedMessage> messages) {
    public QueueBatch {
        Objects.requireNonNull(id, "id");
        messages = List.copyOf(messages);
    }

    public boolean isEmpty() {
        return messages.isEmpty();
    }

    public int size() {
        return messages.size();
    }
}
