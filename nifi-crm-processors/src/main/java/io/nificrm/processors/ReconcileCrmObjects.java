package io.nificrm.processors;

import io.nificrm.api.ChangeRecords;
import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmException;
import io.nificrm.api.CrmField;
import io.nificrm.api.CrmObjectSchema;
import io.nificrm.processors.common.CrmAttributes;
import io.nificrm.processors.common.CrmProperties;
import io.nificrm.processors.common.MappingProperties;
import io.nificrm.processors.common.RecordBatch;
import io.nificrm.processors.mapping.CompiledMapping;
import io.nificrm.processors.mapping.MappingSpec;
import io.nificrm.processors.reconcile.ReconcileReport;
import io.nificrm.processors.reconcile.Reconciliation;
import org.apache.nifi.annotation.behavior.InputRequirement;
import org.apache.nifi.annotation.behavior.TriggerSerially;
import org.apache.nifi.annotation.behavior.WritesAttribute;
import org.apache.nifi.annotation.behavior.WritesAttributes;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.SeeAlso;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.components.AllowableValue;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationContext;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.context.PropertyContext;
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
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.serialization.record.RecordSchema;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Compares an object between a source and a target and reports what is missing, extra or different. Not
 * {@code @PrimaryNodeOnly}: NiFi does not schedule a primary-node-only processor that has an incoming connection, and
 * a reconciliation triggered by a migration's report needs one.
 */
@TriggerSerially
@InputRequirement(InputRequirement.Requirement.INPUT_ALLOWED)
@Tags({"crm", "reconcile", "reconciliation", "compare", "diff", "verify", "audit", "checksum", "migration", "sync", "salesforce", "hubspot", "dynamics"})
@CapabilityDescription("Compares one object between a source and a target CRM, in the target's terms: every source record is mapped with "
        + "the mapping (as MapCrmFields would) and compared with the target record that holds its key (e.g. HubSpot source_id = "
        + "Salesforce Id) over the compared fields, by per-record 64-bit checksums. Emits a JSON report (records on each side, "
        + "matched, missing in target, extra in target, different, with per-field difference counts and example keys) and the "
        + "records to repair: 'missing' (source records mapped to the target, ready for UpsertCrmRecords by the key field), "
        + "'different' (the source's mapped version with the target id and crm_changed_fields naming the differing fields) and "
        + "'extra' (target ids and keys no source record has). Full scope reads both sides completely, holding about 200 bytes "
        + "per target record (Partitions divides that); Window scope checks only source records modified in a recent window. "
        + "Runs on a schedule (set its Execution Node to 'Primary node' so a cluster compares once), or once per incoming "
        + "FlowFile (e.g. TrackCrmLoad's report after a migration), on the node the trigger arrives at.")
@WritesAttributes({
        @WritesAttribute(attribute = "crm.reconcile.matched", description = "On the report: records equal on both sides"),
        @WritesAttribute(attribute = "crm.reconcile.missing", description = "On the report: source records the target lacks"),
        @WritesAttribute(attribute = "crm.reconcile.extra", description = "On the report: target records no source record has"),
        @WritesAttribute(attribute = "crm.reconcile.different", description = "On the report: records whose compared fields differ"),
        @WritesAttribute(attribute = "crm.reconcile.in.sync", description = "On the report: true when nothing was found"),
        @WritesAttribute(attribute = CrmAttributes.SYSTEM, description = "The target system"),
        @WritesAttribute(attribute = CrmAttributes.OBJECT, description = "The target object"),
        @WritesAttribute(attribute = "record.count", description = "On record outputs: records in the FlowFile"),
        @WritesAttribute(attribute = CrmAttributes.ERROR_MESSAGE, description = "On 'failure': why the run failed")})
@SeeAlso({SyncCrmChanges.class, TrackCrmLoad.class, UpsertCrmRecords.class, MapCrmFields.class})
public class ReconcileCrmObjects extends AbstractProcessor {

