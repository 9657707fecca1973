package io.nificrm.processors;

import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmException;
import io.nificrm.api.CrmPage;
import io.nificrm.api.CrmQuery;
import io.nificrm.processors.common.CrmAttributes;
import io.nificrm.processors.common.CrmProperties;
import org.apache.nifi.annotation.behavior.InputRequirement;
import org.apache.nifi.annotation.behavior.PrimaryNodeOnly;
import org.apache.nifi.annotation.behavior.Stateful;
import org.apache.nifi.annotation.behavior.TriggerSerially;
import org.apache.nifi.annotation.behavior.WritesAttribute;
import org.apache.nifi.annotation.behavior.WritesAttributes;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.SeeAlso;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.state.Scope;
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
import org.apache.nifi.serialization.RecordSetWriter;
import org.apache.nifi.serialization.RecordSetWriterFactory;
import org.apache.nifi.serialization.WriteResult;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordSchema;

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Reads every record of one object, page by page, into FlowFiles of at most N records. Its position (the page
 * cursor and how many records of that page are already out) is kept in cluster state and advances only when the
 * FlowFile carrying those records is committed, so a restart resumes where it stopped, without loss or re-reading.
 */
@PrimaryNodeOnly
@TriggerSerially
@InputRequirement(InputRequirement.Requirement.INPUT_FORBIDDEN)
@Stateful(scopes = Scope.CLUSTER, description = "The position of a load in progress: the page cursor, records already "
        + "emitted from that page, the load id and its record count. Cleared when the load completes.")
@Tags({"crm", "salesforce", "hubspot", "dynamics", "query", "fetch", "migration", "record"})
@CapabilityDescription("Reads all records of a CRM object through a CRM Connection Service and writes them with a Record "
        + "Writer, at most 'Max Records Per FlowFile' per FlowFile. The schema comes from the service's describe, so "
        + "downstream record processors see real field types. Runs on the primary node only; a load interrupted by a "
        + "restart or a node change resumes from the last committed FlowFile.")
@WritesAttributes({
        @WritesAttribute(attribute = CrmAttributes.SYSTEM, description = "The system read from (salesforce, hubspot, dynamics, jdbc)"),
        @WritesAttribute(attribute = CrmAttributes.OBJECT, description = "The object read"),
        @WritesAttribute(attribute = CrmAttributes.LOAD_MODE, description = "full"),
        @WritesAttribute(attribute = CrmAttributes.LOAD_ID, description = "Identifies one complete load; all its FlowFiles share it"),
        @WritesAttribute(attribute = CrmAttributes.LOAD_INDEX, description = "Position of this FlowFile in its load, from 0"),
        @WritesAttribute(attribute = CrmAttributes.LOAD_RECORDS, description = "Records of the load emitted up to and including this FlowFile"),
        @WritesAttribute(attribute = "record.count", description = "Records in this FlowFile"),
        @WritesAttribute(attribute = "mime.type", description = "The Record Writer's MIME type")})
@SeeAlso({UpsertCrmRecords.class})
public class QueryCrmEntities extends AbstractProcessor {

    static final PropertyDescriptor OBJECT = CrmProperties.object(ExpressionLanguageScope.NONE);

    static final PropertyDescriptor FIELDS = new PropertyDescriptor.Builder()
            .name("Fields")
            .description("Comma-separated API names of the fields to read. Empty reads every field. The id and "
                    + "last-modified fields are always included.")
            .required(false)
            .addValidator(StandardValidators.createRegexMatchingValidator(
                    java.util.regex.Pattern.compile("\\s*[A-Za-z][A-Za-z0-9_]*(\\s*,\\s*[A-Za-z][A-Za-z0-9_]*)*\\s*")))
            .build();

    static final PropertyDescriptor PAGE_SIZE = new PropertyDescriptor.Builder()
            .name("Page Size")
            .description("Records asked for per API call. The service caps it at the system's maximum (Salesforce 2,000, "
                    + "HubSpot 100, Dataverse 5,000).")
            .required(true)
            .defaultValue("2000")
            .addValidator(StandardValidators.createLongValidator(1, 100_000, true))
            .build();

