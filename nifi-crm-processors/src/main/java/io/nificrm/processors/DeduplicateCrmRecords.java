package io.nificrm.processors;

import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmException;
import io.nificrm.processors.common.CrmAttributes;
import io.nificrm.processors.common.CrmProperties;
import io.nificrm.processors.common.RecordRouter;
import io.nificrm.processors.common.WholeFlowFileFailure;
import io.nificrm.processors.dedup.BlockingKey;
import io.nificrm.processors.dedup.CacheIndexStore;
import io.nificrm.processors.dedup.DedupEngine;
import io.nificrm.processors.dedup.DirectoryIndexStore;
import io.nificrm.processors.dedup.EntityType;
import io.nificrm.processors.dedup.FeatureExtractor;
import io.nificrm.processors.dedup.Features;
import io.nificrm.processors.dedup.FieldRole;
import io.nificrm.processors.dedup.IndexStore;
import io.nificrm.processors.dedup.MatchIndex;
import io.nificrm.processors.dedup.MatchModel;
import io.nificrm.processors.dedup.PhoneKeys;
import io.nificrm.processors.dedup.Survivorship;
import io.nificrm.processors.dedup.TargetLookup;
import org.apache.nifi.annotation.behavior.InputRequirement;
import org.apache.nifi.annotation.behavior.SystemResource;
import org.apache.nifi.annotation.behavior.SystemResourceConsideration;
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
import org.apache.nifi.components.Validator;
import org.apache.nifi.context.PropertyContext;
import org.apache.nifi.distributed.cache.client.DistributedMapCacheClient;
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
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordFieldType;
import org.apache.nifi.serialization.record.RecordSchema;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Finds and merges duplicate people or companies in record streams: exact and fuzzy matching inside blocks,
 * transitive clustering, survivorship; across batches through a persistent match index, and against the records
 * that already exist in the target CRM.
 */
@InputRequirement(InputRequirement.Requirement.INPUT_REQUIRED)
@Tags({"crm", "deduplicate", "dedup", "duplicate", "match", "merge", "fuzzy", "golden record", "survivorship",
        "entity resolution", "record", "salesforce", "hubspot"})
@CapabilityDescription("Finds duplicate people or companies among records and merges each group into one golden record. "
        + "Values are normalized (e-mail, phone to country code + national number, names with nicknames, company name "
        + "without legal form, web domain, address); only records sharing a blocking key (e-mail, phone, phonetic last name "
        + "+ first initial, domain ...) are compared, so cost grows near-linearly; pairs are scored Fellegi–Sunter style "
        + "(Jaro-Winkler, Levenshtein, token-set and exact comparisons, weights in bits, turned into a match probability) "
        + "and clustered transitively. Each cluster's golden record follows a survivorship strategy (most recent, most "
        + "complete or source priority) with optional per-field rules. With a match index (a local directory or a "
        + "distributed map cache), records of later batches match earlier ones; with a target connection service, records "
        + "that already exist in the target are found by e-mail or phone and golden records carry their id. Records in = "
        + "golden + duplicates + review + failure.")
@WritesAttributes({
        @WritesAttribute(attribute = "record.count", description = "Records in the FlowFile"),
        @WritesAttribute(attribute = DeduplicateCrmRecords.ENTITY_ATTRIBUTE, description = "person or company"),
        @WritesAttribute(attribute = CrmAttributes.ERROR_CODE, description = "On 'failure' when the whole input could not be "
                + "processed: MALFORMED_INPUT, MISSING_ID_FIELD or TARGET_LOOKUP_FAILED"),
        @WritesAttribute(attribute = CrmAttributes.ERROR_MESSAGE, description = "On 'failure' when the whole input could not be processed: why")})
@SeeAlso({MapCrmFields.class, UpsertCrmRecords.class, QueryCrmEntities.class})
@SystemResourceConsideration(resource = SystemResource.MEMORY, description = "Keeps compact normalized features (not the "
        + "records) of every record of a FlowFile, with its blocking entries roughly 300-400 bytes per record (about 400 MB for "
        + "1,000,000 records), and the records of multi-record clusters until their last member has been read. Split very "
        + "large inputs, or partition them by blocking key.")
public class DeduplicateCrmRecords extends AbstractProcessor {

    static final String ENTITY_ATTRIBUTE = "crm.dedup.entity";

    static final String CLUSTER_ID = "crm_cluster_id";
    static final String CLUSTER_MEMBERS = "crm_cluster_members";
    static final String CLUSTER_SIZE = "crm_cluster_size";
    static final String GOLDEN_ID = "crm_golden_id";
    static final String TARGET_ID = "crm_target_id";
    static final String MATCH_SCORE = "crm_match_score";
    static final String CANDIDATE_ID = "crm_candidate_id";
    static final String CANDIDATE_SOURCE = "crm_candidate_source";
    static final String FAILURE_REASON = "crm_failure_reason";

    // ---- validators (before the properties that use them) ----

