package io.nificrm.processors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.api.ChangeRecords;
import io.nificrm.api.CrmException;
import io.nificrm.api.queue.CrmChangeQueue;
import io.nificrm.api.queue.QueueBatch;
import io.nificrm.api.queue.QueuePosition;
import io.nificrm.api.queue.ReceivedMessage;
import io.nificrm.processors.common.CrmAttributes;
import io.nificrm.processors.common.RecordBatch;
import io.nificrm.processors.queue.ChangeRecordSchema;
import io.nificrm.processors.queue.QueueAttributes;
import org.apache.nifi.annotation.behavior.InputRequirement;
import org.apache.nifi.annotation.behavior.Stateful;
import org.apache.nifi.annotation.behavior.WritesAttribute;
import org.apache.nifi.annotation.behavior.WritesAttributes;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.SeeAlso;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.annotation.lifecycle.OnScheduled;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.components.Validator;
import org.apache.nifi.components.state.Scope;
import org.apache.nifi.components.state.StateManager;
import org.apache.nifi.components.state.StateMap;
import org.apache.nifi.expression.ExpressionLanguageScope;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.flowfile.attributes.CoreAttributes;
import org.apache.nifi.processor.AbstractProcessor;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.exception.ProcessException;
import org.apache.nifi.processor.util.StandardValidators;
import org.apache.nifi.schema.access.SchemaNotFoundException;
import org.apache.nifi.serialization.RecordSetWriterFactory;
import org.apache.nifi.serialization.record.RecordSchema;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Consumes change records from a change queue into FlowFiles, and acknowledges them to the queue only after the
 * session that holds them committed: a failure before that delivers them again.
 */
@InputRequirement(InputRequirement.Requirement.INPUT_FORBIDDEN)
@Stateful(scopes = Scope.CLUSTER, description = "The Replay From value last applied (with its topic and group), so that a "
        + "replay happens once per new value and not at every start.")
@Tags({"crm", "queue", "kafka", "outbox", "consume", "change", "cdc", "sync", "record"})
@CapabilityDescription("Polls a Change Queue (KafkaChangeQueue or OutboxChangeQueue) for change records and writes them "
        + "into FlowFiles, one per object and partition of each poll, in queue order, with a Record Writer (schema: the "
        + "change-record fields, typed, then the object's fields inferred from the JSON) or as the JSON array of the "
        + "messages themselves. The poll is acknowledged (Kafka offsets committed, outbox rows marked done) only after the "
        + "session committed; if anything fails before, nothing is acknowledged and the messages are delivered again "
        + "(at-least-once). The changes of one record (same object and key) arrive in the order they were published and "
        + "never in two FlowFiles at once. Concurrent tasks each get their own consumer. Replay From moves the consumer "
        + "group to an offset or time once when the processor starts.")
@WritesAttributes({
        @WritesAttribute(attribute = QueueAttributes.QUEUE, description = "kafka or outbox"),
        @WritesAttribute(attribute = QueueAttributes.TOPIC, description = "The topic consumed"),
        @WritesAttribute(attribute = QueueAttributes.GROUP, description = "The consumer group"),
        @WritesAttribute(attribute = QueueAttributes.PARTITION, description = "The Kafka partition of the messages (0 for the outbox)"),
        @WritesAttribute(attribute = QueueAttributes.OFFSET_FIRST, description = "Offset (outbox: row id) of the first message"),
        @WritesAttribute(attribute = QueueAttributes.OFFSET_LAST, description = "Offset (outbox: row id) of the last message"),
        @WritesAttribute(attribute = CrmAttributes.OBJECT, description = "crm_object of the records"),
        @WritesAttribute(attribute = CrmAttributes.SYSTEM, description = "crm_system of the records, when they all have the same"),
        @WritesAttribute(attribute = "record.count", description = "Change records in the FlowFile"),
        @WritesAttribute(attribute = "mime.type", description = "The Record Writer's MIME type, or application/json"),
        @WritesAttribute(attribute = CrmAttributes.ERROR_CODE, description = "On 'parse.failure': MALFORMED_MESSAGE")})
@SeeAlso({PublishCrmChanges.class, UpsertCrmRecords.class, MapCrmFields.class})
public class ConsumeCrmChanges extends AbstractProcessor {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final String STATE_REPLAY = "replay.applied";

    private static final Validator POSITION_VALIDATOR = (subject, input, context) -> {
        try {
            QueuePosition.parse(input);
            return new ValidationResult.Builder().subject(subject).input(input).valid(true).build();
        } catch (IllegalArgumentException e) {
            return new ValidationResult.Builder().subject(subject).input(input).valid(false).explanation(e.getMessage()).build();
        }
    };