    static final PropertyDescriptor MAX_RECORDS_PER_FLOWFILE = new PropertyDescriptor.Builder()
            .name("Max Records Per FlowFile")
            .description("Most records written into one FlowFile.")
            .required(true)
            .defaultValue("10000")
            .addValidator(StandardValidators.createLongValidator(1, 10_000_000, true))
            .build();

    static final Relationship REL_SUCCESS = new Relationship.Builder()
            .name("success")
            .description("FlowFiles of records read from the CRM")
            .build();

    private static final List<PropertyDescriptor> PROPERTIES = List.of(CrmProperties.CONNECTION_SERVICE, OBJECT, FIELDS,
            PAGE_SIZE, MAX_RECORDS_PER_FLOWFILE, CrmProperties.RECORD_WRITER);

    static final String STATE_CURSOR = "cursor";
    static final String STATE_SKIP = "skip";
    static final String STATE_LOAD_ID = "load.id";
    static final String STATE_RECORDS = "load.records";
    static final String STATE_INDEX = "load.index";

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return PROPERTIES;
    }

    @Override
    public Set<Relationship> getRelationships() {
        return Set.of(REL_SUCCESS);
    }

    /** Where a load stands: committed to cluster state after every FlowFile. */
    private static final class Position {
        String loadId;
        String cursor;
        int skip;
        long records;
        long index;

        static Position from(StateMap state) {
            Position p = new Position();
            p.loadId = state.get(STATE_LOAD_ID);
            if (p.loadId == null) {
                p.loadId = UUID.randomUUID().toString();
                return p;
            }
            p.cursor = state.get(STATE_CURSOR);
            p.skip = Integer.parseInt(state.get(STATE_SKIP) == null ? "0" : state.get(STATE_SKIP));
            p.records = Long.parseLong(state.get(STATE_RECORDS) == null ? "0" : state.get(STATE_RECORDS));
            p.index = Long.parseLong(state.get(STATE_INDEX) == null ? "0" : state.get(STATE_INDEX));
            return p;
        }

        Map<String, String> toState() {
            Map<String, String> map = new HashMap<>();
            map.put(STATE_LOAD_ID, loadId);
            if (cursor != null) {
                map.put(STATE_CURSOR, cursor);
            }
            map.put(STATE_SKIP, Integer.toString(skip));
            map.put(STATE_RECORDS, Long.toString(records));
            map.put(STATE_INDEX, Long.toString(index));
            return map;
        }
    }

    @Override
    public void onTrigger(ProcessContext context, ProcessSession session) throws ProcessException {
        CrmConnectionService service = context.getProperty(CrmProperties.CONNECTION_SERVICE).asControllerService(CrmConnectionService.class);
        RecordSetWriterFactory writerFactory = context.getProperty(CrmProperties.RECORD_WRITER).asControllerService(RecordSetWriterFactory.class);
        String object = context.getProperty(OBJECT).getValue();
        int maxPerFlowFile = context.getProperty(MAX_RECORDS_PER_FLOWFILE).asInteger();
        CrmQuery query = CrmQuery.of(object).withFields(fieldList(context)).withPageSize(context.getProperty(PAGE_SIZE).asInteger());

        Position position;
        try {
            position = Position.from(session.getState(Scope.CLUSTER));
        } catch (IOException e) {
            throw new ProcessException("Cannot read the load position from cluster state", e);
        }
        Batch batch = null;
        long started = System.nanoTime();
        try {
            while (isScheduled()) {
                CrmPage page = service.query(query.withCursor(position.cursor));
                List<Record> records = page.records();
                for (int i = position.skip; i < records.size(); i++) {
                    if (batch == null) {
                        batch = new Batch(session, writerFactory, page.schema());
                    }
                    batch.write(records.get(i));
                    if (batch.count == maxPerFlowFile) {
                        // The state after this FlowFile: the next page, or this page with its first i+1 records done.
                        boolean pageDone = i + 1 == records.size();
                        if (pageDone) {
                            position.cursor = page.nextCursor();
                            position.skip = 0;
                        } else {
                            position.skip = i + 1;
                        }
                        boolean loadDone = pageDone && page.isLast();
                        emit(session, batch, position, service, object, started, loadDone);
                        batch = null;
                        if (loadDone) {
                            return;
                        }
                        started = System.nanoTime();
                    }
                }
                position.skip = 0;
                position.cursor = page.nextCursor();
                if (page.isLast()) {
                    if (batch != null) {
                        emit(session, batch, position, service, object, started, true);
                    } else {
                        completeLoad(session, position, object);
                    }
                    return;
                }
            }
            // Stopped mid-load: the uncommitted part is rolled back and read again at the next start.
            if (batch != null) {
                batch.discard();
            }
        } catch (CrmException e) {
            if (batch != null) {
                batch.discard();
            }
            session.rollback();
            getLogger().error("Reading {} from {} failed ({}{}); the load resumes from its last committed FlowFile: {}",
                    object, service.system(), e.reason(), e.isTransient() ? ", transient" : "", e.getMessage());
            context.yield();
        } catch (IOException | SchemaNotFoundException e) {
            if (batch != null) {
                batch.discard();
            }
            session.rollback();
            throw new ProcessException("Writing records of " + object + " failed: " + e.getMessage(), e);
        }
    }

    private void emit(ProcessSession session, Batch batch, Position position, CrmConnectionService service, String object,
                      long startedNanos, boolean lastOfLoad) throws IOException {
        position.records += batch.count;
        Map<String, String> attributes = new HashMap<>();
        attributes.put(CrmAttributes.SYSTEM, service.system());
        attributes.put(CrmAttributes.OBJECT, object);
        attributes.put(CrmAttributes.LOAD_MODE, "full");
        attributes.put(CrmAttributes.LOAD_ID, position.loadId);
        attributes.put(CrmAttributes.LOAD_INDEX, Long.toString(position.index));
        attributes.put(CrmAttributes.LOAD_RECORDS, Long.toString(position.records));
        FlowFile flowFile = batch.finish(attributes);
        session.getProvenanceReporter().receive(flowFile, service.transitUri(object), "Read " + batch.count + " records of " + object,
                TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startedNanos));
        session.transfer(flowFile, REL_SUCCESS);
        session.adjustCounter("Records Read", batch.count, false);
        position.index++;
        if (lastOfLoad) {
            completeLoad(session, position, object);
        } else {
            session.setState(position.toState(), Scope.CLUSTER);
            session.commitAsync();
        }
    }

    private void completeLoad(ProcessSession session, Position position, String object) throws IOException {
        session.setState(Map.of(), Scope.CLUSTER);
        session.adjustCounter("Loads Completed", 1, false);
        session.commitAsync();
        getLogger().info("Full load {} of {} completed: {} records in {} FlowFiles", position.loadId, object,
                position.records, position.index);
    }

    private static List<String> fieldList(ProcessContext context) {
        String fields = context.getProperty(FIELDS).getValue();
        return fields == null || fields.isBlank() ? List.of()
                : Arrays.stream(fields.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    /** One FlowFile being filled: its writer stays open across pages. */
    private final class Batch {
        private final ProcessSession session;
        private final FlowFile flowFile;
        private final OutputStream out;
        private final RecordSetWriter writer;
        int count;

        Batch(ProcessSession session, RecordSetWriterFactory factory, RecordSchema schema) throws IOException, SchemaNotFoundException {
            this.session = session;
            this.flowFile = session.create();
            this.out = session.write(flowFile);
            this.writer = factory.createWriter(getLogger(), factory.getSchema(Map.of(), schema), out, flowFile);
            writer.beginRecordSet();
        }

        void write(Record record) throws IOException {
            writer.write(record);
            count++;
        }

        FlowFile finish(Map<String, String> attributes) throws IOException {
            WriteResult result = writer.finishRecordSet();
            String mimeType = writer.getMimeType();
            writer.close();
            out.close();
            Map<String, String> all = new HashMap<>(result.getAttributes());
            all.putAll(attributes);
            all.put(CrmAttributes.RECORD_COUNT, Integer.toString(count));
            all.put(CoreAttributes.MIME_TYPE.key(), mimeType);
            return session.putAllAttributes(flowFile, all);
        }

        void discard() {
            try {
                writer.close();
                out.close();
            } catch (IOException | RuntimeException ignored) {
                // The FlowFile is removed; nothing was committed.
            }
            session.remove(flowFile);
        }
    }
}
