package io.nificrm.processors;

import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmException;
import io.nificrm.api.CrmField;
import io.nificrm.api.CrmFieldType;
import io.nificrm.api.CrmObjectSchema;
import io.nificrm.api.CrmQuery;
import io.nificrm.api.CrmValues;
import io.nificrm.processors.common.CrmAttributes;
import io.nificrm.processors.common.CrmProperties;
import io.nificrm.processors.common.RecordBatch;
import io.nificrm.processors.fetch.LoadPosition;
import io.nificrm.processors.fetch.PageStreamer;
import org.apache.nifi.annotation.behavior.InputRequirement;
import org.apache.nifi.annotation.behavior.PrimaryNodeOnly;
import org.apache.nifi.annotation.behavior.Stateful;
import org.apache.nifi.annotation.behavior.TriggerSerially;
import org.apache.nifi.annotation.behavior.WritesAttribute;
import org.apache.nifi.annotation.behavior.WritesAttributes;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.SeeAlso;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.components.AllowableValue;
import org.apache.nifi.components.ConfigVerificationResult;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.state.Scope;
import org.apache.nifi.expression.ExpressionLanguageScope;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.logging.ComponentLog;
import org.apache.nifi.processor.AbstractProcessor;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.VerifiableProcessor;
import org.apache.nifi.processor.exception.ProcessException;
import org.apache.nifi.processor.util.StandardValidators;
import org.apache.nifi.schema.access.SchemaNotFoundException;
import org.apache.nifi.serialization.RecordSetWriterFactory;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordSchema;

import java.io.IOException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Reads an object from a CRM: all of it (full) or what changed since the last run (incremental). Its position is
 * kept in cluster state and advances only together with the FlowFiles it describes.
 */
@PrimaryNodeOnly
@TriggerSerially
@InputRequirement(InputRequirement.Requirement.INPUT_FORBIDDEN)
@Stateful(scopes = Scope.CLUSTER, description = "The position of the load or change window being read (page cursor, records "
        + "already out), the incremental watermark (end of the last completed window) and the changes emitted within the "
        + "lookback period. Clear it to start over.")
@Tags({"crm", "salesforce", "hubspot", "dynamics", "jdbc", "query", "fetch", "incremental", "cdc", "migration", "sync", "record"})
@CapabilityDescription("Reads records of a CRM object through a CRM Connection Service and writes them with a Record Writer, "
        + "at most 'Max Records Per FlowFile' per FlowFile; the schema comes from the service's describe, so downstream record "
        + "processors see real types. 'Full' reads every live record each time it runs. 'Incremental' reads the change "
        + "window [watermark - Lookback Window, now - Age Delay) on the object's modified time, ordered by (modified time, id): "
        + "re-reading the lookback catches changes that committed late with an older timestamp, and changes already emitted "
        + "are recognised and dropped. Deleted records are flagged or routed to 'deleted'. Runs on the primary node only; "
        + "after a restart or a primary-node change it resumes from the last committed FlowFile, without loss or a full re-read.")
@WritesAttributes({
        @WritesAttribute(attribute = CrmAttributes.SYSTEM, description = "The system read from (salesforce, hubspot, dynamics, jdbc)"),
        @WritesAttribute(attribute = CrmAttributes.OBJECT, description = "The object read"),
        @WritesAttribute(attribute = CrmAttributes.LOAD_MODE, description = "full or incremental"),
        @WritesAttribute(attribute = CrmAttributes.LOAD_ID, description = "Identifies one load or change window; its FlowFiles share it"),
        @WritesAttribute(attribute = CrmAttributes.LOAD_INDEX, description = "Position of this FlowFile in its load, from 0"),
        @WritesAttribute(attribute = CrmAttributes.LOAD_RECORDS, description = "Records of the load emitted up to and including this FlowFile"),
        @WritesAttribute(attribute = CrmAttributes.WATERMARK, description = "Incremental: the modified time and id of the last record in this FlowFile"),
        @WritesAttribute(attribute = "crm.window.from", description = "Incremental: start of the change window read"),
        @WritesAttribute(attribute = "crm.window.until", description = "Incremental: end (exclusive) of the change window read"),
        @WritesAttribute(attribute = "record.count", description = "Records in this FlowFile"),
        @WritesAttribute(attribute = "mime.type", description = "The Record Writer's MIME type")})
@SeeAlso({MapCrmFields.class, UpsertCrmRecords.class, GenerateCrmPartitions.class, FetchCrmPartition.class})
public class QueryCrmEntities extends AbstractProcessor implements VerifiableProcessor {

