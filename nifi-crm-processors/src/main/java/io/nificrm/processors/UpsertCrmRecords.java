package io.nificrm.processors;

import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmException;
import io.nificrm.api.CrmWriteRequest;
import io.nificrm.api.CrmWriteResult;
import io.nificrm.api.WriteOperation;
import io.nificrm.processors.common.CrmAttributes;
import io.nificrm.processors.common.CrmProperties;
import io.nificrm.processors.common.RecordRouter;
import io.nificrm.processors.common.WholeFlowFileFailure;
import io.nificrm.processors.common.WriteOutcomeFields;
import io.nificrm.processors.planner.PlanVerification;
import io.nificrm.processors.upsert.DryRun;
import io.nificrm.processors.upsert.ParentIdCache;
import io.nificrm.processors.upsert.ParentReference;
import io.nificrm.processors.upsert.ReferenceResolver;
import io.nificrm.processors.upsert.WrittenVersions;
import org.apache.nifi.annotation.behavior.DynamicProperty;
import org.apache.nifi.annotation.behavior.InputRequirement;
import org.apache.nifi.annotation.behavior.WritesAttribute;
import org.apache.nifi.annotation.behavior.WritesAttributes;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.SeeAlso;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.annotation.lifecycle.OnScheduled;
import org.apache.nifi.components.ValidationContext;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.components.Validator;
import org.apache.nifi.distributed.cache.client.DistributedMapCacheClient;
import org.apache.nifi.components.AllowableValue;
import org.apache.nifi.components.ConfigVerificationResult;
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
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordSchema;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Writes records to a CRM in batches of the target's maximum size and routes every record by its own outcome.
 */
@InputRequirement(InputRequirement.Requirement.INPUT_REQUIRED)
@Tags({"crm", "salesforce", "hubspot", "dynamics", "upsert", "put", "write", "migration", "record"})
@CapabilityDescription("Writes records to a CRM through a CRM Connection Service: upsert by an external-id field, insert, "
        + "update or delete, in batches of the target's maximum size. Every record is routed by its own result: 'success' "
        + "(with crm_outcome created/updated/deleted and crm_target_id), 'failure' for records the target rejected "
        + "(crm_error_code and crm_error_message say why), 'retry' for records that may pass later (throttled, timed out, "
        + "service unavailable, credentials expired). Records in always equal records out. An upsert by external id is "
        + "idempotent: running the same input again creates nothing new.")
@WritesAttributes({
        @WritesAttribute(attribute = CrmAttributes.SYSTEM, description = "The system written to"),
        @WritesAttribute(attribute = CrmAttributes.OBJECT, description = "The object written"),
        @WritesAttribute(attribute = "record.count", description = "Records in the FlowFile"),
        @WritesAttribute(attribute = CrmAttributes.ERROR_CODE, description = "On 'failure' when the input could not be read: MALFORMED_INPUT"),
        @WritesAttribute(attribute = CrmAttributes.ERROR_MESSAGE, description = "On 'failure' when the input could not be read: why")})
@DynamicProperty(name = "A reference field of the records", value = "<parent object>.<parent external-id field>",
        description = "Resolves a reference before writing: the field holds the parent's SOURCE id, which the parent was written "
                + "with into its external-id field; the parent is looked up there (or found in the cache filled by the parents' "
                + "own upsert) and the field gets the parent's TARGET id. E.g. associations.companies = companies.source_id "
                + "(HubSpot), account_id = accounts.source_id (JDBC). Salesforce and Dataverse resolve 'Account.External_Id__c' "
                + "and 'parentcustomerid.nificrm_sourceid' fields natively and need no property. A golden record of "
                + "DeduplicateCrmRecords is remembered under the id of every member of its cluster (crm_cluster_members), so "
                + "children of a merged duplicate are linked to the golden record (across nodes with a Reference Cache).")
@SeeAlso({QueryCrmEntities.class, MapCrmFields.class})
public class UpsertCrmRecords extends AbstractProcessor implements VerifiableProcessor {

