package io.nificrm.processors;

import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmException;
import io.nificrm.api.CrmObjectSchema;
import io.nificrm.processors.common.CrmAttributes;
import io.nificrm.processors.common.CrmProperties;
import io.nificrm.processors.common.MappingProperties;
import io.nificrm.processors.common.RecordRouter;
import io.nificrm.processors.mapping.CompiledMapping;
import io.nificrm.processors.mapping.MappingSpec;
import io.nificrm.processors.mapping.MappingSuggester;
import org.apache.nifi.annotation.behavior.InputRequirement;
import org.apache.nifi.annotation.behavior.SideEffectFree;
import org.apache.nifi.annotation.behavior.SupportsBatching;
import org.apache.nifi.annotation.behavior.WritesAttribute;
import org.apache.nifi.annotation.behavior.WritesAttributes;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.SeeAlso;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.annotation.lifecycle.OnScheduled;
import org.apache.nifi.components.ConfigVerificationResult;
import org.apache.nifi.components.ConfigVerificationResult.Outcome;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationContext;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.context.PropertyContext;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.logging.ComponentLog;
import org.apache.nifi.processor.AbstractProcessor;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.VerifiableProcessor;
import org.apache.nifi.processor.exception.ProcessException;
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
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/** Maps source records to the target's fields with a declarative spec, validating them against the target. */
@SupportsBatching
@SideEffectFree
@InputRequirement(InputRequirement.Requirement.INPUT_REQUIRED)
@Tags({"crm", "mapping", "transform", "convert", "validate", "pii", "salesforce", "hubspot", "dynamics", "record"})
@CapabilityDescription("Maps each record to the target's data structure with a JSON mapping spec (inline, in a file, or "
        + "a shipped preset): renames, type conversion (numbers, booleans, dates and date-times with formats and time zones), "
        + "constants and defaults, concatenation and name splitting, trim/case/normalization (e-mail, phone to E.164, web "
        + "domain), picklist value maps, nested fields, and PII masking, salted hashing or dropping. With a target connection "
        + "service, mapped values are validated against its describe (required, length, picklist, e-mail and phone format). "
        + "Valid records go to 'success'; invalid ones go to 'invalid' unchanged, with crm_invalid_fields and crm_invalid_reason "
        + "added. Records in = success + invalid. Presets cover contacts, accounts and opportunities between Salesforce, HubSpot, "
        + "Dynamics 365 and a plain PostgreSQL schema. Verification checks the mapping against the target (and source) describe "
        + "and drafts mappings for unmapped target fields by matching names, labels, synonyms and types.")
@WritesAttributes({
        @WritesAttribute(attribute = "record.count", description = "Records in the FlowFile"),
        @WritesAttribute(attribute = "crm.mapping", description = "Name of the mapping applied"),
        @WritesAttribute(attribute = CrmAttributes.ERROR_CODE, description = "On 'failure': MALFORMED_INPUT or UNKNOWN_SOURCE_FIELD"),
        @WritesAttribute(attribute = CrmAttributes.ERROR_MESSAGE, description = "On 'failure': why")})
@SeeAlso({QueryCrmEntities.class, UpsertCrmRecords.class})
public class MapCrmFields extends AbstractProcessor implements VerifiableProcessor {

    static final PropertyDescriptor MAPPING = MappingProperties.mapping("Mapping",
            "The mapping spec as JSON text, or the path of a JSON file holding it. See the processor's "
                    + "additional details for the format. Leave empty to use a Mapping Preset.");

    static final PropertyDescriptor PRESET = MappingProperties.preset("Mapping Preset",
            "A mapping shipped with the bundle, used when Mapping is empty: <source>-to-<target>-<object> for "
                    + "contacts, accounts and opportunities between Salesforce, HubSpot and Dynamics 365 and from each to the "
                    + "PostgreSQL schema in templates/postgres. Each preset's description names the UpsertCrmRecords Key Field "
                    + "and reference properties to use.");

    static final PropertyDescriptor TARGET_SERVICE = MappingProperties.connectionService("Target Connection Service",
            "The target CRM. When set, mapped records are validated against the target object's describe, and "
                    + "field types come from it.", false);

    static final PropertyDescriptor TARGET_OBJECT = MappingProperties.apiName("Target Object",
            "The target object to validate against. Empty uses the mapping's target.object.");

