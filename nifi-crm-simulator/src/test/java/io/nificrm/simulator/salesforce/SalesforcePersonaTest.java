package io.nificrm.simulator.salesforce;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.simulator.SimulatorCredentials;
import io.nificrm.simulator.fault.FaultRule;
import io.nificrm.simulator.seed.SeedConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Talks to the Salesforce persona over real HTTP, as a client would. */
class SalesforcePersonaTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private CrmSimulator sim;
    private String token;

    private record Reply(int status, Map<String, List<String>> headers, JsonNode body) {
    }

    @BeforeEach
    void start() throws Exception {
        sim = CrmSimulator.start(SimulatorConfig.defaults().seed("salesforce", SeedConfig.ofContacts(5_000)));
        token = login();
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    private String login() throws Exception {
        Reply reply = post("/services/oauth2/token", "application/x-www-form-urlencoded",
                "grant_type=client_credentials&client_id=" + SimulatorCredentials.SALESFORCE_CLIENT_ID
                        + "&client_secret=" + SimulatorCredentials.SALESFORCE_CLIENT_SECRET, null);
        assertEquals(200, reply.status());
        assertEquals(sim.baseUrl(), reply.body().path("instance_url").asText());
        return reply.body().path("access_token").asText();
    }

    private Reply get(String path) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + path)).GET(), token);
    }

    private Reply soql(String resource, String soql) throws Exception {
        return get("/services/data/v62.0/" + resource + "?q=" + URLEncoder.encode(soql, StandardCharsets.UTF_8));
    }

    private Reply post(String path, String contentType, String body, String bearer) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + path)).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)), bearer);
    }

    private Reply patch(String path, Object body) throws Exception {
        return send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + path)).header("Content-Type", "application/json")
                .method("PATCH", HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body))), token);
    }

    private Reply send(HttpRequest.Builder builder, String bearer) throws Exception {
        if (bearer != null) {
            builder.header("Authorization", "Bearer " + bearer);
        }
        HttpResponse<String> response = http.send(builder.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(response.statusCode(), response.headers().map(),
                response.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(response.body()));
    }

    @Test
    void wrongClientSecretIsRefusedLikeSalesforce() throws Exception {
        Reply reply = post("/services/oauth2/token", "application/x-www-form-urlencoded",
                "grant_type=client_credentials&client_id=" + SimulatorCredentials.SALESFORCE_CLIENT_ID + "&client_secret=nope", null);
        assertEquals(400, reply.status());
        assertEquals("invalid_client", reply.body().path("error").asText());
    }

    @Test
    void queryPagesThroughNextRecordsUrlToTheEndWithoutDuplicates() throws Exception {
        Reply page = send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/services/data/v62.0/query?q="
                + URLEncoder.encode("SELECT Id, Email FROM Contact ORDER BY Id", StandardCharsets.UTF_8)))
                .header("Sforce-Query-Options", "batchSize=1000").GET(), token);
        Set<String> ids = new HashSet<>();
        int pages = 0;
        while (true) {
            assertEquals(200, page.status());
            assertEquals(5_000, page.body().path("totalSize").asInt());
            page.body().path("records").forEach(r -> assertTrue(ids.add(r.path("Id").asText()), "no record twice"));
            pages++;
            if (page.body().path("done").asBoolean()) {
                assertFalse(page.body().has("nextRecordsUrl"), "the last page has no next link");
                break;
            }
            page = get(page.body().path("nextRecordsUrl").asText());
        }
        assertEquals(5_000, ids.size());
        assertEquals(5, pages);
        assertTrue(page.headers().get("sforce-limit-info").get(0).startsWith("api-usage="));
    }

    @Test
    void queryAllShowsDeletedRowsThatQueryHides() throws Exception {
        String id = soql("query", "SELECT Id FROM Contact ORDER BY Id LIMIT 1").body().path("records").get(0).path("Id").asText();
        assertTrue(sim.salesforce().store("Contact").orElseThrow().delete(id).isPresent());
        String where = "SELECT Id, IsDeleted FROM Contact WHERE Id = '" + id + "'";
        assertEquals(0, soql("query", where).body().path("totalSize").asInt());
        JsonNode deleted = soql("queryAll", where).body().path("records").get(0);
        assertTrue(deleted.path("IsDeleted").asBoolean());
    }

    @Test
    void windowsOnSystemModstampAndKeysetConditionsFilterExactly() throws Exception {
        JsonNode all = soql("query", "SELECT Id, SystemModstamp FROM Contact ORDER BY SystemModstamp, Id LIMIT 2000").body().path("records");
        String pivot = all.get(1500).path("SystemModstamp").asText().replace(".000+0000", "Z");
        int expected = 0;
        for (JsonNode r : all) {
            expected += r.path("SystemModstamp").asText().replace(".000+0000", "Z").compareTo(pivot) >= 0 ? 1 : 0;
        }
        String last = all.get(1999).path("SystemModstamp").asText().replace(".000+0000", "Z");
        Reply windowed = soql("query", "SELECT COUNT() FROM Contact WHERE SystemModstamp >= " + pivot + " AND SystemModstamp <= " + last);
        assertTrue(windowed.body().path("totalSize").asInt() >= expected, "the window holds at least the rows seen in it");
        Reply keyset = soql("query", "SELECT Id FROM Contact WHERE SystemModstamp >= " + pivot + " AND SystemModstamp <= " + last
                + " AND (SystemModstamp > " + pivot + " OR Id > '" + all.get(1500).path("Id").asText() + "')");
        assertTrue(keyset.body().path("totalSize").asInt() < windowed.body().path("totalSize").asInt(), "the keyset excludes the pivot row");
    }

    @Test
    void hostileLiteralCannotEscapeItsString() throws Exception {
        Reply injected = soql("query", "SELECT Id FROM Contact WHERE LastName = 'x' OR '1'='1'");
        assertEquals(400, injected.status());
        assertEquals("MALFORMED_QUERY", injected.body().get(0).path("errorCode").asText());
        Reply escaped = soql("query", "SELECT Id FROM Contact WHERE LastName = 'x\\' OR \\'1\\'=\\'1'");
        assertEquals(200, escaped.status());
        assertEquals(0, escaped.body().path("totalSize").asInt(), "the escaped quote is part of the value");
    }

    @Test
    void unknownFieldAndObjectGiveSalesforceErrors() throws Exception {
        Reply field = soql("query", "SELECT Id, Nope__c FROM Contact");
        assertEquals(400, field.status());
        assertEquals("INVALID_FIELD", field.body().get(0).path("errorCode").asText());
        Reply object = soql("query", "SELECT Id FROM Nope__c");
        assertEquals("INVALID_TYPE", object.body().get(0).path("errorCode").asText());
    }

    @Test
    void describeReportsTypesPicklistsReferencesAndExternalIds() throws Exception {
        JsonNode describe = get("/services/data/v62.0/sobjects/Contact/describe").body();
        Map<String, JsonNode> fields = new java.util.HashMap<>();
        describe.path("fields").forEach(f -> fields.put(f.path("name").asText(), f));
        assertEquals("email", fields.get("Email").path("type").asText());
        assertFalse(fields.get("LastName").path("nillable").asBoolean(), "LastName is required");
        assertEquals("Account", fields.get("AccountId").path("referenceTo").get(0).asText());
        assertTrue(fields.get("External_Id__c").path("externalId").asBoolean());
        assertTrue(fields.get("LeadSource").path("picklistValues").size() > 3);
    }

    @Test
    void collectionUpsertAnswersPerRecordInOrderWithCreatedFlags() throws Exception {
        Map<String, Object> body = Map.of("allOrNone", false, "records", List.of(
                Map.of("attributes", Map.of("type", "Contact"), "External_Id__c", "X-1", "LastName", "One", "Email", "one@example.com"),
                Map.of("attributes", Map.of("type", "Contact"), "External_Id__c", "X-2", "Email", "not-an-email"),
                Map.of("attributes", Map.of("type", "Contact"), "External_Id__c", "X-3", "LastName", "Three")));
        JsonNode first = patch("/services/data/v62.0/composite/sobjects/Contact/External_Id__c", body).body();
        assertTrue(first.get(0).path("success").asBoolean());
        assertTrue(first.get(0).path("created").asBoolean());
        assertFalse(first.get(1).path("success").asBoolean());
        Set<String> codes = new HashSet<>();
        first.get(1).path("errors").forEach(e -> codes.add(e.path("statusCode").asText()));
        assertEquals(Set.of("INVALID_EMAIL_ADDRESS", "REQUIRED_FIELD_MISSING"), codes);
        JsonNode again = patch("/services/data/v62.0/composite/sobjects/Contact/External_Id__c", body).body();
        assertFalse(again.get(0).path("created").asBoolean(), "the second upsert updates");
        assertEquals(first.get(0).path("id").asText(), again.get(0).path("id").asText());
        assertEquals(5_002, sim.salesforce().store("Contact").orElseThrow().count(false));
    }

    @Test
    void expiredSessionGets401AndUsedUpQuotaGets403() throws Exception {
        sim.salesforce().tokens().expireAll();
        Reply expired = soql("query", "SELECT Id FROM Contact LIMIT 1");
        assertEquals(401, expired.status());
        assertEquals("INVALID_SESSION_ID", expired.body().get(0).path("errorCode").asText());
        token = login();
        sim.salesforce().dailyQuota().configure(1);
        assertEquals(200, soql("query", "SELECT Id FROM Contact LIMIT 1").status());
        Reply over = soql("query", "SELECT Id FROM Contact LIMIT 1");
        assertEquals(403, over.status());
        assertEquals("REQUEST_LIMIT_EXCEEDED", over.body().get(0).path("errorCode").asText());
    }

    @Test
    void injectedFaultsHitTheNamedEndpointOnly() throws Exception {
        sim.faults().add(FaultRule.on("salesforce", "query").withErrors(1.0, 503).times(2));
        assertEquals(503, soql("query", "SELECT Id FROM Contact LIMIT 1").status());
        assertEquals(200, get("/services/data/v62.0/sobjects/Contact/describe").status(), "describe is not hit");
        assertEquals(503, soql("query", "SELECT Id FROM Contact LIMIT 1").status());
        assertEquals(200, soql("query", "SELECT Id FROM Contact LIMIT 1").status(), "the rule expired after two hits");
        sim.faults().add(FaultRule.on("salesforce", "query").withMalformedBodies(1.0).times(1));
        HttpResponse<String> broken = http.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/services/data/v62.0/query?q="
                + URLEncoder.encode("SELECT Id FROM Contact LIMIT 5", StandardCharsets.UTF_8))).header("Authorization", "Bearer " + token).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, broken.statusCode());
        assertTrue(broken.body().length() > 0);
        assertThrowsJson(broken.body());
    }

    private static void assertThrowsJson(String body) {
        try {
            JSON.readTree(body);
        } catch (Exception expected) {
            return;
        }
        throw new AssertionError("the body should not be valid JSON: " + body);
    }
}
