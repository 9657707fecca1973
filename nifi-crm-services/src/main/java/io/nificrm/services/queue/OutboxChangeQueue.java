package io.nificrm.services.queue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nificrm.api.CrmException;
import io.nificrm.api.queue.CrmChangeQueue;
import io.nificrm.api.queue.MessagePosition;
import io.nificrm.api.queue.QueueBatch;
import io.nificrm.api.queue.QueueMessage;
import io.nificrm.api.queue.QueuePosition;
import io.nificrm.api.queue.ReceivedMessage;
import io.nificrm.services.jdbc.PooledConnections;
import io.nificrm.services.jdbc.SqlErrors;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.annotation.lifecycle.OnDisabled;
import org.apache.nifi.annotation.lifecycle.OnEnabled;
import org.apache.nifi.components.ConfigVerificationResult;
import org.apache.nifi.components.ConfigVerificationResult.Outcome;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.components.Validator;
import org.apache.nifi.context.PropertyContext;
import org.apache.nifi.controller.AbstractControllerService;
import org.apache.nifi.controller.ConfigurationContext;
import org.apache.nifi.controller.VerifiableControllerService;
import org.apache.nifi.dbcp.DBCPService;
import org.apache.nifi.expression.ExpressionLanguageScope;
import org.apache.nifi.logging.ComponentLog;
import org.apache.nifi.processor.util.StandardValidators;

import java.nio.charset.StandardCharsets;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * The change queue on a database table: the transactional-outbox pattern. Publishing inserts rows (applications may
 * insert them in their own transactions, next to the change itself); consumers claim rows with
 * {@code SELECT ... FOR UPDATE SKIP LOCKED} and a lease, and mark them done when acknowledged. A key's messages are
 * handed out in id order, and never while an earlier message of the key is claimed: a claim must lock the key's
 * oldest pending row (its head) first, so two claims of one key cannot both succeed. PostgreSQL 9.5 or later.
 */
@Tags({"outbox", "transactional outbox", "queue", "jdbc", "postgresql", "change", "cdc", "sync", "crm"})
@CapabilityDescription("Carries change records through an outbox table in PostgreSQL (9.5 or later), reached through a "
        + "Database Connection Pooling Service: the transactional-outbox pattern, with no broker. Publishing inserts one row "
        + "per message (applications can insert rows in the same transaction as the change they describe). Consumers claim "
        + "rows in id order with SELECT ... FOR UPDATE SKIP LOCKED and a lease, so concurrent consumers on any number of "
        + "nodes never get the same row; a key's rows are handed out in order and only when no earlier row of the key is "
        + "claimed. Acknowledged rows are marked done and deleted after Retention; rows whose lease expires before they are "
        + "acknowledged are delivered again. The table and its indexes are created when missing.")
public class OutboxChangeQueue extends AbstractControllerService implements CrmChangeQueue, VerifiableControllerService {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Duration CLEANUP_EVERY = Duration.ofMinutes(1);

    private static final Validator IDENTIFIER_VALIDATOR = (subject, input, context) -> {
        boolean valid = input != null && IDENTIFIER.matcher(input).matches();
        return new ValidationResult.Builder().subject(subject).input(input).valid(valid)
                .explanation(valid ? null : "'" + input + "' is not a plain identifier (letters, digits and _, not starting with a digit)")
                .build();
    };

    public static final PropertyDescriptor DBCP_SERVICE = new PropertyDescriptor.Builder()
            .name("Database Connection Pooling Service")
            .description("The pool that gives connections to the PostgreSQL database holding the outbox table. Its user needs "
                    + "SELECT, INSERT, UPDATE and DELETE on the table (and CREATE on the schema when the table is to be created).")
            .required(true)
            .identifiesControllerService(DBCPService.class)
            .build();

    public static final PropertyDescriptor TABLE = new PropertyDescriptor.Builder()
            .name("Table")
            .description("The outbox table.")
            .required(true)
            .defaultValue("crm_outbox")
            .addValidator(IDENTIFIER_VALIDATOR)
            .build();

