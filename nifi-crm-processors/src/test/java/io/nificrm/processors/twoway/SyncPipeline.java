package io.nificrm.processors.twoway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nificrm.processors.ConfirmCrmSync;
import io.nificrm.processors.QueryCrmEntities;
import io.nificrm.processors.SyncCrmChanges;
import io.nificrm.processors.UpsertCrmRecords;
import io.nificrm.simulator.CrmSimulator;
import org.apache.nifi.processor.Processor;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One direction of a two-way sync as a flow of nifi-mock runners:
 * {@code QueryCrmEntities (incremental) → SyncCrmChanges → UpsertCrmRecords (create / update / delete) → ConfirmCrmSync}.
 * Each {@link #run()} is one poll of the source carried through to the ledger.
 */
final class SyncPipeline {
    private static final ObjectMapper JSON = new ObjectMapper();

    final String name;
    final TestRunner query;
    final TestRunner sync;
    final TestRunner create;
    final TestRunner update;
    final TestRunner delete;
    final TestRunner confirm;
    /** Records written to the target (create, update, delete successes), over all runs. */
    long writes;
    /** What the last run sent where. */
    final List<JsonNode> review = new ArrayList<>();
    final List<JsonNode> overruled = new ArrayList<>();
    final List<JsonNode> echo = new ArrayList<>();
    final List<JsonNode> updates = new ArrayList<>();
    final List<JsonNode> creates = new ArrayList<>();
    long lastWrites;

    /**
     * @param policy sync properties (Conflict Policy, Winning Side, ...)
     */
    SyncPipeline(String name, CrmSimulator sim, String sourceSystem, String sourceObject, String targetSystem, String targetObject,
                 String forward, String reverse, String createKey, Path ledger, Map<String, String> policy) throws Exception {
        this.name = name;
        query = runner(QueryCrmEntities.class, sim);
        query.setProperty("CRM Connection Service", sourceSystem);
        query.setProperty("Object", sourceObject);
        query.setProperty("Load Mode", "incremental");
        query.setProperty("Age Delay", "0 sec");
        query.setProperty("Lookback Window", "10 mins");
        query.setProperty("Deleted Records", "flag");
        query.setProperty("Record Writer", SimServices.WRITER);

        sync = runner(SyncCrmChanges.class, sim);
        sync.setProperty("Source Connection Service", sourceSystem);
        sync.setProperty("Target Connection Service", targetSystem);
        sync.setProperty("Mapping", forward);
        sync.setProperty("Reverse Mapping", reverse);
        sync.setProperty("Sync Ledger Directory", ledger.toString());
        sync.setProperty("Sync Name", "contacts");
        sync.setProperty("Record Reader", SimServices.READER);
        sync.setProperty("Record Writer", SimServices.WRITER);
        policy.forEach(sync::setProperty);

        create = upsert(sim, targetSystem, targetObject, "upsert", createKey);
        update = upsert(sim, targetSystem, targetObject, "update", null);
        delete = upsert(sim, targetSystem, targetObject, "delete", null);

        confirm = runner(ConfirmCrmSync.class, sim);
        confirm.setProperty("Sync Ledger Directory", ledger.toString());
        confirm.setProperty("Sync Name", "contacts");
        confirm.setProperty("Record Reader", SimServices.READER);
    }

    private static TestRunner runner(Class<? extends Processor> type, CrmSimulator sim) throws Exception {
        TestRunner runner = TestRunners.newTestRunner(type);
        SimServices.salesforce(runner, sim);
        SimServices.hubspot(runner, sim);
        SimServices.json(runner);
        return runner;
    }

    private static TestRunner upsert(CrmSimulator sim, String system, String object, String operation, String key) throws Exception {
        TestRunner runner = runner(UpsertCrmRecords.class, sim);
        runner.setProperty("CRM Connection Service", system);
        runner.setProperty("Object", object);
        runner.setProperty("Operation", operation);
        if (key != null) {
            runner.setProperty("Key Field", key);
        }
        runner.setProperty("Record Reader", SimServices.READER);
        runner.setProperty("Record Writer", SimServices.WRITER);
        return runner;
    }

    static Relationship rel(String name) {
        return new Relationship.Builder().name(name).build();
    }

    /** One poll of the source, carried through sync, upserts and confirmation. */
    void run() throws Exception {
        process(poll());
    }

    /** Reads the source's changes since the last poll. */
    List<MockFlowFile> poll() {
        query.clearTransferState();
        query.run(1, true, true);
        return new ArrayList<>(query.getFlowFilesForRelationship(rel("success")));
    }

    /** Carries changes read earlier through sync, upserts and confirmation. */
    void process(List<MockFlowFile> changes) throws Exception {
        review.clear();
        overruled.clear();
        echo.clear();
        updates.clear();
        creates.clear();
        lastWrites = 0;
        List<MockFlowFile> toConfirm = new ArrayList<>();
        if (!changes.isEmpty()) {
            sync.clearTransferState();
            changes.forEach(f -> sync.enqueue(f.toByteArray(), f.getAttributes()));
            sync.run(changes.size(), true, true);
            assertEquals(0, sync.getFlowFilesForRelationship(rel("failure")).size(), name + ": sync failures " + errors(sync));
            assertEquals(0, sync.getFlowFilesForRelationship(rel("invalid")).size(), name + ": invalid records "
                    + records(sync, "invalid"));
            review.addAll(records(sync, "review"));
            overruled.addAll(records(sync, "overruled"));
            echo.addAll(records(sync, "echo"));
            updates.addAll(records(sync, "update"));
            creates.addAll(records(sync, "create"));
            toConfirm.addAll(write(create, sync.getFlowFilesForRelationship(rel("create"))));
            toConfirm.addAll(write(update, sync.getFlowFilesForRelationship(rel("update"))));
            toConfirm.addAll(write(delete, sync.getFlowFilesForRelationship(rel("delete"))));
        }
        confirm(toConfirm);
        Map<String, Integer> reasons = new java.util.TreeMap<>();
        echo.forEach(r -> reasons.merge(r.path("crm_sync_reason").asText(), 1, Integer::sum));
        System.out.printf("%s: %d changes, %d creates, %d updates, %d review, %d overruled, echo %s, %d written%n", name,
                changes.stream().mapToLong(f -> Long.parseLong(f.getAttribute("record.count"))).sum(), creates.size(), updates.size(),
                review.size(), overruled.size(), reasons, lastWrites);
    }

    /** Sends FlowFiles through an upsert; returns its success output. */
    List<MockFlowFile> write(TestRunner upsert, List<MockFlowFile> input) throws Exception {
        if (input.isEmpty()) {
            return List.of();
        }
        upsert.clearTransferState();
        input.forEach(f -> upsert.enqueue(f.toByteArray(), f.getAttributes()));
        upsert.run(input.size(), true, true);
        List<MockFlowFile> failed = new ArrayList<>(upsert.getFlowFilesForRelationship(rel("failure")));
        failed.addAll(upsert.getFlowFilesForRelationship(rel("retry")));
        assertTrue(failed.isEmpty(), name + ": writes failed: " + failed.stream().map(f -> new String(f.toByteArray())).toList());
        List<MockFlowFile> success = upsert.getFlowFilesForRelationship(rel("success"));
        for (MockFlowFile f : success) {
            long n = Long.parseLong(f.getAttribute("record.count"));
            writes += n;
            lastWrites += n;
        }
        return success;
    }

    void confirm(List<MockFlowFile> written) {
        if (written.isEmpty()) {
            return;
        }
        confirm.clearTransferState();
        written.forEach(f -> confirm.enqueue(f.toByteArray(), f.getAttributes()));
        confirm.run(written.size(), true, true);
        assertEquals(written.size(), confirm.getFlowFilesForRelationship(rel("success")).size(), name + ": confirmed");
    }

    static List<JsonNode> records(TestRunner runner, String relationship) throws Exception {
        List<JsonNode> all = new ArrayList<>();
        for (MockFlowFile flowFile : runner.getFlowFilesForRelationship(rel(relationship))) {
            JSON.readTree(flowFile.toByteArray()).forEach(all::add);
        }
        return all;
    }

    private static List<String> errors(TestRunner runner) {
        return runner.getLogger().getErrorMessages().stream().map(m -> m.getMsg()).toList();
    }
}
