package io.nificrm.processors;

import io.nificrm.processors.common.CrmAttributes;
import io.nificrm.processors.common.CrmProperties;
import io.nificrm.processors.common.WholeFlowFileFailure;
import io.nificrm.processors.common.WriteOutcomeFields;
import io.nificrm.processors.twoway.LedgerProperties;
import io.nificrm.processors.twoway.LedgerStores;
import io.nificrm.processors.twoway.SyncLedger;
import io.nificrm.processors.twoway.SyncLink;
import io.nificrm.processors.twoway.SyncOutputs;
import org.apache.nifi.annotation.behavior.InputRequirement;
import org.apache.nifi.annotation.behavior.SupportsBatching;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.SeeAlso;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.annotation.lifecycle.OnScheduled;
import org.apache.nifi.annotation.lifecycle.OnStopped;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.processor.AbstractProcessor;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.exception.ProcessException;
import org.apache.nifi.schema.access.SchemaNotFoundException;
import org.apache.nifi.serialization.MalformedRecordException;
import org.apache.nifi.serialization.RecordReader;
import org.apache.nifi.serialization.RecordReaderFactory;
import org.apache.nifi.serialization.record.Record;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/** Records in the sync ledger what a two-way sync's upsert has written. */
@SupportsBatching
@InputRequirement(InputRequirement.Requirement.INPUT_REQUIRED)
@Tags({"crm", "sync", "two-way", "ledger", "confirm", "loop prevention"})
@CapabilityDescription("The last step of each direction of a two-way sync: reads the 'success' output of the UpsertCrmRecords that "
        + "wrote SyncCrmChanges' creates, updates, deletes (or accepted reviews) and commits each record's crm_sync_intent to the "
        + "sync ledger: the ids of the pair (a created record's new id from crm_target_id) and what the write made both sides "
        + "look like, so the write's echo from the other side is recognised and dropped. A delete removes the pair. Records "
        + "that were not written (failed, dry run) or carry no intent are skipped. The FlowFile passes on unchanged to 'success'. "
        + "The ledger is changed only after the write succeeded; if this processor never sees a record (the write failed), the "
        + "ledger keeps the state before it, and the change is decided again when it comes back.")
@SeeAlso({SyncCrmChanges.class, UpsertCrmRecords.class})
public class ConfirmCrmSync extends AbstractProcessor {

    static final Relationship REL_SUCCESS = new Relationship.Builder().name("success")
            .description("The input, unchanged, once its records are in the ledger").build();
    static final Relationship REL_FAILURE = new Relationship.Builder().name("failure")
            .description("Input that cannot be read, or whose intents are not valid").build();

    private static final List<PropertyDescriptor> PROPERTIES;

    static {
        List<PropertyDescriptor> all = new ArrayList<>(LedgerProperties.ALL);
        all.add(CrmProperties.RECORD_READER);
        PROPERTIES = List.copyOf(all);
    }

    private static final int BATCH = 1_000;

    private volatile LedgerStores.Handle handle;
    private volatile SyncLedger ledger;

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return PROPERTIES;
    }

    @Override
    public Set<Relationship> getRelationships() {
        return Set.of(REL_SUCCESS, REL_FAILURE);
    }

    @OnScheduled
    public void open(ProcessContext context) throws IOException {
        handle = LedgerProperties.open(context);
        ledger = new SyncLedger(handle, context.getProperty(LedgerProperties.SYNC_NAME).getValue());
    }

    @OnStopped
    public void close() {
        LedgerStores.Handle current = handle;
        handle = null;
        ledger = null;
        if (current != null) {
            current.close();
        }
    }

    @Override
    public void onTrigger(ProcessContext context, ProcessSession session) throws ProcessException {
        FlowFile flowFile = session.get();
        if (flowFile == null) {
            return;
        }
        RecordReaderFactory readerFactory = context.getProperty(CrmProperties.RECORD_READER).asControllerService(RecordReaderFactory.class);
        long read = 0;
        long recorded = 0;
        long removed = 0;
        long skipped = 0;
        String failure = null;
        try (InputStream in = session.read(flowFile);
             RecordReader reader = readerFactory.createRecordReader(flowFile, in, getLogger())) {
            List<SyncLink> batch = new ArrayList<>(BATCH);
            Record record;
            while ((record = reader.nextRecord()) != null) {
                read++;
                SyncLink intent = intent(record);
                if (intent == null) {
                    skipped++;
                    continue;
                }
                if (intent.isDelete()) {
                    removed++;
                } else {
                    recorded++;
                }
                batch.add(intent);
                if (batch.size() == BATCH) {
                    ledger.apply(batch);
                    batch.clear();
                }
            }
            ledger.apply(batch);
        } catch (MalformedRecordException | SchemaNotFoundException e) {
            failure = "Record " + (read + 1) + " of the input could not be read (" + e.getClass().getSimpleName() + ")";
        } catch (UncheckedIOException | IllegalArgumentException e) {
            failure = "Record " + read + " carries an intent that is not valid: " + e.getMessage();
        } catch (IOException e) {
            getLogger().error("Recording {} in the sync ledger failed; it is retried: {}", flowFile, e.getMessage(), e);
            session.rollback(true);
            context.yield();
            return;
        }
        if (failure != null) {
            WholeFlowFileFailure.route(session, flowFile, REL_FAILURE, "confirm", "MALFORMED_INPUT", failure, getLogger());
            return;
        }
        session.adjustCounter("Links Recorded", recorded, false);
        if (removed > 0) {
            session.adjustCounter("Links Removed", removed, false);
        }
        if (skipped > 0) {
            session.adjustCounter("Records Not Recorded", skipped, false);
        }
        session.transfer(session.putAttribute(flowFile, CrmAttributes.STAGE, "confirm"), REL_SUCCESS);
    }

    /** The ledger change a written record asks for, or null when it was not written or carries none. */
    private static SyncLink intent(Record record) {
        Object json = record.getValue(SyncOutputs.INTENT);
        Object outcome = record.getValue(WriteOutcomeFields.OUTCOME);
        if (json == null || json.toString().isBlank() || outcome == null) {
            return null;
        }
        String result = outcome.toString();
        if (!result.equals("created") && !result.equals("updated") && !result.equals("unchanged") && !result.equals("deleted")) {
            return null;
        }
        SyncLink intent = SyncLink.fromJson(json.toString());
        Object targetId = record.getValue(WriteOutcomeFields.TARGET_ID);
        intent.fillTargetId(targetId == null ? null : targetId.toString());
        if (result.equals("deleted")) {
            intent.markDelete();
        }
        return intent;
    }
}
