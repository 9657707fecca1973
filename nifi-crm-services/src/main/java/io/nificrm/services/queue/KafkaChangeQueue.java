package io.nificrm.services.queue;

import io.nificrm.api.CrmException;
import io.nificrm.api.queue.CrmChangeQueue;
import io.nificrm.api.queue.MessagePosition;
import io.nificrm.api.queue.QueueBatch;
import io.nificrm.api.queue.QueueMessage;
import io.nificrm.api.queue.QueuePosition;
import io.nificrm.api.queue.ReceivedMessage;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.errors.GroupNotEmptyException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.nifi.annotation.behavior.DynamicProperty;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.annotation.lifecycle.OnDisabled;
import org.apache.nifi.annotation.lifecycle.OnEnabled;
import org.apache.nifi.components.AllowableValue;
import org.apache.nifi.components.ConfigVerificationResult;
import org.apache.nifi.components.ConfigVerificationResult.Outcome;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationContext;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.context.PropertyContext;
import org.apache.nifi.controller.AbstractControllerService;
import org.apache.nifi.controller.ConfigurationContext;
import org.apache.nifi.controller.VerifiableControllerService;
import org.apache.nifi.expression.ExpressionLanguageScope;
import org.apache.nifi.logging.ComponentLog;
import org.apache.nifi.processor.util.StandardValidators;
import org.apache.nifi.ssl.SSLContextService;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The change queue on Apache Kafka, with the plain Kafka client. Publishing is idempotent with {@code acks=all};
 * messages are partitioned by key, so a key's messages stay in one partition, in order. Consuming never
 * auto-commits: a polled batch's offsets are committed only when the batch is acknowledged, after the FlowFile that
 * holds it was committed. One Kafka consumer serves one leased batch at a time (consumers are not thread-safe); idle
 * consumers of a group are kept and reused, least recently used first.
 */
@Tags({"kafka", "queue", "change", "cdc", "sync", "crm", "publish", "consume"})
@CapabilityDescription("Carries change records through an Apache Kafka topic (Kafka 2.1 or later). Publishing waits for "
        + "acks=all with an idempotent producer and keys each message by object and record id, so the changes of one "
        + "record stay in one partition in order. Consuming uses a consumer group with auto-commit off: offsets are "
        + "committed only after the FlowFile holding the messages was committed, so a failure before that delivers the "
        + "messages again (at-least-once). Groups without committed offsets start at Start Offset; ConsumeCrmChanges' "
        + "Replay From moves a group to an offset or a time. Security: an SSL Context Service (SSL) and SASL PLAIN or "
        + "SCRAM; any other Kafka client setting can be given as a dynamic property.")
@DynamicProperty(name = "A Kafka client setting (e.g. compression.type)", value = "its value",
        description = "Passed to the Kafka producer, consumers and admin client as it is, after the service's own settings "
                + "(so it can override them, e.g. max.poll.interval.ms or linger.ms).",
        expressionLanguageScope = ExpressionLanguageScope.ENVIRONMENT)
public class KafkaChangeQueue extends AbstractControllerService implements CrmChangeQueue, VerifiableControllerService {

    static final AllowableValue START_EARLIEST = new AllowableValue("earliest", "Earliest",
            "A new group reads everything the topic still keeps.");
    static final AllowableValue START_LATEST = new AllowableValue("latest", "Latest",
            "A new group reads only messages published after it first polled.");
    static final AllowableValue START_SPECIFIC = new AllowableValue("specific", "Specific",
            "A new group starts at Start Position (an offset, partition:offset pairs, or a time).");

    static final AllowableValue SASL_NONE = new AllowableValue("none", "None", "No SASL authentication.");
    static final AllowableValue SASL_PLAIN = new AllowableValue("PLAIN", "PLAIN", "User name and password (use it with TLS).");
    static final AllowableValue SASL_SCRAM_256 = new AllowableValue("SCRAM-SHA-256", "SCRAM-SHA-256", "Salted challenge-response.");
    static final AllowableValue SASL_SCRAM_512 = new AllowableValue("SCRAM-SHA-512", "SCRAM-SHA-512", "Salted challenge-response.");

