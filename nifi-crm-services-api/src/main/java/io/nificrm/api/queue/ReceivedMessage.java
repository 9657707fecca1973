package io.nificrm.api.queue;

import java.time.Instant;
import java.util.Map;
import java.util.Objects;

/**
 * A message as a consumer receives it, with where it sits in the queue.
 *
 * @param topic     the topic (Kafka) or outbox topic it came from
 * @param partition the Kafka partition; always 0 for the outbox
 * @param offset    the Kafka offset in its partition; the outbox row id
 * @param key       the key it was published with, or null
 * @param value     the message body
 * @param headers   its headers; never null
 * @param timestamp when it was published (Kafka record timestamp, outbox {@code created_at}), or null
 */
public record ReceivedMessage(String topic, int partition, long offset, String key, byte[] value, Map<String, String> headers,
                              Instant timestamp) {
    public ReceivedMessage {
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(value, "value");
        headers = headers == null ? Map.of() : Map.copyOf(headers);
    }
}
