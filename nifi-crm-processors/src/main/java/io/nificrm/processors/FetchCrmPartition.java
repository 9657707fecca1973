package io.nificrm.processors;

import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmException;
import io.nificrm.api.CrmPartition;
import io.nificrm.api.CrmQuery;
import io.nificrm.processors.common.CrmAttributes;
import io.nificrm.processors.common.CrmProperties;
import io.nificrm.processors.common.RecordBatch;
import io.nificrm.processors.fetch.PageStreamer;
import org.apache.nifi.annotation.behavior.InputRequirement;
import org.apache.nifi.annotation.behavior.ReadsAttribute;
import org.apache.nifi.annotation.behavior.ReadsAttributes;
import org.apache.nifi.annotation.behavior.WritesAttribute;
import org.apache.nifi.annotation.behavior.WritesAttributes;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.SeeAlso;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.expression.ExpressionLanguageScope;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.processor.AbstractProcessor;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.exception.ProcessException;
import org.apache.nifi.schema.access.SchemaNotFoundException;
import org.apache.nifi.serialization.RecordSetWriterFactory;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordSchema;

import java.io.IOException;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Reads one partition made by {@link GenerateCrmPartitions}. Progress is kept on the partition FlowFile itself: after
 * each output FlowFile it goes back to the queue with its cursor, so any node can continue it and a crash repeats at
 * most one output FlowFile (which idempotent upserts absorb).
 */
@InputRequirement(InputRequirement.Requirement.INPUT_REQUIRED)
@Tags({"crm", "partition", "parallel", "fetch", "migration", "salesforce", "hubspot", "dynamics", "jdbc", "record"})
@CapabilityDescription("Reads the records of one partition (from GenerateCrmPartitions) through a CRM Connection Service and "
        + "writes them with a Record Writer, at most 'Max Records Per FlowFile' per FlowFile. Run it on every node behind a "
        + "load-balanced connection and with several concurrent tasks: partitions are read in parallel, sharing the "
        + "service's rate limit. While a partition is being read its FlowFile returns to the input queue after each output "
        + "FlowFile, carrying the cursor; when it is done it goes to 'completed' with the record count.")
@ReadsAttributes({
        @ReadsAttribute(attribute = FetchCrmPartition.FIELD, description = "The field partitioned on"),
        @ReadsAttribute(attribute = FetchCrmPartition.LOWER, description = "Inclusive lower bound, if any"),
        @ReadsAttribute(attribute = FetchCrmPartition.UPPER, description = "Exclusive upper bound, if any")})
@WritesAttributes({
        @WritesAttribute(attribute = CrmAttributes.SYSTEM, description = "The system read from"),
        @WritesAttribute(attribute = CrmAttributes.OBJECT, description = "The object read"),
        @WritesAttribute(attribute = "crm.partition.records", description = "Records of the partition read so far"),
        @WritesAttribute(attribute = "record.count", description = "Records in the FlowFile"),
        @WritesAttribute(attribute = CrmAttributes.ERROR_MESSAGE, description = "On 'failure': why the partition cannot be read")})
@SeeAlso({GenerateCrmPartitions.class, QueryCrmEntities.class})
public class FetchCrmPartition extends AbstractProcessor {
    static final String FIELD = "crm.partition.field";
    static final String LOWER = "crm.partition.lower";
    static final String UPPER = "crm.partition.upper";
    static final String CURSOR = "crm.partition.cursor";
    static final String SKIP = "crm.partition.skip";
    static final String RECORDS = "crm.partition.records";

    static final PropertyDescriptor OBJECT = new PropertyDescriptor.Builder()
            .fromPropertyDescriptor(CrmProperties.object(ExpressionLanguageScope.FLOWFILE_ATTRIBUTES))
            .defaultValue("${" + CrmAttributes.OBJECT + "}")
            .build();

    static final PropertyDescriptor FIELDS = QueryCrmEntities.FIELDS;
    static final PropertyDescriptor PAGE_SIZE = QueryCrmEntities.PAGE_SIZE;
    static final PropertyDescriptor MAX_RECORDS_PER_FLOWFILE = QueryCrmEntities.MAX_RECORDS_PER_FLOWFILE;

    static final Relationship REL_SUCCESS = new Relationship.Builder().name("success")
            .description("FlowFiles of records of the partition").build();
    static final Relationship REL_COMPLETED = new Relationship.Builder().name("completed")
            .description("The partition FlowFile once it is read completely, with crm.partition.records").build();
    static final Relationship REL_FAILURE = new Relationship.Builder().name("failure")
            .description("A partition that cannot be read (unknown object or field, bad bounds), with crm.error.message").build();