    static final AllowableValue UPSERT = new AllowableValue("upsert", "Upsert", "Update the record whose key field matches, or create it.");
    static final AllowableValue INSERT = new AllowableValue("insert", "Insert", "Create new records.");
    static final AllowableValue UPDATE = new AllowableValue("update", "Update", "Change existing records found by the key field.");
    static final AllowableValue DELETE = new AllowableValue("delete", "Delete", "Delete records found by the key field.");

    static final PropertyDescriptor OBJECT = CrmProperties.object(ExpressionLanguageScope.FLOWFILE_ATTRIBUTES);

    static final PropertyDescriptor OPERATION = new PropertyDescriptor.Builder()
            .name("Operation")
            .description("What to do with each record.")
            .required(true)
            .allowableValues(UPSERT, INSERT, UPDATE, DELETE)
            .defaultValue(UPSERT)
            .build();

    static final PropertyDescriptor KEY_FIELD = new PropertyDescriptor.Builder()
            .name("Key Field")
            .description("The field that matches existing records: the external-id field of an upsert (Salesforce external id, "
                    + "HubSpot unique property such as email, Dataverse alternate key column). For update and delete, empty "
                    + "means the system's record id.")
            .required(false)
            .expressionLanguageSupported(ExpressionLanguageScope.FLOWFILE_ATTRIBUTES)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    static final PropertyDescriptor BATCH_SIZE = new PropertyDescriptor.Builder()
            .name("Batch Size")
            .description("Records per API call. Empty uses the target's maximum (Salesforce 200, HubSpot 100, Dataverse $batch, JDBC).")
            .required(false)
            .addValidator(StandardValidators.POSITIVE_INTEGER_VALIDATOR)
            .build();

    static final PropertyDescriptor DRY_RUN = new PropertyDescriptor.Builder()
            .name("Dry Run")
            .description("Check the records against the target's describe and look up which already exist, and report each as "
                    + "would_create, would_update or a rejection with its reason, without writing anything.")
            .required(true)
            .allowableValues("true", "false")
            .defaultValue("false")
            .build();

    static final PropertyDescriptor MISSING_PARENT = new PropertyDescriptor.Builder()
            .name("Missing Parent")
            .description("Where a record goes when a reference cannot be resolved because its parent is not in the target: "
                    + "'failure' when parents are always written first (a missing one is an error), 'retry' when parents may "
                    + "arrive later (continuous sync).")
            .required(true)
            .allowableValues("failure", "retry")
            .defaultValue("failure")
            .build();

    static final PropertyDescriptor REFERENCE_CACHE = new PropertyDescriptor.Builder()
            .name("Reference Cache")
            .description("Optional Distributed Map Cache shared by the processors of a migration: each upsert records the target "
                    + "id of every record it wrote (by object and key value), so children written later, on any node, resolve "
                    + "their parents without a lookup. Without it, each processor keeps its own in-memory cache.")
            .required(false)
            .identifiesControllerService(DistributedMapCacheClient.class)
            .build();

    static final Relationship REL_SUCCESS = new Relationship.Builder().name("success")
            .description("Records the target accepted, with crm_outcome and crm_target_id").build();
    static final Relationship REL_FAILURE = new Relationship.Builder().name("failure")
            .description("Records the target rejected for good, with crm_error_code and crm_error_message; and input that "
                    + "could not be read").build();
    static final Relationship REL_RETRY = new Relationship.Builder().name("retry")
            .description("Records that may be accepted later (throttling, timeouts, outages, expired credentials); loop them "
                    + "back with back-pressure").build();

    private static final List<PropertyDescriptor> PROPERTIES = List.of(CrmProperties.CONNECTION_SERVICE, OBJECT, OPERATION,
            KEY_FIELD, CrmProperties.RECORD_READER, CrmProperties.RECORD_WRITER, BATCH_SIZE, DRY_RUN, MISSING_PARENT, REFERENCE_CACHE);

