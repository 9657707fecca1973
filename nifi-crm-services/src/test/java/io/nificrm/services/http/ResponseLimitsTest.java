package io.nificrm.services.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import io.nificrm.api.CrmException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile answers over real HTTP: a page larger than the client's limit and JSON nested deeper than any CRM sends fail
 * their call with MALFORMED_RESPONSE and a message that says why, instead of filling the heap or the stack.
 */
class ResponseLimitsTest {
    private static final int LIMIT = 1024 * 1024;
    private static HttpServer server;
    private static final AtomicInteger hugeRequests = new AtomicInteger();

    @BeforeAll
    static void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/small", exchange -> answer(exchange, json(LIMIT / 2)));
        server.createContext("/huge", exchange -> {
            hugeRequests.incrementAndGet();
            answer(exchange, json(LIMIT * 8));
        });
        server.createContext("/deep", exchange -> answer(exchange, ("[".repeat(100_000) + "]".repeat(100_000)).getBytes(StandardCharsets.UTF_8)));
        server.start();
    }

    @AfterAll
    static void stop() {
        server.stop(0);
    }

    /** A JSON object of about {@code bytes} bytes. */
    private static byte[] json(int bytes) {
        return ("{\"records\": [\"" + "x".repeat(bytes) + "\"]}").getBytes(StandardCharsets.UTF_8);
    }

    private static void answer(com.sun.net.httpserver.HttpExchange exchange, byte[] body) throws IOException {
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, 0);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        } catch (IOException e) {
            // the client hung up past its limit
        }
    }

    private static CrmHttpClient client() {
        return new CrmHttpClient(HttpClient.newHttpClient(), new ResponsePolicy("Test CRM"), null, null,
                new RetryPolicy(2, Duration.ofMillis(10), Duration.ofMillis(10)), Duration.ofSeconds(10), new ClientStats(), LIMIT);
    }

    private static HttpRequest.Builder get(String path) {
        return HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path)).GET();
    }

    @Test
    void anAnswerWithinTheLimitIsRead() {
        JsonNode page = client().sendJson(token -> get("/small"), "query Contact", true);
        assertEquals(LIMIT / 2, page.get("records").get(0).asText().length());
    }

    @Test
    void anAnswerOverTheLimitFailsOnceWithAClearMessage() {
        CrmException e = assertThrows(CrmException.class, () -> client().sendJson(token -> get("/huge"), "query Contact", true));
        assertEquals(CrmException.Reason.MALFORMED_RESPONSE, e.reason());
        assertTrue(e.getMessage().contains("Test CRM answered query Contact with more than 1,048,576 bytes; lower the page size"),
                e.getMessage());
        assertEquals(1, hugeRequests.get(), "not retried: the same page would be as large again");
    }

    @Test
    void jsonNestedTooDeeplyIsAMalformedAnswer() {
        CrmException e = assertThrows(CrmException.class, () -> client().sendJson(token -> get("/deep"), "query Contact", true));
        assertEquals(CrmException.Reason.MALFORMED_RESPONSE, e.reason());
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
    }
}
