package io.nificrm.processors;

import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmException;
import io.nificrm.api.CrmObjectSchema;
import io.nificrm.api.CrmPartition;
import io.nificrm.processors.common.CrmAttributes;
import io.nificrm.processors.common.CrmProperties;
import io.nificrm.processors.planner.PlanVerification;
import org.apache.nifi.annotation.behavior.InputRequirement;
import org.apache.nifi.annotation.behavior.Stateful;
import org.apache.nifi.annotation.behavior.TriggerSerially;
import org.apache.nifi.annotation.behavior.WritesAttribute;
import org.apache.nifi.annotation.behavior.WritesAttributes;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.SeeAlso;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.annotation.lifecycle.OnScheduled;
import org.apache.nifi.components.AllowableValue;
import org.apache.nifi.components.ConfigVerificationResult;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.state.Scope;
import org.apache.nifi.components.state.StateMap;
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

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Splits an object into partitions for a parallel load, one FlowFile each. Not {@code @PrimaryNodeOnly}: NiFi refuses
 * to schedule a primary-node-only processor that has an incoming connection, and a chained stage (triggered by the
 * previous stage's report) needs one. As a timer-driven source (no incoming connection) set its Execution Node to
 * Primary; with an incoming connection it runs where its trigger arrives (once per trigger).
 */
@TriggerSerially
@InputRequirement(InputRequirement.Requirement.INPUT_ALLOWED)
@Stateful(scopes = Scope.CLUSTER, description = "Without an incoming connection: when the last load was generated (load.started, "
        + "load.id, load.object, load.scheduler). A node newly elected primary skips its first run when another node already "
        + "generated a load since this processor was started, so a primary-node change does not restart the load.")
@Tags({"crm", "partition", "parallel", "migration", "pk chunking", "salesforce", "hubspot", "dynamics", "jdbc"})
@CapabilityDescription("Splits a CRM object into N partitions for a parallel load: id ranges (on Salesforce, PK chunking), or "
        + "created-date slices. Emits one empty FlowFile per partition carrying its bounds as attributes; send them over a "
        + "load-balanced connection (Round Robin) to FetchCrmPartition, so every node of the cluster reads its share. The "
        + "partitions are half-open ranges that cover every record exactly once. Without an incoming connection it runs on "
        + "its schedule: set its Execution Node to 'Primary node' so a cluster partitions once. With an incoming connection "
        + "it runs once per incoming FlowFile (e.g. the report of the previous stage of a migration), on the node the "
        + "trigger arrives at.")
@WritesAttributes({
        @WritesAttribute(attribute = CrmAttributes.OBJECT, description = "The object"),
        @WritesAttribute(attribute = CrmAttributes.SYSTEM, description = "The system"),
        @WritesAttribute(attribute = CrmAttributes.LOAD_ID, description = "Identifies the parallel load; all its partitions share it"),
        @WritesAttribute(attribute = FetchCrmPartition.FIELD, description = "The field partitioned on"),
        @WritesAttribute(attribute = FetchCrmPartition.LOWER, description = "Inclusive lower bound (absent for the first partition)"),
        @WritesAttribute(attribute = FetchCrmPartition.UPPER, description = "Exclusive upper bound (absent for the last partition)"),
        @WritesAttribute(attribute = "crm.partition.index", description = "Partition number, from 0"),
        @WritesAttribute(attribute = "crm.partition.count", description = "How many partitions the load has")})
@SeeAlso({FetchCrmPartition.class, QueryCrmEntities.class})
public class GenerateCrmPartitions extends AbstractProcessor implements VerifiableProcessor {

    static final AllowableValue BY_ID = new AllowableValue("id", "Id Ranges",
            "Ranges of the record id (Salesforce PK chunking; numeric HubSpot ids; GUIDs; primary keys).");
    static final AllowableValue BY_CREATED = new AllowableValue("created", "Created-Date Slices",
            "Slices of the creation time (even time spans).");

    static final PropertyDescriptor OBJECT = CrmProperties.object(ExpressionLanguageScope.FLOWFILE_ATTRIBUTES);

    static final PropertyDescriptor PARTITIONS = new PropertyDescriptor.Builder()
            .name("Partitions")
            .description("How many partitions to make. A few per NiFi node and concurrent task is a good start; the migration "
                    + "planner can suggest a number.")
            .required(true)
            .defaultValue("8")
            .addValidator(StandardValidators.createLongValidator(1, 10_000, true))
            .build();

    static final PropertyDescriptor STRATEGY = new PropertyDescriptor.Builder()
            .name("Partition By")
            .description("What the partitions slice.")
            .required(true)
            .allowableValues(BY_ID, BY_CREATED)
            .defaultValue(BY_ID)
            .build();

    static final Relationship REL_SUCCESS = new Relationship.Builder().name("success")
            .description("One FlowFile per partition").build();
    static final Relationship REL_FAILURE = new Relationship.Builder().name("failure")
            .description("An incoming trigger FlowFile whose object could not be partitioned, with crm.error.message").build();

    private static final List<PropertyDescriptor> PROPERTIES = List.of(CrmProperties.CONNECTION_SERVICE, OBJECT, STRATEGY, PARTITIONS);

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return PROPERTIES;
    }

    @Override
    public Set<Relationship> getRelationships() {
        return Set.of(REL_SUCCESS, REL_FAILURE);
    }

    static final String STATE_LOAD_STARTED = "load.started";
    static final String STATE_LOAD_ID = "load.id";
    static final String STATE_LOAD_OBJECT = "load.object";
    static final String STATE_LOAD_SCHEDULER = "load.scheduler";

    /** When this node's schedule began, and who it is: set on every (re)start of the processor on this node. */
    private volatile long scheduledAt;
    private volatile String schedulerId;
    private volatile boolean firstSourceRun;

    @OnScheduled
    public void onScheduled(ProcessContext context) {
        scheduledAt = System.currentTimeMillis();
        schedulerId = UUID.randomUUID().toString();
        firstSourceRun = true;
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
        StateMap sourceState = null;
        if (trigger == null) {
            if (schedulerId == null) {
                onScheduled(context);
            }
            // Source mode, scheduled on the primary node. NiFi runs a primary-only processor as soon as a node is elected
            // primary, so after a failover the new primary would start the whole load again (a full re-read). Its first
            // run is skipped when another node already generated a load since this node's schedule began.
            try {
                sourceState = session.getState(Scope.CLUSTER);
            } catch (IOException e) {
                throw new ProcessException("Cannot read the cluster state of " + this, e);
            }
            if (firstSourceRun) {
                firstSourceRun = false;
                String started = sourceState.get(STATE_LOAD_STARTED);
                if (started != null && Long.parseLong(started) >= scheduledAt && !schedulerId.equals(sourceState.get(STATE_LOAD_SCHEDULER))) {
                    getLogger().info("Not generating a new load: load {} of {} was generated at {} by another node since this "
                                    + "processor was started (primary node change); the next scheduled run generates as usual",
                            sourceState.get(STATE_LOAD_ID), sourceState.get(STATE_LOAD_OBJECT),
                            Instant.ofEpochMilli(Long.parseLong(started)));
                    session.adjustCounter("Loads Not Repeated After Failover", 1, false);
                    return;
                }
            }
        }
        CrmConnectionService service = context.getProperty(CrmProperties.CONNECTION_SERVICE).asControllerService(CrmConnectionService.class);
        String object = context.getProperty(OBJECT).evaluateAttributeExpressions(trigger).getValue();
        int count = context.getProperty(PARTITIONS).asInteger();
        List<CrmPartition> partitions;
        try {
            partitions = service.partitions(object, partitionField(service.describe(object), context), count);
        } catch (CrmException e) {
            getLogger().error("Cannot partition {} of {}: {}", object, service.system(), e.getMessage());
            if (trigger != null) {
                session.transfer(session.putAttribute(trigger, CrmAttributes.ERROR_MESSAGE, e.getMessage()), REL_FAILURE);
            }
            context.yield();
            return;
        }
        String loadId = UUID.randomUUID().toString();
        for (int i = 0; i < partitions.size(); i++) {
            CrmPartition partition = partitions.get(i);
            Map<String, String> attributes = new HashMap<>();
            attributes.put(CrmAttributes.SYSTEM, service.system());
            attributes.put(CrmAttributes.OBJECT, object);
            attributes.put(CrmAttributes.LOAD_ID, loadId);
            attributes.put(FetchCrmPartition.FIELD, partition.field());
            if (partition.lower() != null) {
                attributes.put(FetchCrmPartition.LOWER, partition.lower());
            }
            if (partition.upper() != null) {
                attributes.put(FetchCrmPartition.UPPER, partition.upper());
            }
            attributes.put("crm.partition.index", Integer.toString(i));
            attributes.put("crm.partition.count", Integer.toString(partitions.size()));
            FlowFile flowFile = trigger == null ? session.create() : session.create(trigger);
            session.transfer(session.putAllAttributes(flowFile, attributes), REL_SUCCESS);
        }
        if (trigger != null) {
            session.remove(trigger);
        } else {
            Map<String, String> state = new HashMap<>(sourceState.toMap());
            state.put(STATE_LOAD_STARTED, Long.toString(System.currentTimeMillis()));
            state.put(STATE_LOAD_ID, loadId);
            state.put(STATE_LOAD_OBJECT, object);
            state.put(STATE_LOAD_SCHEDULER, schedulerId);
            try {
                session.setState(state, Scope.CLUSTER);
            } catch (IOException e) {
                throw new ProcessException("Cannot record the load in the cluster state of " + this, e);
            }
        }
        session.adjustCounter("Partitions Generated", partitions.size(), false);
        getLogger().info("Split {} into {} partitions on {} (load {})", object, partitions.size(), partitions.get(0).field(), loadId);
    }

    private static String partitionField(CrmObjectSchema schema, ProcessContext context) {
        if (BY_CREATED.getValue().equals(context.getProperty(STRATEGY).getValue())) {
            if (schema.createdField() == null) {
                throw new CrmException(CrmException.Reason.CONFIGURATION, schema.name() + " has no created-time field to slice on");
            }
            return schema.createdField();
        }
        return schema.idField();
    }

    @Override
    public List<ConfigVerificationResult> verify(ProcessContext context, ComponentLog verificationLogger, Map<String, String> attributes) {
        CrmConnectionService service = context.getProperty(CrmProperties.CONNECTION_SERVICE).asControllerService(CrmConnectionService.class);
        String object = context.getProperty(OBJECT).evaluateAttributeExpressions(attributes).getValue();
        List<ConfigVerificationResult> results = new ArrayList<>();
        try {
            List<CrmPartition> partitions = service.partitions(object, partitionField(service.describe(object), context),
                    context.getProperty(PARTITIONS).asInteger());
            results.add(FetchVerification.result("Partition object", ConfigVerificationResult.Outcome.SUCCESSFUL,
                    object + " splits into " + partitions.size() + " partitions on " + partitions.get(0).field()));
        } catch (CrmException e) {
            results.add(FetchVerification.result("Partition object", ConfigVerificationResult.Outcome.FAILED, e.getMessage()));
            return results;
        }
        results.addAll(PlanVerification.forPartitions(service, object, context.getProperty(PARTITIONS).asInteger(),
                getNodeTypeProvider(), attributes));
        return results;
    }
}
