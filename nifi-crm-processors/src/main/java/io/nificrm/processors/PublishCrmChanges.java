package io.nificrm.processors;

import io.nificrm.api.CrmException;
import io.nificrm.api.queue.CrmChangeQueue;
import io.nificrm.api.queue.QueueMessage;
import io.nificrm.processors.common.CrmAttributes;
import io.nificrm.processors.common.CrmProperties;
import io.nificrm.processors.common.RecordRouter;
import io.nificrm.processors.common.WholeFlowFileFailure;
import io.nificrm.processors.queue.ChangeMessages;
import io.nificrm.processors.queue.PublishFields;
import io.nificrm.processors.queue.QueueAttributes;
import org.apache.nifi.annotation.behavior.InputRequirement;
import org.apache.nifi.annotation.behavior.ReadsAttribute;
import org.apache.nifi.annotation.behavior.ReadsAttributes;
import org.apache.nifi.annotation.behavior.WritesAttribute;
import org.apache.nifi.annotation.behavior.WritesAttributes;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.SeeAlso;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.components.AllowableValue;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.expression.ExpressionLanguageScope;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.processor.AbstractProcessor;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.exception.ProcessException;
import org.apache.nifi.processor.util.StandardValidators;
import org.apache.nifi.schema.access.SchemaNotFoundException;
import org.apache.nifi.serialization.MalformedRecordException;
import org.apache.nifi.serialization.RecordReader;
import org.apache.nifi.serialization.RecordReaderFactory;
import org.apache.nifi.serialization.RecordSetWriterFactory;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordSchema;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Publishes each record of a FlowFile as one change-record message to a change queue (Kafka topic or database
 * outbox), keyed by object and record id, and routes every record by whether the queue stored it.
 */
@InputRequirement(InputRequirement.Requirement.INPUT_REQUIRED)
@Tags({"crm", "queue", "kafka", "outbox", "publish", "change", "cdc", "sync", "record"})
@CapabilityDescription("Publishes every record of the FlowFile as one message to a Change Queue (KafkaChangeQueue or "
        + "OutboxChangeQueue): a JSON change record with crm_operation, crm_object, crm_key, crm_changed_fields, "
        + "crm_source_timestamp, crm_origin and crm_system followed by the record's own fields. Bookkeeping fields the record "
        + "lacks are filled in (the object from Object, the id from Key Field or the usual id fields, the operation from "
        + "crm_deleted, the time from the usual modified-time fields), so the output of QueryCrmEntities can be published "
        + "as it is. Messages are keyed crm_object/crm_key: the changes of one record stay in order. Records go to "
        + "'success' once the queue has stored them durably, to 'retry' when the queue was unavailable, to 'failure' when "
        + "they cannot become a message or the queue refused them. Records in = success + failure + retry.")
@ReadsAttributes({
        @ReadsAttribute(attribute = CrmAttributes.OBJECT, description = "The default of Object"),
        @ReadsAttribute(attribute = CrmAttributes.SYSTEM, description = "The default of System and Origin")})
@WritesAttributes({
        @WritesAttribute(attribute = QueueAttributes.QUEUE, description = "kafka or outbox"),
        @WritesAttribute(attribute = QueueAttributes.TOPIC, description = "The topic published to"),
        @WritesAttribute(attribute = QueueAttributes.PUBLISHED, description = "On 'success': the messages published"),
        @WritesAttribute(attribute = "record.count", description = "Records in the FlowFile"),
        @WritesAttribute(attribute = CrmAttributes.ERROR_CODE, description = "On 'failure' when the input could not be read: MALFORMED_INPUT"),
        @WritesAttribute(attribute = CrmAttributes.ERROR_MESSAGE, description = "On 'failure' when the input could not be read: why")})
@SeeAlso({ConsumeCrmChanges.class, QueryCrmEntities.class})
public class PublishCrmChanges extends AbstractProcessor {

    static final AllowableValue OPERATION_AUTO = new AllowableValue("auto", "From the record",
            "crm_operation of the record; without it 'delete' when crm_deleted is true, otherwise 'upsert'.");

    static final PropertyDescriptor CHANGE_QUEUE = new PropertyDescriptor.Builder()
            .name("Change Queue")
            .description("The queue to publish to: KafkaChangeQueue or OutboxChangeQueue.")
            .required(true)
            .identifiesControllerService(CrmChangeQueue.class)
            .build();

    static final PropertyDescriptor TOPIC = new PropertyDescriptor.Builder()
            .name("Topic")
            .description("The topic to publish to. Empty uses the queue service's Topic.")
            .required(false)
            .expressionLanguageSupported(ExpressionLanguageScope.FLOWFILE_ATTRIBUTES)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    static final PropertyDescriptor OBJECT = new PropertyDescriptor.Builder()
            .name("Object")
            .description("crm_object for records that have none.")
            .required(false)
            .defaultValue("${" + CrmAttributes.OBJECT + "}")
            .expressionLanguageSupported(ExpressionLanguageScope.FLOWFILE_ATTRIBUTES)
            .addValidator(StandardValidators.NON_EMPTY_VALIDATOR)
            .build();

