package io.nificrm.processors.twoway;

import io.nificrm.processors.common.RecordRouter;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.logging.ComponentLog;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.serialization.RecordSetWriterFactory;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordSchema;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Child FlowFiles of one input by relationship and group: records of one group share a schema and one FlowFile.
 * Updates are grouped by the fields they write, because a record writer gives every record of a FlowFile the same
 * fields, and a null sent to a target clears the value there.
 */
public final class GroupedOutputs implements AutoCloseable {
    private final ProcessSession session;
    private final FlowFile parent;
    private final RecordSetWriterFactory writerFactory;
    private final ComponentLog log;
    private final String stage;
    private final Map<String, RecordRouter> routers = new LinkedHashMap<>();
    private final Map<String, Map<String, String>> groupAttributes = new LinkedHashMap<>();
    private final Map<String, Relationship> relationships = new LinkedHashMap<>();
    private long total;

    public GroupedOutputs(ProcessSession session, FlowFile parent, RecordSetWriterFactory writerFactory, ComponentLog log, String stage) {
        this.session = session;
        this.parent = parent;
        this.writerFactory = writerFactory;
        this.log = log;
        this.stage = stage;
    }

    /**
     * @param group      records of the same relationship and group share a FlowFile and {@code schema}
     * @param attributes added to that FlowFile (taken from the group's first record)
     */
    public void route(Relationship relationship, String group, RecordSchema schema, Map<String, String> attributes, Record record)
            throws IOException {
        String key = relationship.getName() + "\u0000" + group;
        RecordRouter router = routers.get(key);
        if (router == null) {
            router = new RecordRouter(session, parent, writerFactory, log, stage).declare(relationship, schema);
            routers.put(key, router);
            groupAttributes.put(key, attributes);
            relationships.put(key, relationship);
        }
        router.route(relationship, record);
        total++;
    }

    public long total() {
        return total;
    }

    /** Completes and transfers every child, with {@code extra} attributes on all of them. */
    public void finish(Map<String, String> extra) throws IOException {
        for (var entry : routers.entrySet()) {
            Map<String, String> attributes = new LinkedHashMap<>(extra);
            attributes.putAll(groupAttributes.get(entry.getKey()));
            entry.getValue().finish(attributes);
        }
    }

    @Override
    public void close() {
        routers.values().forEach(RecordRouter::close);
    }
}
