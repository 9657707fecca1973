package io.nificrm.processors;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nificrm.api.ChangeRecords;
import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmException;
import io.nificrm.api.CrmObjectSchema;
import io.nificrm.processors.common.CrmAttributes;
import io.nificrm.processors.common.CrmProperties;
import io.nificrm.processors.common.MappingProperties;
import io.nificrm.processors.common.WholeFlowFileFailure;
import io.nificrm.processors.mapping.CompiledMapping;
import io.nificrm.processors.mapping.MappingSpec;
import io.nificrm.processors.twoway.GroupedOutputs;
import io.nificrm.processors.twoway.LedgerProperties;
import io.nificrm.processors.twoway.LedgerStores;
import io.nificrm.processors.twoway.SyncEngine;
import io.nificrm.processors.twoway.SyncFields;
import io.nificrm.processors.twoway.SyncLedger;
import io.nificrm.processors.twoway.SyncLink;
import io.nificrm.processors.twoway.SyncOutputs;
import org.apache.nifi.annotation.behavior.InputRequirement;
import org.apache.nifi.annotation.behavior.WritesAttribute;
import org.apache.nifi.annotation.behavior.WritesAttributes;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.SeeAlso;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.annotation.lifecycle.OnScheduled;
import org.apache.nifi.annotation.lifecycle.OnStopped;
import org.apache.nifi.components.AllowableValue;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationContext;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.context.PropertyContext;
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
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.serialization.record.RecordSchema;

import java.io.IOException;
import java.io.InputStream;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One direction of a two-way sync: decides what each change of the source means for the target, recognising the
 * sync's own writes coming back and resolving conflicts by a policy.
 */
@InputRequirement(InputRequirement.Requirement.INPUT_REQUIRED)
@Tags({"crm", "sync", "two-way", "bidirectional", "conflict", "echo", "loop prevention", "salesforce", "hubspot", "dynamics", "record"})
@CapabilityDescription("One direction of a two-way sync between two CRMs. Takes changed source records (from QueryCrmEntities in "
        + "incremental mode, or any change records), maps them to the target with the forward mapping, and decides per record "
        + "with the sync ledger and the target's current record: drop it (the sync's own write coming back, a stale or replayed "
        + "change, or values the target already has: 'echo'), create it ('create'), update only the fields that should change "
        + "('update', one FlowFile per set of fields), delete the counterpart ('delete'), or resolve a conflict (both sides "
        + "changed the same field since the last sync) by the Conflict Policy: last writer wins, a side that is the source of "
        + "truth for the object or per field, or manual review ('review'). Changes that lose a conflict go to 'overruled'; the "
        + "other direction writes the winning values back. Route 'create', 'update' and 'delete' to UpsertCrmRecords and its "
        + "'success' to ConfirmCrmSync, which records the written state in the ledger. Records in = create + update + delete + "
        + "review + overruled + echo + invalid.")
@WritesAttributes({
        @WritesAttribute(attribute = CrmAttributes.SYSTEM, description = "The target system"),
        @WritesAttribute(attribute = CrmAttributes.OBJECT, description = "The target object"),
        @WritesAttribute(attribute = "crm.sync.fields", description = "On 'update': the target fields this FlowFile's records write"),
        @WritesAttribute(attribute = "record.count", description = "Records in the FlowFile"),
        @WritesAttribute(attribute = CrmAttributes.ERROR_CODE, description = "On 'failure': MALFORMED_INPUT, UNKNOWN_SOURCE_FIELD or TARGET_LOOKUP_FAILED"),
        @WritesAttribute(attribute = CrmAttributes.ERROR_MESSAGE, description = "On 'failure': why")})
@SeeAlso({ConfirmCrmSync.class, QueryCrmEntities.class, UpsertCrmRecords.class, ReconcileCrmObjects.class})
public class SyncCrmChanges extends AbstractProcessor {

    static final AllowableValue LWW = new AllowableValue("last-writer-wins", "Last Writer Wins",
            "The version whose record was modified last wins each conflicting field; on equal times Winning Side wins.");
    static final AllowableValue SOURCE_OF_TRUTH = new AllowableValue("source-of-truth", "Source of Truth",
            "Winning Side wins every conflict of this object.");
    static final AllowableValue FIELD_OWNERS = new AllowableValue("field-owners", "Source of Truth per Field",
            "The side Field Owners names for a field wins its conflicts; Winning Side wins fields it does not name. With field "
                    + "scope, edits of different fields on both sides are merged.");
    static final AllowableValue MANUAL = new AllowableValue("manual-review", "Manual Review",
            "A change in conflict goes to 'review' with both versions; nothing is written until a person decides.");