    static final AllowableValue FULL = new AllowableValue("full", "Full", "Read every live record each time the processor runs.");
    static final AllowableValue INCREMENTAL = new AllowableValue("incremental", "Incremental",
            "Read only what was created, updated or deleted since the previous run.");

    static final AllowableValue DELETES_ROUTE = new AllowableValue("route", "Route to 'deleted'",
            "Deleted records go to the 'deleted' relationship (with crm_deleted = true).");
    static final AllowableValue DELETES_FLAG = new AllowableValue("flag", "Flag in 'success'",
            "Deleted records go to 'success' with crm_deleted = true next to live ones (crm_deleted = false).");
    static final AllowableValue DELETES_IGNORE = new AllowableValue("ignore", "Ignore", "Deleted records are not read.");

    static final PropertyDescriptor OBJECT = CrmProperties.object(ExpressionLanguageScope.NONE);

    static final PropertyDescriptor FIELDS = new PropertyDescriptor.Builder()
            .name("Fields")
            .description("Comma-separated API names of the fields to read. Empty reads every field. The id and "
                    + "last-modified fields are always included.")
            .required(false)
            .addValidator(StandardValidators.createRegexMatchingValidator(
                    java.util.regex.Pattern.compile("\\s*[A-Za-z][A-Za-z0-9_]*(\\s*,\\s*[A-Za-z][A-Za-z0-9_]*)*\\s*")))
            .build();

    static final PropertyDescriptor LOAD_MODE = new PropertyDescriptor.Builder()
            .name("Load Mode")
            .description("Read everything, or only the changes since the last run.")
            .required(true)
            .allowableValues(FULL, INCREMENTAL)
            .defaultValue(FULL)
            .build();

    static final PropertyDescriptor INITIAL_START = new PropertyDescriptor.Builder()
            .name("Initial Start Time")
            .description("Incremental: where the very first change window starts, in ISO-8601 (e.g. 2024-01-01T00:00:00Z). "
                    + "Empty starts from the beginning, so the first run reads every record.")
            .required(false)
            .addValidator(StandardValidators.ISO8601_INSTANT_VALIDATOR)
            .dependsOn(LOAD_MODE, INCREMENTAL)
            .build();

    static final PropertyDescriptor LOOKBACK = new PropertyDescriptor.Builder()
            .name("Lookback Window")
            .description("Incremental: each window starts this far before the previous window's end, to catch changes that "
                    + "committed late with an older modified time. Changes already emitted are dropped, not sent twice.")
            .required(true)
            .defaultValue("5 mins")
            .addValidator(StandardValidators.TIME_PERIOD_VALIDATOR)
            .dependsOn(LOAD_MODE, INCREMENTAL)
            .build();

    static final PropertyDescriptor AGE_DELAY = new PropertyDescriptor.Builder()
            .name("Age Delay")
            .description("Incremental: a window ends this long before now, so changes still being committed (or indexed, as in "
                    + "HubSpot's search) are read in the next window rather than half-way.")
            .required(true)
            .defaultValue("30 secs")
            .addValidator(StandardValidators.TIME_PERIOD_VALIDATOR)
            .dependsOn(LOAD_MODE, INCREMENTAL)
            .build();

    static final PropertyDescriptor DELETED_RECORDS = new PropertyDescriptor.Builder()
            .name("Deleted Records")
            .description("Incremental: what to do with records deleted in the window (when the system reports deletes).")
            .required(true)
            .allowableValues(DELETES_ROUTE, DELETES_FLAG, DELETES_IGNORE)
            .defaultValue(DELETES_ROUTE)
            .dependsOn(LOAD_MODE, INCREMENTAL)
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
            .description("Most records written into one FlowFile. A multiple of Page Size avoids re-reading a page after a restart.")
            .required(true)
            .defaultValue("10000")
            .addValidator(StandardValidators.createLongValidator(1, 10_000_000, true))
            .build();

    static final Relationship REL_SUCCESS = new Relationship.Builder().name("success")
            .description("FlowFiles of records read from the CRM").build();
    static final Relationship REL_DELETED = new Relationship.Builder().name("deleted")
            .description("Incremental with 'Route to deleted': records deleted in the window, with crm_deleted = true").build();