    static final AllowableValue SCOPE_FULL = new AllowableValue("full", "Full",
            "Read both objects completely: finds missing, extra and different records.");
    static final AllowableValue SCOPE_WINDOW = new AllowableValue("window", "Changed Recently",
            "Read only the source records modified within Window and look their counterparts up by key: finds missing and "
                    + "different ones cheaply, not extras.");

    static final PropertyDescriptor SOURCE_SERVICE = MappingProperties.connectionService("Source Connection Service",
            "The system of record to compare from.", true);

    static final PropertyDescriptor SOURCE_OBJECT = MappingProperties.apiName("Source Object",
            "The source object. Empty uses the mapping's source.object.");

    static final PropertyDescriptor TARGET_SERVICE = MappingProperties.connectionService("Target Connection Service",
            "The system to check.", true);

    static final PropertyDescriptor TARGET_OBJECT = MappingProperties.apiName("Target Object",
            "The target object. Empty uses the mapping's target.object.");

    static final PropertyDescriptor MAPPING = MappingProperties.mapping("Mapping",
            "The mapping from source to target (JSON text or a file path; see MapCrmFields), so records are compared "
                    + "in the target's terms. Leave empty to use a Mapping Preset.");

    static final PropertyDescriptor PRESET = MappingProperties.preset("Mapping Preset",
            "A mapping shipped with the bundle, used when Mapping is empty.");

    static final PropertyDescriptor TARGET_KEY = MappingProperties.apiName("Target Key Field",
            "The target field holding the source key (e.g. HubSpot source_id, Salesforce External_Id__c). Empty: the "
                    + "target field the mapping fills from the Source Key Field.");

    static final PropertyDescriptor SOURCE_KEY = MappingProperties.apiName("Source Key Field",
            "The source field whose value the Target Key Field holds. Empty: the source object's id field.");

    static final PropertyDescriptor COMPARE_FIELDS = new PropertyDescriptor.Builder()
            .name("Compare Fields")
            .description("Comma-separated target fields to compare. Empty compares every plain field the mapping writes that the "
                    + "target describes and can write, except the key field (references such as associations.companies are not compared).")
            .required(false)
            .addValidator(StandardValidators.createRegexMatchingValidator(
                    Pattern.compile("\\s*[A-Za-z][A-Za-z0-9_]*(\\s*,\\s*[A-Za-z][A-Za-z0-9_]*)*\\s*")))
            .build();

    static final PropertyDescriptor SCOPE = new PropertyDescriptor.Builder()
            .name("Scope")
            .description("What to compare.")
            .required(true)
            .allowableValues(SCOPE_FULL, SCOPE_WINDOW)
            .defaultValue(SCOPE_FULL)
            .build();

    static final PropertyDescriptor WINDOW = new PropertyDescriptor.Builder()
            .name("Window")
            .description("Changed Recently: how far back the source's modified time is read (e.g. 1 hour, 1 day).")
            .required(true)
            .defaultValue("1 hour")
            .dependsOn(SCOPE, SCOPE_WINDOW)
            .addValidator(StandardValidators.TIME_PERIOD_VALIDATOR)
            .build();

    static final PropertyDescriptor PARTITIONS = new PropertyDescriptor.Builder()
            .name("Partitions")
            .description("Full scope: the key space is compared in this many hash slices, one after the other; each slice reads "
                    + "both objects again but holds only its share of the target's checksums. 1 holds all of them (about 200 "
                    + "bytes each: 1 million target records need about 200 MB of heap).")
            .required(true)
            .defaultValue("1")
            .dependsOn(SCOPE, SCOPE_FULL)
            .addValidator(StandardValidators.createLongValidator(1, 1024, true))
            .build();

    static final PropertyDescriptor PAGE_SIZE = QueryCrmEntities.PAGE_SIZE;