    static final AllowableValue SCOPE_FIELD = new AllowableValue("field", "Per Field",
            "Only a field both sides changed (to different values) is a conflict; edits of different fields are merged.");
    static final AllowableValue SCOPE_RECORD = new AllowableValue("record", "Per Record",
            "Changes on both sides since the last sync make the record one conflict; the winner's version of every differing "
                    + "field is kept (for fields that belong together, such as address lines).");

    static final PropertyDescriptor SOURCE_SERVICE = MappingProperties.connectionService("Source Connection Service",
            "The system the changes come from. Described (never queried) to compile the reverse mapping and "
                    + "find the source's id and modified-time fields.", true);

    static final PropertyDescriptor SOURCE_OBJECT = MappingProperties.apiName("Source Object",
            "The source object. Empty uses the mapping's source.object.");

    static final PropertyDescriptor TARGET_SERVICE = MappingProperties.connectionService("Target Connection Service",
            "The system the changes go to: its current records are looked up to detect conflicts.", true);

    static final PropertyDescriptor TARGET_OBJECT = MappingProperties.apiName("Target Object",
            "The target object. Empty uses the mapping's target.object.");

    static final PropertyDescriptor SOURCE_SIDE = new PropertyDescriptor.Builder()
            .name("Source Side")
            .description("A name for the source side, used in the ledger and by the policies. Empty uses the source system "
                    + "(salesforce, hubspot, dynamics, jdbc); set it when both sides are the same kind of system.")
            .required(false)
            .addValidator(StandardValidators.createRegexMatchingValidator(Pattern.compile("[A-Za-z0-9_.-]+")))
            .build();

    static final PropertyDescriptor TARGET_SIDE = new PropertyDescriptor.Builder()
            .name("Target Side")
            .description("A name for the target side. Empty uses the target system.")
            .required(false)
            .addValidator(StandardValidators.createRegexMatchingValidator(Pattern.compile("[A-Za-z0-9_.-]+")))
            .build();

    static final PropertyDescriptor MAPPING = MappingProperties.mapping("Mapping",
            "The forward mapping (source to target) as JSON text or a file path; see MapCrmFields. Leave empty to "
                    + "use a Mapping Preset.");

    static final PropertyDescriptor PRESET = MappingProperties.preset("Mapping Preset",
            "A forward mapping shipped with the bundle, used when Mapping is empty.");

    static final PropertyDescriptor REVERSE_MAPPING = MappingProperties.mapping("Reverse Mapping",
            "The mapping of the other direction (target to source): the same one the other direction's "
                    + "SyncCrmChanges uses as its forward mapping. Leave empty to use a Reverse Mapping Preset.");

    static final PropertyDescriptor REVERSE_PRESET = MappingProperties.preset("Reverse Mapping Preset",
            "A reverse mapping shipped with the bundle, used when Reverse Mapping is empty.");

    static final PropertyDescriptor POLICY = new PropertyDescriptor.Builder()
            .name("Conflict Policy")
            .description("Who wins when both sides changed a field since the last sync. Use the same policy in both directions.")
            .required(true)
            .allowableValues(LWW, SOURCE_OF_TRUTH, FIELD_OWNERS, MANUAL)
            .defaultValue(LWW)
            .build();

    static final PropertyDescriptor SCOPE = new PropertyDescriptor.Builder()
            .name("Conflict Scope")
            .description("What counts as a conflict. Use the same scope in both directions.")
            .required(true)
            .allowableValues(SCOPE_FIELD, SCOPE_RECORD)
            .defaultValue(SCOPE_FIELD)
            .build();

    static final PropertyDescriptor WINNING_SIDE = new PropertyDescriptor.Builder()
            .name("Winning Side")
            .description("The side (Source Side or Target Side name) that wins: every conflict with Source of Truth, fields Field "
                    + "Owners does not name, and ties of Last Writer Wins. Name the same side in both directions.")
            .required(true)
            .addValidator(StandardValidators.createRegexMatchingValidator(Pattern.compile("[A-Za-z0-9_.-]+")))
            .build();

