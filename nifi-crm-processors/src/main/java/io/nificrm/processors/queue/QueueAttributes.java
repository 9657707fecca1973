package io.nificrm.processors.queue;

/** FlowFile attributes written by PublishCrmChanges and ConsumeCrmChanges. */
public final class QueueAttributes {
    private QueueAttributes() {
    }

    /** The kind of queue: kafka or outbox. */
    public static final String QUEUE = "crm.queue";
    public static final String TOPIC = "crm.queue.topic";
    public static final String GROUP = "crm.queue.group";
    public static final String PARTITION = "crm.queue.partition";
    /** Offset (Kafka) or row id (outbox) of the first message in the FlowFile. */
    public static final String OFFSET_FIRST = "crm.queue.offset.first";
    /** Offset (Kafka) or row id (outbox) of the last message in the FlowFile. */
    public static final String OFFSET_LAST = "crm.queue.offset.last";
    /** Messages published from the FlowFile. */
    public static final String PUBLISHED = "crm.queue.published";
}
