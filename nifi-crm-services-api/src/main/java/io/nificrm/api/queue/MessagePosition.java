package io.nificrm.api.queue;

/**
 * Where a published message was stored: the Kafka partition and offset, or partition 0 and the outbox row id.
 */
public record MessagePosition(String topic, int partition, long offset) {
}