    private static final Validator FIELD_LIST_VALIDATOR = (subject, input, context) -> {
        boolean valid = input != null && java.util.Arrays.stream(input.split(",")).map(String::trim)
                .allMatch(s -> s.isEmpty() || s.matches("[^\\s,]+")) && !input.isBlank();
        return new ValidationResult.Builder().subject(subject).input(input).valid(valid)
                .explanation("must be a comma-separated list of field names").build();
    };

    private static Validator probability() {
        return (subject, input, context) -> {
            boolean valid;
            try {
                double p = Double.parseDouble(input.trim());
                valid = p > 0 && p < 1;
            } catch (NumberFormatException | NullPointerException e) {
                valid = false;
            }
            return new ValidationResult.Builder().subject(subject).input(input).valid(valid)
                    .explanation("must be a probability between 0 and 1 (exclusive), e.g. 0.9").build();
        };
    }

    // ---- entity and fields ----

    static final PropertyDescriptor ENTITY_TYPE = new PropertyDescriptor.Builder()
            .name("Entity Type")
            .description("What the records describe: people (contacts, leads) or companies (accounts). It decides which "
                    + "fields are compared and the default blocking keys.")
            .required(true)
            .allowableValues(new AllowableValue("person", "Person", "Contacts and leads: e-mail, phone, first and last name, employer, address."),
                    new AllowableValue("company", "Company", "Accounts: company name, web domain, phone, address."))
            .defaultValue("person")
            .build();

    static final Map<FieldRole, PropertyDescriptor> ROLE_PROPERTIES = roleProperties();

    private static Map<FieldRole, PropertyDescriptor> roleProperties() {
        Map<FieldRole, PropertyDescriptor> map = new EnumMap<>(FieldRole.class);
        for (FieldRole role : FieldRole.values()) {
            PropertyDescriptor.Builder b = new PropertyDescriptor.Builder()
                    .name(role.displayName())
                    .description(role.description() + " A comma-separated list of field names; fields the records do not have "
                            + "are ignored" + (role.defaultFields().isEmpty() ? "." : ". The default names the Salesforce and HubSpot fields."))
                    .required(role == FieldRole.ID)
                    .addValidator(FIELD_LIST_VALIDATOR);
            if (!role.defaultFields().isEmpty()) {
                b.defaultValue(role.defaultFields());
            }
            switch (role) {
                case FIRST_NAME, LAST_NAME, COMPANY -> b.dependsOn(ENTITY_TYPE, "person");
                case COMPANY_NAME, WEBSITE -> b.dependsOn(ENTITY_TYPE, "company");
                default -> {
                }
            }
            map.put(role, b.build());
        }
        return map;
    }

    static final PropertyDescriptor DEFAULT_REGION = new PropertyDescriptor.Builder()
            .name("Default Phone Region")
            .description("ISO 3166 country code of phone numbers written without a country code when the record has no "
                    + "country (Country Field).")
            .required(true)
            .defaultValue("US")
            .addValidator((subject, input, context) -> new ValidationResult.Builder().subject(subject).input(input)
                    .valid(PhoneKeys.isKnownRegion(input)).explanation("'" + input + "' is not an ISO 3166 country code").build())
            .build();

    // ---- matching ----

    static final PropertyDescriptor BLOCKING_KEYS = new PropertyDescriptor.Builder()
            .name("Blocking Keys")
            .description("Comma-separated keys; only records sharing a value of at least one key are compared. Known keys: "
                    + describeKeys() + ". Empty: email, phone, name for people; domain, company_name, phone for companies.")
            .required(false)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    static final PropertyDescriptor MAX_BLOCK_SIZE = new PropertyDescriptor.Builder()
            .name("Maximum Block Size")
            .description("Blocks (records sharing one key value) up to this size are compared all-pairs. Larger ones (a "
                    + "common surname, a switchboard number) are compared as a sorted neighbourhood: members sorted by name, "
                    + "each compared with the next (this - 1), so no block costs more than size × this comparisons. The match "
                    + "index also keeps at most this many records per key value.")
            .required(true)
            .defaultValue("50")
            .addValidator(StandardValidators.createLongValidator(2, 10_000, true))
            .build();

    static final PropertyDescriptor MATCH_THRESHOLD = new PropertyDescriptor.Builder()
            .name("Match Threshold")
            .description("Match probability (0-1) from which two records are the same entity and are merged.")
            .required(true)
            .defaultValue("0.95")
            .addValidator(probability())
            .build();

    static final PropertyDescriptor REVIEW_THRESHOLD = new PropertyDescriptor.Builder()
            .name("Review Threshold")
            .description("Match probability (0-1) from which a record that matched nothing is sent to 'review' with its best "
                    + "possible match; below it two records are different. Must not exceed Match Threshold.")
            .required(true)
            .defaultValue("0.5")
            .addValidator(probability())
            .build();