    public static final PropertyDescriptor SCHEMA = new PropertyDescriptor.Builder()
            .name("Schema")
            .description("The schema of the table. Empty uses the connection's search_path (usually public).")
            .required(false)
            .addValidator(IDENTIFIER_VALIDATOR)
            .build();

    public static final PropertyDescriptor CREATE_TABLE = new PropertyDescriptor.Builder()
            .name("Create Table")
            .description("Create the table and its indexes when they are missing (CREATE ... IF NOT EXISTS, on first use).")
            .required(true)
            .allowableValues("true", "false")
            .defaultValue("true")
            .build();

    public static final PropertyDescriptor TOPIC = new PropertyDescriptor.Builder()
            .name("Topic")
            .description("The value of the topic column change records are published with and consumed from, unless a "
                    + "processor names another. Topics share the table; each is an independent queue.")
            .required(true)
            .defaultValue("crm-changes")
            .expressionLanguageSupported(ExpressionLanguageScope.ENVIRONMENT)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    public static final PropertyDescriptor CONSUMER_GROUP = new PropertyDescriptor.Builder()
            .name("Consumer Group")
            .description("Recorded in claimed_by with each claim. All consumers of a topic share its rows (competing "
                    + "consumers): a row is done once any of them acknowledged it. For several independent consumers of the "
                    + "same changes, publish to one topic per consumer (or use Kafka).")
            .required(true)
            .defaultValue("nifi-crm")
            .expressionLanguageSupported(ExpressionLanguageScope.ENVIRONMENT)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    public static final PropertyDescriptor LEASE_DURATION = new PropertyDescriptor.Builder()
            .name("Lease Duration")
            .description("How long claimed rows stay reserved for the consumer that claimed them. A batch not acknowledged in "
                    + "this time (the consumer or its node died) is delivered again. It must exceed the time from poll to "
                    + "session commit.")
            .required(true)
            .defaultValue("5 mins")
            .addValidator(StandardValidators.TIME_PERIOD_VALIDATOR)
            .build();

    public static final PropertyDescriptor POLL_INTERVAL = new PropertyDescriptor.Builder()
            .name("Poll Interval")
            .description("While a poll waits for rows, how long it sleeps between queries. Lower means less latency and more "
                    + "queries (each an index lookup).")
            .required(true)
            .defaultValue("100 millis")
            .addValidator(StandardValidators.TIME_PERIOD_VALIDATOR)
            .build();

    public static final PropertyDescriptor RETENTION = new PropertyDescriptor.Builder()
            .name("Retention")
            .description("How long acknowledged rows are kept (for replay) before they are deleted. 0 deletes rows when they are "
                    + "acknowledged (no replay).")
            .required(true)
            .defaultValue("7 days")
            .addValidator(StandardValidators.TIME_PERIOD_VALIDATOR)
            .build();

    private static final List<PropertyDescriptor> PROPERTIES = List.of(DBCP_SERVICE, SCHEMA, TABLE, CREATE_TABLE, TOPIC,
            CONSUMER_GROUP, LEASE_DURATION, POLL_INTERVAL, RETENTION);

    /** The configuration of an enabled service. */
    record Settings(DBCPService pool, String table, boolean createTable, String topic, String group, Duration lease,
                    Duration pollInterval, Duration retention) {
    }

