package io.nificrm.processors;

import io.nificrm.processors.common.CrmAttributes;
import io.nificrm.processors.common.CrmProperties;
import io.nificrm.processors.common.RecordBatch;
import io.nificrm.processors.push.ChangeEvent;
import io.nificrm.processors.push.ChangeRecordFactory;
import io.nificrm.processors.push.DataverseWebhookFormat;
import io.nificrm.processors.push.HubSpotWebhookFormat;
import io.nificrm.processors.push.PendingRequest;
import io.nificrm.processors.push.ReplayCache;
import io.nificrm.processors.push.SalesforceOutboundFormat;
import io.nificrm.processors.push.WebhookCounters;
import io.nificrm.processors.push.WebhookFormat;
import io.nificrm.processors.push.WebhookServer;
import org.apache.nifi.annotation.behavior.InputRequirement;
import org.apache.nifi.annotation.behavior.WritesAttribute;
import org.apache.nifi.annotation.behavior.WritesAttributes;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.SeeAlso;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.annotation.lifecycle.OnScheduled;
import org.apache.nifi.annotation.lifecycle.OnStopped;
import org.apache.nifi.components.AllowableValue;
import org.apache.nifi.components.ConfigVerificationResult;
import org.apache.nifi.components.ConfigVerificationResult.Outcome;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationContext;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.logging.ComponentLog;
import org.apache.nifi.processor.AbstractProcessor;
import org.apache.nifi.processor.DataUnit;
import org.apache.nifi.processor.ProcessContext;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;
import org.apache.nifi.processor.VerifiableProcessor;
import org.apache.nifi.processor.exception.ProcessException;
import org.apache.nifi.processor.util.StandardValidators;
import org.apache.nifi.serialization.RecordSetWriterFactory;
import org.apache.nifi.serialization.record.RecordSchema;
import org.apache.nifi.ssl.SSLContextProvider;

import javax.net.ssl.SSLContext;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Receives CRM change notifications over HTTP(S) (push), verifies each request, and writes the notifications as change
 * records. A request is acknowledged only after the FlowFile holding it is committed.
 */
@InputRequirement(InputRequirement.Requirement.INPUT_FORBIDDEN)
@Tags({"crm", "hubspot", "dynamics", "dataverse", "salesforce", "webhook", "push", "listen", "http", "https", "cdc", "sync", "record"})
@CapabilityDescription("Listens for CRM change notifications on a port and path: HubSpot app webhooks (v3 signatures), Dataverse "
        + "webhooks (RemoteExecutionContext, shared key) or Salesforce outbound messages (SOAP, organization id, optional client "
        + "certificate). Every request is authenticated (forged, stale and replayed requests are refused with 401/403/409), and "
        + "each notification becomes one change record (crm_operation, crm_object, crm_key, crm_changed_fields, "
        + "crm_source_timestamp, crm_origin, crm_system, crm_event_id and the fields the notification carries), written with the "
        + "Record Writer in one FlowFile per object for many requests at once. A request is answered 200 (Salesforce: the SOAP "
        + "Ack) only after its FlowFile is committed; when it cannot be (queue full, back-pressure, failure, timeout) the answer is "
        + "503 so the sender retries. Re-delivered events are recognised by their id and not emitted twice. Notifications carry "
        + "ids and changed values, not whole records: follow with FetchCrmRecords to read the full records in batches.")
@WritesAttributes({
        @WritesAttribute(attribute = CrmAttributes.SYSTEM, description = "The system that sent the notifications (hubspot, dynamics, salesforce)"),
        @WritesAttribute(attribute = CrmAttributes.OBJECT, description = "The object the changes are about, as its connection service names it"),
        @WritesAttribute(attribute = "record.count", description = "Change records in the FlowFile"),
        @WritesAttribute(attribute = "crm.webhook.format", description = "The Webhook Format"),
        @WritesAttribute(attribute = "crm.request.count", description = "HTTP requests whose notifications are in the FlowFile"),
        @WritesAttribute(attribute = "http.remote.host", description = "The senders' addresses (comma-separated when several)"),
        @WritesAttribute(attribute = CrmAttributes.STAGE, description = "receive"),
        @WritesAttribute(attribute = "mime.type", description = "The Record Writer's MIME type")})