    static final PropertyDescriptor CHANGE_QUEUE = new PropertyDescriptor.Builder()
            .name("Change Queue")
            .description("The queue to consume from: KafkaChangeQueue or OutboxChangeQueue.")
            .required(true)
            .identifiesControllerService(CrmChangeQueue.class)
            .build();

    static final PropertyDescriptor TOPIC = new PropertyDescriptor.Builder()
            .name("Topic")
            .description("The topic to consume. Empty uses the queue service's Topic.")
            .required(false)
            .expressionLanguageSupported(ExpressionLanguageScope.ENVIRONMENT)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    static final PropertyDescriptor CONSUMER_GROUP = new PropertyDescriptor.Builder()
            .name("Consumer Group")
            .description("The consumer group. Empty uses the queue service's Consumer Group.")
            .required(false)
            .expressionLanguageSupported(ExpressionLanguageScope.ENVIRONMENT)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    static final PropertyDescriptor RECORD_WRITER = new PropertyDescriptor.Builder()
            .name("Record Writer")
            .description("Writes the change records. Empty writes the messages as they are, as one JSON array per FlowFile.")
            .required(false)
            .identifiesControllerService(RecordSetWriterFactory.class)
            .build();

    static final PropertyDescriptor MAX_MESSAGES = new PropertyDescriptor.Builder()
            .name("Max Messages Per Poll")
            .description("The most messages one poll takes; they are acknowledged together.")
            .required(true)
            .defaultValue("1000")
            .addValidator(StandardValidators.createLongValidator(1, 100_000, true))
            .build();

    static final PropertyDescriptor MAX_WAIT = new PropertyDescriptor.Builder()
            .name("Max Wait")
            .description("How long a poll waits for the first message when none is there.")
            .required(true)
            .defaultValue("1 sec")
            .addValidator(StandardValidators.TIME_PERIOD_VALIDATOR)
            .build();

    static final PropertyDescriptor REPLAY_FROM = new PropertyDescriptor.Builder()
            .name("Replay From")
            .description("Moves the consumer group when the processor starts, once per value: earliest, latest, an offset (Kafka: "
                    + "for every partition; outbox: a row id), partition:offset pairs (0:42,1:17) or an ISO-8601 time. Changes "
                    + "from there on are delivered again (within the queue's retention). Stop every consumer of the group first "
                    + "(Kafka refuses to move a group with active members). Empty: no replay.")
            .required(false)
            .addValidator(POSITION_VALIDATOR)
            .build();

    static final Relationship REL_SUCCESS = new Relationship.Builder().name("success")
            .description("Change records, one FlowFile per object and partition of each poll").build();
    static final Relationship REL_PARSE_FAILURE = new Relationship.Builder().name("parse.failure")
            .description("Messages that are not JSON objects, one FlowFile each, content as received").build();