    public static final PropertyDescriptor BOOTSTRAP_SERVERS = new PropertyDescriptor.Builder()
            .name("Bootstrap Servers")
            .description("Comma-separated host:port of Kafka brokers to connect to first.")
            .required(true)
            .expressionLanguageSupported(ExpressionLanguageScope.ENVIRONMENT)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    public static final PropertyDescriptor TOPIC = new PropertyDescriptor.Builder()
            .name("Topic")
            .description("The topic change records are published to and consumed from, unless a processor names another.")
            .required(true)
            .expressionLanguageSupported(ExpressionLanguageScope.ENVIRONMENT)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    public static final PropertyDescriptor CONSUMER_GROUP = new PropertyDescriptor.Builder()
            .name("Consumer Group")
            .description("The Kafka consumer group (group.id) consumers join, unless a processor names another. Every consumer "
                    + "of a group gets a share of the partitions; each group gets every message.")
            .required(true)
            .defaultValue("nifi-crm")
            .expressionLanguageSupported(ExpressionLanguageScope.ENVIRONMENT)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .build();

    public static final PropertyDescriptor START_OFFSET = new PropertyDescriptor.Builder()
            .name("Start Offset")
            .description("Where a group that has no committed offset for a partition starts reading it. Groups with committed "
                    + "offsets always continue after them (move them with ConsumeCrmChanges' Replay From).")
            .required(true)
            .allowableValues(START_EARLIEST, START_LATEST, START_SPECIFIC)
            .defaultValue(START_EARLIEST.getValue())
            .build();

    public static final PropertyDescriptor START_POSITION = new PropertyDescriptor.Builder()
            .name("Start Position")
            .description("With Start Offset 'Specific': an offset for every partition (42), partition:offset pairs (0:42,1:17; "
                    + "partitions not named start at the earliest) or an ISO-8601 time (2024-05-01T00:00:00Z: the first message "
                    + "published at or after it).")
            .required(true)
            .addValidator(POSITION_VALIDATOR())
            .dependsOn(START_OFFSET, START_SPECIFIC)
            .build();

    public static final PropertyDescriptor SSL_CONTEXT_SERVICE = new PropertyDescriptor.Builder()
            .name("SSL Context Service")
            .description("TLS to the brokers: the trust store (and a key store for client certificates). When set, the "
                    + "connection uses SSL, or SASL_SSL with a SASL Mechanism.")
            .required(false)
            .identifiesControllerService(SSLContextService.class)
            .build();

    public static final PropertyDescriptor SASL_MECHANISM = new PropertyDescriptor.Builder()
            .name("SASL Mechanism")
            .description("SASL authentication with a user name and password. Other mechanisms (GSSAPI, OAUTHBEARER) can be "
                    + "configured with dynamic properties (sasl.mechanism, sasl.jaas.config, security.protocol).")
            .required(true)
            .allowableValues(SASL_NONE, SASL_PLAIN, SASL_SCRAM_256, SASL_SCRAM_512)
            .defaultValue(SASL_NONE.getValue())
            .build();

    public static final PropertyDescriptor SASL_USERNAME = new PropertyDescriptor.Builder()
            .name("SASL Username")
            .required(true)
            .expressionLanguageSupported(ExpressionLanguageScope.ENVIRONMENT)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(SASL_MECHANISM, SASL_PLAIN, SASL_SCRAM_256, SASL_SCRAM_512)
            .build();

    public static final PropertyDescriptor SASL_PASSWORD = new PropertyDescriptor.Builder()
            .name("SASL Password")
            .required(true)
            .sensitive(true)
            .addValidator(StandardValidators.NON_EMPTY_VALIDATOR)
            .dependsOn(SASL_MECHANISM, SASL_PLAIN, SASL_SCRAM_256, SASL_SCRAM_512)
            .build();

    public static final PropertyDescriptor PUBLISH_TIMEOUT = new PropertyDescriptor.Builder()
            .name("Publish Timeout")
            .description("How long publishing a batch may take (metadata, sending, waiting for acks=all) before it fails as "
                    + "transient.")
            .required(true)
            .defaultValue("30 secs")
            .addValidator(StandardValidators.TIME_PERIOD_VALIDATOR)
            .build();

    private static final List<PropertyDescriptor> PROPERTIES = List.of(BOOTSTRAP_SERVERS, TOPIC, CONSUMER_GROUP, START_OFFSET,
            START_POSITION, SSL_CONTEXT_SERVICE, SASL_MECHANISM, SASL_USERNAME, SASL_PASSWORD, PUBLISH_TIMEOUT);

    private static org.apache.nifi.components.Validator POSITION_VALIDATOR() {
        return (subject, input, context) -> {
            try {
                QueuePosition position = QueuePosition.parse(input);
                boolean ok = position.kind() != QueuePosition.Kind.EARLIEST && position.kind() != QueuePosition.Kind.LATEST;
                return new ValidationResult.Builder().subject(subject).input(input).valid(ok)
                        .explanation(ok ? null : "use Start Offset Earliest or Latest for that").build();
            } catch (IllegalArgumentException e) {
                return new ValidationResult.Builder().subject(subject).input(input).valid(false).explanation(e.getMessage()).build();
            }
        };
    }

