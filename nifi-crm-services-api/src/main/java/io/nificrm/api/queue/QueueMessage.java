package io.nificrm.api.queue;

import java.util.Map;
import java.util.Objects;

/**
 * A message to publish: one change record.
 *
 * @param key     orders the message: messages with the same key are delivered in the order they were published (for
 *                change records {@code crm_object + "/" + crm_key}); null means no order relative to other messages
 * @param value   the message body (for change records UTF-8 JSON, see {@code docs/QUEUE.md})
 * @param headers small string metadata (e.g. {@code crm_operation}); never null
 */
public record QueueMessage(String key, byte[] value, Map<String, String> headers) {
    public QueueMessage {
        Objects.requireNonNull(value, "value");
        headers = headers == null ? Map.of() : Map.copyOf(headers);
    }

    public QueueMessage(String key, byte[] value) {
        this(key, value, Map.of());
    }
}