    private volatile Settings settings;
    private volatile boolean tableReady;
    private volatile String url;
    private volatile long nextCleanup;

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return PROPERTIES;
    }

    @OnEnabled
    public void onEnabled(ConfigurationContext context) {
        settings = settings(context);
        tableReady = false;
        url = null;
        nextCleanup = 0;
    }

    @OnDisabled
    public void onDisabled() {
        settings = null;
        tableReady = false;
    }

    static Settings settings(PropertyContext context) {
        String schema = context.getProperty(SCHEMA).getValue();
        String table = context.getProperty(TABLE).getValue();
        return new Settings(context.getProperty(DBCP_SERVICE).asControllerService(DBCPService.class),
                schema == null || schema.isBlank() ? table : schema.trim() + "." + table,
                context.getProperty(CREATE_TABLE).asBoolean(),
                context.getProperty(TOPIC).evaluateAttributeExpressions().getValue().trim(),
                context.getProperty(CONSUMER_GROUP).evaluateAttributeExpressions().getValue().trim(),
                Duration.ofMillis(context.getProperty(LEASE_DURATION).asTimePeriod(TimeUnit.MILLISECONDS)),
                Duration.ofMillis(context.getProperty(POLL_INTERVAL).asTimePeriod(TimeUnit.MILLISECONDS)),
                Duration.ofMillis(context.getProperty(RETENTION).asTimePeriod(TimeUnit.MILLISECONDS)));
    }

    private Settings settings() {
        Settings current = settings;
        if (current == null) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "The outbox change queue is not enabled");
        }
        return current;
    }

    // ---- DDL ----

    /**
     * The outbox table and its indexes, for {@code table} (optionally schema-qualified). Pending rows are found through
     * partial indexes on rows not done, so the table may keep many done rows for replay without slowing polls.
     */
    public static List<String> ddl(String table) {
        String index = table.replace('.', '_');
        return List.of("CREATE TABLE IF NOT EXISTS " + table + " ("
                        + "id BIGSERIAL PRIMARY KEY, "
                        + "topic VARCHAR(255) NOT NULL, "
                        + "msg_key VARCHAR(1024), "
                        + "payload JSONB NOT NULL, "
                        + "headers JSONB, "
                        + "created_at TIMESTAMPTZ NOT NULL DEFAULT now(), "
                        + "claimed_by VARCHAR(255), "
                        + "claimed_until TIMESTAMPTZ, "
                        + "done_at TIMESTAMPTZ)",
                "CREATE INDEX IF NOT EXISTS " + index + "_pending ON " + table + " (topic, id) WHERE done_at IS NULL",
                "CREATE INDEX IF NOT EXISTS " + index + "_pending_key ON " + table + " (topic, msg_key, id) WHERE done_at IS NULL",
                "CREATE INDEX IF NOT EXISTS " + index + "_done ON " + table + " (done_at) WHERE done_at IS NOT NULL");
    }

    private void ensureTable(Connection connection, Settings s) throws SQLException {
        if (tableReady) {
            return;
        }
        String product = connection.getMetaData().getDatabaseProductName();
        if (product == null || !product.toLowerCase(java.util.Locale.ROOT).contains("postgres")) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "The outbox change queue needs PostgreSQL 9.5 or later; "
                    + "the pool connects to " + product);
        }
        url = stripParameters(connection.getMetaData().getURL());
        if (s.createTable()) {
            boolean autoCommit = connection.getAutoCommit();
            connection.setAutoCommit(true);
            try (Statement statement = connection.createStatement()) {
                for (String ddl : ddl(s.table())) {
                    statement.execute(ddl);
                }
            } catch (SQLException e) {
                // Two nodes creating the table at once: one of them loses the race on the catalog; the table exists.
                if (!"23505".equals(e.getSQLState()) && !"42P07".equals(e.getSQLState())) {
                    throw e;
                }
            } finally {
                connection.setAutoCommit(autoCommit);
            }
        }
        tableReady = true;
    }

    private static String stripParameters(String jdbcUrl) {
        if (jdbcUrl == null) {
            return "jdbc:unknown";
        }
        int query = jdbcUrl.indexOf('?');
        return query < 0 ? jdbcUrl : jdbcUrl.substring(0, query);
    }

    // ---- connections ----

    private interface SqlWork<T> {
        T run(Connection connection, Settings settings) throws SQLException;
    }

    /** Runs work in one transaction on a pooled connection; SQL failures become CrmExceptions. */
    private <T> T transaction(String action, SqlWork<T> work) {
        Settings s = settings();
        try (Connection connection = PooledConnections.borrow(s.pool())) {
            ensureTable(connection, s);
            boolean autoCommit = connection.getAutoCommit();
            connection.setAutoCommit(false);
            try {
                T result = work.run(connection, s);
                connection.commit();
                return result;
            } catch (SQLException | RuntimeException e) {
                try {
                    connection.rollback();
                } catch (SQLException ignored) {
                    // the connection is probably gone; the pool discards it
                }
                throw e;
            } finally {
                connection.setAutoCommit(autoCommit);
            }
        } catch (SQLException e) {
            throw SqlErrors.toCrmException(action, e);
        }
    }

    // ---- CrmChangeQueue ----

    @Override
    public String kind() {
        return "outbox";
    }

    @Override
    public String defaultTopic() {
        return settings().topic();
    }

    @Override
    public String defaultGroup() {
        return settings().group();
    }

    @Override
    public String transitUri(String topic) {
        String known = url;
        if (known == null && settings != null) {
            try {
                transaction("Connecting to the database", (connection, s) -> null);
                known = url;
            } catch (CrmException e) {
                known = null;
            }
        }
        Settings s = settings;
        return (known == null ? "jdbc:unknown" : known) + "/" + (s == null ? "crm_outbox" : s.table()) + "/" + topic;
    }

    @Override
    public List<MessagePosition> publish(String topic, List<QueueMessage> messages) {
        if (messages.isEmpty()) {
            return List.of();
        }
        return transaction("Inserting " + messages.size() + " messages into the outbox", (connection, s) -> {
            List<Long> ids = insert(connection, s.table(), topic, messages);
            List<MessagePosition> positions = new ArrayList<>(ids.size());
            ids.forEach(id -> positions.add(new MessagePosition(topic, 0, id)));
            return positions;
        });
    }

    /**
     * Inserts messages into an outbox table on the caller's connection, in the caller's transaction (nothing is
     * committed here): the transactional outbox, for Java code that changes data and records the change at once.
     * Values must be UTF-8 JSON.
     *
     * @return the new rows' ids, in the order of {@code messages}
     */
    public static List<Long> insert(Connection connection, String table, String topic, List<QueueMessage> messages) throws SQLException {
        String sql = "INSERT INTO " + checkedTable(table) + " (topic, msg_key, payload, headers) VALUES (?, ?, ?::jsonb, ?::jsonb)";
        List<Long> ids = new ArrayList<>(messages.size());
        try (PreparedStatement insert = connection.prepareStatement(sql, new String[]{"id"})) {
            for (QueueMessage message : messages) {
                insert.setString(1, topic);
                insert.setString(2, message.key());
                insert.setString(3, new String(message.value(), StandardCharsets.UTF_8));
                insert.setString(4, message.headers().isEmpty() ? null : headersJson(message.headers()));
                insert.addBatch();
            }
            insert.executeBatch();
            try (ResultSet keys = insert.getGeneratedKeys()) {
                while (keys.next()) {
                    ids.add(keys.getLong(1));
                }
            }
        }
        if (ids.size() != messages.size()) {
            throw new SQLException("The database returned " + ids.size() + " ids for " + messages.size() + " inserted rows", "XX000");
        }
        return ids;
    }

    private static String checkedTable(String table) {
        for (String part : table.split("\\.", -1)) {
            if (!IDENTIFIER.matcher(part).matches()) {
                throw new IllegalArgumentException("'" + table + "' is not a plain (schema.)table name");
            }
        }
        return table;
    }

    private static String headersJson(Map<String, String> headers) {
        try {
            return JSON.writeValueAsString(headers);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, String> headers(String json) {
        if (json == null || json.isEmpty()) {
            return Map.of();
        }
        try {
            Map<String, Object> raw = JSON.readValue(json, new TypeReference<Map<String, Object>>() {
            });
            Map<String, String> headers = new java.util.LinkedHashMap<>();
            raw.forEach((k, v) -> headers.put(k, v == null ? "" : v.toString()));
            return headers;
        } catch (JsonProcessingException e) {
            return Map.of();
        }
    }

    @Override
    public QueueBatch poll(String topic, String group, int maxMessages, Duration maxWait) {
        if (maxMessages < 1) {
            throw new IllegalArgumentException("maxMessages must be positive");
        }
        Settings s = settings();
        String claimant = group + "/" + UUID.randomUUID();
        long deadline = System.nanoTime() + maxWait.toNanos();
        cleanUp(s);
        while (true) {
            List<ReceivedMessage> claimed = transaction("Claiming messages of " + topic + " from the outbox",
                    (connection, current) -> claim(connection, current, topic, claimant, maxMessages));
            if (!claimed.isEmpty()) {
                return new QueueBatch(claimant, topic, group, claimed);
            }
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                return new QueueBatch(claimant, topic, group, List.of());
            }
            try {
                Thread.sleep(Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(remaining), s.pollInterval().toMillis())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return new QueueBatch(claimant, topic, group, List.of());
            }
        }
    }

    /**
     * Claims rows in one transaction. First the heads: each key's oldest pending row, when unclaimed (or its lease
     * expired), locked with FOR UPDATE SKIP LOCKED. Holding a key's head is what entitles a claim to the key: a concurrent
     * claim skips the locked head (SKIP LOCKED), and a later one sees it leased (PostgreSQL re-checks the lease on the
     * newest row version before locking it), so a key is never handed out twice at once. Then the heads' followers: the
     * same keys' later pending rows, in id order, up to the batch size. Rows without a key are heads on their own.
     */
    private List<ReceivedMessage> claim(Connection connection, Settings s, String topic, String claimant, int max) throws SQLException {
        String table = s.table();
        List<Long> ids = new ArrayList<>();
        Set<String> keys = new LinkedHashSet<>();
        String heads = "SELECT o.id, o.msg_key FROM " + table + " o WHERE o.topic = ? AND o.done_at IS NULL "
                + "AND (o.claimed_until IS NULL OR o.claimed_until < now()) "
                + "AND (o.msg_key IS NULL OR NOT EXISTS (SELECT 1 FROM " + table + " e WHERE e.topic = o.topic "
                + "AND e.msg_key = o.msg_key AND e.done_at IS NULL AND e.id < o.id)) "
                + "ORDER BY o.id LIMIT ? FOR UPDATE OF o SKIP LOCKED";
        try (PreparedStatement select = connection.prepareStatement(heads)) {
            select.setString(1, topic);
            select.setInt(2, max);
            try (ResultSet rs = select.executeQuery()) {
                while (rs.next()) {
                    ids.add(rs.getLong(1));
                    String key = rs.getString(2);
                    if (key != null) {
                        keys.add(key);
                    }
                }
            }
        }
        if (ids.isEmpty()) {
            return List.of();
        }
        if (!keys.isEmpty() && ids.size() < max) {
            String followers = "SELECT id FROM " + table + " WHERE topic = ? AND done_at IS NULL AND msg_key = ANY(?) "
                    + "AND NOT (id = ANY(?)) AND (claimed_until IS NULL OR claimed_until < now()) "
                    + "ORDER BY id LIMIT ? FOR UPDATE SKIP LOCKED";
            try (PreparedStatement select = connection.prepareStatement(followers)) {
                Array keyArray = connection.createArrayOf("varchar", keys.toArray());
                Array headArray = connection.createArrayOf("bigint", ids.toArray());
                select.setString(1, topic);
                select.setArray(2, keyArray);
                select.setArray(3, headArray);
                select.setInt(4, max - ids.size());
                try (ResultSet rs = select.executeQuery()) {
                    while (rs.next()) {
                        ids.add(rs.getLong(1));
                    }
                }
            }
        }
        String update = "UPDATE " + table + " SET claimed_by = ?, claimed_until = now() + (? * interval '1 millisecond') "
                + "WHERE id = ANY(?) RETURNING id, msg_key, payload::text, headers::text, created_at";
        List<ReceivedMessage> messages = new ArrayList<>(ids.size());
        try (PreparedStatement claim = connection.prepareStatement(update)) {
            claim.setString(1, claimant);
            claim.setLong(2, s.lease().toMillis());
            claim.setArray(3, connection.createArrayOf("bigint", ids.toArray()));
            try (ResultSet rs = claim.executeQuery()) {
                while (rs.next()) {
                    Timestamp created = rs.getTimestamp(5);
                    messages.add(new ReceivedMessage(topic, 0, rs.getLong(1), rs.getString(2),
                            rs.getString(3).getBytes(StandardCharsets.UTF_8), headers(rs.getString(4)),
                            created == null ? null : created.toInstant()));
                }
            }
        }
        messages.sort(Comparator.comparingLong(ReceivedMessage::offset));
        return messages;
    }

    @Override
    public void acknowledge(QueueBatch batch) {
        if (batch == null || batch.isEmpty()) {
            return;
        }
        Long[] ids = batch.messages().stream().map(ReceivedMessage::offset).toArray(Long[]::new);
        int done = transaction("Marking " + ids.length + " outbox rows done", (connection, s) -> {
            String sql = s.retention().isZero()
                    ? "DELETE FROM " + s.table() + " WHERE id = ANY(?) AND claimed_by = ? AND done_at IS NULL"
                    : "UPDATE " + s.table() + " SET done_at = now(), claimed_until = NULL WHERE id = ANY(?) AND claimed_by = ? AND done_at IS NULL";
            try (PreparedStatement statement = connection.prepareStatement(sql)) {
                statement.setArray(1, connection.createArrayOf("bigint", ids));
                statement.setString(2, batch.id());
                return statement.executeUpdate();
            }
        });
        if (done < ids.length) {
            getLogger().warn("{} of {} outbox rows of {} were no longer claimed by this batch when it was acknowledged (their lease "
                    + "expired and they were claimed again, or a replay reset them); they are delivered again", ids.length - done,
                    ids.length, batch.topic());
        }
    }

    @Override
    public void release(QueueBatch batch) {
        if (batch == null || batch.isEmpty()) {
            return;
        }
        Long[] ids = batch.messages().stream().map(ReceivedMessage::offset).toArray(Long[]::new);
        try {
            transaction("Releasing " + ids.length + " outbox rows", (connection, s) -> {
                try (PreparedStatement statement = connection.prepareStatement("UPDATE " + s.table()
                        + " SET claimed_by = NULL, claimed_until = NULL WHERE id = ANY(?) AND claimed_by = ? AND done_at IS NULL")) {
                    statement.setArray(1, connection.createArrayOf("bigint", ids));
                    statement.setString(2, batch.id());
                    return statement.executeUpdate();
                }
            });
        } catch (CrmException e) {
            getLogger().warn("Releasing {} outbox rows failed ({}); they are delivered again when their lease expires", ids.length,
                    e.getMessage());
        }
    }

    @Override
    public void seek(String topic, String group, QueuePosition position) {
        int[] counts = transaction("Moving the outbox of " + topic + " to " + position, (connection, s) -> {
            String pending = "done_at = NULL, claimed_by = NULL, claimed_until = NULL";
            String skipped = "done_at = now(), claimed_by = NULL, claimed_until = NULL";
            String table = s.table();
            return switch (position.kind()) {
                case EARLIEST -> new int[]{update(connection, "UPDATE " + table + " SET " + pending + " WHERE topic = ?", topic), 0};
                case LATEST -> new int[]{0, update(connection, "UPDATE " + table + " SET " + skipped + " WHERE topic = ? AND done_at IS NULL", topic)};
                case OFFSET, OFFSETS -> {
                    long from = position.kind() == QueuePosition.Kind.OFFSET ? position.offset()
                            : position.offsets().getOrDefault(0, Long.MIN_VALUE);
                    if (from == Long.MIN_VALUE) {
                        throw new CrmException(CrmException.Reason.INVALID_REQUEST, "The outbox has one partition, 0");
                    }
                    yield new int[]{update(connection, "UPDATE " + table + " SET " + pending + " WHERE topic = ? AND id >= ?", topic, from),
                            update(connection, "UPDATE " + table + " SET " + skipped + " WHERE topic = ? AND id < ? AND done_at IS NULL", topic, from)};
                }
                case TIME -> {
                    Timestamp at = Timestamp.from(position.time());
                    yield new int[]{update(connection, "UPDATE " + table + " SET " + pending + " WHERE topic = ? AND created_at >= ?", topic, at),
                            update(connection, "UPDATE " + table + " SET " + skipped + " WHERE topic = ? AND created_at < ? AND done_at IS NULL", topic, at)};
                }
            };
        });
        getLogger().info("Moved the outbox of {} to {}: {} rows pending again, {} rows skipped", topic, position, counts[0], counts[1]);
    }

    private static int update(Connection connection, String sql, Object... parameters) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < parameters.length; i++) {
                statement.setObject(i + 1, parameters[i]);
            }
            return statement.executeUpdate();
        }
    }

    /** Deletes rows done longer than Retention ago, at most once a minute, a bounded number at a time. */
    private void cleanUp(Settings s) {
        long now = System.nanoTime();
        if (s.retention().isZero() || now - nextCleanup < 0) {
            return;
        }
        nextCleanup = now + CLEANUP_EVERY.toNanos();
        try {
            int deleted = transaction("Deleting expired outbox rows", (connection, current) -> {
                try (PreparedStatement delete = connection.prepareStatement("DELETE FROM " + current.table() + " WHERE id IN (SELECT id FROM "
                        + current.table() + " WHERE done_at < now() - (? * interval '1 millisecond') LIMIT 50000)")) {
                    delete.setLong(1, current.retention().toMillis());
                    return delete.executeUpdate();
                }
            });
            if (deleted > 0) {
                getLogger().debug("Deleted {} outbox rows done more than {} ago", deleted, s.retention());
            }
        } catch (CrmException e) {
            getLogger().warn("Deleting expired outbox rows failed: {}", e.getMessage());
        }
    }

    // ---- verification ----

    @Override
    public List<ConfigVerificationResult> verify(ConfigurationContext context, ComponentLog verificationLogger, Map<String, String> variables) {
        List<ConfigVerificationResult> results = new ArrayList<>();
        Settings candidate;
        try {
            candidate = settings(context);
        } catch (RuntimeException e) {
            results.add(result("Read configuration", Outcome.FAILED, "The configuration cannot be used: " + e.getMessage()));
            return results;
        }
        if (candidate.pool() == null) {
            results.add(result("Connect to database", Outcome.FAILED, "No Database Connection Pooling Service is set"));
            return results;
        }
        try (Connection connection = PooledConnections.borrow(candidate.pool())) {
            var meta = connection.getMetaData();
            boolean postgres = meta.getDatabaseProductName().toLowerCase(java.util.Locale.ROOT).contains("postgres");
            results.add(result("Connect to database", postgres ? Outcome.SUCCESSFUL : Outcome.FAILED, "Connected to "
                    + meta.getDatabaseProductName() + " " + meta.getDatabaseProductVersion() + " at " + stripParameters(meta.getURL())
                    + (postgres ? "" : ": the outbox needs PostgreSQL 9.5 or later")));
            if (!postgres) {
                return results;
            }
            String[] parts = candidate.table().split("\\.");
            String schema = parts.length == 2 ? parts[0] : null;
            String name = parts[parts.length - 1];
            boolean exists;
            try (ResultSet rs = meta.getTables(null, schema, name.toLowerCase(java.util.Locale.ROOT), new String[]{"TABLE"})) {
                exists = rs.next();
            }
            if (exists) {
                try (PreparedStatement count = connection.prepareStatement("SELECT count(*) FROM " + candidate.table()
                        + " WHERE topic = ? AND done_at IS NULL")) {
                    count.setString(1, candidate.topic());
                    try (ResultSet rs = count.executeQuery()) {
                        rs.next();
                        results.add(result("Read outbox table", Outcome.SUCCESSFUL, "Table " + candidate.table() + " holds "
                                + rs.getLong(1) + " pending messages of topic " + candidate.topic()));
                    }
                }
            } else {
                results.add(result("Read outbox table", candidate.createTable() ? Outcome.SUCCESSFUL : Outcome.FAILED, "Table "
                        + candidate.table() + " does not exist" + (candidate.createTable() ? "; it is created on first use" : "")));
            }
        } catch (SQLException e) {
            results.add(result("Connect to database", Outcome.FAILED, SqlErrors.toCrmException("Connecting", e).getMessage()));
        } catch (RuntimeException e) {
            results.add(result("Connect to database", Outcome.FAILED, "Connecting failed: " + e.getMessage()));
        }
        verificationLogger.info("Verified outbox change queue {}", candidate.table());
        return results;
    }

    private static ConfigVerificationResult result(String step, Outcome outcome, String explanation) {
        return new ConfigVerificationResult.Builder().verificationStepName(step).outcome(outcome).explanation(explanation).build();
    }
}
