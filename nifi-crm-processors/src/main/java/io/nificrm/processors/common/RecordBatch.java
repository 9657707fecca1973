package io.nificrm.processors.common;

import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.flowfile.attributes.CoreAttributes;
import org.apache.nifi.logging.ComponentLog;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.schema.access.SchemaNotFoundException;
import org.apache.nifi.serialization.RecordSetWriter;
import org.apache.nifi.serialization.RecordSetWriterFactory;
import org.apache.nifi.serialization.WriteResult;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordSchema;

import java.io.IOException;
import java.io.OutputStream;
import java.util.HashMap;
import java.util.Map;

/**
 * One FlowFile being filled with records page after page: its writer stays open until {@link #finish}, so a
 * FlowFile can hold many pages while memory holds only the page being written.
 */
public final class RecordBatch {
    private final ProcessSession session;
    private final FlowFile flowFile;
    private final OutputStream out;
    private final RecordSetWriter writer;
    private int count;

    /**
     * @param parent the FlowFile the records derive from, or null for a source processor
     */
    public RecordBatch(ProcessSession session, FlowFile parent, RecordSetWriterFactory factory, RecordSchema schema, ComponentLog log)
            throws IOException, SchemaNotFoundException {
        this.session = session;
        this.flowFile = parent == null ? session.create() : session.create(parent);
        this.out = session.write(flowFile);
        this.writer = factory.createWriter(log, factory.getSchema(parent == null ? Map.of() : parent.getAttributes(), schema), out, flowFile);
        writer.beginRecordSet();
    }

    public void write(Record record) throws IOException {
        writer.write(record);
        count++;
    }

    public int count() {
        return count;
    }

    /** Completes the FlowFile with record.count, mime.type, the writer's attributes and {@code attributes}. */
    public FlowFile finish(Map<String, String> attributes) throws IOException {
        WriteResult result = writer.finishRecordSet();
        String mimeType = writer.getMimeType();
        writer.close();
        out.close();
        Map<String, String> all = new HashMap<>(result.getAttributes());
        all.putAll(attributes);
        all.put(CrmAttributes.RECORD_COUNT, Integer.toString(count));
        all.put(CoreAttributes.MIME_TYPE.key(), mimeType);
        return session.putAllAttributes(flowFile, all);
    }

    /** Drops the unfinished FlowFile (nothing of it was committed). */
    public void discard() {
        try {
            writer.close();
            out.close();
        } catch (IOException | RuntimeException ignored) {
            // The FlowFile is removed; a failed close changes nothing.
        }
        session.remove(flowFile);
    }
}