    private static final List<PropertyDescriptor> PROPERTIES = List.of(CrmProperties.CONNECTION_SERVICE, OBJECT, FIELDS, PAGE_SIZE,
            MAX_RECORDS_PER_FLOWFILE, CrmProperties.RECORD_WRITER);

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return PROPERTIES;
    }

    @Override
    public Set<Relationship> getRelationships() {
        return Set.of(REL_SUCCESS, REL_COMPLETED, REL_FAILURE);
    }

    @Override
    public void onTrigger(ProcessContext context, ProcessSession session) throws ProcessException {
        FlowFile partition = session.get();
        if (partition == null) {
            return;
        }
        CrmConnectionService service = context.getProperty(CrmProperties.CONNECTION_SERVICE).asControllerService(CrmConnectionService.class);
        String object = context.getProperty(OBJECT).evaluateAttributeExpressions(partition).getValue();
        String field = partition.getAttribute(FIELD);
        if (object == null || field == null) {
            fail(session, partition, "The FlowFile is not a partition: it needs " + CrmAttributes.OBJECT + " (or the Object property) and " + FIELD);
            return;
        }
        String fields = context.getProperty(FIELDS).getValue();
        CrmQuery query = CrmQuery.of(object)
                .withFields(fields == null || fields.isBlank() ? List.of() : Arrays.stream(fields.split(",")).map(String::trim).toList())
                .withPageSize(context.getProperty(PAGE_SIZE).asInteger())
                .withPartition(new CrmPartition(field, partition.getAttribute(LOWER), partition.getAttribute(UPPER)));
        RecordSetWriterFactory writerFactory = context.getProperty(CrmProperties.RECORD_WRITER).asControllerService(RecordSetWriterFactory.class);
        Part part = new Part(session, partition, service, object, writerFactory, context.getProperty(MAX_RECORDS_PER_FLOWFILE).asInteger());
        int skip = partition.getAttribute(SKIP) == null ? 0 : Integer.parseInt(partition.getAttribute(SKIP));
        try {
            PageStreamer.stream(service, query, partition.getAttribute(CURSOR), skip, part, () -> !part.checkpointed);
        } catch (CrmException e) {
            part.discard();
            if (e.isTransient()) {
                getLogger().warn("Reading a partition of {} failed for now ({}); it will be retried: {}", object, e.reason(), e.getMessage());
                session.rollback(true);
                context.yield();
            } else {
                fail(session, partition, e.getMessage());
            }
        } catch (IOException | SchemaNotFoundException e) {
            part.discard();
            session.rollback(true);
            throw new ProcessException("Writing records of " + object + " failed: " + e.getMessage(), e);
        }
    }

    private void fail(ProcessSession session, FlowFile partition, String message) {
        getLogger().error("Routing partition {} to failure: {}", partition, message);
        session.transfer(session.putAttribute(partition, CrmAttributes.ERROR_MESSAGE, message), REL_FAILURE);
    }

    /** Writes one output FlowFile of the partition, then returns the partition to the queue (or completes it). */
    private final class Part implements PageStreamer.Handler {
        private final ProcessSession session;
        private final FlowFile partition;
        private final CrmConnectionService service;
        private final String object;
        private final RecordSetWriterFactory writerFactory;
        private final int max;
        private final long started = System.nanoTime();
        private RecordBatch batch;
        boolean checkpointed;

        Part(ProcessSession session, FlowFile partition, CrmConnectionService service, String object,
             RecordSetWriterFactory writerFactory, int max) {
            this.session = session;
            this.partition = partition;
            this.service = service;
            this.object = object;
            this.writerFactory = writerFactory;
            this.max = max;
        }

        @Override
        public boolean accept(Record record, RecordSchema schema) throws IOException, SchemaNotFoundException {
            if (batch == null) {
                batch = new RecordBatch(session, partition, writerFactory, schema, getLogger());
            }
            batch.write(record);
            return batch.count() >= max;
        }

        @Override
        public void checkpoint(String cursor, int skip, boolean done, String nextWindowCursor) throws IOException {
            long records = Long.parseLong(partition.getAttribute(RECORDS) == null ? "0" : partition.getAttribute(RECORDS));
            if (batch != null) {
                records += batch.count();
                Map<String, String> attributes = new HashMap<>();
                attributes.put(CrmAttributes.SYSTEM, service.system());
                attributes.put(CrmAttributes.OBJECT, object);
                attributes.put(RECORDS, Long.toString(records));
                attributes.put(CrmAttributes.STAGE, "read");
                attributes.put(CrmAttributes.RELATIONSHIP, REL_SUCCESS.getName());
                FlowFile out = batch.finish(attributes);
                session.getProvenanceReporter().receive(out, service.transitUri(object), "Read " + batch.count()
                        + " records of a partition of " + object, TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
                session.transfer(out, REL_SUCCESS);
                session.adjustCounter("Records Read", batch.count(), false);
                batch = null;
            }
            FlowFile updated = session.putAttribute(partition, RECORDS, Long.toString(records));
            if (done) {
                updated = session.removeAllAttributes(updated, Set.of(CURSOR, SKIP));
                session.transfer(updated, REL_COMPLETED);
                session.adjustCounter("Partitions Completed", 1, false);
            } else {
                Map<String, String> progress = new HashMap<>();
                progress.put(SKIP, Integer.toString(skip));
                if (cursor != null) {
                    progress.put(CURSOR, cursor);
                }
                session.transfer(session.putAllAttributes(updated, progress));
            }
            checkpointed = true;
        }

        void discard() {
            if (batch != null) {
                batch.discard();
                batch = null;
            }
        }
    }
}
