package io.nificrm.api.queue;

import io.nificrm.api.CrmException;
import org.apache.nifi.controller.ControllerService;

import java.time.Duration;
import java.util.List;

/**
 * A durable queue that carries change records from the source side of a sync to the target side: a Kafka topic or
 * a database outbox table. {@code PublishCrmChanges} publishes through it, {@code ConsumeCrmChanges} consumes.
 * <p>
 * <b>Delivery contract</b> (every implementation):
 * <ul>
 *   <li><b>Durable publish.</b> {@link #publish} returns only when every message of the call is stored durably
 *       (Kafka: acknowledged by all in-sync replicas; outbox: committed). When it throws, any subset of the messages
 *       may have been stored: publishing them again is safe but may duplicate some (at-least-once).</li>
 *   <li><b>Order per key.</b> Messages with the same non-null key are delivered to a consumer group in the order
 *       they were published, and never two at once: while a batch holding a key is leased (polled, neither
 *       acknowledged nor released nor expired), no other poll of the group receives that key. Messages with
 *       different keys have no order between them.</li>
 *   <li><b>At-least-once.</b> A message is delivered again until a batch holding it is {@link #acknowledge
 *       acknowledged}. Callers acknowledge only after what they made of the batch is safe (for a processor: after
 *       its session committed). A {@link #release released} batch, a batch whose lease expired (outbox) or whose
 *       consumer left the group (Kafka rebalance, service disabled, node lost) is redelivered, to this or another
 *       consumer of the group. Consumers must therefore tolerate duplicates (upserts by key do).</li>
 *   <li><b>Replay.</b> {@link #seek} moves a group back (or forward) to an offset or a time, within what the queue
 *       still keeps (Kafka retention; outbox Retention).</li>
 * </ul>
 * <b>Threads.</b> Every method may be called from many threads. A batch is leased to whoever polled it: it may be
 * acknowledged or released from any thread (e.g. a session-commit callback), once. Implementations keep one
 * underlying consumer per leased batch (Kafka consumers are not thread-safe), so concurrent polls of the same group
 * each get their own consumer; an idle consumer is reused by the next poll.
 * <p>
 * Failures of a call as a whole throw {@link CrmException}; {@link CrmException#isTransient()} says whether
 * trying again later can help. Messages never hold message contents or secrets.
 */
public interface CrmChangeQueue extends ControllerService {

    /** The kind of queue, lower case: {@code kafka} or {@code outbox}. */
    String kind();

    /** The topic configured on the service, used when a processor names none. */
    String defaultTopic();

    /** The consumer group configured on the service, used when a processor names none. */
    String defaultGroup();

    /**
     * Publishes messages and waits until all are stored durably.
     *
     * @return where each message was stored, in the order given
     * @throws CrmException when any message could not be stored (then any subset may have been; see the contract)
     */
    List<MessagePosition> publish(String topic, List<QueueMessage> messages);

    /**
     * Takes up to {@code maxMessages} messages for a consumer group, waiting up to {@code maxWait} for the first to
     * arrive. The batch is leased to the caller until {@link #acknowledge} or {@link #release}. An empty batch
     * need not be acknowledged (doing so is harmless).
     *
     * @throws CrmException when the queue cannot be reached
     */
    QueueBatch poll(String topic, String group, int maxMessages, Duration maxWait);

    /**
     * Marks a polled batch as processed (Kafka: commits the offsets after its messages; outbox: marks its rows
     * done): its messages are not delivered to the group again. Call it only after the batch is safe elsewhere
     * (a processor: in the success callback of its session commit). Ends the lease.
     *
     * @throws CrmException when the acknowledgement could not be stored; the batch is then delivered again later
     *                      (the caller already has it: a duplicate, never a loss)
     */
    void acknowledge(QueueBatch batch);

    /**
     * Gives a polled batch back unprocessed (the caller's session rolled back): its messages are delivered again,
     * from the first, to the next poll of the group. Ends the lease. Never throws; what cannot be released now is
     * redelivered when the lease expires or the consumer leaves the group.
     */
    void release(QueueBatch batch);

    /**
     * Moves a consumer group to a position, for replay: the next polls of the group start there. Leases the group
     * holds in this service are dropped (their batches will be redelivered from the new position).
     *
     * @throws CrmException when the position cannot be applied (e.g. other members of a Kafka group are active)
     */
    void seek(String topic, String group, QueuePosition position);

    /** Where messages of a topic live, for provenance: {@code kafka://host:port/topic} or the JDBC URL and table. */
    String transitUri(String topic);
}
