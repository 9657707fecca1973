package io.nificrm.processors;

import io.nificrm.api.ChangeRecords;
import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmException;
import io.nificrm.api.CrmField;
import io.nificrm.api.CrmObjectSchema;
import io.nificrm.processors.common.CrmAttributes;
import io.nificrm.processors.common.CrmProperties;
import io.nificrm.processors.common.RecordRouter;
import io.nificrm.processors.common.WholeFlowFileFailure;
import io.nificrm.processors.common.WriteOutcomeFields;
import org.apache.nifi.annotation.behavior.InputRequirement;
import org.apache.nifi.annotation.behavior.WritesAttribute;
import org.apache.nifi.annotation.behavior.WritesAttributes;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.SeeAlso;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.components.ConfigVerificationResult;
import org.apache.nifi.components.ConfigVerificationResult.Outcome;
import org.apache.nifi.components.PropertyDescriptor;
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
import org.apache.nifi.serialization.MalformedRecordException;
import org.apache.nifi.serialization.RecordReader;
import org.apache.nifi.serialization.RecordReaderFactory;
import org.apache.nifi.serialization.RecordSetWriterFactory;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.serialization.record.RecordSchema;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Completes change records that carry only ids (push notifications) with the full records, read in batches.
 */
@InputRequirement(InputRequirement.Requirement.INPUT_REQUIRED)
@Tags({"crm", "salesforce", "hubspot", "dynamics", "dataverse", "fetch", "lookup", "enrich", "push", "webhook", "cdc", "sync", "record"})
@CapabilityDescription("Reads the current state of the records that change records name (crm_key, crm_object), in batches of "
        + "'Batch Size' ids per call through a CRM Connection Service, and writes each change record as the full record plus its "
        + "crm_* fields (operation, object, key, changed fields, source timestamp, origin, system). Routes every record: 'success' "
        + "when found (and deletes, which pass through without a fetch), 'not found' when the record no longer exists (e.g. "
        + "deleted since the notification), 'failure' when the change record is unusable or the call was refused for good, "
        + "'retry' when the call failed transiently. Records in always equal records out.")
@WritesAttributes({
        @WritesAttribute(attribute = CrmAttributes.SYSTEM, description = "The system read from"),
        @WritesAttribute(attribute = CrmAttributes.OBJECT, description = "The object of the records in the FlowFile, when they have one"),
        @WritesAttribute(attribute = "record.count", description = "Records in the FlowFile"),
        @WritesAttribute(attribute = CrmAttributes.ERROR_CODE, description = "On 'failure' when the input could not be read: MALFORMED_INPUT")})
@SeeAlso({ListenCrmWebhook.class, UpsertCrmRecords.class, MapCrmFields.class})
public class FetchCrmRecords extends AbstractProcessor implements VerifiableProcessor {

    static final PropertyDescriptor OBJECT = new PropertyDescriptor.Builder()
            .name("Object")
            .description("The object to read, as the system spells it. Empty: each record's crm_object (as ListenCrmWebhook writes it).")
            .required(false)
            .expressionLanguageSupported(ExpressionLanguageScope.FLOWFILE_ATTRIBUTES)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    static final PropertyDescriptor KEY_RECORD_FIELD = new PropertyDescriptor.Builder()
            .name("Key Record Field")
            .description("The field of the incoming records that holds the id to look up.")
            .required(true)
            .defaultValue(ChangeRecords.KEY)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    static final PropertyDescriptor KEY_FIELD = new PropertyDescriptor.Builder()
            .name("Lookup Field")
            .description("The object's field the ids are matched against. Empty: the object's record id field (Id, hs_object_id, "
                    + "contactid...).")
            .required(false)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    static final PropertyDescriptor FIELDS = new PropertyDescriptor.Builder()
            .name("Fields")
            .description("Comma-separated fields to read. Empty reads every field. The id and last-modified fields are always included.")
            .required(false)
            .addValidator(StandardValidators.createRegexMatchingValidator(
                    Pattern.compile("\\s*[A-Za-z][A-Za-z0-9_]*(\\s*,\\s*[A-Za-z][A-Za-z0-9_]*)*\\s*")))
            .build();