    static final PropertyDescriptor OWNERS = new PropertyDescriptor.Builder()
            .name("Field Owners")
            .description("Source of Truth per Field: a JSON object from field name (either side's name) to the side that owns "
                    + "it, e.g. {\"Email\": \"salesforce\", \"lifecyclestage\": \"hubspot\"}.")
            .required(false)
            .dependsOn(POLICY, FIELD_OWNERS)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    static final PropertyDescriptor TARGET_LINK_FIELD = MappingProperties.apiName("Target Link Field",
            "The target field holding the source record's id (the key that creates upsert by), used to find the "
                    + "counterpart of a record the ledger does not know yet. Empty: the target field the forward mapping fills "
                    + "from the source id (e.g. source_id from Id).");

    static final PropertyDescriptor SOURCE_LINK_FIELD = MappingProperties.apiName("Source Link Field",
            "The source field holding the target record's id (for records that came from the target). Empty: the "
                    + "source field the reverse mapping fills from the target id (e.g. External_Id__c from hs_object_id).");

    static final Relationship REL_CREATE = new Relationship.Builder().name("create")
            .description("Source records with no counterpart, mapped to the target: upsert them by the Target Link Field").build();
    static final Relationship REL_UPDATE = new Relationship.Builder().name("update")
            .description("Changes to write: the target id field plus only the fields to change (one FlowFile per set of fields); "
                    + "update them by the target id (UpsertCrmRecords Operation 'update', empty Key Field)").build();
    static final Relationship REL_DELETE = new Relationship.Builder().name("delete")
            .description("Deleted source records whose counterpart is to be deleted: the target id field; UpsertCrmRecords "
                    + "Operation 'delete'").build();
    static final Relationship REL_REVIEW = new Relationship.Builder().name("review")
            .description("Conflicts for a person (manual review), and changes whose linked counterpart is gone: the source's "
                    + "version merged onto the target's, with crm_conflict_fields and crm_target_values. Sending a record on to "
                    + "the update upsert (and ConfirmCrmSync) accepts the source's version").build();
    static final Relationship REL_OVERRULED = new Relationship.Builder().name("overruled")
            .description("Source changes that lost a conflict (with crm_conflict_fields): the target's version stands and the "
                    + "other direction writes it back to the source").build();
    static final Relationship REL_ECHO = new Relationship.Builder().name("echo")
            .description("Changes with nothing to write (crm_sync_reason): the sync's own writes coming back (echo), stale or "
                    + "replayed changes (stale), values the target already has (in-sync), deletes of unlinked records (not-linked)")
            .autoTerminateDefault(true).build();
    static final Relationship REL_INVALID = new Relationship.Builder().name("invalid")
            .description("Source records the forward mapping cannot map, or without an id, with crm_invalid_fields and crm_invalid_reason").build();
    static final Relationship REL_FAILURE = new Relationship.Builder().name("failure")
            .description("Input that cannot be read or lacks fields the mappings need, or whose target lookup was refused for good").build();

    private static final List<PropertyDescriptor> PROPERTIES;

    static {
        List<PropertyDescriptor> all = new ArrayList<>(List.of(SOURCE_SERVICE, SOURCE_OBJECT, TARGET_SERVICE, TARGET_OBJECT,
                SOURCE_SIDE, TARGET_SIDE, MAPPING, PRESET, REVERSE_MAPPING, REVERSE_PRESET, POLICY, SCOPE, WINNING_SIDE, OWNERS,
                TARGET_LINK_FIELD, SOURCE_LINK_FIELD));
        all.addAll(LedgerProperties.ALL);
        all.add(CrmProperties.RECORD_READER);
        all.add(CrmProperties.RECORD_WRITER);
        PROPERTIES = List.copyOf(all);
    }

    private static final int CHUNK = 1_000;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What one scheduled run works with. */
    private record Setup(SyncEngine engine, SyncLedger ledger, LedgerStores.Handle handle, CrmConnectionService target,
                         String sourceSystem, String sourceSide) {
    }