    static final PropertyDescriptor SOURCE_SERVICE = MappingProperties.connectionService("Source Connection Service",
            "The source CRM, used only when verifying the configuration: the mapping's source fields are checked "
                    + "against the source object's describe, and mappings for unmapped target fields are suggested from it. "
                    + "Records are never read through it.", false);

    static final PropertyDescriptor SOURCE_OBJECT = MappingProperties.apiName("Source Object",
            "The source object for verification. Empty uses the mapping's source.object.");

    static final PropertyDescriptor PII_SALT = new PropertyDescriptor.Builder()
            .name("PII Hash Salt")
            .description("Secret mixed into SHA-256 hashes of fields marked \"pii\": \"hash\", so hashes cannot be reversed "
                    + "by hashing guesses. Keep it stable to keep hashes comparable.")
            .required(false)
            .sensitive(true)
            .addValidator(org.apache.nifi.processor.util.StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    static final Relationship REL_SUCCESS = new Relationship.Builder().name("success")
            .description("Records mapped and valid for the target").build();
    static final Relationship REL_INVALID = new Relationship.Builder().name("invalid")
            .description("Source records that cannot be mapped or fail the target's rules, with crm_invalid_fields and "
                    + "crm_invalid_reason").build();
    static final Relationship REL_FAILURE = new Relationship.Builder().name("failure")
            .description("Input that cannot be read, or whose records lack a field the mapping reads").build();

    static final String INVALID_FIELDS = "crm_invalid_fields";
    static final String INVALID_REASON = "crm_invalid_reason";

    private static final List<PropertyDescriptor> PROPERTIES = List.of(MAPPING, PRESET, TARGET_SERVICE, TARGET_OBJECT,
            SOURCE_SERVICE, SOURCE_OBJECT, PII_SALT, CrmProperties.RECORD_READER, CrmProperties.RECORD_WRITER);

    private volatile CompiledMapping mapping;

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return PROPERTIES;
    }

    @Override
    public Set<Relationship> getRelationships() {
        return Set.of(REL_SUCCESS, REL_INVALID, REL_FAILURE);
    }

    @Override
    protected Collection<ValidationResult> customValidate(ValidationContext context) {
        List<ValidationResult> results = new ArrayList<>();
        boolean hasMapping = context.getProperty(MAPPING).isSet();
        boolean hasPreset = context.getProperty(PRESET).isSet();
        if (hasMapping == hasPreset) {
            results.add(invalid("Mapping", "Set exactly one of Mapping and Mapping Preset"));
            return results;
        }
        try {
            MappingSpec spec = readSpec(context);
            CompiledMapping.compile(spec, null, salt(context));
        } catch (IllegalArgumentException | IOException e) {
            results.add(invalid(hasMapping ? "Mapping" : "Mapping Preset", e.getMessage()));
        }
        return results;
    }

    private static ValidationResult invalid(String subject, String explanation) {
        return new ValidationResult.Builder().subject(subject).valid(false).explanation(explanation).build();
    }

    @OnScheduled
    public void compile(ProcessContext context) throws IOException {
        MappingSpec spec = readSpec(context);
        CrmObjectSchema target = null;
        CrmConnectionService service = context.getProperty(TARGET_SERVICE).asControllerService(CrmConnectionService.class);
        if (service != null) {
            String object = context.getProperty(TARGET_OBJECT).isSet() ? context.getProperty(TARGET_OBJECT).getValue()
                    : spec.target() == null ? null : spec.target().object();
            if (object == null) {
                throw new ProcessException("A Target Connection Service is set but neither Target Object nor the mapping's target.object names the object");
            }
            try {
                target = service.describe(object);
            } catch (CrmException e) {
                throw new ProcessException("Cannot describe the target object " + object + ": " + e.getMessage(), e);
            }
        }
        try {
            mapping = CompiledMapping.compile(spec, target, salt(context));
        } catch (IllegalArgumentException e) {
            throw new ProcessException("The mapping does not fit the target: " + e.getMessage(), e);
        }
        List<String> missing = mapping.unmappedRequiredTargets();
        if (!missing.isEmpty()) {
            getLogger().warn("Mapping {} gives no value to target fields the target requires on create: {}", mapping.name(), missing);
        }
    }

    static MappingSpec readSpec(PropertyContext context) throws IOException {
        return MappingProperties.read(context, MAPPING, PRESET);
    }