    static final PropertyDescriptor MATCH_WEIGHTS = new PropertyDescriptor.Builder()
            .name("Match Weights")
            .description("Optional JSON object overriding comparison weights (in bits, Fellegi–Sunter log-likelihood ratios), "
                    + "e.g. {\"phone.exact\": 14, \"prior\": 22}. See the additional details for every weight and its default.")
            .required(false)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    // ---- survivorship ----

    static final PropertyDescriptor STRATEGY = new PropertyDescriptor.Builder()
            .name("Survivorship Strategy")
            .description("Which member of a cluster is the master whose values the golden record starts from. Fields the master "
                    + "leaves empty are filled from the next member in the same order.")
            .required(true)
            .allowableValues(strategies())
            .defaultValue(Survivorship.Strategy.MOST_RECENT.value())
            .build();

    static final PropertyDescriptor SOURCE_PRIORITY = new PropertyDescriptor.Builder()
            .name("Source Priority")
            .description("Comma-separated values of the Source Field, most trusted first (e.g. salesforce, hubspot, csv). Used by "
                    + "the source_priority strategy and rule; sources not listed come last.")
            .required(false)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    static final PropertyDescriptor FIELD_RULES = new PropertyDescriptor.Builder()
            .name("Field Rules")
            .description("Optional JSON object of field name → rule for single fields of the golden record: master, most_recent, "
                    + "oldest, most_complete, source_priority, longest, most_frequent. E.g. {\"Title\": \"most_recent\", "
                    + "\"LeadSource\": \"oldest\"}.")
            .required(false)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    // ---- match index ----

    static final AllowableValue INDEX_NONE = new AllowableValue("none", "None", "Each FlowFile is deduplicated on its own.");
    static final AllowableValue INDEX_DIRECTORY = new AllowableValue("directory", "Local Directory",
            "An embedded store (H2 MVStore) in Match Index Directory: later FlowFiles on this node match earlier ones.");
    static final AllowableValue INDEX_CACHE = new AllowableValue("cache", "Distributed Map Cache",
            "NiFi's distributed map cache: later FlowFiles on any node match earlier ones.");

    static final PropertyDescriptor MATCH_INDEX = new PropertyDescriptor.Builder()
            .name("Match Index")
            .description("Where records are remembered so that records of later batches and runs match them.")
            .required(true)
            .allowableValues(INDEX_NONE, INDEX_DIRECTORY, INDEX_CACHE)
            .defaultValue(INDEX_NONE)
            .build();

    static final PropertyDescriptor INDEX_DIRECTORY_PATH = new PropertyDescriptor.Builder()
            .name("Match Index Directory")
            .description("Directory of the embedded match index. One processor per directory (the store is locked while open).")
            .required(true)
            .dependsOn(MATCH_INDEX, INDEX_DIRECTORY)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    static final PropertyDescriptor INDEX_CACHE_CLIENT = new PropertyDescriptor.Builder()
            .name("Match Index Cache")
            .description("The distributed map cache client holding the match index.")
            .required(true)
            .dependsOn(MATCH_INDEX, INDEX_CACHE)
            .identifiesControllerService(DistributedMapCacheClient.class)
            .build();

    static final PropertyDescriptor INDEX_NAMESPACE = new PropertyDescriptor.Builder()
            .name("Match Index Namespace")
            .description("Prefix of this processor's index keys, so several deduplications can share one cache or directory "
                    + "without mixing (the entity type is appended).")
            .required(true)
            .defaultValue("crm-dedup")
            .dependsOn(MATCH_INDEX, INDEX_DIRECTORY, INDEX_CACHE)
            .addValidator(StandardValidators.createRegexMatchingValidator(java.util.regex.Pattern.compile("[A-Za-z0-9_.-]+")))
            .build();

    // ---- target ----

    static final PropertyDescriptor TARGET_SERVICE = new PropertyDescriptor.Builder()
            .name("Target Connection Service")
            .description("The target CRM. When set, records that already exist there are looked up (by Target Lookup Keys) and "
                    + "matched like any other record; a golden record whose cluster contains one carries its id in crm_target_id.")
            .required(false)
            .identifiesControllerService(CrmConnectionService.class)
            .build();

    static final PropertyDescriptor TARGET_OBJECT = new PropertyDescriptor.Builder()
            .name("Target Object")
            .description("The target object to look up (Contact, Account; contacts, companies).")
            .required(true)
            .dependsOn(TARGET_SERVICE)
            .addValidator(StandardValidators.createRegexMatchingValidator(java.util.regex.Pattern.compile("[A-Za-z][A-Za-z0-9_]*")))
            .build();

