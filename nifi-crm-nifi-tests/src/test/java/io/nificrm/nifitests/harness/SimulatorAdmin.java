package io.nificrm.nifitests.harness;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * HTTP client of the CRM simulator's admin API ({@code /sim/...}: counts, record dumps, ground truth of the seeded
 * duplicates, record changes with chosen timestamps) and of its simulated CRM APIs, for a simulator at any base URL
 * (a separate process, or one embedded in a test).
 */
public final class SimulatorAdmin {

    private static final ObjectMapper JSON = new ObjectMapper().configure(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES, false);

    private final String baseUrl;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    public SimulatorAdmin(String baseUrl) {
        this.baseUrl = baseUrl;
    }

    public String baseUrl() {
        return baseUrl;
    }

    public long count(String system, String object) {
        return get("/sim/" + system + "/" + object + "/count").path("count").asLong();
    }

    /** Live records: {@code {id, createdAt, modifiedAt, deleted, fields: {...}}} each. */
    public List<JsonNode> records(String system, String object) {
        List<JsonNode> out = new ArrayList<>();
        get("/sim/" + system + "/" + object + "/records?includeDeleted=false").forEach(out::add);
        return out;
    }

    /** Record id → cluster key of the seeded data: records with the same key are the same entity. */
    public Map<String, String> groundTruth(String system, String object) {
        Map<String, String> truth = new LinkedHashMap<>();
        get("/sim/" + system + "/" + object + "/ground-truth").fields().forEachRemaining(e -> truth.put(e.getKey(), e.getValue().asText()));
        return truth;
    }

    /** Creates or replaces a record: {@code {id?, createdAt?, modifiedAt?, deleted?, fields: {...}}}. */
    public JsonNode putRecord(String system, String object, Map<String, Object> body) {
        return send(HttpRequest.newBuilder(uri("/sim/" + system + "/" + object + "/records"))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json(body))));
    }

    public void deleteRecord(String system, String object, String id) {
        send(HttpRequest.newBuilder(uri("/sim/" + system + "/" + object + "/records/" + URLEncoder.encode(id, StandardCharsets.UTF_8))).DELETE());
    }

    /** The simulator's request statistics. */
    public JsonNode stats() {
        return get("/sim/stats");
    }

    /** Any call of the simulated APIs (e.g. HubSpot's association reads), with the caller's headers. */
    public JsonNode call(String method, String path, Map<String, String> headers, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(path)).method(method,
                body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        headers.forEach(request::header);
        return send(request);
    }

    public JsonNode get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    private URI uri(String path) {
        return URI.create(baseUrl + path);
    }

    private JsonNode send(HttpRequest.Builder builder) {
        HttpRequest request = builder.timeout(Duration.ofSeconds(60)).build();
        try {
            HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            if (response.statusCode() / 100 != 2) {
                throw new IllegalStateException(request.method() + " " + request.uri() + " answered " + response.statusCode() + ": " + response.body());
            }
            return response.body() == null || response.body().isBlank() ? JSON.createObjectNode() : JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(request.method() + " " + request.uri(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

}
