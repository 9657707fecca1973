package io.nificrm.simulator.webhooks;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.simulator.http.Json;
import io.nificrm.simulator.store.ObjectStore;
import io.nificrm.simulator.store.SimRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HubSpotWebhookSenderTest {
    private static final String SECRET = "app-client-secret";

    private CrmSimulator sim;
    private HttpServer receiver;
    private String url;
    private final List<Received> received = Collections.synchronizedList(new ArrayList<>());
    /** Statuses to answer, one per request, then 200. */
    private final List<Integer> script = Collections.synchronizedList(new ArrayList<>());

    record Received(String signature, String timestamp, byte[] body, JsonNode events) {
    }

    @BeforeEach
    void start() throws IOException {
        sim = CrmSimulator.start(SimulatorConfig.defaults().unlimited());
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 50);
        receiver.createContext("/hooks", exchange -> {
            try (exchange; InputStream in = exchange.getRequestBody()) {
                byte[] body = in.readAllBytes();
                received.add(new Received(exchange.getRequestHeaders().getFirst(HubSpotSignature.V3_HEADER),
                        exchange.getRequestHeaders().getFirst(HubSpotSignature.TIMESTAMP_HEADER), body, Json.MAPPER.readTree(body)));
                int status = script.isEmpty() ? 200 : script.remove(0);
                exchange.sendResponseHeaders(status, -1);
            }
        });
        receiver.start();
        url = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hooks";
    }

    @AfterEach
    void stop() {
        sim.close();
        receiver.stop(0);
    }

    private List<JsonNode> events() {
        List<JsonNode> all = new ArrayList<>();
        synchronized (received) {
            received.forEach(r -> r.events().forEach(all::add));
        }
        return all;
    }

    @Test
    void sendsSignedCreationChangeAndDeletionEvents() throws Exception {
        sim.hubspotWebhooks().enable(HubSpotWebhookSender.Settings.of(url, SECRET).withConcurrency(1));
        ObjectStore contacts = sim.hubspot().store("contacts").orElseThrow();
        SimRecord created = contacts.create(Map.of("email", "ada@example.com", "firstname", "Ada"));
        contacts.update(created.id(), Map.of("firstname", "Ada L.", "lastname", "Lovelace"));
        contacts.delete(created.id());
        assertTrue(sim.hubspotWebhooks().awaitIdle(Duration.ofSeconds(10)));

        List<JsonNode> events = events();
        assertEquals(List.of("contact.creation", "contact.propertyChange", "contact.propertyChange", "contact.deletion"),
                events.stream().map(e -> e.get("subscriptionType").asText()).toList());
        assertEquals(Long.parseLong(created.id()), events.get(0).get("objectId").asLong());
        assertEquals("firstname", events.get(1).get("propertyName").asText());
        assertEquals("Ada L.", events.get(1).get("propertyValue").asText());
        assertEquals(HubSpotWebhookSender.PORTAL_ID, events.get(0).get("portalId").asLong());
        assertEquals(4, events.stream().map(e -> e.get("eventId").asLong()).distinct().count());
        for (Received r : received) {
            assertEquals(r.signature(), HubSpotSignature.v3(SECRET, "POST", url, r.body(), Long.parseLong(r.timestamp())));
        }
        assertEquals(4, sim.hubspotWebhooks().stats().eventsDelivered());
    }

    @Test
    void batchesUpToMaxBatchEvents() throws Exception {
        ObjectStore contacts = sim.hubspot().store("contacts").orElseThrow();
        sim.hubspotWebhooks().enable(HubSpotWebhookSender.Settings.of(url, SECRET).withMaxBatch(100).withConcurrency(2));
        for (int i = 0; i < 450; i++) {
            contacts.create(Map.of("email", "p" + i + "@example.com"));
        }
        assertTrue(sim.hubspotWebhooks().awaitIdle(Duration.ofSeconds(10)));
        assertEquals(450, events().size());
        synchronized (received) {
            received.forEach(r -> assertTrue(r.events().size() <= 100));
        }
        assertTrue(received.size() < 450, "events are batched");
    }

    @Test
    void retriesTransientFailuresWithANewAttemptNumberAndSignature() throws Exception {
        script.addAll(List.of(503, 500));
        sim.hubspotWebhooks().enable(HubSpotWebhookSender.Settings.of(url, SECRET).withBackoff(Duration.ofMillis(10)).withConcurrency(1));
        sim.hubspot().store("contacts").orElseThrow().create(Map.of("email", "r@example.com"));
        assertTrue(sim.hubspotWebhooks().awaitIdle(Duration.ofSeconds(10)));
        assertEquals(3, received.size());
        assertEquals(List.of(0, 1, 2), received.stream().map(r -> r.events().get(0).get("attemptNumber").asInt()).toList());
        assertEquals(3, received.stream().map(Received::signature).distinct().count());
        HubSpotWebhookSender.Stats stats = sim.hubspotWebhooks().stats();
        assertEquals(1, stats.eventsDelivered());
        assertEquals(2, stats.retries());
    }

    @Test
    void doesNotRetryPermanentRefusalsAndGivesUpAfterMaxAttempts() throws Exception {
        script.add(401);
        sim.hubspotWebhooks().enable(HubSpotWebhookSender.Settings.of(url, SECRET).withBackoff(Duration.ofMillis(5))
                .withMaxAttempts(3).withConcurrency(1));
        ObjectStore contacts = sim.hubspot().store("contacts").orElseThrow();
        contacts.create(Map.of("email", "x@example.com"));
        assertTrue(sim.hubspotWebhooks().awaitIdle(Duration.ofSeconds(10)));
        assertEquals(1, received.size());
        script.addAll(List.of(503, 503, 503));
        contacts.create(Map.of("email", "y@example.com"));
        assertTrue(sim.hubspotWebhooks().awaitIdle(Duration.ofSeconds(10)));
        assertEquals(4, received.size());
        assertEquals(2, sim.hubspotWebhooks().stats().eventsDropped());
    }

    @Test
    void adminEndpointEnablesAndDisables() throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        String body = "{\"url\":\"" + url + "\",\"secret\":\"" + SECRET + "\",\"maxBatch\":10}";
        HttpResponse<String> enabled = client.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/sim/hubspot/webhooks"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, enabled.statusCode());
        assertTrue(!enabled.body().contains(SECRET), "the secret is never echoed");
        AtomicInteger before = new AtomicInteger(received.size());
        sim.hubspot().store("companies").orElseThrow().create(Map.of("name", "Acme"));
        assertTrue(sim.hubspotWebhooks().awaitIdle(Duration.ofSeconds(10)));
        assertEquals("company.creation", events().get(before.get()).get("subscriptionType").asText());
        HttpResponse<String> disabled = client.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/sim/hubspot/webhooks"))
                .DELETE().build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        assertEquals(204, disabled.statusCode());
        sim.hubspot().store("companies").orElseThrow().create(Map.of("name", "Globex"));
        Thread.sleep(200);
        assertEquals(1, events().size());
    }
}