    static final PropertyDescriptor TARGET_LOOKUP_KEYS = new PropertyDescriptor.Builder()
            .name("Target Lookup Keys")
            .description("Comma-separated: email (the batch's well-formed e-mails, lower case), phone (its numbers in E.164, "
                    + "found where the target stores E.164). The target's fields are found through the field-role properties.")
            .required(true)
            .defaultValue("email")
            .dependsOn(TARGET_SERVICE)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    static final PropertyDescriptor TARGET_KEY_FIELD = new PropertyDescriptor.Builder()
            .name("Target Key Field")
            .description("Optional target field whose value, taken from the matched target record, replaces the golden record's "
                    + "field of that name, so an upsert keyed by it (e.g. HubSpot email, a Salesforce external id) updates the "
                    + "existing record. The target id is always in crm_target_id. When it is also an Id Field (the source id is "
                    + "the upsert key, e.g. source_id), the golden record of a cluster begun in an earlier FlowFile (through the "
                    + "match index) carries that cluster's golden id in it, so its upsert updates the record the earlier golden "
                    + "record was written as instead of creating a second one.")
            .required(false)
            .dependsOn(TARGET_SERVICE)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    // ---- relationships ----

    static final Relationship REL_GOLDEN = new Relationship.Builder().name("golden")
            .description("One record per cluster (a record without duplicates is its own cluster): the master's record with "
                    + "survivorship applied, plus crm_cluster_id, crm_cluster_members, crm_cluster_size, crm_golden_id and "
                    + "crm_target_id").build();
    static final Relationship REL_DUPLICATES = new Relationship.Builder().name("duplicates")
            .description("Every other member of a cluster, unchanged, plus crm_cluster_id, crm_golden_id and crm_match_score").build();
    static final Relationship REL_REVIEW = new Relationship.Builder().name("review")
            .description("Records that matched nothing for certain but have a possible match (between the review and match "
                    + "thresholds), plus crm_cluster_id, crm_candidate_id, crm_candidate_source and crm_match_score").build();
    static final Relationship REL_FAILURE = new Relationship.Builder().name("failure")
            .description("Records that cannot be matched (no id, nothing to match on, a field holding a record instead of a "
                    + "value, an unreadable modified date) with crm_failure_reason; and whole FlowFiles that cannot be read").build();

    private static final List<PropertyDescriptor> PROPERTIES = properties();

    private static List<PropertyDescriptor> properties() {
        List<PropertyDescriptor> list = new ArrayList<>();
        list.add(CrmProperties.RECORD_READER);
        list.add(CrmProperties.RECORD_WRITER);
        list.add(ENTITY_TYPE);
        list.addAll(ROLE_PROPERTIES.values());
        list.addAll(List.of(DEFAULT_REGION, BLOCKING_KEYS, MAX_BLOCK_SIZE, MATCH_THRESHOLD, REVIEW_THRESHOLD, MATCH_WEIGHTS,
                STRATEGY, SOURCE_PRIORITY, FIELD_RULES, MATCH_INDEX, INDEX_DIRECTORY_PATH, INDEX_CACHE_CLIENT, INDEX_NAMESPACE,
                TARGET_SERVICE, TARGET_OBJECT, TARGET_LOOKUP_KEYS, TARGET_KEY_FIELD));
        return List.copyOf(list);
    }

    /** Everything onTrigger needs, built once when scheduled. */
    private record Config(DedupEngine.Settings settings, Map<FieldRole, List<String>> roles, String defaultRegion,
                          List<String> sourcePriority, MatchIndex index, TargetLookup target, String targetKeyField) {
    }

