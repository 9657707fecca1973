package io.nificrm.processors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.simulator.webhooks.HubSpotSignature;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/** Helpers for the ListenCrmWebhook tests: a runner, a driver loop, signed HubSpot requests and record reading. */
final class ListenCrmWebhookTestSupport {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String SECRET = "hubspot-app-client-secret";
    static final String PATH = "/crm/webhook";
    private static final AtomicLong EVENT_IDS = new AtomicLong(5_000_000L);

    static final HttpClient CLIENT = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    private ListenCrmWebhookTestSupport() {
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    /** A HubSpot listener on a free port with a JSON writer, not yet started. */
    static TestRunner hubspotRunner() throws Exception {
        TestRunner runner = TestRunners.newTestRunner(ListenCrmWebhook.class);
        TestServices.json(runner);
        runner.setProperty(ListenCrmWebhook.PORT, Integer.toString(freePort()));
        runner.setProperty(ListenCrmWebhook.PATH, PATH);
        runner.setProperty(ListenCrmWebhook.FORMAT, ListenCrmWebhook.HUBSPOT.getValue());
        runner.setProperty(ListenCrmWebhook.HUBSPOT_SECRET, SECRET);
        runner.setProperty(io.nificrm.processors.common.CrmProperties.RECORD_WRITER, TestServices.WRITER);
        return runner;
    }

    static String url(TestRunner runner) {
        return "http://127.0.0.1:" + ((ListenCrmWebhook) runner.getProcessor()).listeningPort() + PATH;
    }

    /** Starts the listener (@OnScheduled plus one trigger). */
    static void start(TestRunner runner) {
        runner.run(1, false, true);
    }

    /** Triggers the processor in a loop on its own thread, as NiFi's scheduler would. */
    static final class Driver implements AutoCloseable {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread;

        Driver(TestRunner runner) {
            thread = Thread.ofPlatform().name("listen-driver").start(() -> {
                while (running.get()) {
                    runner.run(1, false, false);
                }
            });
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join(10_000);
        }
    }

    static ObjectNode event(String type, long objectId) {
        ObjectNode event = JSON.createObjectNode();
        event.put("eventId", EVENT_IDS.incrementAndGet());
        event.put("subscriptionId", 1234);
        event.put("portalId", 62515);
        event.put("appId", 777);
        event.put("occurredAt", System.currentTimeMillis() - 1000);
        event.put("subscriptionType", type);
        event.put("attemptNumber", 0);
        event.put("objectId", objectId);
        event.put("changeSource", "CRM_UI");
        return event;
    }

    static ObjectNode propertyChange(long objectId, String property, String value) {
        ObjectNode event = event("contact.propertyChange", objectId);
        event.put("propertyName", property);
        event.put("propertyValue", value);
        return event;
    }

    static byte[] body(List<? extends JsonNode> events) {
        ArrayNode array = JSON.createArrayNode();
        events.forEach(array::add);
        return array.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** A request signed as HubSpot signs it (with {@code secret}, at {@code timestamp}). */
    static HttpRequest signed(String url, byte[] body, String secret, long timestamp) {
        return HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .header(HubSpotSignature.V3_HEADER, HubSpotSignature.v3(secret, "POST", url, body, timestamp))
                .header(HubSpotSignature.TIMESTAMP_HEADER, Long.toString(timestamp))
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
    }

    static HttpRequest signed(String url, byte[] body) {
        return signed(url, body, SECRET, System.currentTimeMillis());
    }

    static HttpResponse<String> send(HttpRequest request) throws IOException, InterruptedException {
        return CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** Every record of the FlowFiles (JSON arrays). */
    static List<JsonNode> records(List<MockFlowFile> flowFiles) throws IOException {
        List<JsonNode> records = new ArrayList<>();
        for (MockFlowFile flowFile : flowFiles) {
            JSON.readTree(flowFile.getContent()).forEach(records::add);
        }
        return records;
    }

    static List<JsonNode> successRecords(TestRunner runner) throws IOException {
        return records(runner.getFlowFilesForRelationship(ListenCrmWebhook.REL_SUCCESS));
    }
}