@SeeAlso({FetchCrmRecords.class, UpsertCrmRecords.class, QueryCrmEntities.class})
public class ListenCrmWebhook extends AbstractProcessor implements VerifiableProcessor {

    static final AllowableValue HUBSPOT = new AllowableValue("hubspot-v3", "HubSpot v3",
            "HubSpot app webhooks, verified by the v3 signature (HMAC-SHA256 with the app's client secret, 5-minute timestamp window).");
    static final AllowableValue DATAVERSE = new AllowableValue("dataverse", "Dataverse",
            "Dataverse / Dynamics 365 webhooks (JSON RemoteExecutionContext), verified by the key registered with the webhook.");
    static final AllowableValue SALESFORCE = new AllowableValue("salesforce-outbound", "Salesforce Outbound Message",
            "Salesforce outbound messages (SOAP notifications), verified by the organization id and optionally a client certificate.");

    static final AllowableValue KEY_HEADER = new AllowableValue("HttpHeader", "HttpHeader",
            "The key arrives in an HTTP header (Dataverse authentication type HttpHeader).");
    static final AllowableValue KEY_WEBHOOK = new AllowableValue("WebhookKey", "WebhookKey",
            "The key arrives as the 'code' query parameter (Dataverse authentication type WebhookKey).");
    static final AllowableValue KEY_QUERY = new AllowableValue("HttpQueryString", "HttpQueryString",
            "The key arrives in a query parameter (Dataverse authentication type HttpQueryString).");

    static final AllowableValue CLIENT_AUTH_NONE = new AllowableValue("NONE", "None", "No client certificate is asked for.");
    static final AllowableValue CLIENT_AUTH_REQUIRED = new AllowableValue("REQUIRED", "Required",
            "The TLS handshake fails unless the sender presents a certificate trusted by the SSL Context Service's trust store.");

    static final PropertyDescriptor PORT = new PropertyDescriptor.Builder()
            .name("Listening Port")
            .description("The port to listen on (all interfaces).")
            .required(true)
            .addValidator(StandardValidators.PORT_VALIDATOR)
            .build();

    static final PropertyDescriptor PATH = new PropertyDescriptor.Builder()
            .name("Path")
            .description("The one path that receives notifications, e.g. /crm/webhook. Other paths answer 404.")
            .required(true)
            .defaultValue("/crm/webhook")
            .addValidator(StandardValidators.createRegexMatchingValidator(Pattern.compile("/[A-Za-z0-9._~%!$&'()*+,;=:@/-]*")))
            .build();

    static final PropertyDescriptor FORMAT = new PropertyDescriptor.Builder()
            .name("Webhook Format")
            .description("Who sends the notifications, which decides how requests are verified, parsed and answered.")
            .required(true)
            .allowableValues(HUBSPOT, DATAVERSE, SALESFORCE)
            .defaultValue(HUBSPOT)
            .build();

    static final PropertyDescriptor HUBSPOT_SECRET = new PropertyDescriptor.Builder()
            .name("HubSpot Client Secret")
            .description("The client secret of the HubSpot app whose webhooks call this listener (the v3 signing key).")
            .required(true)
            .sensitive(true)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(FORMAT, HUBSPOT)
            .build();

    static final PropertyDescriptor SIGNED_URL_BASE = new PropertyDescriptor.Builder()
            .name("Signed URL Base")
            .description("The scheme, host and port HubSpot calls (e.g. https://hooks.example.com) when a proxy or load balancer sits in "
                    + "front of this listener: the signature covers the URL HubSpot called. Empty: rebuilt from the request's Host header "
                    + "and this listener's scheme.")
            .required(false)
            .addValidator(StandardValidators.createRegexMatchingValidator(Pattern.compile("https?://[^/?#\\s]+")))
            .dependsOn(FORMAT, HUBSPOT)
            .build();

    static final PropertyDescriptor DATAVERSE_KEY_LOCATION = new PropertyDescriptor.Builder()
            .name("Dataverse Authentication")
            .description("How the webhook was registered to send its key (the registration's Authentication type).")
            .required(true)
            .allowableValues(KEY_HEADER, KEY_WEBHOOK, KEY_QUERY)
            .defaultValue(KEY_HEADER)
            .dependsOn(FORMAT, DATAVERSE)
            .build();