    /** DeduplicateCrmRecords' golden-record field listing the ids of the cluster's members. */
    static final String CLUSTER_MEMBERS = "crm_cluster_members";

    /** Parent target ids, shared by the tasks of this processor across restarts (and through Reference Cache, by the cluster). */
    private final ParentIdCache parentIds = new ParentIdCache(200_000);
    private volatile ReferenceResolver references;

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return PROPERTIES;
    }

    @Override
    protected PropertyDescriptor getSupportedDynamicPropertyDescriptor(String name) {
        return new PropertyDescriptor.Builder()
                .name(name)
                .description("Resolves reference field '" + name + "' by looking its value up in <parent object>.<external-id field>")
                .dynamic(true)
                .addValidator(REFERENCE_VALIDATOR)
                .build();
    }

    private static final Validator REFERENCE_VALIDATOR = (subject, input, context) -> {
        try {
            ParentReference.parse(subject, input);
            return new ValidationResult.Builder().subject(subject).input(input).valid(true).build();
        } catch (IllegalArgumentException e) {
            return new ValidationResult.Builder().subject(subject).input(input).valid(false).explanation(e.getMessage()).build();
        }
    };

    @OnScheduled
    public void setUpReferences(ProcessContext context) {
        parentIds.share(context.getProperty(REFERENCE_CACHE).asControllerService(DistributedMapCacheClient.class));
        List<ParentReference> parsed = new ArrayList<>();
        context.getProperties().forEach((descriptor, value) -> {
            if (descriptor.isDynamic()) {
                parsed.add(ParentReference.parse(descriptor.getName(), value));
            }
        });
        references = new ReferenceResolver(parsed, parentIds, "retry".equals(context.getProperty(MISSING_PARENT).getValue()));
    }

    /** Plans the write side: the batch size against the target's maximum, the duration at its limits, the concurrency. */
    @Override
    public List<ConfigVerificationResult> verify(ProcessContext context, ComponentLog verificationLogger, Map<String, String> attributes) {
        return PlanVerification.forUpsert(context.getProperty(CrmProperties.CONNECTION_SERVICE).asControllerService(CrmConnectionService.class),
                context.getProperty(OBJECT).evaluateAttributeExpressions(attributes).getValue(), context.getProperty(BATCH_SIZE).asInteger(),
                context.getMaxConcurrentTasks(), getNodeTypeProvider(), attributes);
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
        CrmConnectionService service = context.getProperty(CrmProperties.CONNECTION_SERVICE).asControllerService(CrmConnectionService.class);
        String object = context.getProperty(OBJECT).evaluateAttributeExpressions(flowFile).getValue();
        WriteOperation operation = WriteOperation.valueOf(context.getProperty(OPERATION).getValue().toUpperCase());
        String keyField = context.getProperty(KEY_FIELD).evaluateAttributeExpressions(flowFile).getValue();
        int maxBatch = service.capabilities().maxBatchSize();
        int batchSize = context.getProperty(BATCH_SIZE).isSet() ? Math.min(maxBatch, context.getProperty(BATCH_SIZE).asInteger()) : maxBatch;
        if (operation == WriteOperation.UPSERT && (keyField == null || keyField.isBlank())) {
            failWhole(session, flowFile, "CONFIGURATION", "An upsert needs a Key Field (the external id that matches records)");
            return;
        }
        RecordReaderFactory readerFactory = context.getProperty(CrmProperties.RECORD_READER).asControllerService(RecordReaderFactory.class);
        RecordSetWriterFactory writerFactory = context.getProperty(CrmProperties.RECORD_WRITER).asControllerService(RecordSetWriterFactory.class);

        long started = System.nanoTime();
        Tally tally = new Tally();
        Map<Relationship, FlowFile> outputs;
        try (InputStream in = session.read(flowFile);
             RecordReader reader = readerFactory.createRecordReader(flowFile, in, getLogger());
             RecordRouter router = new RecordRouter(session, flowFile, writerFactory, getLogger(), "upsert")) {
            RecordSchema inputSchema = reader.getSchema();
            RecordSchema successSchema = WriteOutcomeFields.extend(inputSchema, false);
            RecordSchema failureSchema = WriteOutcomeFields.extend(inputSchema, true);
            router.declare(REL_SUCCESS, successSchema).declare(REL_FAILURE, failureSchema).declare(REL_RETRY, failureSchema);
            Writer writer = new Writer(service, router, new CrmWriteRequest(object, operation, keyField, List.of()), successSchema,
                    failureSchema, tally, context.getProperty(DRY_RUN).asBoolean());
            writer.windowUntil = windowUntil(flowFile.getAttribute(WINDOW_UNTIL));
            writer.scope = context.getProperty(CrmProperties.CONNECTION_SERVICE).getValue();
            List<Record> batch = new ArrayList<>(batchSize);
            Record record;
            while ((record = reader.nextRecord()) != null) {
                batch.add(record);
                tally.in++;
                if (batch.size() == batchSize) {
                    writer.write(batch);
                    batch.clear();
                }
            }
            writer.write(batch);
            outputs = router.finish(Map.of(CrmAttributes.SYSTEM, service.system(), CrmAttributes.OBJECT, object),
                    Map.of(REL_SUCCESS, tally.outcomeAttributes()));
        } catch (MalformedRecordException | SchemaNotFoundException | IOException e) {
            failWhole(session, flowFile, "MALFORMED_INPUT", "Record " + (tally.in + 1) + " of the input could not be read: " + e.getMessage());
            return;
        }
        long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started);
        FlowFile success = outputs.get(REL_SUCCESS);
        if (success != null && !context.getProperty(DRY_RUN).asBoolean()) {
            session.getProvenanceReporter().send(success, service.transitUri(object),
                    operation.name().toLowerCase() + " of " + tally.count(REL_SUCCESS) + " records", millis);
        }
        session.remove(flowFile);
        tally.report(session);
        if (tally.in != tally.out()) {
            // Cannot happen by construction; fail loudly rather than lose a record silently.
            throw new ProcessException("Record accounting mismatch: " + tally.in + " in, " + tally.out() + " out");
        }
    }

    /** QueryCrmEntities' end of the change window a FlowFile's records were read in (incremental loads only). */
    static final String WINDOW_UNTIL = "crm.window.until";

    private static Instant windowUntil(String value) {
        if (value == null || value.isBlank()) {
            return null;
        }
        try {
            return Instant.parse(value.trim());
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private void failWhole(ProcessSession session, FlowFile flowFile, String code, String message) {
        WholeFlowFileFailure.route(session, flowFile, REL_FAILURE, "upsert", code, message, getLogger());
    }

    /** Counts records per outcome and relationship. */
    private static final class Tally {
        long in;
        final Map<CrmWriteResult.Outcome, Long> outcomes = new EnumMap<>(CrmWriteResult.Outcome.class);
        long retry;
        long failure;
        long success;

        void add(Relationship relationship, CrmWriteResult result) {
            outcomes.merge(result.outcome(), 1L, Long::sum);
            if (relationship == REL_RETRY) {
                retry++;
            } else if (relationship == REL_FAILURE) {
                failure++;
            } else {
                success++;
            }
        }

        long count(Relationship relationship) {
            return relationship == REL_SUCCESS ? success : relationship == REL_FAILURE ? failure : retry;
        }

        long out() {
            return success + failure + retry;
        }

        /** crm.records.created / updated / unchanged / deleted for the success output. */
        Map<String, String> outcomeAttributes() {
            Map<String, String> attributes = new HashMap<>();
            outcomes.forEach((outcome, n) -> {
                if (outcome != CrmWriteResult.Outcome.FAILED) {
                    attributes.put(CrmAttributes.OUTCOME_COUNT_PREFIX + outcome.name().toLowerCase(), Long.toString(n));
                }
            });
            return attributes;
        }

        void report(ProcessSession session) {
            outcomes.forEach((outcome, n) -> {
                if (outcome != CrmWriteResult.Outcome.FAILED) {
                    session.adjustCounter("Records " + capitalize(outcome.name()), n, false);
                }
            });
            if (failure > 0) {
                session.adjustCounter("Records Failed", failure, false);
            }
            if (retry > 0) {
                session.adjustCounter("Records To Retry", retry, false);
            }
        }

        private static String capitalize(String s) {
            return s.charAt(0) + s.substring(1).toLowerCase();
        }
    }

    /** Sends one batch and routes each record by its result. */
    private final class Writer {
        private final CrmConnectionService service;
        private final RecordRouter router;
        private final CrmWriteRequest template;
        private final RecordSchema successSchema;
        private final RecordSchema failureSchema;
        private final Tally tally;
        private final boolean dryRun;
        /** The change window of an incremental sync's FlowFile, or null; see {@link WrittenVersions}. */
        Instant windowUntil;
        String scope;
        long superseded;

        Writer(CrmConnectionService service, RecordRouter router, CrmWriteRequest template, RecordSchema successSchema,
               RecordSchema failureSchema, Tally tally, boolean dryRun) {
            this.service = service;
            this.router = router;
            this.template = template;
            this.successSchema = successSchema;
            this.failureSchema = failureSchema;
            this.tally = tally;
            this.dryRun = dryRun;
        }

        void write(List<Record> batch) throws IOException {
            if (batch.isEmpty()) {
                return;
            }
            List<CrmWriteResult> results;
            try {
                results = dryRun ? DryRun.evaluate(service, request(batch)) : writeUnlessSuperseded(batch);
            } catch (CrmException e) {
                getLogger().warn("Writing {} records to {} failed as a whole ({}): {}", batch.size(), template.object(), e.reason(), e.getMessage());
                CrmWriteResult failed = WriteOutcomeFields.resultOf(e);
                results = Collections.nCopies(batch.size(), failed);
            } catch (RuntimeException e) {
                // A defect or an unexpected value: the records go to failure with the error's type, never stuck in a loop.
                getLogger().error("Writing {} records to {} failed unexpectedly: {}", batch.size(), template.object(), e.getClass().getSimpleName());
                results = Collections.nCopies(batch.size(), CrmWriteResult.rejected("UNEXPECTED_ERROR",
                        "The write failed with " + e.getClass().getSimpleName() + "; see the processor's log"));
            }
            for (int i = 0; i < batch.size(); i++) {
                CrmWriteResult result = results.get(i);
                Relationship relationship = result.isSuccess() ? REL_SUCCESS : result.transientFailure() ? REL_RETRY : REL_FAILURE;
                RecordSchema schema = result.isSuccess() ? successSchema : failureSchema;
                router.route(relationship, WriteOutcomeFields.withResult(batch.get(i), schema, result, dryRun));
                tally.add(relationship, result);
            }
        }

        /**
         * Writes the batch, except, in an incremental sync, records of which a newer version (or the deletion) was
         * already written after this older version was read: they end in success as unchanged, and are logged.
         * What is written is remembered for that check.
         */
        private List<CrmWriteResult> writeUnlessSuperseded(List<Record> batch) {
            if (windowUntil == null || scope == null || template.keyField() == null) {
                return resolveAndWrite(batch);
            }
            List<String> keys = new ArrayList<>(batch.size());
            batch.forEach(r -> {
                String key = keyOf(r);
                if (key != null) {
                    keys.add(key);
                }
            });
            try (WrittenVersions.Claim ignored = WrittenVersions.SHARED.claim(scope, template.object(), keys)) {
                return writeClaimed(batch);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new ProcessException("Interrupted while waiting for another task writing the same records", e);
            }
        }

        private List<CrmWriteResult> writeClaimed(List<Record> batch) {
            boolean delete = template.operation() == WriteOperation.DELETE;
            List<Record> live = new ArrayList<>(batch.size());
            boolean[] skip = new boolean[batch.size()];
            for (int i = 0; i < batch.size(); i++) {
                String key = keyOf(batch.get(i));
                skip[i] = key != null && WrittenVersions.SHARED.supersedes(scope, template.object(), key, windowUntil);
                if (!skip[i]) {
                    live.add(batch.get(i));
                }
            }
            List<CrmWriteResult> written = live.isEmpty() ? List.of() : live.size() == batch.size() ? resolveAndWrite(batch) : resolveAndWrite(live);
            List<CrmWriteResult> results = new ArrayList<>(batch.size());
            int next = 0;
            int skipped = 0;
            for (int i = 0; i < batch.size(); i++) {
                if (skip[i]) {
                    skipped++;
                    results.add(new CrmWriteResult(CrmWriteResult.Outcome.UNCHANGED, null, "SUPERSEDED",
                            "Not written: a newer version or the deletion of this record was already written", false));
                    continue;
                }
                CrmWriteResult result = written.get(next++);
                String key = keyOf(batch.get(i));
                if (key != null && result.isSuccess()) {
                    WrittenVersions.SHARED.written(scope, template.object(), key, windowUntil, delete);
                }
                results.add(result);
            }
            if (skipped > 0) {
                superseded += skipped;
                getLogger().info("{} records of {} not written: a newer version or their deletion was already written (read until {})",
                        skipped, template.object(), windowUntil);
            }
            return results;
        }

        private String keyOf(Record record) {
            Object key = record.getValue(template.keyField());
            return key == null || key.toString().isBlank() ? null : key.toString().trim();
        }

        private CrmWriteRequest request(List<Record> records) {
            return new CrmWriteRequest(template.object(), template.operation(), template.keyField(), records);
        }

        /** Resolves references, writes the records whose parents were found, and remembers what was written. */
        private List<CrmWriteResult> resolveAndWrite(List<Record> batch) {
            List<Optional<CrmWriteResult>> unresolved = references.resolve(service, batch);
            List<Record> ready = new ArrayList<>(batch.size());
            for (int i = 0; i < batch.size(); i++) {
                if (unresolved.get(i).isEmpty()) {
                    ready.add(batch.get(i));
                }
            }
            List<CrmWriteResult> written = ready.isEmpty() ? List.of() : service.write(request(ready));
            if (written.size() != ready.size()) {
                throw new CrmException(CrmException.Reason.MALFORMED_RESPONSE, "The connection service returned "
                        + written.size() + " results for " + ready.size() + " records");
            }
            List<CrmWriteResult> results = new ArrayList<>(batch.size());
            int next = 0;
            for (int i = 0; i < batch.size(); i++) {
                CrmWriteResult result = unresolved.get(i).orElse(null);
                if (result == null) {
                    result = written.get(next++);
                    remember(batch.get(i), result);
                }
                results.add(result);
            }
            return results;
        }

        /**
         * A written record may be the parent of records written later: keep its target id by its key value, and, for a
         * golden record of DeduplicateCrmRecords, by the id of every member of its cluster, so that children of a
         * merged duplicate resolve to the golden record.
         */
        private void remember(Record record, CrmWriteResult result) {
            if (result.isSuccess() && result.targetId() != null && template.keyField() != null) {
                Object key = record.getValue(template.keyField());
                if (key != null && !key.toString().isBlank()) {
                    parentIds.put(template.object(), key.toString().trim(), result.targetId());
                }
                Object members = record.getSchema().getField(CLUSTER_MEMBERS).isPresent() ? record.getValue(CLUSTER_MEMBERS) : null;
                if (members != null) {
                    for (String member : members.toString().split(",")) {
                        if (!member.isBlank() && (key == null || !member.trim().equals(key.toString().trim()))) {
                            parentIds.put(template.object(), member.trim(), result.targetId());
                        }
                    }
                }
            }
        }
    }
}