    private static final List<PropertyDescriptor> PROPERTIES = List.of(CrmProperties.CONNECTION_SERVICE, OBJECT, FIELDS,
            LOAD_MODE, INITIAL_START, LOOKBACK, AGE_DELAY, DELETED_RECORDS, PAGE_SIZE, MAX_RECORDS_PER_FLOWFILE,
            CrmProperties.RECORD_WRITER);

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return PROPERTIES;
    }

    @Override
    public Set<Relationship> getRelationships() {
        return Set.of(REL_SUCCESS, REL_DELETED);
    }

    /** The settings of one run. */
    private record Settings(CrmConnectionService service, String object, boolean incremental, String deletes, int maxPerFlowFile,
                            RecordSetWriterFactory writerFactory, CrmQuery query) {
    }

    private Settings settings(ProcessContext context) {
        boolean incremental = INCREMENTAL.getValue().equals(context.getProperty(LOAD_MODE).getValue());
        String deletes = incremental ? context.getProperty(DELETED_RECORDS).getValue() : DELETES_IGNORE.getValue();
        String object = context.getProperty(OBJECT).getValue();
        CrmQuery query = CrmQuery.of(object).withFields(fieldList(context)).withPageSize(context.getProperty(PAGE_SIZE).asInteger())
                .withIncludeDeleted(!DELETES_IGNORE.getValue().equals(deletes));
        return new Settings(context.getProperty(CrmProperties.CONNECTION_SERVICE).asControllerService(CrmConnectionService.class),
                object, incremental, deletes, context.getProperty(MAX_RECORDS_PER_FLOWFILE).asInteger(),
                context.getProperty(CrmProperties.RECORD_WRITER).asControllerService(RecordSetWriterFactory.class), query);
    }

    @Override
    public void onTrigger(ProcessContext context, ProcessSession session) throws ProcessException {
        Settings settings = settings(context);
        LoadPosition position;
        try {
            position = LoadPosition.from(session.getState(Scope.CLUSTER).toMap());
        } catch (IOException e) {
            throw new ProcessException("Cannot read the load position from cluster state", e);
        }
        CrmQuery query = settings.query();
        if (settings.incremental()) {
            if (!position.inProgress() && !beginWindow(context, position)) {
                context.yield();
                return;
            }
            query = query.withWindow(new CrmQuery.ChangeWindow(position.windowFrom, position.windowUntil));
            position.emitted.beginWindow(position.windowUntil);
        } else if (!position.inProgress()) {
            position.begin(null, null);
        }
        Load load = new Load(session, settings, position);
        try {
            PageStreamer.stream(settings.service(), query, position.cursor, position.skip, load, this::isScheduled);
        } catch (CrmException e) {
            load.discard();
            session.rollback();
            getLogger().error("Reading {} from {} failed ({}{}); it resumes from the last committed FlowFile: {}", settings.object(),
                    settings.service().system(), e.reason(), e.isTransient() ? ", transient" : "", e.getMessage());
            context.yield();
            return;
        } catch (IOException | SchemaNotFoundException e) {
            load.discard();
            session.rollback();
            throw new ProcessException("Writing records of " + settings.object() + " failed: " + e.getMessage(), e);
        }
        // Stopped before the end: what was not checkpointed is dropped and read again at the next start.
        load.discard();
    }

    /** Opens the next change window; false when it would be empty (the previous one ended less than Age Delay ago). */
    private boolean beginWindow(ProcessContext context, LoadPosition position) {
        Instant until = Instant.now().minusMillis(context.getProperty(AGE_DELAY).asTimePeriod(TimeUnit.MILLISECONDS)).truncatedTo(ChronoUnit.MILLIS);
        Instant from;
        if (position.watermark == null) {
            String initial = context.getProperty(INITIAL_START).getValue();
            from = initial == null ? null : Instant.parse(initial);
        } else {
            from = position.watermark.minusMillis(context.getProperty(LOOKBACK).asTimePeriod(TimeUnit.MILLISECONDS));
            position.emitted.forgetBefore(from);
        }
        if (from != null && !until.isAfter(from) || position.watermark != null && !until.isAfter(position.watermark)) {
            return false;
        }
        position.begin(from, until);
        return true;
    }

    /** Routes each record of a load into FlowFiles and checkpoints them with the position. */
    private final class Load implements PageStreamer.Handler {
        private final ProcessSession session;
        private final Settings settings;
        private final LoadPosition position;
        private final long started = System.nanoTime();
        private RecordBatch live;
        private RecordBatch deleted;
        private String idField;
        private String modifiedField;
        private Record lastLive;
        private long replays;

        Load(ProcessSession session, Settings settings, LoadPosition position) {
            this.session = session;
            this.settings = settings;
            this.position = position;
        }

        @Override
        public boolean accept(Record record, RecordSchema schema) throws IOException, SchemaNotFoundException {
            if (idField == null) {
                CrmObjectSchema described = settings.service().describe(settings.object());
                idField = described.idField();
                modifiedField = described.modifiedField();
            }
            boolean isDeleted = Boolean.TRUE.equals(record.getValue(CrmConnectionService.DELETED_FIELD));
            if (settings.incremental() && !position.emitted.firstTime(record.getAsString(idField), modified(record), isDeleted)) {
                replays++;
                return false;
            }
            if (isDeleted && DELETES_ROUTE.getValue().equals(settings.deletes())) {
                if (deleted == null) {
                    deleted = new RecordBatch(session, null, settings.writerFactory(), schema, getLogger());
                }
                deleted.write(record);
            } else {
                if (live == null) {
                    live = new RecordBatch(session, null, settings.writerFactory(), schema, getLogger());
                }
                live.write(record);
                lastLive = record;
            }
            return (live != null && live.count() >= settings.maxPerFlowFile())
                    || (deleted != null && deleted.count() >= settings.maxPerFlowFile());
        }

        private Instant modified(Record record) {
            Object value = modifiedField == null ? null : record.getValue(modifiedField);
            return value == null ? null : CrmValues.toInstant(value);
        }

        @Override
        public void checkpoint(String cursor, int skip, boolean done, String nextWindowCursor) throws IOException {
            emit(live, REL_SUCCESS);
            emit(deleted, REL_DELETED);
            live = null;
            deleted = null;
            if (replays > 0) {
                session.adjustCounter("Replays Dropped", replays, false);
                replays = 0;
            }
            position.cursor = cursor;
            position.skip = skip;
            if (done) {
                session.adjustCounter(settings.incremental() ? "Windows Completed" : "Loads Completed", 1, false);
                getLogger().info("{} load {} of {} completed: {} records in {} FlowFiles", settings.incremental() ? "Incremental" : "Full",
                        position.loadId, settings.object(), position.records, position.index);
                position.complete(settings.incremental() ? nextWindowCursor : null);
            }
            session.setState(position.toState(), Scope.CLUSTER);
            session.commitAsync();
        }

        private void emit(RecordBatch batch, Relationship relationship) throws IOException {
            if (batch == null) {
                return;
            }
            position.records += batch.count();
            Map<String, String> attributes = new HashMap<>();
            attributes.put(CrmAttributes.SYSTEM, settings.service().system());
            attributes.put(CrmAttributes.OBJECT, settings.object());
            attributes.put(CrmAttributes.LOAD_MODE, settings.incremental() ? "incremental" : "full");
            attributes.put(CrmAttributes.STAGE, "read");
            attributes.put(CrmAttributes.RELATIONSHIP, relationship.getName());
            attributes.put(CrmAttributes.LOAD_ID, position.loadId);
            attributes.put(CrmAttributes.LOAD_INDEX, Long.toString(position.index++));
            attributes.put(CrmAttributes.LOAD_RECORDS, Long.toString(position.records));
            if (settings.incremental()) {
                attributes.put("crm.window.from", position.windowFrom == null ? "" : position.windowFrom.toString());
                attributes.put("crm.window.until", position.windowUntil.toString());
                if (relationship == REL_SUCCESS && lastLive != null) {
                    Instant modified = modified(lastLive);
                    attributes.put(CrmAttributes.WATERMARK, (modified == null ? "" : modified.toString()) + "|" + lastLive.getAsString(idField));
                }
            }
            FlowFile flowFile = batch.finish(attributes);
            session.getProvenanceReporter().receive(flowFile, settings.service().transitUri(settings.object()),
                    "Read " + batch.count() + " records of " + settings.object(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            session.transfer(flowFile, relationship);
            session.adjustCounter(relationship == REL_SUCCESS ? "Records Read" : "Deleted Records Read", batch.count(), false);
        }

        void discard() {
            if (live != null) {
                live.discard();
            }
            if (deleted != null) {
                deleted.discard();
            }
            live = null;
            deleted = null;
        }
    }

    private static List<String> fieldList(ProcessContext context) {
        String fields = context.getProperty(FIELDS).getValue();
        return fields == null || fields.isBlank() ? List.of()
                : Arrays.stream(fields.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    @Override
    public List<ConfigVerificationResult> verify(ProcessContext context, ComponentLog verificationLogger, Map<String, String> attributes) {
        return FetchVerification.verify(settings(context).service(), context.getProperty(OBJECT).getValue(), fieldList(context),
                INCREMENTAL.getValue().equals(context.getProperty(LOAD_MODE).getValue()));
    }
}