    private volatile Setup setup;

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return PROPERTIES;
    }

    @Override
    public Set<Relationship> getRelationships() {
        return Set.of(REL_CREATE, REL_UPDATE, REL_DELETE, REL_REVIEW, REL_OVERRULED, REL_ECHO, REL_INVALID, REL_FAILURE);
    }

    @Override
    protected Collection<ValidationResult> customValidate(ValidationContext context) {
        List<ValidationResult> results = new ArrayList<>();
        for (PropertyDescriptor[] pair : new PropertyDescriptor[][]{{MAPPING, PRESET}, {REVERSE_MAPPING, REVERSE_PRESET}}) {
            if (context.getProperty(pair[0]).isSet() == context.getProperty(pair[1]).isSet()) {
                results.add(invalid(pair[0].getName(), "Set exactly one of " + pair[0].getName() + " and " + pair[1].getName()));
                continue;
            }
            try {
                CompiledMapping.compile(MappingProperties.read(context, pair[0], pair[1]), null, null);
            } catch (IllegalArgumentException | IOException e) {
                results.add(invalid(pair[0].getName(), e.getMessage()));
            }
        }
        Set<String> sides = new HashSet<>();
        if (context.getProperty(SOURCE_SIDE).isSet() && context.getProperty(TARGET_SIDE).isSet()) {
            sides.add(context.getProperty(SOURCE_SIDE).getValue());
            sides.add(context.getProperty(TARGET_SIDE).getValue());
            if (sides.size() == 1) {
                results.add(invalid(TARGET_SIDE.getName(), "Source Side and Target Side must differ"));
            }
            String winning = context.getProperty(WINNING_SIDE).getValue();
            if (winning != null && !sides.contains(winning)) {
                results.add(invalid(WINNING_SIDE.getName(), "'" + winning + "' is neither Source Side nor Target Side " + sides));
            }
        }
        if (FIELD_OWNERS.getValue().equals(context.getProperty(POLICY).getValue())) {
            if (!context.getProperty(OWNERS).isSet()) {
                results.add(invalid(OWNERS.getName(), "Source of Truth per Field needs Field Owners"));
            } else {
                try {
                    owners(context).forEach((field, side) -> {
                        if (sides.size() == 2 && !sides.contains(side)) {
                            throw new IllegalArgumentException("Field '" + field + "' names side '" + side + "', which is neither " + sides);
                        }
                    });
                } catch (IllegalArgumentException e) {
                    results.add(invalid(OWNERS.getName(), e.getMessage()));
                }
            }
        }
        return results;
    }

    private static ValidationResult invalid(String subject, String explanation) {
        return new ValidationResult.Builder().subject(subject).valid(false).explanation(explanation).build();
    }

    private static Map<String, String> owners(PropertyContext context) {
        String json = context.getProperty(OWNERS).getValue();
        if (json == null || json.isBlank()) {
            return Map.of();
        }
        try {
            return JSON.readValue(json, new TypeReference<LinkedHashMap<String, String>>() {
            });
        } catch (IOException e) {
            throw new IllegalArgumentException("Field Owners is not a JSON object of field name to side: " + e.getMessage());
        }
    }

    @OnScheduled
    public void setUp(ProcessContext context) throws IOException {
        MappingSpec forward = MappingProperties.read(context, MAPPING, PRESET);
        MappingSpec reverse = MappingProperties.read(context, REVERSE_MAPPING, REVERSE_PRESET);
        CrmConnectionService source = context.getProperty(SOURCE_SERVICE).asControllerService(CrmConnectionService.class);
        CrmConnectionService target = context.getProperty(TARGET_SERVICE).asControllerService(CrmConnectionService.class);
        String sourceObject = objectName(context, SOURCE_OBJECT, forward.source(), "source");
        String targetObject = objectName(context, TARGET_OBJECT, forward.target(), "target");
        String sourceSide = context.getProperty(SOURCE_SIDE).isSet() ? context.getProperty(SOURCE_SIDE).getValue() : source.system();
        String targetSide = context.getProperty(TARGET_SIDE).isSet() ? context.getProperty(TARGET_SIDE).getValue() : target.system();
        if (sourceSide.equals(targetSide)) {
            throw new ProcessException("Both sides are named '" + sourceSide + "': set Source Side and Target Side to tell them apart");
        }
        String winning = context.getProperty(WINNING_SIDE).getValue();
        if (!winning.equals(sourceSide) && !winning.equals(targetSide)) {
            throw new ProcessException("Winning Side '" + winning + "' is neither side (" + sourceSide + ", " + targetSide + ")");
        }
        CrmObjectSchema sourceSchema;
        CrmObjectSchema targetSchema;
        try {
            sourceSchema = source.describe(sourceObject);
            targetSchema = target.describe(targetObject);
        } catch (CrmException e) {
            throw new ProcessException("Cannot describe the objects of the sync: " + e.getMessage(), e);
        }
        SyncFields fields;
        Map<String, String> owners;
        try {
            fields = new SyncFields(sourceSchema, targetSchema, forward, reverse, context.getProperty(TARGET_LINK_FIELD).getValue(),
                    context.getProperty(SOURCE_LINK_FIELD).getValue());
            owners = fields.ownersByTargetField(owners(context));
        } catch (IllegalArgumentException e) {
            throw new ProcessException("The mappings do not fit the sync: " + e.getMessage(), e);
        }
        owners.values().forEach(side -> {
            if (!side.equals(sourceSide) && !side.equals(targetSide)) {
                throw new ProcessException("Field Owners names side '" + side + "', which is neither " + sourceSide + " nor " + targetSide);
            }
        });
        SyncEngine.Settings settings = new SyncEngine.Settings(sourceSide, targetSide,
                SyncEngine.Policy.parse(context.getProperty(POLICY).getValue()),
                SCOPE_RECORD.getValue().equals(context.getProperty(SCOPE).getValue()) ? SyncEngine.Scope.RECORD : SyncEngine.Scope.FIELD,
                winning, owners);
        LedgerStores.Handle handle = LedgerProperties.open(context);
        setup = new Setup(new SyncEngine(fields, settings), new SyncLedger(handle, context.getProperty(LedgerProperties.SYNC_NAME).getValue()),
                handle, target, source.system(), sourceSide);
        getLogger().info("Syncing {} {} to {} {}: comparing {} (target) and {} (source); ledger {}", sourceSide, sourceObject, targetSide,
                targetObject, fields.targetCompared(), fields.sourceCompared(), setup.ledger().describe());
    }

    private static String objectName(PropertyContext context, PropertyDescriptor property, MappingSpec.Endpoint endpoint, String role) {
        if (context.getProperty(property).isSet()) {
            return context.getProperty(property).getValue();
        }
        if (endpoint == null || endpoint.object() == null) {
            throw new ProcessException("Neither " + property.getName() + " nor the mapping's " + role + ".object names the " + role + " object");
        }
        return endpoint.object();
    }

    @OnStopped
    public void tearDown() {
        Setup current = setup;
        setup = null;
        if (current != null) {
            current.handle().close();
        }
    }

    @Override
    public void onTrigger(ProcessContext context, ProcessSession session) throws ProcessException {
        FlowFile flowFile = session.get();
        if (flowFile == null) {
            return;
        }
        Setup run = setup;
        SyncEngine engine = run.engine();
        SyncFields fields = engine.fields();
        RecordReaderFactory readerFactory = context.getProperty(CrmProperties.RECORD_READER).asControllerService(RecordReaderFactory.class);
        RecordSetWriterFactory writerFactory = context.getProperty(CrmProperties.RECORD_WRITER).asControllerService(RecordSetWriterFactory.class);
        Tally tally = new Tally();
        List<SyncLink> commitNow = new ArrayList<>();
        String failure = null;
        try (InputStream in = session.read(flowFile);
             RecordReader reader = readerFactory.createRecordReader(flowFile, in, getLogger());
             GroupedOutputs outputs = new GroupedOutputs(session, flowFile, writerFactory, getLogger(), "sync")) {
            RecordSchema input = reader.getSchema();
            List<String> absent = new ArrayList<>();
            for (String name : needed(engine)) {
                if (input.getField(name).isEmpty()) {
                    absent.add(name);
                }
            }
            if (!absent.isEmpty()) {
                failure = "The mappings read field(s) " + absent + " that the input records do not have; read them from the source "
                        + "(QueryCrmEntities reads every field when Fields is empty)";
            } else {
                Router router = new Router(outputs, input, engine, run, commitNow, tally);
                List<Record> chunk = new ArrayList<>(CHUNK);
                Record record;
                while ((record = reader.nextRecord()) != null) {
                    chunk.add(record);
                    tally.in++;
                    if (chunk.size() == CHUNK) {
                        process(chunk, run, router);
                        chunk.clear();
                    }
                }
                process(chunk, run, router);
                run.ledger().apply(commitNow);
                outputs.finish(Map.of(CrmAttributes.SYSTEM, run.target().system(), CrmAttributes.OBJECT, fields.targetName()));
                if (outputs.total() != tally.in) {
                    throw new ProcessException("Record accounting mismatch: " + tally.in + " in, " + outputs.total() + " out");
                }
            }
        } catch (CrmException e) {
            if (e.isTransient()) {
                getLogger().warn("Looking up {} records in the target failed ({}); the FlowFile is retried: {}", fields.targetName(),
                        e.reason(), e.getMessage());
                session.rollback(true);
                context.yield();
            } else {
                WholeFlowFileFailure.route(session, flowFile, REL_FAILURE, "sync", "TARGET_LOOKUP_FAILED",
                        "Looking up the target records failed (" + e.reason() + "): " + e.getMessage(), getLogger());
            }
            return;
        } catch (MalformedRecordException | SchemaNotFoundException e) {
            WholeFlowFileFailure.route(session, flowFile, REL_FAILURE, "sync", "MALFORMED_INPUT", "Record " + (tally.in + 1)
                    + " of the input could not be read (" + e.getClass().getSimpleName() + ")", getLogger());
            return;
        } catch (IOException e) {
            getLogger().error("Syncing {} failed; the FlowFile is retried: {}", flowFile, e.getMessage(), e);
            session.rollback(true);
            context.yield();
            return;
        }
        if (failure != null) {
            WholeFlowFileFailure.route(session, flowFile, REL_FAILURE, "sync", "UNKNOWN_SOURCE_FIELD", failure, getLogger());
            return;
        }
        session.remove(flowFile);
        tally.report(session);
    }

    /** Source fields the input must have: what the forward mapping reads and the compared source fields. */
    private static Set<String> needed(SyncEngine engine) {
        Set<String> names = new java.util.LinkedHashSet<>(engine.fields().forwardSourceFields());
        names.addAll(engine.fields().sourceCompared());
        return names;
    }

    /** Decides one chunk: ledger entries, then target lookups for what the ledger could not decide. */
    private void process(List<Record> records, Setup run, Router router) throws IOException {
        if (records.isEmpty()) {
            return;
        }
        SyncEngine engine = run.engine();
        SyncFields fields = engine.fields();
        List<SyncEngine.Change> changes = new ArrayList<>(records.size());
        Set<String> keys = new HashSet<>();
        for (Record record : records) {
            SyncEngine.Change change = engine.change(record);
            changes.add(change);
            if (change.key() != null) {
                keys.add(change.key());
            }
        }
        Map<String, SyncLink> links = run.ledger().find(run.sourceSide(), fields.sourceName(), keys);
        Set<String> linkedIds = new HashSet<>();
        Set<String> byLinkField = new HashSet<>();
        Set<String> bySourceLink = new HashSet<>();
        for (SyncEngine.Change change : changes) {
            if (change.key() == null) {
                continue;
            }
            engine.precheck(change, links.get(change.key()));
            if (change.decision() != null) {
                continue;
            }
            if (change.linkedTargetId() != null) {
                linkedIds.add(change.linkedTargetId());
            } else {
                byLinkField.add(change.key());
                Object targetId = fields.sourceLinkField() == null ? null : change.record().getValue(fields.sourceLinkField());
                if (targetId != null && !targetId.toString().isBlank()) {
                    bySourceLink.add(targetId.toString().trim());
                }
            }
        }
        Map<String, Record> byId = new HashMap<>();
        Map<String, Record> byLink = new HashMap<>();
        String idField = fields.targetIdField();
        Set<String> ids = new HashSet<>(linkedIds);
        ids.addAll(bySourceLink);
        if (!ids.isEmpty()) {
            for (Record t : run.target().lookup(fields.targetName(), idField, ids, fields.targetLookupFields())) {
                byId.put(String.valueOf(t.getValue(idField)), t);
            }
        }
        if (!byLinkField.isEmpty() && fields.targetLinkField() != null) {
            for (Record t : run.target().lookup(fields.targetName(), fields.targetLinkField(), byLinkField, fields.targetLookupFields())) {
                Object key = t.getValue(fields.targetLinkField());
                if (key != null) {
                    byLink.putIfAbsent(key.toString().trim(), t);
                }
            }
        }
        for (SyncEngine.Change change : changes) {
            SyncEngine.Decision decision;
            if (change.key() == null) {
                decision = new SyncEngine.Decision(SyncEngine.Action.INVALID, "no-id", null, List.of(), List.of(), Map.of(), null, null,
                        null, false, List.of(new CompiledMapping.Violation(fields.sourceIdField(), "the record has no id")));
            } else if (change.decision() != null) {
                decision = change.decision();
            } else if (change.linkedTargetId() != null) {
                decision = engine.decide(change, byId.get(change.linkedTargetId()));
            } else {
                Record target = byLink.get(change.key());
                if (target == null && fields.sourceLinkField() != null) {
                    Object targetId = change.record().getValue(fields.sourceLinkField());
                    target = targetId == null ? null : byId.get(targetId.toString().trim());
                }
                decision = engine.decide(change, target);
            }
            router.route(change, decision);
        }
    }

    /** Writes each decision's record to its relationship. */
    private final class Router {
        private final GroupedOutputs outputs;
        private final RecordSchema input;
        private final SyncEngine engine;
        private final Setup run;
        private final List<SyncLink> commitNow;
        private final Tally tally;
        private final RecordSchema noteSchema;
        private final RecordSchema invalidSchema;
        private final RecordSchema createSchema;
        private final RecordSchema deleteSchema;
        private final RecordSchema reviewSchema;
        private final Map<List<String>, RecordSchema> updateSchemas = new HashMap<>();
        private final RecordField idField;

        Router(GroupedOutputs outputs, RecordSchema input, SyncEngine engine, Setup run, List<SyncLink> commitNow, Tally tally) {
            this.outputs = outputs;
            this.input = input;
            this.engine = engine;
            this.run = run;
            this.commitNow = commitNow;
            this.tally = tally;
            SyncFields fields = engine.fields();
            RecordSchema mapped = fields.forwardSchema();
            idField = new RecordField(fields.targetIdField(), RecordFieldType.STRING.getDataType(), true);
            noteSchema = SyncOutputs.withStrings(input, SyncOutputs.REASON, SyncOutputs.CONFLICTS);
            invalidSchema = SyncOutputs.withStrings(input, SyncOutputs.INVALID_FIELDS, SyncOutputs.INVALID_REASON);
            createSchema = SyncOutputs.schema(List.of(), mapped, null, SyncOutputs.bookkeeping());
            deleteSchema = SyncOutputs.schema(List.of(idField), null, null, SyncOutputs.bookkeeping());
            List<RecordField> reviewExtra = new ArrayList<>(SyncOutputs.bookkeeping());
            reviewExtra.add(new RecordField(SyncOutputs.REASON, RecordFieldType.STRING.getDataType(), true));
            reviewExtra.add(new RecordField(SyncOutputs.TARGET_VALUES, RecordFieldType.STRING.getDataType(), true));
            reviewExtra.add(new RecordField(SyncOutputs.TARGET_TIMESTAMP, RecordFieldType.TIMESTAMP.getDataType(), true));
            reviewSchema = SyncOutputs.schema(List.of(idField), mapped, null, reviewExtra);
        }

        void route(SyncEngine.Change change, SyncEngine.Decision decision) throws IOException {
            tally.add(decision);
            if (decision.commitNow() && decision.intent() != null) {
                commitNow.add(decision.intent());
            }
            Record source = change.record();
            switch (decision.action()) {
                case ECHO, OVERRULED -> {
                    Map<String, Object> values = new LinkedHashMap<>(source.toMap());
                    values.put(SyncOutputs.REASON, decision.reason());
                    values.put(SyncOutputs.CONFLICTS, decision.conflicts().isEmpty() ? null : String.join(",", decision.conflicts()));
                    outputs.route(decision.action() == SyncEngine.Action.ECHO ? REL_ECHO : REL_OVERRULED, "", noteSchema, Map.of(),
                            new MapRecord(noteSchema, values));
                }
                case INVALID -> {
                    Map<String, Object> values = new LinkedHashMap<>(source.toMap());
                    values.put(SyncOutputs.INVALID_FIELDS, decision.violations().stream().map(CompiledMapping.Violation::field)
                            .distinct().reduce((a, b) -> a + "," + b).orElse(null));
                    values.put(SyncOutputs.INVALID_REASON, decision.violations().stream().map(v -> v.field() + ": " + v.reason())
                            .reduce((a, b) -> a + "; " + b).orElse(null));
                    outputs.route(REL_INVALID, "", invalidSchema, Map.of(), new MapRecord(invalidSchema, values));
                }
                case CREATE -> {
                    Map<String, Object> values = new LinkedHashMap<>(decision.output().toMap());
                    bookkeeping(values, change, decision, "create");
                    outputs.route(REL_CREATE, "", createSchema, Map.of(), new MapRecord(createSchema, values));
                }
                case UPDATE -> {
                    List<String> written = decision.written();
                    RecordSchema schema = updateSchemas.computeIfAbsent(written, w ->
                            SyncOutputs.schema(List.of(idField), engine.fields().forwardSchema(), w, SyncOutputs.bookkeeping()));
                    Map<String, Object> values = new LinkedHashMap<>();
                    values.put(idField.getFieldName(), decision.targetId());
                    for (String field : written) {
                        values.put(field, decision.output().getValue(field));
                    }
                    bookkeeping(values, change, decision, "update");
                    outputs.route(REL_UPDATE, String.join(",", written), schema, Map.of("crm.sync.fields", String.join(",", written)),
                            new MapRecord(schema, values));
                }
                case DELETE -> {
                    Map<String, Object> values = new LinkedHashMap<>();
                    values.put(idField.getFieldName(), decision.targetId());
                    bookkeeping(values, change, decision, "delete");
                    outputs.route(REL_DELETE, "", deleteSchema, Map.of(), new MapRecord(deleteSchema, values));
                }
                case REVIEW -> {
                    Map<String, Object> values = new LinkedHashMap<>(decision.output().toMap());
                    values.put(idField.getFieldName(), decision.targetId());
                    bookkeeping(values, change, decision, decision.targetId() == null ? "create" : "update");
                    values.put(SyncOutputs.REASON, decision.reason());
                    values.put(SyncOutputs.TARGET_VALUES, decision.targetValues().isEmpty() ? null : json(decision.targetValues()));
                    values.put(SyncOutputs.TARGET_TIMESTAMP, decision.targetModified() == null ? null : Timestamp.from(decision.targetModified()));
                    outputs.route(REL_REVIEW, "", reviewSchema, Map.of(), new MapRecord(reviewSchema, values));
                }
                default -> throw new IllegalStateException("Unknown action " + decision.action());
            }
        }

        private void bookkeeping(Map<String, Object> values, SyncEngine.Change change, SyncEngine.Decision decision, String operation) {
            values.put(ChangeRecords.OPERATION, operation);
            values.put(ChangeRecords.OBJECT, engine.fields().sourceName());
            values.put(ChangeRecords.KEY, change.key());
            values.put(ChangeRecords.CHANGED_FIELDS, decision.written().toArray(Object[]::new));
            values.put(ChangeRecords.SOURCE_TIMESTAMP, change.modified() == null ? null : Timestamp.from(change.modified()));
            values.put(ChangeRecords.ORIGIN, run.sourceSide() + "/nifi-crm");
            values.put(ChangeRecords.SYSTEM, run.sourceSystem());
            values.put(SyncOutputs.CONFLICTS, decision.conflicts().isEmpty() ? null : String.join(",", decision.conflicts()));
            values.put(SyncOutputs.INTENT, decision.intent() == null ? null : decision.intent().toJson());
        }
    }

    private static String json(Map<String, Object> values) {
        Map<String, String> text = new LinkedHashMap<>();
        values.forEach((k, v) -> text.put(k, v == null ? null : v instanceof java.sql.Date d ? d.toLocalDate().toString() : v.toString()));
        try {
            return JSON.writeValueAsString(text);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Counts decisions. */
    private static final class Tally {
        long in;
        final Map<SyncEngine.Action, Long> actions = new EnumMap<>(SyncEngine.Action.class);
        final Map<String, Long> reasons = new HashMap<>();
        long conflicts;
        long fieldsWritten;

        void add(SyncEngine.Decision decision) {
            actions.merge(decision.action(), 1L, Long::sum);
            if (decision.action() == SyncEngine.Action.ECHO) {
                reasons.merge(decision.reason(), 1L, Long::sum);
            }
            if (!decision.conflicts().isEmpty()) {
                conflicts++;
            }
            if (decision.action() == SyncEngine.Action.UPDATE) {
                fieldsWritten += decision.written().size();
            }
        }

        void report(ProcessSession session) {
            session.adjustCounter("Changes In", in, false);
            count(session, "Creates", actions.get(SyncEngine.Action.CREATE));
            count(session, "Updates", actions.get(SyncEngine.Action.UPDATE));
            count(session, "Deletes", actions.get(SyncEngine.Action.DELETE));
            count(session, "Reviews", actions.get(SyncEngine.Action.REVIEW));
            count(session, "Changes Overruled", actions.get(SyncEngine.Action.OVERRULED));
            count(session, "Invalid Records", actions.get(SyncEngine.Action.INVALID));
            count(session, "Echoes Dropped", reasons.get("echo"));
            count(session, "Stale Changes Dropped", reasons.get("stale"));
            count(session, "Already In Sync", reasons.get("in-sync"));
            count(session, "Deletes Not Linked", reasons.get("not-linked"));
            count(session, "Conflicts", conflicts);
            count(session, "Fields Written", fieldsWritten);
        }

        private static void count(ProcessSession session, String name, Long value) {
            if (value != null && value > 0) {
                session.adjustCounter(name, value, false);
            }
        }
    }
}