    static final PropertyDescriptor BATCH_SIZE = new PropertyDescriptor.Builder()
            .name("Batch Size")
            .description("Distinct ids per lookup call. The service splits larger calls further where its API requires it "
                    + "(HubSpot batch read: 100).")
            .required(true)
            .defaultValue("100")
            .addValidator(StandardValidators.createLongValidator(1, 10_000, true))
            .build();

    static final Relationship REL_SUCCESS = new Relationship.Builder().name("success")
            .description("Full records with their change metadata (crm_* fields); deletes pass through with the id only").build();
    static final Relationship REL_NOT_FOUND = new Relationship.Builder().name("not found")
            .description("Change records whose record no longer exists (e.g. deleted or merged since), unchanged").build();
    static final Relationship REL_FAILURE = new Relationship.Builder().name("failure")
            .description("Change records without a key or object, or whose lookup was refused for good (crm_error_code, "
                    + "crm_error_message); and input that could not be read").build();
    static final Relationship REL_RETRY = new Relationship.Builder().name("retry")
            .description("Change records whose lookup failed transiently (throttling, outage); loop them back").build();

    private static final List<PropertyDescriptor> PROPERTIES = List.of(CrmProperties.CONNECTION_SERVICE, OBJECT, KEY_RECORD_FIELD,
            KEY_FIELD, FIELDS, BATCH_SIZE, CrmProperties.RECORD_READER, CrmProperties.RECORD_WRITER);

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return PROPERTIES;
    }

    @Override
    public Set<Relationship> getRelationships() {
        return Set.of(REL_SUCCESS, REL_NOT_FOUND, REL_FAILURE, REL_RETRY);
    }

    @Override
    public void onTrigger(ProcessContext context, ProcessSession session) throws ProcessException {
        FlowFile flowFile = session.get();
        if (flowFile == null) {
            return;
        }
        CrmConnectionService service = context.getProperty(CrmProperties.CONNECTION_SERVICE).asControllerService(CrmConnectionService.class);
        String fixedObject = context.getProperty(OBJECT).evaluateAttributeExpressions(flowFile).getValue();
        RecordReaderFactory readerFactory = context.getProperty(CrmProperties.RECORD_READER).asControllerService(RecordReaderFactory.class);
        RecordSetWriterFactory writerFactory = context.getProperty(CrmProperties.RECORD_WRITER).asControllerService(RecordSetWriterFactory.class);
        long started = System.nanoTime();
        Fetch fetch = null;
        try (InputStream in = session.read(flowFile);
             RecordReader reader = readerFactory.createRecordReader(flowFile, in, getLogger())) {
            fetch = new Fetch(context, session, flowFile, service, writerFactory, reader.getSchema());
            Record record;
            while ((record = reader.nextRecord()) != null) {
                fetch.in++;
                fetch.add(fixedObject, record);
            }
            fetch.flushAll();
            fetch.finish(started);
        } catch (MalformedRecordException | SchemaNotFoundException | IOException e) {
            if (fetch != null) {
                fetch.close();
            }
            WholeFlowFileFailure.route(session, flowFile, REL_FAILURE, "fetch", "MALFORMED_INPUT",
                    "Record " + (fetch == null ? 1 : fetch.in + 1) + " of the input could not be read: " + e.getMessage(), getLogger());
            return;
        }
        session.remove(flowFile);
        fetch.report(session);
        if (fetch.in != fetch.out()) {
            // Cannot happen by construction; fail loudly rather than lose a record silently.
            throw new ProcessException("Record accounting mismatch: " + fetch.in + " in, " + fetch.out() + " out");
        }
    }

    /** The work on one input FlowFile: batches per object, one success router per object, one router for the rest. */
    private final class Fetch implements AutoCloseable {
        private final ProcessSession session;
        private final FlowFile flowFile;
        private final CrmConnectionService service;
        private final RecordSetWriterFactory writerFactory;
        private final RecordSchema inputSchema;
        private final RecordSchema errorSchema;
        private final String keyRecordField;
        private final String lookupField;
        private final List<String> fields;
        private final int batchSize;
        private final RecordRouter others;
        private final Map<String, Target> targets = new LinkedHashMap<>();
        private final Map<String, Batch> batches = new LinkedHashMap<>();
        long in;
        long success;
        long deletes;
        long notFound;
        long failed;
        long retry;
        long calls;

        Fetch(ProcessContext context, ProcessSession session, FlowFile flowFile, CrmConnectionService service,
              RecordSetWriterFactory writerFactory, RecordSchema inputSchema) {
            this.session = session;
            this.flowFile = flowFile;
            this.service = service;
            this.writerFactory = writerFactory;
            this.inputSchema = inputSchema;
            this.errorSchema = withErrors(inputSchema);
            this.keyRecordField = context.getProperty(KEY_RECORD_FIELD).getValue();
            this.lookupField = context.getProperty(KEY_FIELD).getValue();
            this.fields = fieldList(context);
            this.batchSize = context.getProperty(BATCH_SIZE).asInteger();
            this.others = new RecordRouter(session, flowFile, writerFactory, getLogger(), "fetch")
                    .declare(REL_NOT_FOUND, inputSchema).declare(REL_FAILURE, errorSchema).declare(REL_RETRY, errorSchema);
        }

        void add(String fixedObject, Record record) throws IOException {
            String object = fixedObject != null && !fixedObject.isBlank() ? fixedObject.trim() : record.getAsString(ChangeRecords.OBJECT);
            String key = record.getAsString(keyRecordField);
            if (object == null || object.isBlank()) {
                fail(record, "MISSING_OBJECT", "The record names no object (crm_object) and the Object property is empty", false);
                return;
            }
            if (key == null || key.isBlank()) {
                fail(record, "MISSING_KEY", "The record has no " + keyRecordField, false);
                return;
            }
            Target target = target(object);
            if (target.problem != null) {
                fail(record, target.problem.code() != null ? target.problem.code() : target.problem.reason().name(), target.problem.getMessage(),
                        target.problem.isTransient() || target.problem.reason() == CrmException.Reason.AUTHENTICATION);
                return;
            }
            if ("delete".equalsIgnoreCase(record.getAsString(ChangeRecords.OPERATION))) {
                Map<String, Object> values = new HashMap<>();
                values.put(target.keyField, key.trim());
                target.router.route(REL_SUCCESS, merge(target, values, record));
                deletes++;
                return;
            }
            Batch batch = batches.computeIfAbsent(object, o -> new Batch());
            batch.records.add(record);
            batch.keys.add(key.trim());
            if (batch.keys.size() >= batchSize) {
                flush(object, target, batch);
            }
        }

        void flushAll() throws IOException {
            for (var entry : batches.entrySet()) {
                flush(entry.getKey(), targets.get(entry.getKey()), entry.getValue());
            }
        }

        private void flush(String object, Target target, Batch batch) throws IOException {
            if (batch.records.isEmpty()) {
                return;
            }
            List<Record> found;
            try {
                calls++;
                found = service.lookup(object, target.keyField, new ArrayList<>(batch.keys), fields);
            } catch (CrmException e) {
                boolean transientFailure = e.isTransient() || e.reason() == CrmException.Reason.AUTHENTICATION;
                getLogger().warn("Looking up {} {} records failed ({}{}): {}", batch.keys.size(), object, e.reason(),
                        transientFailure ? ", will retry" : "", e.getMessage());
                for (Record record : batch.records) {
                    fail(record, e.code() != null ? e.code() : e.reason().name(), e.getMessage(), transientFailure);
                }
                batch.clear();
                return;
            }
            Map<String, Record> byKey = new HashMap<>();
            Map<String, Record> byKeyIgnoringCase = new HashMap<>();
            for (Record record : found) {
                String key = record.getAsString(target.keyField);
                if (key != null) {
                    byKey.putIfAbsent(key, record);
                    byKeyIgnoringCase.putIfAbsent(key.toLowerCase(Locale.ROOT), record);
                }
            }
            for (Record record : batch.records) {
                String key = record.getAsString(keyRecordField).trim();
                Record current = byKey.get(key);
                if (current == null) {
                    current = byKeyIgnoringCase.get(key.toLowerCase(Locale.ROOT));
                }
                if (current == null) {
                    others.route(REL_NOT_FOUND, record);
                    notFound++;
                } else {
                    target.router.route(REL_SUCCESS, merge(target, current.toMap(), record));
                    success++;
                }
            }
            batch.clear();
        }

        /** The fetched values, plus the change record's crm_* fields. */
        private Record merge(Target target, Map<String, Object> fetched, Record change) {
            Map<String, Object> values = new LinkedHashMap<>();
            for (RecordField field : target.schema.getFields()) {
                String name = field.getFieldName();
                values.put(name, target.changeFields.contains(name) ? change.getValue(name) : fetched.get(name));
            }
            return new MapRecord(target.schema, values);
        }

        private void fail(Record record, String code, String message, boolean transientFailure) throws IOException {
            Map<String, Object> values = new LinkedHashMap<>(record.toMap());
            values.put(WriteOutcomeFields.ERROR_CODE, code);
            values.put(WriteOutcomeFields.ERROR_MESSAGE, message);
            others.route(transientFailure ? REL_RETRY : REL_FAILURE, new MapRecord(errorSchema, values));
            if (transientFailure) {
                retry++;
            } else {
                failed++;
            }
        }

        /** Describes an object once per FlowFile; a failure is remembered and fails that object's records. */
        private Target target(String object) {
            return targets.computeIfAbsent(object, o -> {
                Target target = new Target();
                try {
                    CrmObjectSchema described = service.describe(o);
                    target.keyField = lookupField != null && !lookupField.isBlank() ? lookupField.trim() : described.idField();
                    List<String> wanted = new ArrayList<>(fields);
                    if (!wanted.isEmpty() && !wanted.contains(target.keyField)) {
                        wanted.add(target.keyField);
                    }
                    List<CrmField> selected = described.resolveFields(wanted);
                    List<RecordField> recordFields = new ArrayList<>(CrmObjectSchema.toRecordSchema(o, selected, false).getFields());
                    Set<String> names = new LinkedHashSet<>();
                    recordFields.forEach(f -> names.add(f.getFieldName()));
                    for (RecordField field : inputSchema.getFields()) {
                        if (field.getFieldName().startsWith("crm_") && names.add(field.getFieldName())) {
                            recordFields.add(new RecordField(field.getFieldName(), field.getDataType(), true));
                            target.changeFields.add(field.getFieldName());
                        }
                    }
                    SimpleRecordSchema schema = new SimpleRecordSchema(recordFields);
                    schema.setSchemaName(o);
                    target.schema = schema;
                    target.router = new RecordRouter(session, flowFile, writerFactory, getLogger(), "fetch").declare(REL_SUCCESS, schema);
                } catch (CrmException e) {
                    target.problem = e;
                } catch (IllegalArgumentException e) {
                    target.problem = new CrmException(CrmException.Reason.CONFIGURATION, e.getMessage());
                }
                return target;
            });
        }

        void finish(long started) throws IOException {
            long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
            for (var entry : targets.entrySet()) {
                Target target = entry.getValue();
                if (target.router == null) {
                    continue;
                }
                Map<Relationship, FlowFile> out = target.router.finish(Map.of(CrmAttributes.SYSTEM, service.system(),
                        CrmAttributes.OBJECT, entry.getKey()));
                FlowFile child = out.get(REL_SUCCESS);
                if (child != null) {
                    session.getProvenanceReporter().fetch(child, service.transitUri(entry.getKey()),
                            "Read the current state of the records named by change records", millis);
                }
            }
            Map<String, String> extra = new HashMap<>();
            extra.put(CrmAttributes.SYSTEM, service.system());
            if (targets.size() == 1) {
                extra.put(CrmAttributes.OBJECT, targets.keySet().iterator().next());
            }
            others.finish(extra);
        }

        long out() {
            return success + deletes + notFound + failed + retry;
        }

        void report(ProcessSession session) {
            counter(session, "Records Fetched", success);
            counter(session, "Deletes Passed Through", deletes);
            counter(session, "Records Not Found", notFound);
            counter(session, "Records Failed", failed);
            counter(session, "Records To Retry", retry);
            counter(session, "Lookup Calls", calls);
        }

        private void counter(ProcessSession session, String name, long n) {
            if (n > 0) {
                session.adjustCounter(name, n, false);
            }
        }

        @Override
        public void close() {
            targets.values().forEach(t -> {
                if (t.router != null) {
                    t.router.close();
                }
            });
            others.close();
        }
    }

    /** One object's lookup settings and output. */
    private static final class Target {
        String keyField;
        RecordSchema schema;
        RecordRouter router;
        final Set<String> changeFields = new LinkedHashSet<>();
        CrmException problem;
    }

    /** Change records waiting for one lookup call. */
    private static final class Batch {
        final List<Record> records = new ArrayList<>();
        final Set<String> keys = new LinkedHashSet<>();

        void clear() {
            records.clear();
            keys.clear();
        }
    }

    private static RecordSchema withErrors(RecordSchema input) {
        List<RecordField> fields = new ArrayList<>();
        for (RecordField field : input.getFields()) {
            if (!field.getFieldName().equals(WriteOutcomeFields.ERROR_CODE) && !field.getFieldName().equals(WriteOutcomeFields.ERROR_MESSAGE)) {
                fields.add(field);
            }
        }
        fields.add(new RecordField(WriteOutcomeFields.ERROR_CODE, RecordFieldType.STRING.getDataType(), true));
        fields.add(new RecordField(WriteOutcomeFields.ERROR_MESSAGE, RecordFieldType.STRING.getDataType(), true));
        return new SimpleRecordSchema(fields);
    }

    private static List<String> fieldList(ProcessContext context) {
        String fields = context.getProperty(FIELDS).getValue();
        return fields == null || fields.isBlank() ? List.of()
                : Arrays.stream(fields.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    @Override
    public List<ConfigVerificationResult> verify(ProcessContext context, ComponentLog verificationLogger, Map<String, String> attributes) {
        List<ConfigVerificationResult> results = new ArrayList<>();
        CrmConnectionService service = context.getProperty(CrmProperties.CONNECTION_SERVICE).asControllerService(CrmConnectionService.class);
        String object = context.getProperty(OBJECT).evaluateAttributeExpressions(attributes).getValue();
        if (object == null || object.isBlank()) {
            results.add(FetchVerification.result("Describe object", Outcome.SKIPPED, "The object comes from each record's crm_object"));
            return results;
        }
        try {
            CrmObjectSchema schema = service.describe(object);
            List<String> wanted = fieldList(context);
            String key = context.getProperty(KEY_FIELD).getValue();
            List<String> unknown = new ArrayList<>(wanted.stream().filter(f -> schema.field(f).isEmpty()).toList());
            if (key != null && schema.field(key).isEmpty()) {
                unknown.add(key);
            }
            results.add(FetchVerification.result("Describe object", Outcome.SUCCESSFUL, object + " has " + schema.fields().size() + " fields"));
            results.add(unknown.isEmpty()
                    ? FetchVerification.result("Check fields", Outcome.SUCCESSFUL, "Records are looked up by "
                    + (key == null ? schema.idField() : key))
                    : FetchVerification.result("Check fields", Outcome.FAILED, object + " has no field(s) " + unknown));
        } catch (CrmException e) {
            results.add(FetchVerification.result("Describe object", Outcome.FAILED, "Cannot describe " + object + ": " + e.getMessage()));
        }
        return results;
    }
}
