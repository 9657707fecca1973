package io.nificrm.processors.queue;

import io.nificrm.api.queue.CrmChangeQueue;
import io.nificrm.services.jdbc.TestDbcpService;
import io.nificrm.services.queue.KafkaChangeQueue;
import io.nificrm.services.queue.LocalKafka;
import io.nificrm.services.queue.OutboxChangeQueue;
import io.nificrm.simulator.postgres.LocalPostgres;
import org.apache.nifi.json.JsonRecordSetWriter;
import org.apache.nifi.json.JsonTreeReader;
import org.apache.nifi.reporting.InitializationException;
import org.apache.nifi.schema.access.SchemaNotFoundException;
import org.apache.nifi.serialization.RecordSetWriter;
import org.apache.nifi.serialization.record.RecordSchema;
import org.apache.nifi.logging.ComponentLog;
import org.apache.nifi.util.TestRunner;

import java.io.IOException;
import java.io.OutputStream;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The two change queues for processor tests, on the JVM's shared Kafka broker (LocalKafka) and PostgreSQL
 * (LocalPostgres), registered in a TestRunner as service "queue"; JSON reader and writer as "reader" and "writer".
 */
final class QueueTestSupport {
    static final String QUEUE = "queue";
    static final String READER = "reader";
    static final String WRITER = "writer";
    private static LocalPostgres.Database database;

    private QueueTestSupport() {
    }

    static synchronized LocalPostgres.Database database() {
        if (database == null) {
            database = LocalPostgres.shared().createDatabase("queue_processors_test");
        }
        return database;
    }

    /** Adds a change queue of {@code kind} (kafka or outbox) on {@code topic} to the runner, enabled. */
    static CrmChangeQueue queue(TestRunner runner, String kind, String topic) throws InitializationException {
        if (kind.equals("kafka")) {
            LocalKafka kafka = LocalKafka.shared();
            KafkaChangeQueue queue = new KafkaChangeQueue();
            runner.addControllerService(QUEUE, queue);
            runner.setProperty(queue, KafkaChangeQueue.BOOTSTRAP_SERVERS, kafka.bootstrapServers());
            runner.setProperty(queue, KafkaChangeQueue.TOPIC, topic);
            runner.enableControllerService(queue);
            return queue;
        }
        LocalPostgres.Database db = database();
        TestDbcpService dbcp = new TestDbcpService();
        runner.addControllerService("dbcp", dbcp);
        runner.setProperty(dbcp, TestDbcpService.URL, db.jdbcUrl());
        runner.setProperty(dbcp, TestDbcpService.USER, db.user());
        runner.setProperty(dbcp, TestDbcpService.PASSWORD, db.password());
        runner.enableControllerService(dbcp);
        OutboxChangeQueue queue = new OutboxChangeQueue();
        runner.addControllerService(QUEUE, queue);
        runner.setProperty(queue, OutboxChangeQueue.DBCP_SERVICE, "dbcp");
        runner.setProperty(queue, OutboxChangeQueue.TOPIC, topic);
        runner.setProperty(queue, OutboxChangeQueue.POLL_INTERVAL, "20 millis");
        runner.enableControllerService(queue);
        return queue;
    }

    /** Creates the topic (Kafka: with {@code partitions} partitions; the outbox needs nothing). */
    static void createTopic(String kind, String topic, int partitions) {
        if (kind.equals("kafka")) {
            LocalKafka.shared().createTopic(topic, partitions);
        }
    }

    static void json(TestRunner runner) throws InitializationException {
        JsonTreeReader reader = new JsonTreeReader();
        runner.addControllerService(READER, reader);
        runner.enableControllerService(reader);
        JsonRecordSetWriter writer = new JsonRecordSetWriter();
        runner.addControllerService(WRITER, writer);
        runner.setProperty(writer, "Timestamp Format", "yyyy-MM-dd'T'HH:mm:ss.SSSXXX");
        runner.enableControllerService(writer);
    }

    static long outboxScalar(String sql) throws Exception {
        try (Connection c = database().connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** A JSON writer that fails while {@link #failures} is positive (each failure counts it down). */
    public static class FailingJsonWriter extends JsonRecordSetWriter {
        static final AtomicInteger failures = new AtomicInteger();

        @Override
        public RecordSetWriter createWriter(ComponentLog logger, RecordSchema schema, OutputStream out, Map<String, String> variables)
                throws SchemaNotFoundException, IOException {
            if (failures.getAndUpdate(n -> n > 0 ? n - 1 : 0) > 0) {
                throw new IOException("disk full (injected)");
            }
            return super.createWriter(logger, schema, out, variables);
        }
    }
}