    /** The configuration of an enabled service. */
    record Settings(String bootstrapServers, String topic, String group, String startOffset, QueuePosition startPosition,
                    Map<String, Object> clientConfig, Duration publishTimeout) {
    }

    private record PoolKey(String topic, String group) {
    }

    private volatile Settings settings;
    private volatile KafkaProducer<String, byte[]> producer;
    private final Map<PoolKey, Pool> pools = new ConcurrentHashMap<>();
    private final Map<String, Lease> leases = new ConcurrentHashMap<>();
    private final AtomicInteger consumerIds = new AtomicInteger();

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return PROPERTIES;
    }

    @Override
    protected PropertyDescriptor getSupportedDynamicPropertyDescriptor(String name) {
        return new PropertyDescriptor.Builder()
                .name(name)
                .description("Kafka client setting " + name)
                .dynamic(true)
                .expressionLanguageSupported(ExpressionLanguageScope.ENVIRONMENT)
                .addValidator(StandardValidators.NON_EMPTY_VALIDATOR)
                .build();
    }

    @Override
    protected Collection<ValidationResult> customValidate(ValidationContext context) {
        List<ValidationResult> results = new ArrayList<>();
        for (PropertyDescriptor descriptor : context.getProperties().keySet()) {
            if (descriptor.isDynamic() && (descriptor.getName().equals(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG)
                    || descriptor.getName().equals(ConsumerConfig.GROUP_ID_CONFIG))) {
                results.add(new ValidationResult.Builder().subject(descriptor.getName()).valid(false)
                        .explanation("set by the service itself (offsets are committed only after FlowFiles are; the group is "
                                + "Consumer Group)").build());
            }
        }
        return results;
    }

    @OnEnabled
    public void onEnabled(ConfigurationContext context) {
        settings = settings(context);
    }

    @OnDisabled
    public void onDisabled() {
        Settings previous = settings;
        settings = null;
        KafkaProducer<String, byte[]> p = producer;
        producer = null;
        if (p != null) {
            try {
                p.close(Duration.ofSeconds(10));
            } catch (RuntimeException e) {
                getLogger().warn("Closing the Kafka producer failed: {}", e.getMessage());
            }
        }
        for (Lease lease : leases.values()) {
            lease.handle.consumer.wakeup();
        }
        leases.clear();
        for (Pool pool : pools.values()) {
            pool.closeAll();
        }
        pools.clear();
        if (previous != null) {
            getLogger().debug("Kafka change queue on {} disabled", previous.bootstrapServers());
        }
    }

    static Settings settings(PropertyContext context) {
        Map<String, Object> client = new HashMap<>();
        String bootstrap = context.getProperty(BOOTSTRAP_SERVERS).evaluateAttributeExpressions().getValue().trim();
        client.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        SSLContextService ssl = context.getProperty(SSL_CONTEXT_SERVICE).asControllerService(SSLContextService.class);
        String sasl = context.getProperty(SASL_MECHANISM).getValue();
        boolean useSasl = sasl != null && !SASL_NONE.getValue().equals(sasl);
        client.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, ssl != null ? (useSasl ? "SASL_SSL" : "SSL") : (useSasl ? "SASL_PLAINTEXT" : "PLAINTEXT"));
        if (ssl != null) {
            if (ssl.isTrustStoreConfigured()) {
                client.put("ssl.truststore.location", ssl.getTrustStoreFile());
                client.put("ssl.truststore.type", ssl.getTrustStoreType());
                if (ssl.getTrustStorePassword() != null) {
                    client.put("ssl.truststore.password", ssl.getTrustStorePassword());
                }
            }
            if (ssl.isKeyStoreConfigured()) {
                client.put("ssl.keystore.location", ssl.getKeyStoreFile());
                client.put("ssl.keystore.type", ssl.getKeyStoreType());
                client.put("ssl.keystore.password", ssl.getKeyStorePassword());
                String keyPassword = ssl.getKeyPassword() != null ? ssl.getKeyPassword() : ssl.getKeyStorePassword();
                client.put("ssl.key.password", keyPassword);
            }
            if (ssl.getSslAlgorithm() != null && !ssl.getSslAlgorithm().isBlank() && !"TLS".equals(ssl.getSslAlgorithm())) {
                client.put("ssl.protocol", ssl.getSslAlgorithm());
            }
        }
        if (useSasl) {
            client.put("sasl.mechanism", sasl);
            String module = SASL_PLAIN.getValue().equals(sasl) ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                    : "org.apache.kafka.common.security.scram.ScramLoginModule";
            client.put("sasl.jaas.config", module + " required username=\"" + jaasEscape(context.getProperty(SASL_USERNAME)
                    .evaluateAttributeExpressions().getValue()) + "\" password=\"" + jaasEscape(context.getProperty(SASL_PASSWORD).getValue()) + "\";");
        }
        context.getAllProperties().forEach((name, value) -> {
            if (PROPERTIES.stream().noneMatch(p -> p.getName().equals(name)) && value != null) {
                PropertyDescriptor dynamic = new PropertyDescriptor.Builder().name(name).dynamic(true)
                        .addValidator(org.apache.nifi.components.Validator.VALID).build();
                client.put(name, context.getProperty(dynamic).evaluateAttributeExpressions().getValue());
            }
        });
        String start = context.getProperty(START_OFFSET).getValue();
        QueuePosition position = START_SPECIFIC.getValue().equals(start) ? QueuePosition.parse(context.getProperty(START_POSITION).getValue()) : null;
        return new Settings(bootstrap, context.getProperty(TOPIC).evaluateAttributeExpressions().getValue().trim(),
                context.getProperty(CONSUMER_GROUP).evaluateAttributeExpressions().getValue().trim(), start, position, Map.copyOf(client),
                Duration.ofMillis(context.getProperty(PUBLISH_TIMEOUT).asTimePeriod(TimeUnit.MILLISECONDS)));
    }

    private static String jaasEscape(String value) {
        return value == null ? "" : value.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    private Settings settings() {
        Settings current = settings;
        if (current == null) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "The Kafka change queue is not enabled");
        }
        return current;
    }

    // ---- CrmChangeQueue ----

    @Override
    public String kind() {
        return "kafka";
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
        Settings current = settings;
        String server = current == null ? "unknown" : current.bootstrapServers().split(",")[0].trim();
        return "kafka://" + server + "/" + topic;
    }

    private KafkaProducer<String, byte[]> producer() {
        KafkaProducer<String, byte[]> current = producer;
        if (current != null) {
            return current;
        }
        synchronized (this) {
            if (producer == null) {
                Settings s = settings();
                Map<String, Object> config = new HashMap<>();
                config.put(ProducerConfig.ACKS_CONFIG, "all");
                config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
                config.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5);
                config.put(ProducerConfig.LINGER_MS_CONFIG, 1);
                config.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, s.publishTimeout().toMillis());
                config.put(ProducerConfig.CLIENT_ID_CONFIG, "nifi-crm-publisher-" + getIdentifier());
                config.putAll(s.clientConfig());
                config.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
                config.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
                try {
                    producer = new KafkaProducer<>(config);
                } catch (RuntimeException e) {
                    throw KafkaErrors.toCrmException("Creating the Kafka producer", e);
                }
            }
            return producer;
        }
    }

    @Override
    public List<MessagePosition> publish(String topic, List<QueueMessage> messages) {
        if (messages.isEmpty()) {
            return List.of();
        }
        Settings s = settings();
        KafkaProducer<String, byte[]> p = producer();
        long deadline = System.nanoTime() + s.publishTimeout().toNanos();
        List<Future<RecordMetadata>> sent = new ArrayList<>(messages.size());
        try {
            for (QueueMessage message : messages) {
                List<Header> headers = new ArrayList<>(message.headers().size());
                message.headers().forEach((name, value) -> headers.add(new RecordHeader(name, value == null ? null : value.getBytes(StandardCharsets.UTF_8))));
                sent.add(p.send(new ProducerRecord<>(topic, null, null, message.key(), message.value(), headers)));
            }
            p.flush();
            List<MessagePosition> positions = new ArrayList<>(sent.size());
            for (Future<RecordMetadata> future : sent) {
                long remaining = Math.max(1, deadline - System.nanoTime());
                RecordMetadata metadata = future.get(remaining, TimeUnit.NANOSECONDS);
                positions.add(new MessagePosition(metadata.topic(), metadata.partition(), metadata.offset()));
            }
            return positions;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw KafkaErrors.toCrmException("Publishing " + messages.size() + " messages to " + topic, e);
        } catch (Exception e) {
            throw KafkaErrors.toCrmException("Publishing " + messages.size() + " messages to " + topic, e);
        }
    }

    @Override
    public QueueBatch poll(String topic, String group, int maxMessages, Duration maxWait) {
        if (maxMessages < 1) {
            throw new IllegalArgumentException("maxMessages must be positive");
        }
        Settings s = settings();
        Pool pool = pools.computeIfAbsent(new PoolKey(topic, group), key -> new Pool(key.topic(), key.group()));
        Handle handle = pool.borrow(s, maxMessages);
        List<ConsumerRecord<String, byte[]>> taken = new ArrayList<>();
        try {
            long deadline = System.nanoTime() + maxWait.toNanos();
            boolean first = true;
            while (taken.isEmpty()) {
                // The first poll does not wait: it only lets the consumer catch up with its group (a partition lost
                // while the consumer sat idle drops its leftovers) before leftovers are handed out.
                long remaining = first || !handle.leftovers.isEmpty() ? 0 : Math.max(0, deadline - System.nanoTime());
                ConsumerRecords<String, byte[]> records = handle.consumer.poll(Duration.ofNanos(remaining));
                for (ConsumerRecord<String, byte[]> record : records) {
                    handle.leftovers.add(record);
                }
                handle.take(taken, maxMessages);
                if (!first && System.nanoTime() >= deadline) {
                    break;
                }
                first = false;
            }
        } catch (WakeupException e) {
            pool.discard(handle);
            return new QueueBatch(UUID.randomUUID().toString(), topic, group, List.of());
        } catch (RuntimeException e) {
            pool.discard(handle);
            throw KafkaErrors.toCrmException("Polling " + topic + " for group " + group, e);
        }
        String id = UUID.randomUUID().toString();
        if (taken.isEmpty()) {
            pool.giveBack(handle);
            return new QueueBatch(id, topic, group, List.of());
        }
        Map<TopicPartition, long[]> ranges = new LinkedHashMap<>();
        List<ReceivedMessage> messages = new ArrayList<>(taken.size());
        for (ConsumerRecord<String, byte[]> record : taken) {
            TopicPartition tp = new TopicPartition(record.topic(), record.partition());
            long[] range = ranges.computeIfAbsent(tp, k -> new long[]{record.offset(), record.offset()});
            range[0] = Math.min(range[0], record.offset());
            range[1] = Math.max(range[1], record.offset());
            messages.add(toMessage(record));
        }
        leases.put(id, new Lease(pool, handle, pool.generation(), ranges));
        return new QueueBatch(id, topic, group, messages);
    }

    private static ReceivedMessage toMessage(ConsumerRecord<String, byte[]> record) {
        Map<String, String> headers = new LinkedHashMap<>();
        for (Header header : record.headers()) {
            headers.put(header.key(), header.value() == null ? "" : new String(header.value(), StandardCharsets.UTF_8));
        }
        return new ReceivedMessage(record.topic(), record.partition(), record.offset(), record.key(),
                record.value() == null ? new byte[0] : record.value(), headers,
                record.timestamp() < 0 ? null : Instant.ofEpochMilli(record.timestamp()));
    }

    @Override
    public void acknowledge(QueueBatch batch) {
        Lease lease = batch == null ? null : leases.remove(batch.id());
        if (lease == null) {
            return;
        }
        Pool pool = lease.pool;
        if (lease.generation != pool.generation()) {
            // The group was moved (seek) while this batch was out: committing would undo the move.
            pool.discard(lease.handle);
            return;
        }
        Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
        lease.ranges.forEach((tp, range) -> offsets.put(tp, new OffsetAndMetadata(range[1] + 1)));
        try {
            lease.handle.consumer.commitSync(offsets, Duration.ofSeconds(30));
            pool.giveBack(lease.handle);
        } catch (RuntimeException e) {
            // Typically the group rebalanced (this consumer took too long): the new owner reads from the last commit.
            pool.discard(lease.handle);
            throw KafkaErrors.toCrmException("Committing offsets " + describe(lease.ranges) + " for group " + batch.group()
                    + " (the messages will be delivered again)", e);
        }
    }

    @Override
    public void release(QueueBatch batch) {
        Lease lease = batch == null ? null : leases.remove(batch.id());
        if (lease == null) {
            return;
        }
        Pool pool = lease.pool;
        if (lease.generation != pool.generation()) {
            pool.discard(lease.handle);
            return;
        }
        try {
            lease.handle.rewind(lease.ranges);
            pool.giveBack(lease.handle);
        } catch (RuntimeException e) {
            // Closing without a commit makes the group deliver from the last commit: the batch comes again all the same.
            getLogger().warn("Rewinding a Kafka consumer of group {} failed ({}); closing it", batch.group(), e.toString());
            pool.discard(lease.handle);
        }
    }

    @Override
    public void seek(String topic, String group, QueuePosition position) {
        Settings s = settings();
        Pool pool = pools.get(new PoolKey(topic, group));
        if (pool != null) {
            pool.invalidate();
        }
        try (Admin admin = admin(s)) {
            TopicDescription description = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
            List<TopicPartition> partitions = description.partitions().stream().map(TopicPartitionInfo::partition)
                    .map(p -> new TopicPartition(topic, p)).toList();
            Map<TopicPartition, Long> targets = targetOffsets(admin, partitions, position);
            Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
            targets.forEach((tp, offset) -> offsets.put(tp, new OffsetAndMetadata(offset)));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (true) {
                try {
                    admin.alterConsumerGroupOffsets(group, offsets).all().get(30, TimeUnit.SECONDS);
                    break;
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof GroupNotEmptyException && System.nanoTime() < deadline) {
                        Thread.sleep(500);  // members that just left are still being removed
                        continue;
                    }
                    if (e.getCause() instanceof GroupNotEmptyException) {
                        throw new CrmException(CrmException.Reason.UNAVAILABLE, "GroupNotEmpty", 0, "Moving group " + group
                                + " to " + position + " failed: other members of the group are active; stop every consumer of "
                                + "the group and try again", e);
                    }
                    throw e;
                }
            }
            getLogger().info("Moved consumer group {} on {} to {}: {}", group, topic, position, describeOffsets(targets));
        } catch (CrmException e) {
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw KafkaErrors.toCrmException("Moving group " + group + " to " + position, e);
        } catch (Exception e) {
            throw KafkaErrors.toCrmException("Moving group " + group + " to " + position, e);
        }
    }

    /** The offset each partition starts at for a position (clamped to what the topic keeps). */
    private static Map<TopicPartition, Long> targetOffsets(Admin admin, List<TopicPartition> partitions, QueuePosition position)
            throws Exception {
        Map<TopicPartition, Long> earliest = listOffsets(admin, partitions, OffsetSpec.earliest());
        Map<TopicPartition, Long> latest = listOffsets(admin, partitions, OffsetSpec.latest());
        Map<TopicPartition, Long> targets = new HashMap<>();
        switch (position.kind()) {
            case EARLIEST -> targets.putAll(earliest);
            case LATEST -> targets.putAll(latest);
            case OFFSET -> partitions.forEach(tp -> targets.put(tp, clamp(position.offset(), earliest.get(tp), latest.get(tp))));
            case OFFSETS -> position.offsets().forEach((partition, offset) -> {
                TopicPartition tp = new TopicPartition(partitions.get(0).topic(), partition);
                if (!earliest.containsKey(tp)) {
                    throw new CrmException(CrmException.Reason.INVALID_REQUEST, "Topic " + tp.topic() + " has no partition " + partition);
                }
                targets.put(tp, clamp(offset, earliest.get(tp), latest.get(tp)));
            });
            case TIME -> {
                Map<TopicPartition, Long> atTime = listOffsets(admin, partitions, OffsetSpec.forTimestamp(position.time().toEpochMilli()));
                partitions.forEach(tp -> {
                    Long offset = atTime.get(tp);
                    targets.put(tp, offset == null || offset < 0 ? latest.get(tp) : offset);
                });
            }
        }
        return targets;
    }

    private static Map<TopicPartition, Long> listOffsets(Admin admin, List<TopicPartition> partitions, OffsetSpec spec) throws Exception {
        Map<TopicPartition, OffsetSpec> request = new HashMap<>();
        partitions.forEach(tp -> request.put(tp, spec));
        Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> result = admin.listOffsets(request).all().get(30, TimeUnit.SECONDS);
        Map<TopicPartition, Long> offsets = new HashMap<>();
        result.forEach((tp, info) -> offsets.put(tp, info.offset()));
        return offsets;
    }

    private static long clamp(long value, long min, long max) {
        return Math.max(min, Math.min(max, value));
    }

    private static Admin admin(Settings s) {
        Map<String, Object> config = new HashMap<>(s.clientConfig());
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        config.put(AdminClientConfig.CLIENT_ID_CONFIG, "nifi-crm-admin");
        Properties properties = new Properties();
        config.forEach((k, v) -> {
            if (AdminClientConfig.configNames().contains(k)) {
                properties.put(k, v);
            }
        });
        return Admin.create(properties);
    }

    private static String describe(Map<TopicPartition, long[]> ranges) {
        List<String> parts = new ArrayList<>();
        ranges.forEach((tp, r) -> parts.add(tp.partition() + ":" + r[0] + "-" + r[1]));
        return String.join(",", parts);
    }

    private static String describeOffsets(Map<TopicPartition, Long> offsets) {
        List<String> parts = new ArrayList<>();
        new java.util.TreeMap<Integer, Long>(offsets.entrySet().stream()
                .collect(java.util.stream.Collectors.toMap(e -> e.getKey().partition(), Map.Entry::getValue)))
                .forEach((p, o) -> parts.add(p + ":" + o));
        return String.join(",", parts);
    }

    // ---- consumers ----

    /** A polled batch's consumer and the offsets it holds, until acknowledged or released. */
    private record Lease(Pool pool, Handle handle, int generation, Map<TopicPartition, long[]> ranges) {
    }

    /** The consumers of one topic and group: idle ones wait in least-recently-used order. */
    private final class Pool {
        private final String topic;
        private final String group;
        private final Deque<Handle> idle = new ArrayDeque<>();
        private final Set<Handle> all = new HashSet<>();
        private int generation;

        Pool(String topic, String group) {
            this.topic = topic;
            this.group = group;
        }

        synchronized int generation() {
            return generation;
        }

        Handle borrow(Settings s, int maxMessages) {
            synchronized (this) {
                Handle handle = idle.pollFirst();
                if (handle != null) {
                    return handle;
                }
            }
            Handle created = new Handle(newConsumer(s, maxMessages), topic);
            synchronized (this) {
                all.add(created);
            }
            return created;
        }

        void giveBack(Handle handle) {
            synchronized (this) {
                if (all.contains(handle)) {
                    idle.addLast(handle);
                    return;
                }
            }
            handle.close();
        }

        void discard(Handle handle) {
            synchronized (this) {
                all.remove(handle);
                idle.remove(handle);
            }
            handle.close();
        }

        /** After a seek: idle consumers close now, leased ones when they come back (without committing). */
        void invalidate() {
            List<Handle> closing;
            synchronized (this) {
                generation++;
                closing = new ArrayList<>(idle);
                idle.clear();
                all.removeAll(closing);
            }
            closing.forEach(Handle::close);
        }

        void closeAll() {
            List<Handle> closing;
            synchronized (this) {
                closing = new ArrayList<>(all);
                all.clear();
                idle.clear();
            }
            closing.forEach(Handle::close);
        }

        private KafkaConsumer<String, byte[]> newConsumer(Settings s, int maxMessages) {
            Map<String, Object> config = new HashMap<>();
            config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, START_LATEST.getValue().equals(s.startOffset()) ? "latest" : "earliest");
            config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.min(Math.max(maxMessages, 1), 10_000));
            config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            config.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
            config.put(ConsumerConfig.CLIENT_ID_CONFIG, "nifi-crm-" + group + "-" + consumerIds.incrementAndGet());
            config.putAll(s.clientConfig());
            config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
            config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            config.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
            config.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
            KafkaConsumer<String, byte[]> consumer;
            try {
                consumer = new KafkaConsumer<>(config);
            } catch (RuntimeException e) {
                throw KafkaErrors.toCrmException("Creating a Kafka consumer for group " + group, e);
            }
            return consumer;
        }
    }

    /** One Kafka consumer, used by one thread at a time (whoever leased it), with records fetched but not yet handed out. */
    private final class Handle {
        final KafkaConsumer<String, byte[]> consumer;
        final Deque<ConsumerRecord<String, byte[]>> leftovers = new ArrayDeque<>();

        Handle(KafkaConsumer<String, byte[]> consumer, String topic) {
            this.consumer = consumer;
            consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    dropLeftovers(partitions);
                }

                @Override
                public void onPartitionsLost(Collection<TopicPartition> partitions) {
                    dropLeftovers(partitions);
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    startAtSpecificPosition(partitions);
                }
            });
        }

        /** Moves up to {@code max - into.size()} leftover records into {@code into}. */
        void take(List<ConsumerRecord<String, byte[]>> into, int max) {
            while (into.size() < max && !leftovers.isEmpty()) {
                into.add(leftovers.pollFirst());
            }
        }

        /** Revoked partitions' records belong to their next owner, who reads them from the last commit. */
        private void dropLeftovers(Collection<TopicPartition> partitions) {
            Set<TopicPartition> gone = new HashSet<>(partitions);
            leftovers.removeIf(r -> gone.contains(new TopicPartition(r.topic(), r.partition())));
        }

        /** Start Offset 'Specific': partitions the group has never committed start at the configured position. */
        private void startAtSpecificPosition(Collection<TopicPartition> partitions) {
            Settings s = settings;
            if (s == null || s.startPosition() == null || partitions.isEmpty()) {
                return;
            }
            Map<TopicPartition, OffsetAndMetadata> committed = consumer.committed(new HashSet<>(partitions), Duration.ofSeconds(30));
            List<TopicPartition> fresh = partitions.stream().filter(tp -> committed.get(tp) == null).toList();
            if (fresh.isEmpty()) {
                return;
            }
            QueuePosition position = s.startPosition();
            switch (position.kind()) {
                case OFFSET -> fresh.forEach(tp -> consumer.seek(tp, position.offset()));
                case OFFSETS -> fresh.forEach(tp -> {
                    Long offset = position.offsets().get(tp.partition());
                    if (offset != null) {
                        consumer.seek(tp, offset);
                    } else {
                        consumer.seekToBeginning(List.of(tp));
                    }
                });
                case TIME -> {
                    Map<TopicPartition, Long> query = new HashMap<>();
                    fresh.forEach(tp -> query.put(tp, position.time().toEpochMilli()));
                    Map<TopicPartition, OffsetAndTimestamp> found = consumer.offsetsForTimes(query, Duration.ofSeconds(30));
                    List<TopicPartition> none = new ArrayList<>();
                    fresh.forEach(tp -> {
                        OffsetAndTimestamp at = found.get(tp);
                        if (at == null) {
                            none.add(tp);
                        } else {
                            consumer.seek(tp, at.offset());
                        }
                    });
                    if (!none.isEmpty()) {
                        consumer.seekToEnd(none);
                    }
                }
                default -> {
                    // earliest / latest are auto.offset.reset
                }
            }
        }

        /**
         * Goes back to the first offset of each partition the batch held (and of the leftovers), so the next poll
         * delivers them again, in order. Partitions this consumer no longer owns are read by their new owner from
         * the last commit.
         */
        void rewind(Map<TopicPartition, long[]> ranges) {
            Map<TopicPartition, Long> first = new HashMap<>();
            ranges.forEach((tp, range) -> first.merge(tp, range[0], Math::min));
            for (Iterator<ConsumerRecord<String, byte[]>> it = leftovers.iterator(); it.hasNext(); ) {
                ConsumerRecord<String, byte[]> r = it.next();
                first.merge(new TopicPartition(r.topic(), r.partition()), r.offset(), Math::min);
            }
            leftovers.clear();
            Set<TopicPartition> owned = consumer.assignment();
            first.forEach((tp, offset) -> {
                if (owned.contains(tp)) {
                    consumer.seek(tp, offset);
                }
            });
        }

        void close() {
            try {
                consumer.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                getLogger().debug("Closing a Kafka consumer failed: {}", e.toString());
            }
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
        try (Admin admin = admin(candidate)) {
            var nodes = admin.describeCluster().nodes().get(30, TimeUnit.SECONDS);
            results.add(result("Connect to Kafka", Outcome.SUCCESSFUL, "Connected to " + candidate.bootstrapServers() + ": "
                    + nodes.size() + " broker(s)"));
            try {
                TopicDescription topic = admin.describeTopics(List.of(candidate.topic())).allTopicNames().get(30, TimeUnit.SECONDS)
                        .get(candidate.topic());
                results.add(result("Find topic", Outcome.SUCCESSFUL, "Topic " + candidate.topic() + " has " + topic.partitions().size()
                        + " partition(s)"));
            } catch (Exception e) {
                results.add(result("Find topic", Outcome.FAILED, "Topic " + candidate.topic() + " cannot be described: "
                        + KafkaErrors.toCrmException("Describing the topic", e).getMessage()
                        + " (it is created on first publish only when the brokers auto-create topics)"));
            }
            try {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(candidate.group())
                        .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
                long forTopic = committed.keySet().stream().filter(tp -> tp.topic().equals(candidate.topic())).count();
                results.add(result("Read consumer group", Outcome.SUCCESSFUL, forTopic == 0
                        ? "Group " + candidate.group() + " has no committed offsets on " + candidate.topic() + ": it starts at "
                        + (candidate.startPosition() == null ? candidate.startOffset() : candidate.startPosition())
                        : "Group " + candidate.group() + " has committed offsets for " + forTopic + " partition(s) of " + candidate.topic()));
            } catch (Exception e) {
                results.add(result("Read consumer group", Outcome.FAILED, KafkaErrors.toCrmException("Reading group "
                        + candidate.group(), e).getMessage()));
            }
        } catch (Exception e) {
            results.add(result("Connect to Kafka", Outcome.FAILED, KafkaErrors.toCrmException("Connecting to "
                    + candidate.bootstrapServers(), e).getMessage()));
        }
        verificationLogger.info("Verified Kafka change queue on {}", candidate.bootstrapServers());
        return results;
    }

    private static ConfigVerificationResult result(String step, Outcome outcome, String explanation) {
        return new ConfigVerificationResult.Builder().verificationStepName(step).outcome(outcome).explanation(explanation).build();
    }
}