    static final PropertyDescriptor DATAVERSE_KEY_NAME = new PropertyDescriptor.Builder()
            .name("Dataverse Key Name")
            .description("The header (HttpHeader) or query parameter (HttpQueryString) that carries the key.")
            .required(true)
            .defaultValue("x-nificrm-key")
            .addValidator(StandardValidators.createRegexMatchingValidator(Pattern.compile("[A-Za-z0-9_.-]+")))
            .dependsOn(DATAVERSE_KEY_LOCATION, KEY_HEADER, KEY_QUERY)
            .build();

    static final PropertyDescriptor DATAVERSE_KEY_VALUE = new PropertyDescriptor.Builder()
            .name("Dataverse Key Value")
            .description("The secret value registered with the webhook. Use a long random value.")
            .required(true)
            .sensitive(true)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(FORMAT, DATAVERSE)
            .build();

    static final PropertyDescriptor SALESFORCE_ORG_ID = new PropertyDescriptor.Builder()
            .name("Salesforce Organization ID")
            .description("The id (00D..., 15 or 18 characters) of the only organization whose outbound messages are accepted.")
            .required(true)
            .addValidator(StandardValidators.createRegexMatchingValidator(Pattern.compile("00D[A-Za-z0-9]{12}([A-Za-z0-9]{3})?")))
            .dependsOn(FORMAT, SALESFORCE)
            .build();

    static final PropertyDescriptor SSL_CONTEXT = new PropertyDescriptor.Builder()
            .name("SSL Context Service")
            .description("Serves HTTPS with this key and certificate (and trust store, for client certificates). CRMs call public "
                    + "HTTPS endpoints: terminate TLS here or at a proxy in front. Empty: plain HTTP.")
            .required(false)
            .identifiesControllerService(SSLContextProvider.class)
            .build();

    static final PropertyDescriptor CLIENT_AUTH = new PropertyDescriptor.Builder()
            .name("Client Authentication")
            .description("Whether senders must present a TLS client certificate (e.g. Salesforce's outbound-message certificate).")
            .required(true)
            .allowableValues(CLIENT_AUTH_NONE, CLIENT_AUTH_REQUIRED)
            .defaultValue(CLIENT_AUTH_NONE)
            .dependsOn(SSL_CONTEXT)
            .build();

    static final PropertyDescriptor CLIENT_SUBJECT = new PropertyDescriptor.Builder()
            .name("Client Certificate Subject")
            .description("A regular expression the client certificate's subject DN must match (e.g. .*CN=proxy\\.salesforce\\.com.*); "
                    + "requests with another certificate are refused with 403.")
            .required(false)
            .addValidator(StandardValidators.REGULAR_EXPRESSION_VALIDATOR)
            .dependsOn(CLIENT_AUTH, CLIENT_AUTH_REQUIRED)
            .build();

    static final PropertyDescriptor MAX_BODY = new PropertyDescriptor.Builder()
            .name("Max Request Size")
            .description("Larger request bodies are refused with 413.")
            .required(true)
            .defaultValue("1 MB")
            .addValidator(StandardValidators.createDataSizeBoundsValidator(1, 64L * 1024 * 1024))
            .build();

    static final PropertyDescriptor ACK_TIMEOUT = new PropertyDescriptor.Builder()
            .name("Acknowledgement Timeout")
            .description("How long a request waits for its FlowFile to be committed before it is answered 503 (and retried by the "
                    + "sender). Keep it below the sender's own request timeout.")
            .required(true)
            .defaultValue("5 secs")
            .addValidator(StandardValidators.TIME_PERIOD_VALIDATOR)
            .build();

    static final PropertyDescriptor MAX_QUEUED = new PropertyDescriptor.Builder()
            .name("Max Queued Requests")
            .description("Verified requests waiting to be written. When the queue is full, requests are answered 503.")
            .required(true)
            .defaultValue("1000")
            .addValidator(StandardValidators.createLongValidator(1, 100_000, true))
            .build();

    static final PropertyDescriptor BATCH_SIZE = new PropertyDescriptor.Builder()
            .name("Max Requests Per Batch")
            .description("Most requests written and committed together (one FlowFile per object per batch).")
            .required(true)
            .defaultValue("100")
            .addValidator(StandardValidators.createLongValidator(1, 10_000, true))
            .build();