    private static byte[] salt(PropertyContext context) {
        String salt = context.getProperty(PII_SALT).getValue();
        return salt == null ? null : salt.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void onTrigger(ProcessContext context, ProcessSession session) throws ProcessException {
        FlowFile flowFile = session.get();
        if (flowFile == null) {
            return;
        }
        CompiledMapping compiled = mapping;
        RecordReaderFactory readerFactory = context.getProperty(CrmProperties.RECORD_READER).asControllerService(RecordReaderFactory.class);
        RecordSetWriterFactory writerFactory = context.getProperty(CrmProperties.RECORD_WRITER).asControllerService(RecordSetWriterFactory.class);
        long in = 0;
        String failureCode = null;
        String failure = null;
        try (InputStream stream = session.read(flowFile);
             RecordReader reader = readerFactory.createRecordReader(flowFile, stream, getLogger());
             RecordRouter router = new RecordRouter(session, flowFile, writerFactory, getLogger(), "map")) {
            RecordSchema inputSchema = reader.getSchema();
            List<String> absent = compiled.sourceFields().stream().filter(f -> inputSchema.getField(f).isEmpty()).toList();
            if (!absent.isEmpty()) {
                failureCode = "UNKNOWN_SOURCE_FIELD";
                failure = "Mapping " + compiled.name() + " reads field(s) " + absent + " that the input records do not have "
                        + "(they have " + inputSchema.getFieldNames() + ")";
            } else {
                RecordSchema invalidSchema = withInvalidFields(inputSchema);
                router.declare(REL_SUCCESS, compiled.outputSchema()).declare(REL_INVALID, invalidSchema);
                Record record;
                while ((record = reader.nextRecord()) != null) {
                    in++;
                    CompiledMapping.Result result = compiled.apply(record);
                    if (result.isValid()) {
                        router.route(REL_SUCCESS, result.record());
                    } else {
                        router.route(REL_INVALID, invalid(record, invalidSchema, result.violations()));
                    }
                }
                router.finish(Map.of("crm.mapping", compiled.name()));
                long mapped = router.count(REL_SUCCESS);
                session.adjustCounter("Records Mapped", mapped, false);
                session.adjustCounter("Records Invalid", in - mapped, false);
            }
        } catch (MalformedRecordException | SchemaNotFoundException | IOException e) {
            // The reader's message may quote the content (personal data), so only its kind is reported.
            failureCode = "MALFORMED_INPUT";
            failure = "Record " + (in + 1) + " of the input could not be read (" + e.getClass().getSimpleName()
                    + "); check that the Record Reader matches the content";
        }
        if (failure != null) {
            getLogger().error("Routing {} to failure: {}", flowFile, failure);
            session.transfer(session.putAllAttributes(flowFile, Map.of(CrmAttributes.ERROR_CODE, failureCode,
                    CrmAttributes.ERROR_MESSAGE, failure)), REL_FAILURE);
            return;
        }
        session.remove(flowFile);
    }

    // ---- verification ----

    @Override
    public List<ConfigVerificationResult> verify(ProcessContext context, ComponentLog verificationLogger, Map<String, String> attributes) {
        List<ConfigVerificationResult> results = new ArrayList<>();
        MappingSpec spec;
        CompiledMapping plain;
        try {
            spec = readSpec(context);
            plain = CompiledMapping.compile(spec, null, salt(context));
            results.add(step("Parse mapping", Outcome.SUCCESSFUL, "Mapping " + plain.name() + " maps " + plain.targetFields().size()
                    + " target field(s) from " + plain.sourceFields().size() + " source field(s)"));
        } catch (IOException | IllegalArgumentException e) {
            results.add(step("Parse mapping", Outcome.FAILED, e.getMessage()));
            return results;
        }
        CrmObjectSchema target = describe(context, TARGET_SERVICE, TARGET_OBJECT, spec.target(), "target", "Describe target", results);
        if (target != null) {
            try {
                CompiledMapping checked = CompiledMapping.compile(spec, target, salt(context));
                List<String> missing = checked.unmappedRequiredTargets();
                results.add(missing.isEmpty()
                        ? step("Check target fields", Outcome.SUCCESSFUL, "All " + checked.targetFields().size() + " target fields exist in "
                        + target.name() + " and accept what the mapping writes; every field it requires gets a value")
                        : step("Check target fields", Outcome.FAILED, "The mapping gives no value to field(s) " + missing + " that "
                        + target.name() + " requires on create"));
            } catch (IllegalArgumentException e) {
                results.add(step("Check target fields", Outcome.FAILED, e.getMessage()));
            }
        }
        CrmObjectSchema source = describe(context, SOURCE_SERVICE, SOURCE_OBJECT, spec.source(), "source", "Describe source", results);
        if (source != null) {
            List<String> absent = plain.sourceFields().stream().filter(f -> source.field(f).isEmpty()).toList();
            results.add(absent.isEmpty()
                    ? step("Check source fields", Outcome.SUCCESSFUL, "All " + plain.sourceFields().size() + " source fields exist in " + source.name())
                    : step("Check source fields", Outcome.FAILED, "The mapping reads field(s) " + absent + " that " + source.name()
                    + " does not have"));
        }
        if (source == null || target == null) {
            results.add(step("Suggest mapping", Outcome.SKIPPED, "Suggestions need both a Source and a Target Connection Service"));
        } else {
            String targetSystem = context.getProperty(TARGET_SERVICE).asControllerService(CrmConnectionService.class).system();
            MappingSuggester.Draft draft = MappingSuggester.suggest(source, target, Set.copyOf(plain.targetFields()), targetSystem);
            results.add(draft.fields().isEmpty()
                    ? step("Suggest mapping", Outcome.SUCCESSFUL, "Nothing to suggest: no unmapped writable target field matches a source field"
                    + (draft.unmatched().isEmpty() ? "" : " (unmatched: " + draft.unmatched() + ")"))
                    : step("Suggest mapping", Outcome.SUCCESSFUL, "Suggested " + draft.fields().size() + " field mapping(s) for "
                    + "unmapped target fields, to review and add to the mapping:\n" + draft.toJson()));
        }
        return results;
    }

    private static CrmObjectSchema describe(ProcessContext context, PropertyDescriptor serviceProperty, PropertyDescriptor objectProperty,
                                            MappingSpec.Endpoint endpoint, String role, String stepName,
                                            List<ConfigVerificationResult> results) {
        CrmConnectionService service = context.getProperty(serviceProperty).asControllerService(CrmConnectionService.class);
        if (service == null) {
            results.add(step(stepName, Outcome.SKIPPED, "No " + serviceProperty.getName() + " is set"));
            return null;
        }
        String object = context.getProperty(objectProperty).isSet() ? context.getProperty(objectProperty).getValue()
                : endpoint == null ? null : endpoint.object();
        if (object == null) {
            results.add(step(stepName, Outcome.FAILED, "Neither " + objectProperty.getName() + " nor the mapping's " + role
                    + ".object names the " + role + " object"));
            return null;
        }
        try {
            CrmObjectSchema schema = service.describe(object);
            results.add(step(stepName, Outcome.SUCCESSFUL, service.system() + " " + object + " has " + schema.fields().size() + " fields"));
            return schema;
        } catch (CrmException e) {
            results.add(step(stepName, Outcome.FAILED, "Cannot describe " + object + ": " + e.getMessage()));
            return null;
        }
    }

    private static ConfigVerificationResult step(String name, Outcome outcome, String explanation) {
        return new ConfigVerificationResult.Builder().verificationStepName(name).outcome(outcome).explanation(explanation).build();
    }

    private static RecordSchema withInvalidFields(RecordSchema input) {
        List<RecordField> fields = new ArrayList<>();
        input.getFields().stream().filter(f -> !f.getFieldName().equals(INVALID_FIELDS) && !f.getFieldName().equals(INVALID_REASON))
                .forEach(fields::add);
        fields.add(new RecordField(INVALID_FIELDS, RecordFieldType.STRING.getDataType(), true));
        fields.add(new RecordField(INVALID_REASON, RecordFieldType.STRING.getDataType(), true));
        return new SimpleRecordSchema(fields);
    }

    private static Record invalid(Record source, RecordSchema schema, List<CompiledMapping.Violation> violations) {
        Map<String, Object> values = new LinkedHashMap<>(source.toMap());
        values.put(INVALID_FIELDS, violations.stream().map(CompiledMapping.Violation::field).distinct().collect(Collectors.joining(",")));
        values.put(INVALID_REASON, violations.stream().map(v -> v.field() + ": " + v.reason()).collect(Collectors.joining("; ")));
        return new MapRecord(schema, values);
    }
}
