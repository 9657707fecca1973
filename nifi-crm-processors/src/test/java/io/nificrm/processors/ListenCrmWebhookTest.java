package io.nificrm.processors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.processors.common.CrmProperties;
import org.apache.nifi.controller.AbstractControllerService;
import org.apache.nifi.logging.ComponentLog;
import org.apache.nifi.provenance.ProvenanceEventRecord;
import org.apache.nifi.provenance.ProvenanceEventType;
import org.apache.nifi.serialization.RecordSetWriter;
import org.apache.nifi.serialization.RecordSetWriterFactory;
import org.apache.nifi.serialization.record.RecordSchema;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.nificrm.processors.ListenCrmWebhookTestSupport.CLIENT;
import static io.nificrm.processors.ListenCrmWebhookTestSupport.SECRET;
import static io.nificrm.processors.ListenCrmWebhookTestSupport.body;
import static io.nificrm.processors.ListenCrmWebhookTestSupport.event;
import static io.nificrm.processors.ListenCrmWebhookTestSupport.propertyChange;
import static io.nificrm.processors.ListenCrmWebhookTestSupport.send;
import static io.nificrm.processors.ListenCrmWebhookTestSupport.signed;
import static io.nificrm.processors.ListenCrmWebhookTestSupport.successRecords;
import static io.nificrm.processors.ListenCrmWebhookTestSupport.url;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** HubSpot v3: verification, statuses, replay and duplicate handling, acknowledgement after commit. */
class ListenCrmWebhookTest {
    private TestRunner runner;
    private String url;

    @BeforeEach
    void setUp() throws Exception {
        runner = ListenCrmWebhookTestSupport.hubspotRunner();
    }

    @AfterEach
    void tearDown() {
        runner.stop();
    }

    private void start() {
        ListenCrmWebhookTestSupport.start(runner);
        url = url(runner);
    }