    static final PropertyDescriptor DUPLICATE_WINDOW = new PropertyDescriptor.Builder()
            .name("Duplicate Window")
            .description("How long the ids of committed notifications are remembered, so a re-delivery (a sender retrying after a "
                    + "lost or late answer) is acknowledged without being emitted again. Memory only: a restart forgets it.")
            .required(true)
            .defaultValue("1 hour")
            .addValidator(StandardValidators.TIME_PERIOD_VALIDATOR)
            .build();

    static final PropertyDescriptor DUPLICATE_MEMORY = new PropertyDescriptor.Builder()
            .name("Duplicate Memory Size")
            .description("Most notification ids (and request signatures) remembered; beyond it the oldest are forgotten first.")
            .required(true)
            .defaultValue("200000")
            .addValidator(StandardValidators.createLongValidator(1_000, 10_000_000, true))
            .build();

    static final Relationship REL_SUCCESS = new Relationship.Builder().name("success")
            .description("Change records of the received notifications, one FlowFile per object and batch").build();

    private static final List<PropertyDescriptor> PROPERTIES = List.of(PORT, PATH, FORMAT, HUBSPOT_SECRET, SIGNED_URL_BASE,
            DATAVERSE_KEY_LOCATION, DATAVERSE_KEY_NAME, DATAVERSE_KEY_VALUE, SALESFORCE_ORG_ID, SSL_CONTEXT, CLIENT_AUTH, CLIENT_SUBJECT,
            MAX_BODY, ACK_TIMEOUT, MAX_QUEUED, BATCH_SIZE, DUPLICATE_WINDOW, DUPLICATE_MEMORY, CrmProperties.RECORD_WRITER);

    /** How long a request signature is remembered: any replay of it is either remembered or outside the timestamp window. */
    private static final long SIGNATURE_WINDOW_NANOS = TimeUnit.MINUTES.toNanos(11);

    private final WebhookCounters counters = new WebhookCounters();
    private volatile WebhookServer server;
    private volatile ReplayCache signatures;
    private volatile ReplayCache events;
    private volatile String cacheSettings;