    private volatile Config config;
    private volatile IndexStore indexStore;
    /** Index load → match → index write is one critical section per node, so FlowFiles see each other's records. */
    private final ReentrantLock indexLock = new ReentrantLock();

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return PROPERTIES;
    }

    @Override
    public Set<Relationship> getRelationships() {
        return Set.of(REL_GOLDEN, REL_DUPLICATES, REL_REVIEW, REL_FAILURE);
    }

    // ---- validation ----

    @Override
    protected Collection<ValidationResult> customValidate(ValidationContext context) {
        List<ValidationResult> results = new ArrayList<>();
        EntityType entity = EntityType.of(context.getProperty(ENTITY_TYPE).getValue());
        try {
            BlockingKey.parse(context.getProperty(BLOCKING_KEYS).getValue(), entity);
        } catch (IllegalArgumentException e) {
            results.add(invalid(BLOCKING_KEYS, e.getMessage()));
        }
        try {
            double match = Double.parseDouble(context.getProperty(MATCH_THRESHOLD).getValue());
            double review = Double.parseDouble(context.getProperty(REVIEW_THRESHOLD).getValue());
            if (review > match) {
                results.add(invalid(REVIEW_THRESHOLD, "Review Threshold (" + review + ") must not exceed Match Threshold (" + match + ")"));
            }
        } catch (NumberFormatException | NullPointerException ignored) {
            // The property validators report these.
        }
        try {
            MatchModel.parseOverrides(context.getProperty(MATCH_WEIGHTS).getValue());
        } catch (IllegalArgumentException e) {
            results.add(invalid(MATCH_WEIGHTS, e.getMessage()));
        }
        try {
            Survivorship.parseRules(context.getProperty(FIELD_RULES).getValue());
        } catch (IllegalArgumentException e) {
            results.add(invalid(FIELD_RULES, e.getMessage()));
        }
        boolean usesSource = Survivorship.Strategy.of(context.getProperty(STRATEGY).getValue()) == Survivorship.Strategy.SOURCE_PRIORITY
                || String.valueOf(context.getProperty(FIELD_RULES).getValue()).contains("source_priority");
        if (usesSource) {
            if (!context.getProperty(SOURCE_PRIORITY).isSet()) {
                results.add(invalid(SOURCE_PRIORITY, "Source priority survivorship needs Source Priority (most trusted source first)"));
            }
            if (!context.getProperty(ROLE_PROPERTIES.get(FieldRole.SOURCE)).isSet()) {
                results.add(invalid(ROLE_PROPERTIES.get(FieldRole.SOURCE), "Source priority survivorship needs the Source Field"));
            }
        }
        if (context.getProperty(TARGET_SERVICE).isSet()) {
            try {
                TargetLookup.Key.parse(context.getProperty(TARGET_LOOKUP_KEYS).getValue());
            } catch (IllegalArgumentException e) {
                results.add(invalid(TARGET_LOOKUP_KEYS, e.getMessage()));
            }
        }
        return results;
    }

    private static ValidationResult invalid(PropertyDescriptor property, String explanation) {
        return new ValidationResult.Builder().subject(property.getDisplayName()).valid(false).explanation(explanation).build();
    }

    // ---- lifecycle ----

    @OnScheduled
    public void configure(ProcessContext context) throws IOException {
        EntityType entity = EntityType.of(context.getProperty(ENTITY_TYPE).getValue());
        Map<FieldRole, List<String>> roles = roles(context);
        List<String> sourcePriority = context.getProperty(SOURCE_PRIORITY).isSet()
                ? splitList(context.getProperty(SOURCE_PRIORITY).getValue()).stream().map(s -> s.toLowerCase(Locale.ROOT)).toList()
                : List.of();
        Set<String> emailFields = Set.copyOf(roles.get(FieldRole.EMAIL));
        Survivorship survivorship = new Survivorship(Survivorship.Strategy.of(context.getProperty(STRATEGY).getValue()),
                Survivorship.parseRules(context.getProperty(FIELD_RULES).getValue()), Set.copyOf(roles.get(FieldRole.ID)), emailFields);
        DedupEngine.Settings settings = new DedupEngine.Settings(entity,
                BlockingKey.parse(context.getProperty(BLOCKING_KEYS).getValue(), entity),
                new MatchModel(entity, MatchModel.parseOverrides(context.getProperty(MATCH_WEIGHTS).getValue())),
                context.getProperty(MATCH_THRESHOLD).asDouble(), context.getProperty(REVIEW_THRESHOLD).asDouble(),
                context.getProperty(MAX_BLOCK_SIZE).asInteger(), survivorship);
        String region = context.getProperty(DEFAULT_REGION).getValue().trim().toUpperCase(Locale.ROOT);

        MatchIndex index = null;
        String indexMode = context.getProperty(MATCH_INDEX).getValue();
        if (!INDEX_NONE.getValue().equals(indexMode)) {
            IndexStore store = INDEX_DIRECTORY.getValue().equals(indexMode)
                    ? new DirectoryIndexStore(Path.of(context.getProperty(INDEX_DIRECTORY_PATH).getValue()))
                    : new CacheIndexStore(context.getProperty(INDEX_CACHE_CLIENT).asControllerService(DistributedMapCacheClient.class));
            indexStore = store;
            index = new MatchIndex(store, context.getProperty(INDEX_NAMESPACE).getValue() + "." + entity.value(),
                    settings.maxBlockSize());
        }
        TargetLookup target = null;
        String targetKeyField = null;
        CrmConnectionService service = context.getProperty(TARGET_SERVICE).asControllerService(CrmConnectionService.class);
        if (service != null) {
            targetKeyField = context.getProperty(TARGET_KEY_FIELD).getValue();
            target = new TargetLookup(service, context.getProperty(TARGET_OBJECT).getValue(),
                    TargetLookup.Key.parse(context.getProperty(TARGET_LOOKUP_KEYS).getValue()), roles, entity, region, targetKeyField);
        }
        config = new Config(settings, roles, region, sourcePriority, index, target, targetKeyField);
    }

    @OnStopped
    public void close() throws IOException {
        IndexStore store = indexStore;
        indexStore = null;
        if (store != null) {
            store.close();
        }
    }

    private static Map<FieldRole, List<String>> roles(PropertyContext context) {
        Map<FieldRole, List<String>> roles = new EnumMap<>(FieldRole.class);
        ROLE_PROPERTIES.forEach((role, property) -> {
            String value = context.getProperty(property).getValue();
            roles.put(role, value == null ? List.of() : splitList(value));
        });
        return roles;
    }

    private static List<String> splitList(String value) {
        List<String> parts = new ArrayList<>();
        for (String part : value.split(",")) {
            if (!part.isBlank()) {
                parts.add(part.trim());
            }
        }
        return List.copyOf(parts);
    }

    // ---- processing ----

    @Override
    public void onTrigger(ProcessContext context, ProcessSession session) throws ProcessException {
        FlowFile flowFile = session.get();
        if (flowFile == null) {
            return;
        }
        Config cfg = config;
        RecordReaderFactory readerFactory = context.getProperty(CrmProperties.RECORD_READER).asControllerService(RecordReaderFactory.class);
        RecordSetWriterFactory writerFactory = context.getProperty(CrmProperties.RECORD_WRITER).asControllerService(RecordSetWriterFactory.class);

        // Pass 1: features of every record; the records themselves are not kept.
        DedupEngine engine = new DedupEngine(cfg.settings());
        String missingId = null;
        try (InputStream in = session.read(flowFile);
             RecordReader reader = readerFactory.createRecordReader(flowFile, in, getLogger())) {
            RecordSchema inputSchema = reader.getSchema();
            FeatureExtractor extractor = new FeatureExtractor(cfg.settings().entity(), cfg.roles(), inputSchema,
                    cfg.defaultRegion(), cfg.sourcePriority());
            Record record;
            while ((record = reader.nextRecord()) != null) {
                if (extractor.fields(FieldRole.ID).isEmpty()) {
                    missingId = "The records have none of the id fields " + cfg.roles().get(FieldRole.ID) + " (they have "
                            + inputSchema.getFieldNames() + "); set Id Field";
                    break;
                }
                try {
                    engine.add(extractor.extract(record));
                } catch (FeatureExtractor.MalformedRecord e) {
                    engine.addFailure(e.getMessage());
                }
            }
        } catch (MalformedRecordException | SchemaNotFoundException | IOException e) {
            failWhole(session, flowFile, "MALFORMED_INPUT", "Record " + (engine.batchSize() + 1) + " of the input could not be read: " + e.getMessage());
            return;
        }
        if (missingId != null) {
            failWhole(session, flowFile, "MISSING_ID_FIELD", missingId);
            return;
        }

        // Matching: against the target, the index and the batch itself.
        List<TargetLookup.Found> targetRecords = List.of();
        if (cfg.target() != null) {
            try {
                List<Features> batch = new ArrayList<>(engine.batchSize());
                for (int i = 0; i < engine.batchSize(); i++) {
                    if (engine.features(i) != null) {
                        batch.add(engine.features(i));
                    }
                }
                targetRecords = cfg.target().find(batch);
            } catch (CrmException e) {
                if (e.isTransient()) {
                    throw new ProcessException("Looking up existing records in the target failed for now; will try again: " + e.getMessage(), e);
                }
                failWhole(session, flowFile, "TARGET_LOOKUP_FAILED", "Looking up existing records in the target failed: " + e.getMessage());
                return;
            }
        }
        MatchIndex.Batch indexed = null;
        if (cfg.index() != null) {
            indexLock.lock();
        }
        try {
            if (cfg.index() != null) {
                indexed = cfg.index().load(engine.batchKeyHashes(), engine.batchIds());
                engine.addIndexed(indexed.entries());
            }
            engine.match();
            engine.matchTarget(targetRecords);
            engine.finish();
            if (indexed != null) {
                indexed.loadClusters(engine.joinedIndexedClusters());
                Map<String, String> renamed = new LinkedHashMap<>();
                List<MatchIndex.Entry> entries = engine.indexEntries(renamed);
                indexed.save(entries, engine::keyHashes, renamed);
            }
        } catch (IOException e) {
            throw new ProcessException("The match index " + cfg.index().store().describe() + " cannot be used: " + e.getMessage(), e);
        } finally {
            if (cfg.index() != null) {
                indexLock.unlock();
            }
        }

        // Pass 2: route every record.
        Tally tally;
        try {
            tally = route(session, flowFile, readerFactory, writerFactory, engine, indexed, cfg);
        } catch (MalformedRecordException | SchemaNotFoundException | IOException e) {
            failWhole(session, flowFile, "MALFORMED_INPUT", "The input could not be read a second time: " + e.getMessage());
            return;
        }
        session.remove(flowFile);
        session.adjustCounter("Records In", engine.batchSize(), false);
        session.adjustCounter("Golden Records", tally.golden, false);
        session.adjustCounter("Duplicate Records", tally.duplicates, false);
        session.adjustCounter("Review Records", tally.review, false);
        session.adjustCounter("Failed Records", tally.failure, false);
        session.adjustCounter("Clusters Merged", tally.merged, false);
        session.adjustCounter("Pairs Compared", engine.pairsCompared(), false);
        if (engine.oversizedBlocks() > 0) {
            session.adjustCounter("Oversized Blocks", engine.oversizedBlocks(), false);
        }
        if (cfg.target() != null) {
            session.adjustCounter("Target Matches", tally.targetMatched, false);
        }
        if (cfg.index() != null) {
            session.adjustCounter("Index Matches", tally.indexMatched, false);
        }
        if (tally.total() != engine.batchSize()) {
            // Cannot happen by construction; fail loudly rather than lose a record silently.
            throw new ProcessException("Record accounting mismatch: " + engine.batchSize() + " in, " + tally.total() + " out");
        }
    }

    /** Records per relationship. */
    private static final class Tally {
        long golden;
        long duplicates;
        long review;
        long failure;
        long merged;
        long targetMatched;
        long indexMatched;

        long total() {
            return golden + duplicates + review + failure;
        }
    }

    private Tally route(ProcessSession session, FlowFile flowFile, RecordReaderFactory readerFactory, RecordSetWriterFactory writerFactory,
                        DedupEngine engine, MatchIndex.Batch indexed, Config cfg)
            throws IOException, MalformedRecordException, SchemaNotFoundException {
        Tally tally = new Tally();
        try (InputStream in = session.read(flowFile);
             RecordReader reader = readerFactory.createRecordReader(flowFile, in, getLogger());
             RecordRouter router = new RecordRouter(session, flowFile, writerFactory, getLogger(), "dedup")) {
            RecordSchema input = reader.getSchema();
            Schemas schemas = new Schemas(input, cfg.targetKeyField());
            router.declare(REL_GOLDEN, schemas.golden).declare(REL_DUPLICATES, schemas.duplicate)
                    .declare(REL_REVIEW, schemas.review).declare(REL_FAILURE, schemas.failure);
            Map<DedupEngine.Cluster, List<Integer>> heldIndexes = new IdentityHashMap<>();
            Map<DedupEngine.Cluster, List<Record>> heldRecords = new IdentityHashMap<>();
            int i = 0;
            Record record;
            while ((record = reader.nextRecord()) != null) {
                if (i >= engine.batchSize()) {
                    throw new IOException("it holds more records than in the first pass");
                }
                switch (engine.route(i)) {
                    case FAILURE -> {
                        router.route(REL_FAILURE, extend(record, schemas.failure, Map.of(FAILURE_REASON, engine.failure(i))));
                        tally.failure++;
                    }
                    case REVIEW -> {
                        DedupEngine.Candidate candidate = engine.reviewCandidate(i);
                        Map<String, Object> extra = new LinkedHashMap<>();
                        extra.put(CLUSTER_ID, candidate.clusterId());
                        extra.put(CANDIDATE_ID, candidate.id());
                        extra.put(CANDIDATE_SOURCE, candidate.source());
                        extra.put(MATCH_SCORE, round(engine.reviewScore(i)));
                        router.route(REL_REVIEW, extend(record, schemas.review, extra));
                        tally.review++;
                    }
                    default -> {
                        DedupEngine.Cluster cluster = engine.cluster(i);
                        if (cluster == null) {
                            String id = engine.features(i).id();
                            router.route(REL_GOLDEN, extend(record, schemas.golden, goldenFields(engine.clusterIdOf(id), List.of(id), id, null)));
                            tally.golden++;
                        } else {
                            List<Integer> indexes = heldIndexes.computeIfAbsent(cluster, c -> new ArrayList<>(c.batchMembers()));
                            List<Record> records = heldRecords.computeIfAbsent(cluster, c -> new ArrayList<>(c.batchMembers()));
                            indexes.add(i);
                            records.add(record);
                            if (indexes.size() == cluster.batchMembers()) {
                                emit(router, schemas, engine, cluster, indexes, records, indexed, cfg, tally);
                                heldIndexes.remove(cluster);
                                heldRecords.remove(cluster);
                            }
                        }
                    }
                }
                i++;
            }
            if (i != engine.batchSize()) {
                throw new IOException("it holds " + i + " records, " + engine.batchSize() + " in the first pass");
            }
            router.finish(Map.of(ENTITY_ATTRIBUTE, cfg.settings().entity().value()));
        }
        return tally;
    }

    private void emit(RecordRouter router, Schemas schemas, DedupEngine engine, DedupEngine.Cluster cluster, List<Integer> indexes,
                      List<Record> records, MatchIndex.Batch indexed, Config cfg, Tally tally) throws IOException {
        // Members best first: the master leads.
        List<Integer> order = new ArrayList<>();
        for (int k = 0; k < indexes.size(); k++) {
            order.add(k);
        }
        var comparator = cfg.settings().survivorship().order();
        order.sort((x, y) -> comparator.compare(engine.features(indexes.get(x)), engine.features(indexes.get(y))));
        List<Record> ordered = new ArrayList<>(records.size());
        List<Features> orderedFeatures = new ArrayList<>(records.size());
        for (int k : order) {
            ordered.add(records.get(k));
            orderedFeatures.add(engine.features(indexes.get(k)));
        }
        Set<String> memberIds = new LinkedHashSet<>();
        for (int index : indexes) {
            memberIds.add(engine.features(index).id());
        }
        memberIds.addAll(cluster.externalIds());
        if (indexed != null && cluster.existing()) {
            memberIds.addAll(indexed.clusterMembers(cluster.id()));
        }
        Map<String, Object> goldenValues = ordered.size() == 1 ? new LinkedHashMap<>(ordered.getFirst().toMap())
                : cfg.settings().survivorship().golden(ordered, orderedFeatures);
        goldenValues.putAll(goldenFields(cluster.id(), memberIds, cluster.goldenId(), cluster.targetId()));
        if (cfg.targetKeyField() != null && cluster.targetId() != null && cluster.targetKey() != null) {
            goldenValues.put(cfg.targetKeyField(), cluster.targetKey());
        } else if (cfg.targetKeyField() != null && cluster.existing() && cfg.roles().get(FieldRole.ID).contains(cfg.targetKeyField())) {
            // The cluster's golden record was written by an earlier FlowFile under the golden id: update that record.
            goldenValues.put(cfg.targetKeyField(), cluster.goldenId());
        }
        router.route(REL_GOLDEN, new MapRecord(schemas.golden, goldenValues));
        tally.golden++;
        if (ordered.size() > 1) {
            tally.merged++;
        }
        if (cluster.targetId() != null) {
            tally.targetMatched++;
        }
        if (cluster.existing()) {
            tally.indexMatched++;
        }
        for (int k = 1; k < order.size(); k++) {
            int index = indexes.get(order.get(k));
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put(CLUSTER_ID, cluster.id());
            extra.put(GOLDEN_ID, cluster.goldenId());
            extra.put(MATCH_SCORE, round(engine.matchScore(index)));
            router.route(REL_DUPLICATES, extend(records.get(order.get(k)), schemas.duplicate, extra));
            tally.duplicates++;
        }
    }

    private static Map<String, Object> goldenFields(String clusterId, Collection<String> members, String goldenId, String targetId) {
        Map<String, Object> values = new LinkedHashMap<>();
        values.put(CLUSTER_ID, clusterId);
        values.put(CLUSTER_MEMBERS, String.join(",", members));
        values.put(CLUSTER_SIZE, members.size());
        values.put(GOLDEN_ID, goldenId);
        values.put(TARGET_ID, targetId);
        return values;
    }

    private static double round(double p) {
        return Math.round(p * 10_000) / 10_000.0;
    }

    private static Record extend(Record record, RecordSchema schema, Map<String, Object> extra) {
        Map<String, Object> values = new LinkedHashMap<>(record.toMap());
        values.putAll(extra);
        return new MapRecord(schema, values);
    }

    /** The output schemas: the input's fields plus each relationship's own. */
    private static final class Schemas {
        final RecordSchema golden;
        final RecordSchema duplicate;
        final RecordSchema review;
        final RecordSchema failure;

        Schemas(RecordSchema input, String targetKeyField) {
            List<RecordField> goldenExtra = new ArrayList<>(List.of(text(CLUSTER_ID), text(CLUSTER_MEMBERS),
                    new RecordField(CLUSTER_SIZE, RecordFieldType.INT.getDataType(), true), text(GOLDEN_ID), text(TARGET_ID)));
            if (targetKeyField != null && input.getField(targetKeyField).isEmpty()) {
                goldenExtra.add(text(targetKeyField));
            }
            golden = extendSchema(input, goldenExtra);
            duplicate = extendSchema(input, List.of(text(CLUSTER_ID), text(GOLDEN_ID), score()));
            review = extendSchema(input, List.of(text(CLUSTER_ID), text(CANDIDATE_ID), text(CANDIDATE_SOURCE), score()));
            failure = extendSchema(input, List.of(text(FAILURE_REASON)));
        }

        private static RecordField text(String name) {
            return new RecordField(name, RecordFieldType.STRING.getDataType(), true);
        }

        private static RecordField score() {
            return new RecordField(MATCH_SCORE, RecordFieldType.DOUBLE.getDataType(), true);
        }

        private static RecordSchema extendSchema(RecordSchema input, List<RecordField> extra) {
            Set<String> added = new LinkedHashSet<>();
            extra.forEach(f -> added.add(f.getFieldName()));
            List<RecordField> fields = new ArrayList<>();
            for (RecordField field : input.getFields()) {
                if (!added.contains(field.getFieldName())) {
                    fields.add(field);
                }
            }
            fields.addAll(extra);
            return new SimpleRecordSchema(fields);
        }
    }

    private void failWhole(ProcessSession session, FlowFile flowFile, String code, String message) {
        WholeFlowFileFailure.route(session, flowFile, REL_FAILURE, "dedup", code, message, getLogger());
    }

    private static AllowableValue[] strategies() {
        List<AllowableValue> values = new ArrayList<>();
        for (Survivorship.Strategy s : Survivorship.Strategy.values()) {
            values.add(new AllowableValue(s.value(), s.value(), s.description()));
        }
        return values.toArray(AllowableValue[]::new);
    }

    private static String describeKeys() {
        List<String> parts = new ArrayList<>();
        for (BlockingKey key : BlockingKey.values()) {
            parts.add(key.value() + " (" + key.description() + ")");
        }
        return String.join("; ", parts);
    }
}