    static final PropertyDescriptor KEY_FIELD = new PropertyDescriptor.Builder()
            .name("Key Field")
            .description("The field holding the record's id in the source, for records without crm_key. Empty tries Id, id, "
                    + "hs_object_id, ID and <object>id (Dataverse).")
            .required(false)
            .expressionLanguageSupported(ExpressionLanguageScope.FLOWFILE_ATTRIBUTES)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    static final PropertyDescriptor OPERATION = new PropertyDescriptor.Builder()
            .name("Operation")
            .description("crm_operation for records that have none.")
            .required(true)
            .allowableValues(OPERATION_AUTO, new AllowableValue("upsert"), new AllowableValue("create"), new AllowableValue("update"),
                    new AllowableValue("delete"))
            .defaultValue(OPERATION_AUTO.getValue())
            .build();

    static final PropertyDescriptor TIMESTAMP_FIELD = new PropertyDescriptor.Builder()
            .name("Timestamp Field")
            .description("The field holding when the record changed, for records without crm_source_timestamp. Empty tries "
                    + "SystemModstamp, LastModifiedDate, hs_lastmodifieddate, lastmodifieddate, modifiedon, updated_at, modified_at.")
            .required(false)
            .expressionLanguageSupported(ExpressionLanguageScope.FLOWFILE_ATTRIBUTES)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    static final PropertyDescriptor SYSTEM = new PropertyDescriptor.Builder()
            .name("System")
            .description("crm_system for records that have none: the system that reported the change.")
            .required(false)
            .defaultValue("${" + CrmAttributes.SYSTEM + "}")
            .expressionLanguageSupported(ExpressionLanguageScope.FLOWFILE_ATTRIBUTES)
            .addValidator(StandardValidators.NON_EMPTY_VALIDATOR)
            .build();

    static final PropertyDescriptor ORIGIN = new PropertyDescriptor.Builder()
            .name("Origin")
            .description("crm_origin for records that have none: who made the change (system and instance, e.g. "
                    + "salesforce/acme-prod). A two-way sync uses it to recognise its own writes.")
            .required(false)
            .defaultValue("${" + CrmAttributes.SYSTEM + "}")
            .expressionLanguageSupported(ExpressionLanguageScope.FLOWFILE_ATTRIBUTES)
            .addValidator(StandardValidators.NON_EMPTY_VALIDATOR)
            .build();

    static final PropertyDescriptor BATCH_SIZE = new PropertyDescriptor.Builder()
            .name("Batch Size")
            .description("Messages published per call to the queue (one Kafka flush, or one outbox transaction). A failed call "
                    + "sends its records to 'retry' or 'failure' together.")
            .required(true)
            .defaultValue("500")
            .addValidator(StandardValidators.createLongValidator(1, 100_000, true))
            .build();

    static final Relationship REL_SUCCESS = new Relationship.Builder().name("success")
            .description("Records the queue stored durably").build();
    static final Relationship REL_FAILURE = new Relationship.Builder().name("failure")
            .description("Records that cannot become a change message (no object, no key) or that the queue refused, with "
                    + "crm_error_code and crm_error_message; and input that could not be read").build();
    static final Relationship REL_RETRY = new Relationship.Builder().name("retry")
            .description("Records not stored because the queue was unavailable; loop them back").build();