    /** Sends a request and triggers the processor until it is answered. */
    private HttpResponse<String> deliver(HttpRequest request) throws Exception {
        runner.run(1, false, false);  // a processor that NiFi triggers, as it would be when running
        CompletableFuture<HttpResponse<String>> answer = CLIENT.sendAsync(request, HttpResponse.BodyHandlers.ofString());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!answer.isDone() && System.nanoTime() < deadline) {
            runner.run(1, false, false);
        }
        return answer.get(1, TimeUnit.SECONDS);
    }

    /** Waits until the listener holds this many verified requests. */
    private void awaitQueued(int n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (((ListenCrmWebhook) runner.getProcessor()).queuedRequests() < n && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertEquals(n, ((ListenCrmWebhook) runner.getProcessor()).queuedRequests());
    }

    @Test
    void validSignatureIsAcceptedAndEachEventBecomesAChangeRecord() throws Exception {
        start();
        List<ObjectNode> events = List.of(event("contact.creation", 1001), propertyChange(1001, "email", "ada@example.com"),
                event("contact.deletion", 1002), event("company.creation", 2001));
        HttpResponse<String> answer = deliver(signed(url, body(events)));
        assertEquals(200, answer.statusCode());

        List<MockFlowFile> out = runner.getFlowFilesForRelationship(ListenCrmWebhook.REL_SUCCESS);
        assertEquals(2, out.size(), "one FlowFile per object");
        MockFlowFile contacts = out.stream().filter(f -> "contacts".equals(f.getAttribute("crm.object"))).findFirst().orElseThrow();
        contacts.assertAttributeEquals("crm.system", "hubspot");
        contacts.assertAttributeEquals("record.count", "3");
        contacts.assertAttributeEquals("crm.webhook.format", "hubspot-v3");
        contacts.assertAttributeEquals("http.remote.host", "127.0.0.1");
        List<JsonNode> records = ListenCrmWebhookTestSupport.records(List.of(contacts));
        assertEquals(List.of("create", "update", "delete"), records.stream().map(r -> r.get("crm_operation").asText()).toList());
        JsonNode change = records.get(1);
        assertEquals("1001", change.get("crm_key").asText());
        assertEquals("contacts", change.get("crm_object").asText());
        assertEquals("email", change.get("crm_changed_fields").get(0).asText());
        assertEquals("ada@example.com", change.get("email").asText());
        assertEquals("hubspot/62515/CRM_UI", change.get("crm_origin").asText());
        assertEquals("hubspot", change.get("crm_system").asText());
        assertEquals(events.get(1).get("eventId").asText(), change.get("crm_event_id").asText());
        assertFalse(change.get("crm_source_timestamp").isNull());

        List<ProvenanceEventRecord> provenance = runner.getProvenanceEvents();
        assertEquals(2, provenance.size());
        assertTrue(provenance.stream().allMatch(p -> p.getEventType() == ProvenanceEventType.RECEIVE && p.getTransitUri().endsWith("/crm/webhook")));
        runner.run(1, false, false);
        assertEquals(1, runner.getCounterValue("Requests Accepted"));
        assertEquals(4, runner.getCounterValue("Events Received"));
    }

    @Test
    void forgedStaleAndFutureRequestsAreRejectedWith401AndNotEmitted() throws Exception {
        start();
        byte[] body = body(List.of(event("contact.creation", 1)));
        long now = System.currentTimeMillis();
        assertEquals(401, deliver(signed(url, body, "not-the-secret", now)).statusCode(), "wrong secret");

        HttpRequest genuine = signed(url, body, SECRET, now);
        byte[] tampered = new String(body, StandardCharsets.UTF_8).replace("contact.creation", "contact.deletion").getBytes(StandardCharsets.UTF_8);
        HttpRequest forged = HttpRequest.newBuilder(URI.create(url)).header("X-HubSpot-Signature-v3", genuine.headers().firstValue("X-HubSpot-Signature-v3").orElseThrow())
                .header("X-HubSpot-Request-Timestamp", Long.toString(now)).POST(HttpRequest.BodyPublishers.ofByteArray(tampered)).build();
        assertEquals(401, deliver(forged).statusCode(), "tampered body");

        assertEquals(401, deliver(signed(url, body, SECRET, now - Duration.ofMinutes(6).toMillis())).statusCode(), "old timestamp");
        assertEquals(401, deliver(signed(url, body, SECRET, now + Duration.ofMinutes(6).toMillis())).statusCode(), "future timestamp");
        HttpRequest unsigned = HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        assertEquals(401, deliver(unsigned).statusCode(), "no signature");

        runner.run(1, false, false);
        runner.assertTransferCount(ListenCrmWebhook.REL_SUCCESS, 0);
        assertEquals(2, runner.getCounterValue("Requests Rejected - bad signature (401)"), "wrong secret and tampered body");
        assertEquals(1, runner.getCounterValue("Requests Rejected - stale timestamp (401)"));
        assertEquals(1, runner.getCounterValue("Requests Rejected - future timestamp (401)"));
        assertEquals(1, runner.getCounterValue("Requests Rejected - missing signature (401)"));
        // A request just inside the window is accepted.
        assertEquals(200, deliver(signed(url, body, SECRET, now - Duration.ofMinutes(4).toMillis())).statusCode());
    }

    @Test
    void replayedRequestIsRejectedWith409AndRedeliveredEventsAreNotEmittedTwice() throws Exception {
        start();
        List<ObjectNode> events = List.of(event("contact.creation", 7), propertyChange(7, "firstname", "Grace"));
        HttpRequest request = signed(url, body(events));
        assertEquals(200, deliver(request).statusCode());
        assertEquals(409, deliver(request).statusCode(), "the same signature and timestamp again");

        // HubSpot's own retry: same events, attemptNumber 1, new timestamp and signature. Acknowledged, not emitted again.
        events.forEach(e -> e.put("attemptNumber", 1));
        assertEquals(200, deliver(signed(url, body(events))).statusCode());
        // A new event next to a known one: only the new one is emitted.
        assertEquals(200, deliver(signed(url, body(List.of(events.get(0), event("contact.creation", 8))))).statusCode());

        List<JsonNode> records = successRecords(runner);
        assertEquals(3, records.size());
        assertEquals(3, records.stream().map(r -> r.get("crm_event_id").asText()).distinct().count());
        runner.run(1, false, false);
        assertEquals(1, runner.getCounterValue("Requests Rejected - replayed (409)"));
        assertEquals(3, runner.getCounterValue("Duplicate Events Dropped"));
    }

    @Test
    void badRequestsGetTheirStatus() throws Exception {
        runner.setProperty(ListenCrmWebhook.MAX_BODY, "2 KB");
        start();
        assertEquals(400, deliver(signed(url, "[{\"eventId\": 1,".getBytes(StandardCharsets.UTF_8))).statusCode(), "malformed JSON");
        assertEquals(400, deliver(signed(url, "{\"eventId\": 1}".getBytes(StandardCharsets.UTF_8))).statusCode(), "not an array");
        assertEquals(405, deliver(HttpRequest.newBuilder(URI.create(url)).GET().build()).statusCode(), "wrong method");
        assertEquals(404, deliver(signed(url.replace("/crm/webhook", "/other"), body(List.of(event("contact.creation", 1))))).statusCode());
        byte[] large = new byte[4096];
        Arrays.fill(large, (byte) ' ');
        assertEquals(413, deliver(signed(url, large)).statusCode(), "body too large");
        // Unusable events are skipped, the rest kept: HubSpot does not retry a 400, so one odd event must not lose a batch.
        ObjectNode odd = event("conversation.newMessage", 5);
        assertEquals(200, deliver(signed(url, body(List.of(odd, event("deal.creation", 9))))).statusCode());
        assertEquals(1, successRecords(runner).size());
        runner.run(1, false, false);
        assertEquals(1, runner.getCounterValue("Events Skipped"));
        assertEquals(2, runner.getCounterValue("Requests Rejected - malformed (400)"));
        assertEquals(1, runner.getCounterValue("Requests Rejected - too large (413)"));
    }

    @Test
    void answersOnlyAfterTheFlowFileIsCommitted() throws Exception {
        start();
        CompletableFuture<HttpResponse<String>> answer = CLIENT.sendAsync(signed(url, body(List.of(event("contact.creation", 3)))),
                HttpResponse.BodyHandlers.ofString());
        awaitQueued(1);
        Thread.sleep(300);
        assertFalse(answer.isDone(), "not answered while nothing is committed");
        runner.assertTransferCount(ListenCrmWebhook.REL_SUCCESS, 0);
        runner.run(1, false, false);
        assertEquals(200, answer.get(5, TimeUnit.SECONDS).statusCode());
        runner.assertTransferCount(ListenCrmWebhook.REL_SUCCESS, 1);
    }

    @Test
    void failedSessionAnswers503AndTheRetryIsEmittedOnce() throws Exception {
        FailingWriter failing = new FailingWriter();
        runner.addControllerService("failing", failing);
        runner.enableControllerService(failing);
        runner.setProperty(CrmProperties.RECORD_WRITER, "failing");
        start();
        List<ObjectNode> events = List.of(event("contact.creation", 11), event("contact.creation", 12));
        assertEquals(503, deliver(signed(url, body(events))).statusCode());
        runner.assertTransferCount(ListenCrmWebhook.REL_SUCCESS, 0);

        // The disk is back; HubSpot retries the same events with a new signature.
        runner.setProperty(CrmProperties.RECORD_WRITER, TestServices.WRITER);
        events.forEach(e -> e.put("attemptNumber", 1));
        assertEquals(200, deliver(signed(url, body(events))).statusCode());
        assertEquals(2, successRecords(runner).size());
        runner.run(1, false, false);
        assertEquals(1, runner.getCounterValue("Requests Not Acknowledged - not committed (503)"));
    }

    @Test
    void requestsThatWaitTooLongAreAnswered503AndNeverWritten() throws Exception {
        runner.setProperty(ListenCrmWebhook.ACK_TIMEOUT, "1 sec");
        runner.setProperty(ListenCrmWebhook.MAX_QUEUED, "1");
        start();
        CompletableFuture<HttpResponse<String>> first = CLIENT.sendAsync(signed(url, body(List.of(event("contact.creation", 21)))),
                HttpResponse.BodyHandlers.ofString());
        awaitQueued(1);
        HttpResponse<String> second = send(signed(url, body(List.of(event("contact.creation", 22)))));
        assertEquals(503, second.statusCode(), "queue full");
        assertEquals(503, first.get(5, TimeUnit.SECONDS).statusCode(), "not committed within the acknowledgement timeout");
        runner.run(1, false, false);
        runner.assertTransferCount(ListenCrmWebhook.REL_SUCCESS, 0);
        assertEquals(1, runner.getCounterValue("Requests Not Acknowledged - queue full (503)"));
        assertEquals(1, runner.getCounterValue("Requests Not Acknowledged - timeout (503)"));
        // The sender's retry of the timed-out request is accepted.
        assertEquals(200, deliver(signed(url, body(List.of(event("contact.creation", 21))))).statusCode());
    }

    @Test
    void backPressureAnswers503() throws Exception {
        start();
        runner.setRelationshipUnavailable(ListenCrmWebhook.REL_SUCCESS);
        runner.run(1, false, false);
        assertEquals(503, send(signed(url, body(List.of(event("contact.creation", 31))))).statusCode());
        runner.setRelationshipAvailable(ListenCrmWebhook.REL_SUCCESS);
        runner.run(1, false, false);
        assertEquals(200, deliver(signed(url, body(List.of(event("contact.creation", 31))))).statusCode());
        assertEquals(1, successRecords(runner).size());
    }

    @Test
    void aProcessorThatIsNotTriggeredAnswers503AtOnce() throws Exception {
        start();
        Thread.sleep(2_500);
        long started = System.nanoTime();
        assertEquals(503, send(signed(url, body(List.of(event("contact.creation", 51))))).statusCode());
        assertTrue(System.nanoTime() - started < TimeUnit.SECONDS.toNanos(2), "without waiting for the acknowledgement timeout");
    }

    @Test
    void stoppingAnswersQueuedRequests503() throws Exception {
        start();
        CompletableFuture<HttpResponse<String>> answer = CLIENT.sendAsync(signed(url, body(List.of(event("contact.creation", 41)))),
                HttpResponse.BodyHandlers.ofString());
        awaitQueued(1);
        runner.stop();
        assertEquals(503, answer.get(5, TimeUnit.SECONDS).statusCode());
        runner.assertTransferCount(ListenCrmWebhook.REL_SUCCESS, 0);
    }

    /** A Record Writer whose disk is full. */
    static final class FailingWriter extends AbstractControllerService implements RecordSetWriterFactory {
        @Override
        public RecordSchema getSchema(Map<String, String> variables, RecordSchema readSchema) {
            return readSchema;
        }

        @Override
        public RecordSetWriter createWriter(ComponentLog logger, RecordSchema schema, OutputStream out, Map<String, String> variables)
                throws IOException {
            throw new IOException("No space left on device (simulated)");
        }
    }
}