    @Override
    protected List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        return PROPERTIES;
    }

    @Override
    public Set<Relationship> getRelationships() {
        return Set.of(REL_SUCCESS);
    }

    @Override
    protected Collection<ValidationResult> customValidate(ValidationContext context) {
        List<ValidationResult> results = new ArrayList<>();
        String subject = context.getProperty(CLIENT_SUBJECT).getValue();
        if (subject != null) {
            try {
                Pattern.compile(subject);
            } catch (PatternSyntaxException e) {
                results.add(new ValidationResult.Builder().subject(CLIENT_SUBJECT.getDisplayName()).valid(false)
                        .explanation("not a valid regular expression").build());
            }
        }
        return results;
    }

    /** The port the listener is bound to while running (for tests and the benchmark), or -1. */
    public int listeningPort() {
        WebhookServer current = server;
        return current == null ? -1 : current.port();
    }

    /** Verified requests waiting to be written (for tests). */
    int queuedRequests() {
        WebhookServer current = server;
        return current == null ? 0 : current.queued();
    }

    @OnScheduled
    public void startListening(ProcessContext context) throws IOException {
        long windowNanos = context.getProperty(DUPLICATE_WINDOW).asTimePeriod(TimeUnit.NANOSECONDS);
        int memory = context.getProperty(DUPLICATE_MEMORY).asInteger();
        long ackNanos = context.getProperty(ACK_TIMEOUT).asTimePeriod(TimeUnit.NANOSECONDS);
        String cacheKey = windowNanos + "/" + memory;
        if (!cacheKey.equals(cacheSettings)) {
            // Kept across stop and start (so a restart of the processor does not forget), renewed when their settings change.
            signatures = new ReplayCache(SIGNATURE_WINDOW_NANOS, ackNanos + TimeUnit.SECONDS.toNanos(30), memory);
            events = new ReplayCache(windowNanos, ackNanos + TimeUnit.SECONDS.toNanos(30), memory);
            cacheSettings = cacheKey;
        }
        WebhookServer.Settings settings = new WebhookServer.Settings(
                context.getProperty(PORT).asInteger(),
                context.getProperty(PATH).getValue(),
                format(context),
                sslContext(context),
                CLIENT_AUTH_REQUIRED.getValue().equals(context.getProperty(CLIENT_AUTH).getValue()) && context.getProperty(SSL_CONTEXT).isSet(),
                context.getProperty(CLIENT_SUBJECT).isSet() ? Pattern.compile(context.getProperty(CLIENT_SUBJECT).getValue()) : null,
                context.getProperty(MAX_BODY).asDataSize(DataUnit.B).intValue(),
                context.getProperty(ACK_TIMEOUT).asTimePeriod(TimeUnit.MILLISECONDS),
                context.getProperty(MAX_QUEUED).asInteger(),
                context.getProperty(SIGNED_URL_BASE).getValue());
        WebhookServer started = new WebhookServer(settings, signatures, events, counters, getLogger());
        started.start();
        server = started;
        getLogger().info("Listening for {} notifications on {}://*:{}{}", context.getProperty(FORMAT).getValue(), started.scheme(),
                started.port(), settings.path());
    }

    @OnStopped
    public void stopListening() {
        WebhookServer current = server;
        server = null;
        if (current != null) {
            current.close();
        }
    }

    private static WebhookFormat format(ProcessContext context) {
        String format = context.getProperty(FORMAT).getValue();
        if (HUBSPOT.getValue().equals(format)) {
            return new HubSpotWebhookFormat(context.getProperty(HUBSPOT_SECRET).getValue());
        }
        if (DATAVERSE.getValue().equals(format)) {
            String location = context.getProperty(DATAVERSE_KEY_LOCATION).getValue();
            DataverseWebhookFormat.KeyLocation where = KEY_WEBHOOK.getValue().equals(location) ? DataverseWebhookFormat.KeyLocation.WEBHOOK_KEY
                    : KEY_QUERY.getValue().equals(location) ? DataverseWebhookFormat.KeyLocation.QUERY_STRING : DataverseWebhookFormat.KeyLocation.HEADER;
            return new DataverseWebhookFormat(where, context.getProperty(DATAVERSE_KEY_NAME).getValue(),
                    context.getProperty(DATAVERSE_KEY_VALUE).getValue());
        }
        return new SalesforceOutboundFormat(context.getProperty(SALESFORCE_ORG_ID).getValue());
    }

    private static SSLContext sslContext(ProcessContext context) {
        if (!context.getProperty(SSL_CONTEXT).isSet()) {
            return null;
        }
        return context.getProperty(SSL_CONTEXT).asControllerService(SSLContextProvider.class).createContext();
    }

    @Override
    public void onTrigger(ProcessContext context, ProcessSession session) throws ProcessException {
        WebhookServer current = server;
        if (current == null) {
            return;
        }
        current.triggered();
        if (!context.getAvailableRelationships().contains(REL_SUCCESS)) {
            current.setBackPressured(true);
            context.yield();
            return;
        }
        current.setBackPressured(false);
        Map<String, Long> drained = new HashMap<>();
        counters.drain((name, n) -> {
            session.adjustCounter(name, n, false);
            drained.put(name, n);
        });
        PendingRequest first;
        try {
            first = current.poll(20, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            first = null;
        }
        List<PendingRequest> taken = new ArrayList<>();
        if (first != null) {
            List<PendingRequest> batch = new ArrayList<>();
            batch.add(first);
            current.drainTo(batch, context.getProperty(BATCH_SIZE).asInteger() - 1);
            for (PendingRequest request : batch) {
                if (request.take()) {
                    taken.add(request);
                }
            }
        }
        if (taken.isEmpty()) {
            if (!drained.isEmpty()) {
                session.commitAsync();
            }
            return;
        }
        try {
            write(context, session, current, taken);
        } catch (IOException | RuntimeException | org.apache.nifi.schema.access.SchemaNotFoundException e) {
            session.rollback();
            counters.restore(drained);
            current.failed(taken);
            getLogger().error("Writing the change records of {} webhook request(s) failed; they were answered 503 and will be re-sent",
                    taken.size(), e);
            context.yield();
            return;
        }
        session.commitAsync(() -> current.committed(taken), failure -> {
            current.failed(taken);
            getLogger().error("Committing the change records of {} webhook request(s) failed; they were answered 503 and will be re-sent",
                    taken.size(), failure);
        });
    }

    /** Writes one FlowFile per object with the events of the taken requests. */
    private void write(ProcessContext context, ProcessSession session, WebhookServer current, List<PendingRequest> taken)
            throws IOException, org.apache.nifi.schema.access.SchemaNotFoundException {
        RecordSetWriterFactory writerFactory = context.getProperty(CrmProperties.RECORD_WRITER).asControllerService(RecordSetWriterFactory.class);
        String format = context.getProperty(FORMAT).getValue();
        Map<String, Group> groups = new LinkedHashMap<>();
        for (PendingRequest request : taken) {
            for (ChangeEvent event : request.events()) {
                Group group = groups.computeIfAbsent(event.system() + "\u0000" + event.object(), k -> new Group(event.system(), event.object()));
                group.events.add(event);
                if (group.requests.add(request.id())) {
                    group.hosts.add(request.remoteHost());
                    group.earliest = Math.min(group.earliest, request.receivedNanos());
                    if (group.transitUri == null) {
                        group.transitUri = request.transitUri();
                    }
                }
            }
        }
        long total = 0;
        for (Group group : groups.values()) {
            RecordSchema schema = ChangeRecordFactory.schema(group.events);
            RecordBatch batch = new RecordBatch(session, null, writerFactory, schema, getLogger());
            FlowFile flowFile;
            try {
                for (ChangeEvent event : group.events) {
                    batch.write(ChangeRecordFactory.record(schema, event));
                }
                Map<String, String> attributes = new HashMap<>();
                attributes.put(CrmAttributes.SYSTEM, group.system);
                attributes.put(CrmAttributes.OBJECT, group.object);
                attributes.put(CrmAttributes.STAGE, "receive");
                attributes.put(CrmAttributes.RELATIONSHIP, REL_SUCCESS.getName());
                attributes.put("crm.webhook.format", format);
                attributes.put("crm.request.count", Integer.toString(group.requests.size()));
                attributes.put("http.remote.host", String.join(",", group.hosts.stream().limit(10).toList()));
                flowFile = batch.finish(attributes);
            } catch (IOException | RuntimeException e) {
                batch.discard();
                throw e;
            }
            session.getProvenanceReporter().receive(flowFile, group.transitUri, "Received " + group.events.size() + " " + group.system
                    + " change notification(s) in " + group.requests.size() + " request(s)",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - group.earliest));
            session.transfer(flowFile, REL_SUCCESS);
            total += group.events.size();
        }
        session.adjustCounter("Events Received", total, false);
        session.adjustCounter("FlowFiles Written", groups.size(), false);
    }

    private static final class Group {
        final String system;
        final String object;
        final List<ChangeEvent> events = new ArrayList<>();
        final Set<String> requests = new LinkedHashSet<>();
        final Set<String> hosts = new LinkedHashSet<>();
        long earliest = Long.MAX_VALUE;
        String transitUri;

        Group(String system, String object) {
            this.system = system;
            this.object = object;
        }
    }

    @Override
    public List<ConfigVerificationResult> verify(ProcessContext context, ComponentLog verificationLogger, Map<String, String> attributes) {
        List<ConfigVerificationResult> results = new ArrayList<>();
        try {
            format(context);
            results.add(result("Check webhook settings", Outcome.SUCCESSFUL, context.getProperty(FORMAT).getValue() + " settings are complete"));
        } catch (RuntimeException e) {
            results.add(result("Check webhook settings", Outcome.FAILED, "Incomplete settings: " + e.getClass().getSimpleName()));
        }
        if (context.getProperty(SSL_CONTEXT).isSet()) {
            try {
                sslContext(context);
                results.add(result("Create TLS context", Outcome.SUCCESSFUL, "The SSL Context Service provides a TLS context"));
            } catch (RuntimeException e) {
                results.add(result("Create TLS context", Outcome.FAILED, "The SSL Context Service failed: " + e.getMessage()));
            }
        }
        int port = context.getProperty(PORT).asInteger();
        if (server != null) {
            results.add(result("Bind port", Outcome.SKIPPED, "The processor is running and listening on port " + listeningPort()));
        } else {
            try (ServerSocket socket = new ServerSocket(port)) {
                results.add(result("Bind port", Outcome.SUCCESSFUL, "Port " + socket.getLocalPort() + " is free"));
            } catch (IOException e) {
                results.add(result("Bind port", Outcome.FAILED, "Cannot listen on port " + port + ": " + e.getMessage()));
            }
        }
        return results;
    }

    private static ConfigVerificationResult result(String step, Outcome outcome, String explanation) {
        return new ConfigVerificationResult.Builder().verificationStepName(step).outcome(outcome).explanation(explanation).build();
    }
}