    static final PropertyDescriptor MAX_RECORDS_PER_FLOWFILE = new PropertyDescriptor.Builder()
            .fromPropertyDescriptor(QueryCrmEntities.MAX_RECORDS_PER_FLOWFILE)
            .description("Most records in one 'missing', 'different' or 'extra' FlowFile.")
            .build();

    static final PropertyDescriptor SAMPLES = new PropertyDescriptor.Builder()
            .name("Report Samples")
            .description("How many example keys of each finding the report lists.")
            .required(true)
            .defaultValue("20")
            .addValidator(StandardValidators.createLongValidator(0, 10_000, true))
            .build();

    static final Relationship REL_REPORT = new Relationship.Builder().name("report")
            .description("One JSON report per run").build();
    static final Relationship REL_MISSING = new Relationship.Builder().name("missing")
            .description("Source records the target lacks, mapped to the target (crm_key holds the source key)").build();
    static final Relationship REL_DIFFERENT = new Relationship.Builder().name("different")
            .description("Source records whose counterpart differs: the target id field, the source's mapped version and "
                    + "crm_changed_fields (the differing fields)").build();
    static final Relationship REL_EXTRA = new Relationship.Builder().name("extra")
            .description("Target records no source record has: the target id field, the key field and crm_sync_reason "
                    + "(no-source-record, no-key, duplicate-key)").build();
    static final Relationship REL_ORIGINAL = new Relationship.Builder().name("original")
            .description("The FlowFile that triggered the run").build();
    static final Relationship REL_FAILURE = new Relationship.Builder().name("failure")
            .description("The triggering FlowFile when the run failed").build();