    private static final List<PropertyDescriptor> PROPERTIES = List.of(CHANGE_QUEUE, TOPIC, CONSUMER_GROUP, RECORD_WRITER,
            MAX_MESSAGES, MAX_WAIT, REPLAY_FROM);

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return PROPERTIES;
    }

    @Override
    public Set<Relationship> getRelationships() {
        return Set.of(REL_SUCCESS, REL_PARSE_FAILURE);
    }

    private record Settings(CrmChangeQueue queue, String topic, String group) {
    }

    private static Settings settings(ProcessContext context) {
        CrmChangeQueue queue = context.getProperty(CHANGE_QUEUE).asControllerService(CrmChangeQueue.class);
        String topic = context.getProperty(TOPIC).evaluateAttributeExpressions().getValue();
        String group = context.getProperty(CONSUMER_GROUP).evaluateAttributeExpressions().getValue();
        return new Settings(queue, topic == null || topic.isBlank() ? queue.defaultTopic() : topic.trim(),
                group == null || group.isBlank() ? queue.defaultGroup() : group.trim());
    }

    /** Applies Replay From once per value (and topic and group), across the cluster. */
    @OnScheduled
    public void replay(ProcessContext context) throws IOException {
        String replay = context.getProperty(REPLAY_FROM).getValue();
        if (replay == null || replay.isBlank()) {
            return;
        }
        Settings settings = settings(context);
        String applied = replay.trim() + "|" + settings.topic() + "|" + settings.group();
        StateManager state = context.getStateManager();
        StateMap current = state.getState(Scope.CLUSTER);
        if (applied.equals(current.get(STATE_REPLAY))) {
            return;
        }
        Map<String, String> next = new HashMap<>(current.toMap());
        next.put(STATE_REPLAY, applied);
        if (!state.replace(current, next, Scope.CLUSTER)) {
            getLogger().info("Replay From {} was applied by another node", replay);
            return;
        }
        QueuePosition position = QueuePosition.parse(replay);
        try {
            settings.queue().seek(settings.topic(), settings.group(), position);
        } catch (CrmException e) {
            // Forget the claim so that the next start tries again.
            state.setState(current.toMap(), Scope.CLUSTER);
            throw new ProcessException("Replaying " + settings.topic() + " for group " + settings.group() + " from " + position
                    + " failed: " + e.getMessage(), e);
        }
        getLogger().info("Consumer group {} of {} moved to {}", settings.group(), settings.topic(), position);
    }

    @Override
    public void onTrigger(ProcessContext context, ProcessSession session) throws ProcessException {
        Settings settings = settings(context);
        CrmChangeQueue queue = settings.queue();
        QueueBatch batch;
        long started = System.nanoTime();
        try {
            batch = queue.poll(settings.topic(), settings.group(), context.getProperty(MAX_MESSAGES).asInteger(),
                    Duration.ofMillis(context.getProperty(MAX_WAIT).asTimePeriod(TimeUnit.MILLISECONDS)));
        } catch (CrmException e) {
            getLogger().error("Polling {} for group {} failed ({}): {}", settings.topic(), settings.group(), e.reason(), e.getMessage());
            context.yield();
            return;
        }
        if (batch.isEmpty()) {
            return;
        }
        try {
            RecordSetWriterFactory writerFactory = context.getProperty(RECORD_WRITER).asControllerService(RecordSetWriterFactory.class);
            emit(session, queue, settings, batch, writerFactory, started);
        } catch (IOException | SchemaNotFoundException | RuntimeException e) {
            // Nothing was acknowledged: giving the batch back makes the next poll deliver it again, from its first message.
            session.rollback();
            queue.release(batch);
            getLogger().error("Writing {} change records from {} failed; they will be delivered again: {}", batch.size(),
                    settings.topic(), e.toString(), e);
            context.yield();
            return;
        }
        session.commitAsync(() -> acknowledge(queue, batch), failure -> {
            getLogger().warn("The session holding {} change records of {} did not commit; they will be delivered again: {}",
                    batch.size(), batch.topic(), failure.toString());
            queue.release(batch);
        });
    }

    private void acknowledge(CrmChangeQueue queue, QueueBatch batch) {
        try {
            queue.acknowledge(batch);
        } catch (CrmException e) {
            getLogger().warn("Acknowledging {} change records of {} failed ({}); they are safe in FlowFiles and will be delivered "
                    + "again (duplicates): {}", batch.size(), batch.topic(), e.reason(), e.getMessage());
        }
    }

    /** One group of messages: same object and partition, in queue order. */
    private record Group(String object, int partition, List<ReceivedMessage> messages, List<ObjectNode> parsed) {
    }

    private void emit(ProcessSession session, CrmChangeQueue queue, Settings settings, QueueBatch batch, RecordSetWriterFactory writerFactory,
                      long started) throws IOException, SchemaNotFoundException {
        Map<String, Group> groups = new LinkedHashMap<>();
        long malformed = 0;
        for (ReceivedMessage message : batch.messages()) {
            ObjectNode parsed = parse(message);
            if (parsed == null) {
                malformed++;
                emitMalformed(session, queue, settings, message);
                continue;
            }
            JsonNode objectNode = parsed.get(ChangeRecords.OBJECT);
            String object = objectNode == null || objectNode.isNull() ? "" : objectNode.asText();
            groups.computeIfAbsent(object + "\u0000" + message.partition(),
                    k -> new Group(object, message.partition(), new ArrayList<>(), new ArrayList<>()));
            Group group = groups.get(object + "\u0000" + message.partition());
            group.messages().add(message);
            group.parsed().add(parsed);
        }
        String transitUri = queue.transitUri(settings.topic());
        for (Group group : groups.values()) {
            Map<String, String> attributes = attributes(queue, settings, group);
            FlowFile flowFile;
            if (writerFactory == null) {
                flowFile = session.create();
                flowFile = session.write(flowFile, out -> writeJsonArray(out, group.messages()));
                attributes.put(CrmAttributes.RECORD_COUNT, Integer.toString(group.messages().size()));
                attributes.put(CoreAttributes.MIME_TYPE.key(), "application/json");
                flowFile = session.putAllAttributes(flowFile, attributes);
            } else {
                RecordSchema schema = ChangeRecordSchema.infer(group.parsed());
                RecordBatch records = new RecordBatch(session, null, writerFactory, schema, getLogger());
                try {
                    for (ObjectNode node : group.parsed()) {
                        records.write(ChangeRecordSchema.toRecord(node, schema));
                    }
                    flowFile = records.finish(attributes);
                } catch (IOException | RuntimeException e) {
                    records.discard();
                    throw e;
                }
            }
            session.getProvenanceReporter().receive(flowFile, transitUri, "Received " + group.messages().size()
                    + " change records from partition " + group.partition() + ", offsets " + attributes.get(QueueAttributes.OFFSET_FIRST)
                    + "-" + attributes.get(QueueAttributes.OFFSET_LAST), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            session.transfer(flowFile, REL_SUCCESS);
        }
        session.adjustCounter("Changes Received", batch.size() - malformed, false);
        if (malformed > 0) {
            session.adjustCounter("Malformed Messages", malformed, false);
        }
    }

    private static Map<String, String> attributes(CrmChangeQueue queue, Settings settings, Group group) {
        Map<String, String> attributes = new HashMap<>();
        attributes.put(QueueAttributes.QUEUE, queue.kind());
        attributes.put(QueueAttributes.TOPIC, settings.topic());
        attributes.put(QueueAttributes.GROUP, settings.group());
        attributes.put(QueueAttributes.PARTITION, Integer.toString(group.partition()));
        attributes.put(QueueAttributes.OFFSET_FIRST, Long.toString(group.messages().get(0).offset()));
        attributes.put(QueueAttributes.OFFSET_LAST, Long.toString(group.messages().get(group.messages().size() - 1).offset()));
        attributes.put(CrmAttributes.STAGE, "consume");
        attributes.put(CrmAttributes.RELATIONSHIP, REL_SUCCESS.getName());
        if (!group.object().isEmpty()) {
            attributes.put(CrmAttributes.OBJECT, group.object());
        }
        String system = null;
        for (ObjectNode node : group.parsed()) {
            JsonNode value = node.get(ChangeRecords.SYSTEM);
            String text = value == null || value.isNull() ? null : value.asText();
            if (system == null) {
                system = text;
            } else if (!Objects.equals(system, text)) {
                system = null;
                break;
            }
        }
        if (system != null) {
            attributes.put(CrmAttributes.SYSTEM, system);
        }
        return attributes;
    }

    private static ObjectNode parse(ReceivedMessage message) {
        try {
            JsonNode node = JSON.readTree(message.value());
            return node instanceof ObjectNode object ? object : null;
        } catch (IOException e) {
            return null;
        }
    }

    private static void writeJsonArray(OutputStream out, List<ReceivedMessage> messages) throws IOException {
        out.write('[');
        for (int i = 0; i < messages.size(); i++) {
            if (i > 0) {
                out.write(',');
            }
            out.write(messages.get(i).value());
        }
        out.write(']');
    }

    private void emitMalformed(ProcessSession session, CrmChangeQueue queue, Settings settings, ReceivedMessage message) {
        FlowFile flowFile = session.create();
        flowFile = session.write(flowFile, out -> out.write(message.value()));
        Map<String, String> attributes = new HashMap<>();
        attributes.put(QueueAttributes.QUEUE, queue.kind());
        attributes.put(QueueAttributes.TOPIC, settings.topic());
        attributes.put(QueueAttributes.GROUP, settings.group());
        attributes.put(QueueAttributes.PARTITION, Integer.toString(message.partition()));
        attributes.put(QueueAttributes.OFFSET_FIRST, Long.toString(message.offset()));
        attributes.put(QueueAttributes.OFFSET_LAST, Long.toString(message.offset()));
        if (message.key() != null) {
            attributes.put("crm.queue.key", message.key());
        }
        attributes.put(CrmAttributes.ERROR_CODE, "MALFORMED_MESSAGE");
        attributes.put(CrmAttributes.ERROR_MESSAGE, "The message is not a JSON object (not a change record)");
        attributes.put(CrmAttributes.STAGE, "consume");
        attributes.put(CrmAttributes.RELATIONSHIP, REL_PARSE_FAILURE.getName());
        flowFile = session.putAllAttributes(flowFile, attributes);
        session.getProvenanceReporter().receive(flowFile, queue.transitUri(settings.topic()), "Received a message that is not a change record");
        session.transfer(flowFile, REL_PARSE_FAILURE);
    }
}
