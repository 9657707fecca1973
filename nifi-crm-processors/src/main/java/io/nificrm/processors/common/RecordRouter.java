package io.nificrm.processors.common;

import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.flowfile.attributes.CoreAttributes;
import org.apache.nifi.logging.ComponentLog;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.schema.access.SchemaNotFoundException;
import org.apache.nifi.serialization.RecordSetWriter;
import org.apache.nifi.serialization.RecordSetWriterFactory;
import org.apache.nifi.serialization.WriteResult;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordSchema;

import java.io.IOException;
import java.io.OutputStream;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Sends each record of one input FlowFile to a relationship, streaming it into that relationship's child FlowFile
 * (created on first use, written by the configured Record Writer with the schema declared for it). It counts
 * every record it routes, so a processor can prove records in = records out. Memory use does not depend on how
 * many records pass through.
 */
public final class RecordRouter implements AutoCloseable {
    private final ProcessSession session;
    private final FlowFile parent;
    private final RecordSetWriterFactory writerFactory;
    private final ComponentLog log;
    private final String stage;
    private final Map<Relationship, RecordSchema> schemas = new HashMap<>();
    private final Map<Relationship, Output> outputs = new LinkedHashMap<>();
    private boolean finished;

    private static final class Output {
        FlowFile flowFile;
        OutputStream stream;
        RecordSetWriter writer;
        long count;
    }

    /**
     * @param stage what the processor does (read, map, dedup, upsert), written to {@code crm.stage} so a tracker
     *              downstream can tell where records ended
     */
    public RecordRouter(ProcessSession session, FlowFile parent, RecordSetWriterFactory writerFactory, ComponentLog log, String stage) {
        this.session = session;
        this.parent = parent;
        this.writerFactory = writerFactory;
        this.log = log;
        this.stage = stage;
    }

    /** The schema records routed to {@code relationship} are written with. Must be called before routing to it. */
    public RecordRouter declare(Relationship relationship, RecordSchema schema) {
        schemas.put(relationship, schema);
        return this;
    }

    public void route(Relationship relationship, Record record) throws IOException {
        Output output = outputs.get(relationship);
        if (output == null) {
            output = open(relationship);
            outputs.put(relationship, output);
        }
        output.writer.write(record);
        output.count++;
    }

    private Output open(Relationship relationship) throws IOException {
        RecordSchema declared = schemas.get(relationship);
        if (declared == null) {
            throw new IllegalStateException("No schema declared for relationship " + relationship.getName());
        }
        Output output = new Output();
        output.flowFile = session.create(parent);
        try {
            RecordSchema writeSchema = writerFactory.getSchema(parent.getAttributes(), declared);
            output.stream = session.write(output.flowFile);
            output.writer = writerFactory.createWriter(log, writeSchema, output.stream, output.flowFile);
            output.writer.beginRecordSet();
        } catch (SchemaNotFoundException e) {
            throw new IOException("The Record Writer has no schema for " + relationship.getName() + ": " + e.getMessage(), e);
        }
        return output;
    }

    /** Records routed to a relationship so far. */
    public long count(Relationship relationship) {
        Output output = outputs.get(relationship);
        return output == null ? 0 : output.count;
    }

    public long total() {
        return outputs.values().stream().mapToLong(o -> o.count).sum();
    }

    /**
     * Completes every child FlowFile: finishes its record set, adds {@code record.count}, {@code mime.type},
     * {@code crm.stage}, {@code crm.relationship}, the writer's attributes and {@code extra}, and transfers it.
     */
    public Map<Relationship, FlowFile> finish(Map<String, String> extra) throws IOException {
        return finish(extra, Map.of());
    }

    /** Like {@link #finish(Map)}, with attributes for the child of one relationship only. */
    public Map<Relationship, FlowFile> finish(Map<String, String> extra, Map<Relationship, Map<String, String>> perRelationship)
            throws IOException {
        Map<Relationship, FlowFile> done = new LinkedHashMap<>();
        for (var entry : outputs.entrySet()) {
            Output output = entry.getValue();
            WriteResult result = output.writer.finishRecordSet();
            String mimeType = output.writer.getMimeType();
            output.writer.close();
            output.stream.close();
            Map<String, String> attributes = new HashMap<>(result.getAttributes());
            attributes.put("record.count", Long.toString(result.getRecordCount()));
            attributes.put(CoreAttributes.MIME_TYPE.key(), mimeType);
            attributes.put(CrmAttributes.STAGE, stage);
            attributes.put(CrmAttributes.RELATIONSHIP, entry.getKey().getName());
            attributes.putAll(extra);
            attributes.putAll(perRelationship.getOrDefault(entry.getKey(), Map.of()));
            FlowFile child = session.putAllAttributes(output.flowFile, attributes);
            session.transfer(child, entry.getKey());
            done.put(entry.getKey(), child);
        }
        finished = true;
        return done;
    }

    /** Closes and removes every unfinished child (after a failure, so the input can be routed whole). */
    @Override
    public void close() {
        if (finished) {
            return;
        }
        for (Output output : outputs.values()) {
            try {
                output.writer.close();
            } catch (IOException | RuntimeException ignored) {
                // The child is discarded below; a close failure changes nothing.
            }
            try {
                output.stream.close();
            } catch (IOException | RuntimeException ignored) {
                // As above.
            }
            session.remove(output.flowFile);
        }
        outputs.clear();
        finished = true;
    }
}