    private static final List<PropertyDescriptor> PROPERTIES = List.of(SOURCE_SERVICE, SOURCE_OBJECT, TARGET_SERVICE, TARGET_OBJECT,
            MAPPING, PRESET, SOURCE_KEY, TARGET_KEY, COMPARE_FIELDS, SCOPE, WINDOW, PARTITIONS, PAGE_SIZE, MAX_RECORDS_PER_FLOWFILE,
            SAMPLES, CrmProperties.RECORD_WRITER);

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return PROPERTIES;
    }

    @Override
    public Set<Relationship> getRelationships() {
        return Set.of(REL_REPORT, REL_MISSING, REL_DIFFERENT, REL_EXTRA, REL_ORIGINAL, REL_FAILURE);
    }

    @Override
    protected Collection<ValidationResult> customValidate(ValidationContext context) {
        List<ValidationResult> results = new ArrayList<>();
        if (context.getProperty(MAPPING).isSet() == context.getProperty(PRESET).isSet()) {
            results.add(new ValidationResult.Builder().subject(MAPPING.getName()).valid(false)
                    .explanation("Set exactly one of Mapping and Mapping Preset").build());
            return results;
        }
        try {
            CompiledMapping.compile(readSpec(context), null, null);
        } catch (IllegalArgumentException | IOException e) {
            results.add(new ValidationResult.Builder().subject(MAPPING.getName()).valid(false).explanation(e.getMessage()).build());
        }
        return results;
    }

    private static MappingSpec readSpec(PropertyContext context) throws IOException {
        return MappingProperties.read(context, MAPPING, PRESET);
    }

    @Override
    public void onTrigger(ProcessContext context, ProcessSession session) throws ProcessException {
        FlowFile trigger = null;
        if (context.hasIncomingConnection()) {
            trigger = session.get();
            if (trigger == null && context.hasNonLoopConnection()) {
                return;
            }
        }
        Reconciliation.Settings settings;
        try {
            settings = settings(context);
        } catch (IllegalArgumentException | CrmException | IOException e) {
            fail(context, session, trigger, "The reconciliation cannot start: " + e.getMessage(), e);
            return;
        }
        RecordSetWriterFactory writerFactory = context.getProperty(CrmProperties.RECORD_WRITER).asControllerService(RecordSetWriterFactory.class);
        Outputs outputs = new Outputs(session, trigger, writerFactory, settings, context.getProperty(MAX_RECORDS_PER_FLOWFILE).asInteger());
        ReconcileReport report;
        long started = System.nanoTime();
        try {
            report = new Reconciliation(settings, this::isScheduled).run(outputs);
            outputs.flush();
        } catch (Reconciliation.Stopped e) {
            outputs.discard();
            session.rollback();
            getLogger().info("Reconciliation of {} stopped before it finished; nothing was emitted", settings.targetSchema().name());
            return;
        } catch (CrmException | IOException | UncheckedIOException e) {
            outputs.discard();
            fail(context, session, trigger, "Reconciling " + settings.sourceSchema().name() + " with " + settings.targetSchema().name()
                    + " failed: " + e.getMessage(), e);
            return;
        }
        FlowFile reportFlowFile = trigger == null ? session.create() : session.create(trigger);
        byte[] json = report.toJson().getBytes(StandardCharsets.UTF_8);
        reportFlowFile = session.write(reportFlowFile, out -> out.write(json));
        Map<String, String> attributes = new HashMap<>(outputs.attributes());
        attributes.put(CoreAttributes.MIME_TYPE.key(), "application/json");
        attributes.put("crm.reconcile.matched", Long.toString(report.matched()));
        attributes.put("crm.reconcile.missing", Long.toString(report.missing()));
        attributes.put("crm.reconcile.extra", Long.toString(report.extra()));
        attributes.put("crm.reconcile.different", Long.toString(report.different()));
        attributes.put("crm.reconcile.in.sync", Boolean.toString(report.inSync()));
        attributes.put(CrmAttributes.RELATIONSHIP, REL_REPORT.getName());
        reportFlowFile = session.putAllAttributes(reportFlowFile, attributes);
        session.getProvenanceReporter().create(reportFlowFile, "Reconciled " + report.sourceRecords() + " source and "
                + report.targetRecords() + " target records");
        session.transfer(reportFlowFile, REL_REPORT);
        if (trigger != null) {
            session.transfer(trigger, REL_ORIGINAL);
        }
        session.adjustCounter("Records Matched", report.matched(), false);
        session.adjustCounter("Records Missing", report.missing(), false);
        session.adjustCounter("Records Extra", report.extra(), false);
        session.adjustCounter("Records Different", report.different(), false);
        session.adjustCounter("Reconciliations", 1, false);
        getLogger().info("Reconciled {} with {} in {} ms: {} matched, {} missing, {} extra, {} different, {} unmappable",
                settings.sourceSchema().name(), settings.targetSchema().name(), TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
                report.matched(), report.missing(), report.extra(), report.different(), report.unmappable());
    }

    private void fail(ProcessContext context, ProcessSession session, FlowFile trigger, String message, Exception e) {
        getLogger().error(message, e);
        if (trigger != null) {
            session.transfer(session.putAllAttributes(trigger, Map.of(CrmAttributes.ERROR_MESSAGE, message,
                    CrmAttributes.RELATIONSHIP, REL_FAILURE.getName())), REL_FAILURE);
        } else {
            context.yield();
        }
    }

    private Reconciliation.Settings settings(ProcessContext context) throws IOException {
        MappingSpec spec = readSpec(context);
        CrmConnectionService source = context.getProperty(SOURCE_SERVICE).asControllerService(CrmConnectionService.class);
        CrmConnectionService target = context.getProperty(TARGET_SERVICE).asControllerService(CrmConnectionService.class);
        String sourceObject = context.getProperty(SOURCE_OBJECT).isSet() ? context.getProperty(SOURCE_OBJECT).getValue()
                : spec.source() == null ? null : spec.source().object();
        String targetObject = context.getProperty(TARGET_OBJECT).isSet() ? context.getProperty(TARGET_OBJECT).getValue()
                : spec.target() == null ? null : spec.target().object();
        if (sourceObject == null || targetObject == null) {
            throw new IllegalArgumentException("Name the source and target objects (Source Object, Target Object or the mapping's source/target)");
        }
        CrmObjectSchema sourceSchema = source.describe(sourceObject);
        CrmObjectSchema targetSchema = target.describe(targetObject);
        CompiledMapping mapping = CompiledMapping.compile(spec, targetSchema, null);
        String sourceKey = context.getProperty(SOURCE_KEY).isSet() ? context.getProperty(SOURCE_KEY).getValue() : sourceSchema.idField();
        String targetKey = context.getProperty(TARGET_KEY).getValue();
        if (targetKey == null) {
            targetKey = spec.fields().stream().filter(f -> sourceKey.equals(f.source()) && f.target() != null && f.target().indexOf('.') < 0)
                    .map(MappingSpec.FieldMapping::target).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("The mapping fills no target field from " + sourceKey + "; set Target Key Field"));
        }
        if (targetSchema.field(targetKey).isEmpty()) {
            throw new IllegalArgumentException("The target object " + targetObject + " has no field " + targetKey);
        }
        if (sourceSchema.field(sourceKey).isEmpty()) {
            throw new IllegalArgumentException("The source object " + sourceObject + " has no field " + sourceKey);
        }
        List<String> compared;
        if (context.getProperty(COMPARE_FIELDS).isSet()) {
            compared = Arrays.stream(context.getProperty(COMPARE_FIELDS).getValue().split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
            for (String field : compared) {
                if (!mapping.targetFields().contains(field)) {
                    throw new IllegalArgumentException("Compare Fields names " + field + ", which the mapping does not write");
                }
            }
        } else {
            String key = targetKey;
            compared = mapping.targetFields().stream().filter(f -> f.indexOf('.') < 0 && !f.equals(key) && !f.equals(targetSchema.idField()))
                    .filter(f -> targetSchema.field(f).map(d -> !d.readOnly()).orElse(false))
                    .filter(f -> mapping.outputSchema().getField(f).isPresent())
                    .toList();
        }
        if (compared.isEmpty()) {
            throw new IllegalArgumentException("There is no field to compare");
        }
        Instant until = null;
        Instant from = null;
        if (SCOPE_WINDOW.getValue().equals(context.getProperty(SCOPE).getValue())) {
            until = Instant.now();
            from = until.minusMillis(context.getProperty(WINDOW).asTimePeriod(TimeUnit.MILLISECONDS));
        }
        return new Reconciliation.Settings(source, sourceSchema, target, targetSchema, mapping, compared, sourceKey, targetKey,
                context.getProperty(PAGE_SIZE).asInteger(), context.getProperty(PARTITIONS).isSet() && until == null
                ? context.getProperty(PARTITIONS).asInteger() : 1, from, until, context.getProperty(SAMPLES).asInteger());
    }

    /** Streams findings into FlowFiles of at most Max Records Per FlowFile each. */
    private final class Outputs implements Reconciliation.Sink {
        private final ProcessSession session;
        private final FlowFile parent;
        private final RecordSetWriterFactory writerFactory;
        private final Reconciliation.Settings settings;
        private final int max;
        private final RecordSchema missingSchema;
        private final RecordSchema differentSchema;
        private final RecordSchema extraSchema;
        private final Map<Relationship, RecordBatch> open = new LinkedHashMap<>();
        private final Map<FlowFile, Relationship> finished = new LinkedHashMap<>();

        Outputs(ProcessSession session, FlowFile parent, RecordSetWriterFactory writerFactory, Reconciliation.Settings settings, int max) {
            this.session = session;
            this.parent = parent;
            this.writerFactory = writerFactory;
            this.settings = settings;
            this.max = max;
            RecordSchema mapped = settings.mapping().outputSchema();
            String idField = settings.targetSchema().idField();
            List<RecordField> missing = new ArrayList<>(mapped.getFields());
            missing.add(new RecordField(ChangeRecords.KEY, RecordFieldType.STRING.getDataType(), true));
            missingSchema = new SimpleRecordSchema(missing);
            List<RecordField> different = new ArrayList<>();
            different.add(new RecordField(idField, RecordFieldType.STRING.getDataType(), true));
            mapped.getFields().stream().filter(f -> !f.getFieldName().equals(idField)).forEach(different::add);
            different.add(new RecordField(ChangeRecords.KEY, RecordFieldType.STRING.getDataType(), true));
            different.add(new RecordField(ChangeRecords.CHANGED_FIELDS,
                    RecordFieldType.ARRAY.getArrayDataType(RecordFieldType.STRING.getDataType()), true));
            differentSchema = new SimpleRecordSchema(different);
            CrmField keyField = settings.targetSchema().field(settings.targetKey()).orElseThrow();
            extraSchema = new SimpleRecordSchema(List.of(
                    new RecordField(idField, RecordFieldType.STRING.getDataType(), true),
                    new RecordField(keyField.name(), RecordFieldType.STRING.getDataType(), true),
                    new RecordField("crm_sync_reason", RecordFieldType.STRING.getDataType(), true)));
        }

        Map<String, String> attributes() {
            return Map.of(CrmAttributes.SYSTEM, settings.target().system(), CrmAttributes.OBJECT, settings.targetSchema().name(),
                    CrmAttributes.STAGE, "reconcile");
        }

        @Override
        public void missing(String key, Record mapped) throws IOException {
            Map<String, Object> values = new LinkedHashMap<>(mapped.toMap());
            values.put(ChangeRecords.KEY, key);
            write(REL_MISSING, missingSchema, new MapRecord(missingSchema, values));
        }

        @Override
        public void different(String key, String targetId, Record mapped, List<String> fields) throws IOException {
            Map<String, Object> values = new LinkedHashMap<>();
            values.put(settings.targetSchema().idField(), targetId);
            values.putAll(mapped.toMap());
            values.put(settings.targetSchema().idField(), targetId);
            values.put(ChangeRecords.KEY, key);
            values.put(ChangeRecords.CHANGED_FIELDS, fields.toArray(Object[]::new));
            write(REL_DIFFERENT, differentSchema, new MapRecord(differentSchema, values));
        }

        @Override
        public void extra(String key, String targetId, String reason) throws IOException {
            Map<String, Object> values = new LinkedHashMap<>();
            values.put(settings.targetSchema().idField(), targetId);
            values.put(settings.targetKey(), key);
            values.put("crm_sync_reason", reason);
            write(REL_EXTRA, extraSchema, new MapRecord(extraSchema, values));
        }

        private void write(Relationship relationship, RecordSchema schema, Record record) throws IOException {
            RecordBatch batch = open.get(relationship);
            if (batch == null) {
                try {
                    batch = new RecordBatch(session, parent, writerFactory, schema, getLogger());
                } catch (SchemaNotFoundException e) {
                    throw new IOException("The Record Writer has no schema for " + relationship.getName() + ": " + e.getMessage(), e);
                }
                open.put(relationship, batch);
            }
            batch.write(record);
            if (batch.count() >= max) {
                complete(relationship, batch);
                open.remove(relationship);
            }
        }

        private void complete(Relationship relationship, RecordBatch batch) throws IOException {
            Map<String, String> attributes = new HashMap<>(attributes());
            attributes.put(CrmAttributes.RELATIONSHIP, relationship.getName());
            finished.put(batch.finish(attributes), relationship);
        }

        void flush() throws IOException {
            for (var entry : open.entrySet()) {
                complete(entry.getKey(), entry.getValue());
            }
            open.clear();
            finished.forEach(session::transfer);
            finished.clear();
        }

        void discard() {
            open.values().forEach(RecordBatch::discard);
            open.clear();
            finished.keySet().forEach(session::remove);
            finished.clear();
        }
    }
}