    private static final List<PropertyDescriptor> PROPERTIES = List.of(CHANGE_QUEUE, TOPIC, CrmProperties.RECORD_READER,
            CrmProperties.RECORD_WRITER, OBJECT, KEY_FIELD, OPERATION, TIMESTAMP_FIELD, SYSTEM, ORIGIN, BATCH_SIZE);

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return PROPERTIES;
    }

    @Override
    public Set<Relationship> getRelationships() {
        return Set.of(REL_SUCCESS, REL_FAILURE, REL_RETRY);
    }

    @Override
    public void onTrigger(ProcessContext context, ProcessSession session) throws ProcessException {
        FlowFile flowFile = session.get();
        if (flowFile == null) {
            return;
        }
        CrmChangeQueue queue = context.getProperty(CHANGE_QUEUE).asControllerService(CrmChangeQueue.class);
        String topic = context.getProperty(TOPIC).evaluateAttributeExpressions(flowFile).getValue();
        if (topic == null || topic.isBlank()) {
            topic = queue.defaultTopic();
        }
        String operation = context.getProperty(OPERATION).getValue();
        ChangeMessages.Defaults defaults = new ChangeMessages.Defaults(
                context.getProperty(OBJECT).evaluateAttributeExpressions(flowFile).getValue(),
                context.getProperty(KEY_FIELD).evaluateAttributeExpressions(flowFile).getValue(),
                OPERATION_AUTO.getValue().equals(operation) ? null : operation,
                context.getProperty(TIMESTAMP_FIELD).evaluateAttributeExpressions(flowFile).getValue(),
                context.getProperty(SYSTEM).evaluateAttributeExpressions(flowFile).getValue(),
                context.getProperty(ORIGIN).evaluateAttributeExpressions(flowFile).getValue());
        int batchSize = context.getProperty(BATCH_SIZE).asInteger();
        RecordReaderFactory readerFactory = context.getProperty(CrmProperties.RECORD_READER).asControllerService(RecordReaderFactory.class);
        RecordSetWriterFactory writerFactory = context.getProperty(CrmProperties.RECORD_WRITER).asControllerService(RecordSetWriterFactory.class);

        long started = System.nanoTime();
        Publisher publisher = null;
        Map<Relationship, FlowFile> outputs;
        try (InputStream in = session.read(flowFile);
             RecordReader reader = readerFactory.createRecordReader(flowFile, in, getLogger());
             RecordRouter router = new RecordRouter(session, flowFile, writerFactory, getLogger(), "publish")) {
            RecordSchema schema = reader.getSchema();
            RecordSchema errorSchema = PublishFields.withErrors(schema);
            router.declare(REL_SUCCESS, schema).declare(REL_FAILURE, errorSchema).declare(REL_RETRY, errorSchema);
            publisher = new Publisher(queue, topic, router, errorSchema, defaults, batchSize);
            Record record;
            while ((record = reader.nextRecord()) != null) {
                publisher.add(record);
            }
            publisher.flush();
            outputs = router.finish(Map.of(QueueAttributes.QUEUE, queue.kind(), QueueAttributes.TOPIC, topic),
                    Map.of(REL_SUCCESS, Map.of(QueueAttributes.PUBLISHED, Long.toString(publisher.published))));
        } catch (MalformedRecordException | SchemaNotFoundException | IOException e) {
            long read = publisher == null ? 0 : publisher.in;
            WholeFlowFileFailure.route(session, flowFile, REL_FAILURE, "publish", "MALFORMED_INPUT",
                    "Record " + (read + 1) + " of the input could not be read: " + e.getMessage(), getLogger());
            return;
        }
        FlowFile success = outputs.get(REL_SUCCESS);
        if (success != null) {
            session.getProvenanceReporter().send(success, queue.transitUri(topic), "Published " + publisher.published + " change records",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
        }
        session.remove(flowFile);
        publisher.report(session);
        if (publisher.in != publisher.out()) {
            throw new ProcessException("Record accounting mismatch: " + publisher.in + " in, " + publisher.out() + " out");
        }
    }

    /** Collects records into batches, publishes each batch and routes its records by the outcome. */
    private final class Publisher {
        private final CrmChangeQueue queue;
        private final String topic;
        private final RecordRouter router;
        private final RecordSchema errorSchema;
        private final ChangeMessages.Defaults defaults;
        private final int batchSize;
        private final List<Record> records = new ArrayList<>();
        private final List<QueueMessage> messages = new ArrayList<>();
        long in;
        long published;
        long failed;
        long retry;

        Publisher(CrmChangeQueue queue, String topic, RecordRouter router, RecordSchema errorSchema, ChangeMessages.Defaults defaults,
                  int batchSize) {
            this.queue = queue;
            this.topic = topic;
            this.router = router;
            this.errorSchema = errorSchema;
            this.defaults = defaults;
            this.batchSize = batchSize;
        }

        void add(Record record) throws IOException {
            in++;
            ChangeMessages.Outcome outcome = ChangeMessages.toMessage(record, defaults);
            if (!outcome.ok()) {
                router.route(REL_FAILURE, PublishFields.withError(record, errorSchema, outcome.errorCode(), outcome.errorMessage(), false));
                failed++;
                return;
            }
            records.add(record);
            messages.add(outcome.message());
            if (messages.size() >= batchSize) {
                flush();
            }
        }

        void flush() throws IOException {
            if (messages.isEmpty()) {
                return;
            }
            try {
                queue.publish(topic, messages);
                for (Record record : records) {
                    router.route(REL_SUCCESS, record);
                }
                published += records.size();
            } catch (CrmException e) {
                boolean transientFailure = e.isTransient();
                getLogger().warn("Publishing {} change records to {} failed ({}{}): {}", records.size(), topic, e.reason(),
                        transientFailure ? ", transient" : "", e.getMessage());
                String code = e.code() != null ? e.code() : e.reason().name();
                Relationship relationship = transientFailure ? REL_RETRY : REL_FAILURE;
                for (Record record : records) {
                    router.route(relationship, PublishFields.withError(record, errorSchema, code, e.getMessage(), transientFailure));
                }
                if (transientFailure) {
                    retry += records.size();
                } else {
                    failed += records.size();
                }
            } finally {
                records.clear();
                messages.clear();
            }
        }

        long out() {
            return published + failed + retry;
        }

        void report(ProcessSession session) {
            if (published > 0) {
                session.adjustCounter("Changes Published", published, false);
            }
            if (failed > 0) {
                session.adjustCounter("Changes Failed", failed, false);
            }
            if (retry > 0) {
                session.adjustCounter("Changes To Retry", retry, false);
            }
        }
    }
}
