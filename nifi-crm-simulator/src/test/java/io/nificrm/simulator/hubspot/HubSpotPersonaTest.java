package io.nificrm.simulator.hubspot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.simulator.SimulatorCredentials;
import io.nificrm.simulator.fault.FaultRule;
import io.nificrm.simulator.seed.SeedConfig;
import io.nificrm.simulator.store.ObjectStore;
import io.nificrm.simulator.store.SimRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Talks to the HubSpot persona over real HTTP, as a client would. */
class HubSpotPersonaTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PAT = SimulatorCredentials.HUBSPOT_PRIVATE_APP_TOKEN;
    private final HttpClient http = HttpClient.newHttpClient();
    private CrmSimulator sim;

    private record Reply(int status, HttpHeaders headers, JsonNode body) {
        String header(String name) {
            return headers.firstValue(name).orElse(null);
        }
    }

    @AfterEach
    void stop() {
        if (sim != null) {
            sim.close();
        }
    }

    private CrmSimulator start(SimulatorConfig config) {
        sim = CrmSimulator.start(config);
        return sim;
    }

    private Reply call(String method, String path, Object body, String token) throws Exception {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(sim.baseUrl() + path)).timeout(Duration.ofSeconds(10));
        if (token != null) {
            builder.header("Authorization", "Bearer " + token);
        }
        HttpRequest.BodyPublisher publisher = HttpRequest.BodyPublishers.noBody();
        if (body instanceof String form) {
            builder.header("Content-Type", "application/x-www-form-urlencoded");
            publisher = HttpRequest.BodyPublishers.ofString(form);
        } else if (body != null) {
            builder.header("Content-Type", "application/json");
            publisher = HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(body));
        }
        HttpResponse<String> response = http.send(builder.method(method, publisher).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode parsed = response.body().isEmpty() ? JSON.createObjectNode() : JSON.readTree(response.body());
        return new Reply(response.statusCode(), response.headers(), parsed);
    }

    private Reply get(String path) throws Exception {
        return call("GET", path, null, PAT);
    }

    private Reply post(String path, Object body) throws Exception {
        return call("POST", path, body, PAT);
    }

    private static Map<String, Object> input(Object... pairs) {
        Map<String, Object> map = new HashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            map.put((String) pairs[i], pairs[i + 1]);
        }
        return map;
    }

    private static Map<String, Object> inputs(List<?> list) {
        return Map.of("inputs", list);
    }

    private static Map<String, Object> props(Object... pairs) {
        return Map.of("properties", input(pairs));
    }

    private String createContact(String email) throws Exception {
        Reply r = post("/crm/v3/objects/contacts", props("email", email, "firstname", "F"));
        assertEquals(201, r.status(), r.body().toString());
        return r.body().path("id").asText();
    }

    // ---- auth ----

    @Test
    void refusesMissingAndUnknownTokens() throws Exception {
        start(SimulatorConfig.defaults());
        Reply none = call("GET", "/crm/v3/objects/contacts", null, null);
        assertEquals(401, none.status());
        assertEquals("INVALID_AUTHENTICATION", none.body().path("category").asText());
        assertEquals("error", none.body().path("status").asText());
        assertTrue(none.body().path("message").asText().startsWith("Authentication credentials not found"));
        assertNotNull(none.body().path("correlationId").asText(null));
        assertEquals(401, call("GET", "/crm/v3/objects/contacts", null, "pat-wrong").status());
        assertEquals(200, get("/crm/v3/objects/contacts").status());
    }

    @Test
    void refreshesOAuthTokensAndExpiresThemButNotThePrivateAppToken() throws Exception {
        start(SimulatorConfig.defaults().limits("hubspot", new SimulatorConfig.Limits(100, Duration.ofSeconds(10), 1000)));
        String base = "grant_type=refresh_token&client_id=" + SimulatorCredentials.HUBSPOT_CLIENT_ID
                + "&client_secret=" + SimulatorCredentials.HUBSPOT_CLIENT_SECRET;
        Reply bad = call("POST", "/oauth/v1/token", base + "&refresh_token=nope", null);
        assertEquals(400, bad.status());
        assertEquals("BAD_REFRESH_TOKEN", bad.body().path("status").asText());
        Reply badClient = call("POST", "/oauth/v1/token", "grant_type=refresh_token&client_id=x&client_secret=y&refresh_token="
                + SimulatorCredentials.HUBSPOT_REFRESH_TOKEN, null);
        assertEquals("BAD_CLIENT_ID", badClient.body().path("status").asText());

        Reply ok = call("POST", "/oauth/v1/token", base + "&refresh_token=" + SimulatorCredentials.HUBSPOT_REFRESH_TOKEN, null);
        assertEquals(200, ok.status());
        assertEquals("bearer", ok.body().path("token_type").asText());
        assertEquals(7200, ok.body().path("expires_in").asLong());
        assertEquals(SimulatorCredentials.HUBSPOT_REFRESH_TOKEN, ok.body().path("refresh_token").asText());
        String access = ok.body().path("access_token").asText();

        Reply withOauth = call("GET", "/crm/v3/objects/contacts", null, access);
        assertEquals(200, withOauth.status());
        assertNotNull(withOauth.header("X-HubSpot-RateLimit-Max"));
        assertNull(withOauth.header("X-HubSpot-RateLimit-Daily"), "OAuth calls carry no daily headers");
        assertEquals("1000", get("/crm/v3/objects/contacts").header("X-HubSpot-RateLimit-Daily"));

        sim.hubspot().tokens().expireAll();
        Reply expired = call("GET", "/crm/v3/objects/contacts", null, access);
        assertEquals(401, expired.status());
        assertEquals("EXPIRED_AUTHENTICATION", expired.body().path("category").asText());
        assertEquals(200, get("/crm/v3/objects/contacts").status(), "the private-app token survives expireAll");

        String fresh = call("POST", "/oauth/v1/token", base + "&refresh_token=" + SimulatorCredentials.HUBSPOT_REFRESH_TOKEN, null)
                .body().path("access_token").asText();
        assertEquals(200, call("GET", "/crm/v3/objects/contacts", null, fresh).status());
    }

    // ---- list, get, archived ----

    @Test
    void pagesThroughAllContactsWithAfter() throws Exception {
        start(SimulatorConfig.defaults().unlimited().seed("hubspot", SeedConfig.ofContacts(250)));
        long live = sim.hubspot().store("contacts").orElseThrow().count(false);
        assertEquals(250, live);
        Set<String> ids = new LinkedHashSet<>();
        String after = null;
        int pages = 0;
        long previous = 0;
        do {
            Reply page = get("/crm/v3/objects/contacts?limit=100&properties=email,city,no_such_property"
                    + (after == null ? "" : "&after=" + URLEncoder.encode(after, StandardCharsets.UTF_8)));
            assertEquals(200, page.status(), page.body().toString());
            pages++;
            for (JsonNode r : page.body().path("results")) {
                assertTrue(ids.add(r.path("id").asText()), "duplicate " + r.path("id"));
                long id = Long.parseLong(r.path("id").asText());
                assertTrue(id > previous, "ids ascend");
                previous = id;
                JsonNode p = r.path("properties");
                assertTrue(p.has("email") && p.has("city") && p.has("hs_object_id") && p.has("createdate") && p.has("lastmodifieddate"));
                assertFalse(p.has("no_such_property"));
                assertFalse(p.has("firstname"), "only requested properties and the audit trio");
                assertTrue(r.path("createdAt").asText().matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z"));
                assertFalse(r.path("archived").asBoolean());
            }
            JsonNode next = page.body().path("paging").path("next");
            after = next.isMissingNode() ? null : next.path("after").asText();
            if (after != null) {
                assertTrue(next.path("link").asText().contains("after="));
            }
        } while (after != null);
        assertEquals(3, pages);
        assertEquals(live, ids.size());

        Reply defaults = get("/crm/v3/objects/contacts");
        assertEquals(10, defaults.body().path("results").size());
        assertEquals(Set.of("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
                fieldNames(defaults.body().path("results").get(0).path("properties")));
        Reply tooBig = get("/crm/v3/objects/contacts?limit=101");
        assertEquals(400, tooBig.status());
        assertEquals("VALIDATION_ERROR", tooBig.body().path("category").asText());
        assertEquals(10, get("/crm/v3/objects/0-1").body().path("results").size(), "type ids work in paths");
    }

    private static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new HashSet<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    @Test
    void listsArchivedRecordsOnlyWhenAsked() throws Exception {
        start(SimulatorConfig.defaults().unlimited());
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            ids.add(createContact("p" + i + "@example.com"));
        }
        Reply archive = post("/crm/v3/objects/contacts/batch/archive", inputs(List.of(input("id", ids.get(1)), input("id", ids.get(3)))));
        assertEquals(204, archive.status());
        Reply archived = get("/crm/v3/objects/contacts?archived=true");
        assertEquals(Set.of(ids.get(1), ids.get(3)), idsOf(archived.body().path("results")));
        for (JsonNode r : archived.body().path("results")) {
            assertTrue(r.path("archived").asBoolean());
            assertTrue(r.hasNonNull("archivedAt"));
        }
        assertEquals(Set.of(ids.get(0), ids.get(2), ids.get(4)), idsOf(get("/crm/v3/objects/contacts").body().path("results")));
        Reply gone = get("/crm/v3/objects/contacts/" + ids.get(1));
        assertEquals(404, gone.status());
        assertEquals("OBJECT_NOT_FOUND", gone.body().path("category").asText());
        assertEquals(200, get("/crm/v3/objects/contacts/" + ids.get(1) + "?archived=true").status());
    }

    private static Set<String> idsOf(JsonNode results) {
        Set<String> ids = new HashSet<>();
        results.forEach(r -> ids.add(r.path("id").asText()));
        return ids;
    }

    @Test
    void getsOneRecordByIdOrUniqueProperty() throws Exception {
        start(SimulatorConfig.defaults().unlimited());
        String id = createContact("Jane.Doe@example.com");
        Reply byId = get("/crm/v3/objects/contacts/" + id + "?properties=firstname");
        assertEquals("F", byId.body().path("properties").path("firstname").asText());
        Reply byEmail = get("/crm/v3/objects/contacts/jane.doe@example.com?idProperty=email");
        assertEquals(id, byEmail.body().path("id").asText());
        Reply missing = get("/crm/v3/objects/contacts/9999999");
        assertEquals(404, missing.status());
        assertEquals("9999999", missing.body().path("context").path("id").get(0).asText());
        assertEquals(400, get("/crm/v3/objects/contacts/x?idProperty=firstname").status(), "idProperty must be unique");
        assertEquals(400, get("/crm/v3/objects/widgets").status());
    }

    // ---- properties ----

    @Test
    void describesPropertiesInHubSpotsShape() throws Exception {
        start(SimulatorConfig.defaults().unlimited());
        Reply reply = get("/crm/v3/properties/contacts");
        assertEquals(200, reply.status());
        Map<String, JsonNode> byName = new HashMap<>();
        reply.body().path("results").forEach(p -> byName.put(p.path("name").asText(), p));
        assertTrue(byName.keySet().containsAll(List.of("hs_object_id", "createdate", "lastmodifieddate", "email", "firstname",
                "lifecyclestage", "hs_lead_status", "date_of_birth", "associatedcompanyid", "source_id")));
        JsonNode email = byName.get("email");
        assertEquals("string", email.path("type").asText());
        assertEquals("text", email.path("fieldType").asText());
        assertFalse(email.path("hasUniqueValue").asBoolean());
        assertTrue(byName.get("source_id").path("hasUniqueValue").asBoolean());
        assertFalse(byName.get("source_id").path("hubspotDefined").asBoolean());
        JsonNode created = byName.get("createdate");
        assertEquals("datetime", created.path("type").asText());
        assertTrue(created.path("modificationMetadata").path("readOnlyValue").asBoolean());
        assertEquals("date", byName.get("date_of_birth").path("type").asText());
        JsonNode stage = byName.get("lifecyclestage");
        assertEquals("enumeration", stage.path("type").asText());
        assertEquals("select", stage.path("fieldType").asText());
        assertEquals(8, stage.path("options").size());
        JsonNode lead = stage.path("options").get(1);
        assertEquals("lead", lead.path("value").asText());
        assertEquals("Lead", lead.path("label").asText());
        assertFalse(lead.path("hidden").asBoolean());
        assertTrue(lead.has("displayOrder"));
        for (String key : List.of("label", "groupName", "description", "calculated", "hidden", "archived")) {
            assertTrue(email.has(key), key);
        }
        Reply deals = get("/crm/v3/properties/0-3");
        Set<String> stages = new HashSet<>();
        deals.body().path("results").forEach(p -> {
            if (p.path("name").asText().equals("dealstage")) {
                p.path("options").forEach(o -> stages.add(o.path("value").asText()));
            }
        });
        assertTrue(stages.containsAll(List.of("appointmentscheduled", "closedwon", "closedlost")));
        assertEquals(400, get("/crm/v3/properties/widgets").status());
    }

    // ---- search ----

    @Test
    void searchesIncrementallyByLastModifiedAscending() throws Exception {
        start(SimulatorConfig.defaults().unlimited().seed("hubspot", SeedConfig.ofContacts(300)));
        ObjectStore contacts = sim.hubspot().store("contacts").orElseThrow();
        List<Instant> modified = contacts.stream().map(SimRecord::modifiedAt).sorted().toList();
        Instant threshold = modified.get(modified.size() / 2);
        long expected = modified.stream().filter(m -> !m.isBefore(threshold)).count();

        List<String> seen = new ArrayList<>();
        String previous = "";
        String after = null;
        long total = -1;
        do {
            ObjectNode body = JSON.createObjectNode();
            body.putArray("filterGroups").addObject().putArray("filters").addObject()
                    .put("propertyName", "lastmodifieddate").put("operator", "GTE").put("value", Long.toString(threshold.toEpochMilli()));
            body.putArray("sorts").addObject().put("propertyName", "lastmodifieddate").put("direction", "ASCENDING");
            body.putArray("properties").add("email").add("lastmodifieddate");
            body.put("limit", 100);
            if (after != null) {
                body.put("after", after);
            }
            Reply page = post("/crm/v3/objects/contacts/search", body);
            assertEquals(200, page.status(), page.body().toString());
            assertNull(page.header("X-HubSpot-RateLimit-Max"), "search answers carry no rate-limit headers");
            total = page.body().path("total").asLong();
            for (JsonNode r : page.body().path("results")) {
                String m = r.path("properties").path("lastmodifieddate").asText();
                assertTrue(m.compareTo(previous) >= 0, "ascending: " + m + " after " + previous);
                assertFalse(Instant.parse(m).isBefore(threshold));
                previous = m;
                seen.add(r.path("id").asText());
            }
            JsonNode next = page.body().path("paging").path("next").path("after");
            after = next.isMissingNode() ? null : next.asText();
        } while (after != null);
        assertEquals(expected, total);
        assertEquals(expected, seen.size());
        assertEquals(expected, new HashSet<>(seen).size());

        // The same filter with an ISO-8601 value.
        ObjectNode iso = JSON.createObjectNode();
        iso.putArray("filterGroups").addObject().putArray("filters").addObject()
                .put("propertyName", "lastmodifieddate").put("operator", "GTE").put("value", threshold.toString());
        assertEquals(expected, post("/crm/v3/objects/contacts/search", iso).body().path("total").asLong());
    }

    @Test
    void searchSupportsHubSpotOperators() throws Exception {
        start(SimulatorConfig.defaults().unlimited());
        String a = createContact("alice@acme.com");
        String b = createContact("bob@globex.com");
        String c = createContact("carol@acme.com");
        post("/crm/v3/objects/contacts/batch/update", inputs(List.of(
                Map.of("id", a, "properties", Map.of("lifecyclestage", "lead", "city", "Berlin")),
                Map.of("id", b, "properties", Map.of("lifecyclestage", "customer")))));
        assertEquals(Set.of(a), searchIds(filter("email", "EQ", "ALICE@acme.com")));
        assertEquals(Set.of(a, c), searchIds(filter("email", "CONTAINS_TOKEN", "*@acme.com")));
        assertEquals(Set.of(b), searchIds(filter("email", "NOT_CONTAINS_TOKEN", "*@acme.com")));
        assertEquals(Set.of(a, b), searchIds(Map.of("propertyName", "lifecyclestage", "operator", "IN", "values", List.of("lead", "customer"))));
        assertEquals(Set.of(a), searchIds(Map.of("propertyName", "city", "operator", "HAS_PROPERTY")));
        assertEquals(Set.of(b, c), searchIds(Map.of("propertyName", "city", "operator", "NOT_HAS_PROPERTY")));
        assertEquals(Set.of(b, c), searchIds(filter("hs_object_id", "GT", a)));
        assertEquals(Set.of(a, b), searchIds(Map.of("propertyName", "hs_object_id", "operator", "BETWEEN", "value", a, "highValue", b)));
        // Two filter groups are OR'd.
        Map<String, Object> twoGroups = Map.of("filterGroups", List.of(
                Map.of("filters", List.of(filter("email", "EQ", "alice@acme.com"))),
                Map.of("filters", List.of(filter("email", "EQ", "bob@globex.com")))));
        assertEquals(Set.of(a, b), idsOf(post("/crm/v3/objects/contacts/search", twoGroups).body().path("results")));
        Reply unknown = post("/crm/v3/objects/contacts/search", Map.of("filterGroups", List.of(Map.of("filters", List.of(filter("nope", "EQ", "x"))))));
        assertEquals(400, unknown.status());
    }

    private static Map<String, Object> filter(String property, String operator, String value) {
        return Map.of("propertyName", property, "operator", operator, "value", value);
    }

    private Set<String> searchIds(Map<String, Object> filter) throws Exception {
        Reply reply = post("/crm/v3/objects/contacts/search", Map.of("filterGroups", List.of(Map.of("filters", List.of(filter)))));
        assertEquals(200, reply.status(), reply.body().toString());
        return idsOf(reply.body().path("results"));
    }

    @Test
    void searchStopsAtTenThousandResultsAndTwoHundredPerPage() throws Exception {
        start(SimulatorConfig.defaults().unlimited());
        Reply beyond = post("/crm/v3/objects/contacts/search", Map.of("after", "9950", "limit", 100));
        assertEquals(400, beyond.status());
        assertEquals("VALIDATION_ERROR", beyond.body().path("category").asText());
        assertTrue(beyond.body().path("message").asText().contains("10000"));
        assertEquals(400, post("/crm/v3/objects/contacts/search", Map.of("after", "10000", "limit", 10)).status());
        assertEquals(400, post("/crm/v3/objects/contacts/search", Map.of("limit", 201)).status());
        assertEquals(200, post("/crm/v3/objects/contacts/search", Map.of("after", "9900", "limit", 100)).status());
        assertEquals(200, post("/crm/v3/objects/contacts/search", Map.of("limit", 200)).status());
    }

    @Test
    void searchHasItsOwnSecondlyLimit() throws Exception {
        start(SimulatorConfig.defaults());
        assertEquals(5, sim.hubspot().searchRateLimit().limit());
        assertEquals(Duration.ofSeconds(1), sim.hubspot().searchRateLimit().window());
        // Same limit over a longer window, so a slow machine cannot let a sixth search slip into a new second.
        sim.hubspot().searchRateLimit().configure(5, Duration.ofSeconds(30));
        int ok = 0;
        Reply throttled = null;
        for (int i = 0; i < 12 && throttled == null; i++) {
            Reply r = post("/crm/v3/objects/contacts/search", Map.of());
            if (r.status() == 429) {
                throttled = r;
            } else {
                assertEquals(200, r.status());
                ok++;
            }
        }
        assertNotNull(throttled, "the sixth search within the window is refused");
        assertEquals(5, ok);
        assertEquals("SECONDLY", throttled.body().path("policyName").asText());
        assertEquals("You have reached your secondly limit.", throttled.body().path("message").asText());
        assertEquals("RATE_LIMIT", throttled.body().path("errorType").asText());
        assertNotNull(throttled.header("Retry-After"));
        // Other endpoints are not affected by the search limit.
        assertEquals(200, get("/crm/v3/objects/contacts").status());
        sim.hubspot().searchRateLimit().configure(0, Duration.ofSeconds(1));
        assertEquals(200, post("/crm/v3/objects/contacts/search", Map.of()).status());
    }

    // ---- limits ----

    @Test
    void tenSecondWindowAnswers429WithHeaders() throws Exception {
        start(SimulatorConfig.defaults().limits("hubspot", new SimulatorConfig.Limits(5, Duration.ofSeconds(1), 0)));
        for (int i = 0; i < 5; i++) {
            Reply r = get("/crm/v3/objects/contacts");
            assertEquals(200, r.status());
            assertEquals("5", r.header("X-HubSpot-RateLimit-Max"));
            assertEquals(Integer.toString(4 - i), r.header("X-HubSpot-RateLimit-Remaining"));
            assertEquals("1000", r.header("X-HubSpot-RateLimit-Interval-Milliseconds"));
            assertNull(r.header("X-HubSpot-RateLimit-Daily"), "no daily quota configured");
        }
        Reply refused = get("/crm/v3/objects/contacts");
        assertEquals(429, refused.status());
        assertEquals("TEN_SECONDLY_ROLLING", refused.body().path("policyName").asText());
        assertEquals("RATE_LIMIT", refused.body().path("errorType").asText());
        assertEquals("error", refused.body().path("status").asText());
        assertEquals("0", refused.header("X-HubSpot-RateLimit-Remaining"));
        assertEquals("5", refused.header("X-HubSpot-RateLimit-Max"));
        assertTrue(Long.parseLong(refused.header("Retry-After")) >= 1);
        assertEquals(1, sim.stats().throttled("hubspot"));
        Thread.sleep(1100);
        assertEquals(200, get("/crm/v3/objects/contacts").status());
    }

    @Test
    void dailyQuotaAnswers429Daily() throws Exception {
        start(SimulatorConfig.defaults().limits("hubspot", new SimulatorConfig.Limits(0, Duration.ofSeconds(1), 3)));
        for (int i = 0; i < 3; i++) {
            Reply r = get("/crm/v3/objects/contacts");
            assertEquals(200, r.status());
            assertEquals("3", r.header("X-HubSpot-RateLimit-Daily"));
            assertEquals(Integer.toString(2 - i), r.header("X-HubSpot-RateLimit-Daily-Remaining"));
            assertNull(r.header("X-HubSpot-RateLimit-Max"), "no ten-second window configured");
        }
        Reply refused = get("/crm/v3/objects/contacts");
        assertEquals(429, refused.status());
        assertEquals("DAILY", refused.body().path("policyName").asText());
        assertEquals("You have reached your daily limit.", refused.body().path("message").asText());
    }

    // ---- batch writes ----

    @Test
    void upsertsByEmailWithNewFlagsAndPerRecordErrors() throws Exception {
        start(SimulatorConfig.defaults().unlimited());
        String ann = createContact("ann@example.com");
        List<Map<String, Object>> batch = List.of(
                Map.of("id", "ANN@example.com", "idProperty", "email", "properties", Map.of("firstname", "Ann")),
                Map.of("id", "carl@example.com", "idProperty", "email", "properties", Map.of("firstname", "Carl", "lifecyclestage", "lead")),
                Map.of("id", "not-an-email", "idProperty", "email", "properties", Map.of("firstname", "X")),
                Map.of("id", "dora@example.com", "idProperty", "email", "properties", Map.of("lifecyclestage", "prospect")),
                Map.of("id", "eve@example.com", "idProperty", "email", "properties", Map.of("date_of_birth", "1990-02-30")),
                // numberofemployees is a company property, not a contact one
                Map.of("id", "finn@example.com", "idProperty", "email", "properties", Map.of("numberofemployees", "3")));
        Reply reply = post("/crm/v3/objects/contacts/batch/upsert", inputs(batch));
        assertEquals(207, reply.status(), reply.body().toString());
        JsonNode body = reply.body();
        assertEquals("COMPLETE", body.path("status").asText());
        assertEquals(4, body.path("numErrors").asInt());
        assertTrue(body.hasNonNull("startedAt") && body.hasNonNull("completedAt"));
        Map<String, Boolean> newById = new HashMap<>();
        for (JsonNode r : body.path("results")) {
            newById.put(r.path("properties").path("email").asText(), r.path("new").asBoolean());
            assertFalse(r.path("archived").asBoolean());
        }
        assertEquals(Map.of("ann@example.com", false, "carl@example.com", true), newById);
        Map<String, String> codes = errorCodesById(body);
        assertEquals(Map.of("not-an-email", "INVALID_EMAIL", "dora@example.com", "INVALID_OPTION", "eve@example.com", "INVALID_DATE",
                "finn@example.com", "PROPERTY_DOESNT_EXIST"), codes);
        for (JsonNode e : body.path("errors")) {
            assertEquals("error", e.path("status").asText());
            assertEquals("VALIDATION_ERROR", e.path("category").asText());
            assertTrue(e.path("message").asText().startsWith("Property values were not valid"));
        }
        ObjectStore contacts = sim.hubspot().store("contacts").orElseThrow();
        assertEquals(2, contacts.count(false));
        SimRecord annRecord = contacts.get(ann).orElseThrow();
        assertEquals("Ann", annRecord.fields().get("firstname"));
        assertEquals("ann@example.com", annRecord.fields().get("email"), "the key keeps its stored spelling");

        Reply notUnique = post("/crm/v3/objects/contacts/batch/upsert",
                inputs(List.of(Map.of("id", "Ann", "idProperty", "firstname", "properties", Map.of()))));
        assertEquals(400, notUnique.status());
        Reply duplicates = post("/crm/v3/objects/contacts/batch/upsert", inputs(List.of(
                Map.of("id", "x@example.com", "idProperty", "email", "properties", Map.of()),
                Map.of("id", "X@example.com", "idProperty", "email", "properties", Map.of()))));
        assertEquals(400, duplicates.status());
        assertTrue(duplicates.body().path("message").asText().startsWith("Duplicate IDs found in batch input"));
    }

    private static Map<String, String> errorCodesById(JsonNode body) {
        Map<String, String> codes = new HashMap<>();
        for (JsonNode e : body.path("errors")) {
            codes.put(e.path("context").path("ids").get(0).asText(), e.path("errors").get(0).path("code").asText());
        }
        return codes;
    }

    @Test
    void refusesBatchesOfMoreThanOneHundredInputs() throws Exception {
        start(SimulatorConfig.defaults().unlimited());
        List<Map<String, Object>> many = new ArrayList<>();
        for (int i = 0; i < 101; i++) {
            many.add(Map.of("id", "u" + i + "@example.com", "idProperty", "email", "properties", Map.of()));
        }
        for (String endpoint : List.of("upsert", "create", "read", "update", "archive")) {
            Reply reply = post("/crm/v3/objects/contacts/batch/" + endpoint, inputs(many));
            assertEquals(400, reply.status(), endpoint);
            assertEquals("VALIDATION_ERROR", reply.body().path("category").asText());
            assertEquals("error", reply.body().path("status").asText());
        }
        assertEquals(0, sim.hubspot().store("contacts").orElseThrow().count(true));
        assertEquals(200, post("/crm/v3/objects/contacts/batch/upsert", inputs(many.subList(0, 100))).status());
    }

    @Test
    void batchCreateIsAtomicWithoutTraceIdsAndPerRecordWithThem() throws Exception {
        start(SimulatorConfig.defaults().unlimited());
        String existing = createContact("taken@example.com");
        Reply conflict = post("/crm/v3/objects/contacts/batch/create", inputs(List.of(
                props("email", "fresh@example.com"), props("email", "TAKEN@example.com"))));
        assertEquals(409, conflict.status());
        assertEquals("OBJECT_ALREADY_EXISTS", conflict.body().path("category").asText());
        assertTrue(conflict.body().path("message").asText().endsWith("Existing ID: " + existing));
        assertEquals(1, sim.hubspot().store("contacts").orElseThrow().count(false), "nothing written");

        Reply invalid = post("/crm/v3/objects/contacts/batch/create", inputs(List.of(props("email", "bad"))));
        assertEquals(400, invalid.status());

        Reply traced = post("/crm/v3/objects/contacts/batch/create", inputs(List.of(
                Map.of("objectWriteTraceId", "t1", "properties", Map.of("email", "fresh@example.com")),
                Map.of("objectWriteTraceId", "t2", "properties", Map.of("email", "taken@example.com")),
                Map.of("objectWriteTraceId", "t3", "properties", Map.of("email", "bad")))));
        assertEquals(207, traced.status());
        assertEquals("t1", traced.body().path("results").get(0).path("objectWriteTraceId").asText());
        Map<String, String> categories = new HashMap<>();
        traced.body().path("errors").forEach(e -> categories.put(e.path("context").path("objectWriteTraceId").get(0).asText(),
                e.path("category").asText()));
        assertEquals(Map.of("t2", "OBJECT_ALREADY_EXISTS", "t3", "VALIDATION_ERROR"), categories);

        Reply deals = post("/crm/v3/objects/deals/batch/create", inputs(List.of(
                props("dealname", "Big deal", "dealstage", "closedwon", "amount", 1234.5, "closedate", "2025-03-01T00:00:00Z"))));
        assertEquals(201, deals.status(), deals.body().toString());
        JsonNode deal = deals.body().path("results").get(0).path("properties");
        assertEquals("default", deal.path("pipeline").asText());
        assertEquals("1234.5", deal.path("amount").asText());
        assertEquals("2025-03-01T00:00:00.000Z", deal.path("closedate").asText());
        Reply noStage = post("/crm/v3/objects/deals", props("dealname", "No stage"));
        assertEquals(400, noStage.status());
        assertEquals("REQUIRED_PROPERTY", noStage.body().path("errors").get(0).path("code").asText());
    }

    @Test
    void batchReadAndUpdateReportMissingIds() throws Exception {
        start(SimulatorConfig.defaults().unlimited());
        String id = createContact("read@example.com");
        Reply read = post("/crm/v3/objects/contacts/batch/read", Map.of("properties", List.of("email"),
                "inputs", List.of(Map.of("id", id), Map.of("id", "1999999"))));
        assertEquals(207, read.status());
        assertEquals(1, read.body().path("results").size());
        JsonNode error = read.body().path("errors").get(0);
        assertEquals("OBJECT_NOT_FOUND", error.path("category").asText());
        assertEquals("1999999", error.path("context").path("ids").get(0).asText());
        Reply byEmail = post("/crm/v3/objects/contacts/batch/read", Map.of("idProperty", "email",
                "inputs", List.of(Map.of("id", "READ@example.com"))));
        assertEquals(200, byEmail.status());
        assertEquals(id, byEmail.body().path("results").get(0).path("id").asText());

        Reply update = post("/crm/v3/objects/contacts/batch/update", inputs(List.of(
                Map.of("id", id, "properties", Map.of("jobtitle", "CTO")),
                Map.of("id", "1999999", "properties", Map.of("jobtitle", "CTO")))));
        assertEquals(207, update.status());
        assertEquals("CTO", update.body().path("results").get(0).path("properties").path("jobtitle").asText());
        assertEquals("OBJECT_NOT_FOUND", update.body().path("errors").get(0).path("category").asText());
    }

    @Test
    void injectedPartialFailuresHitSingleInputs() throws Exception {
        start(SimulatorConfig.defaults().unlimited());
        sim.faults().add(FaultRule.on("hubspot", "upsert").withPartialFailures(0.5));
        List<Map<String, Object>> batch = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            batch.add(Map.of("id", "S" + i, "idProperty", "source_id", "properties", Map.of("lastname", "L" + i)));
        }
        Reply reply = post("/crm/v3/objects/contacts/batch/upsert", inputs(batch));
        assertEquals(207, reply.status());
        Set<String> succeeded = new HashSet<>();
        reply.body().path("results").forEach(r -> succeeded.add(r.path("properties").path("source_id").asText()));
        Set<String> failed = new HashSet<>();
        for (JsonNode e : reply.body().path("errors")) {
            assertEquals("INTERNAL_ERROR", e.path("category").asText());
            failed.add(e.path("context").path("ids").get(0).asText());
        }
        assertFalse(succeeded.isEmpty());
        assertFalse(failed.isEmpty());
        assertEquals(40, succeeded.size() + failed.size());
        assertTrue(java.util.Collections.disjoint(succeeded, failed));
        assertEquals(succeeded.size(), sim.hubspot().store("contacts").orElseThrow().count(false), "failed inputs wrote nothing");

        sim.faults().clear();
        List<Map<String, Object>> retry = batch.stream().filter(m -> failed.contains((String) m.get("id"))).toList();
        Reply again = post("/crm/v3/objects/contacts/batch/upsert", inputs(retry));
        assertEquals(200, again.status());
        again.body().path("results").forEach(r -> assertTrue(r.path("new").asBoolean()));
        assertEquals(40, sim.hubspot().store("contacts").orElseThrow().count(false));
    }

    // ---- associations and seed ----

    @Test
    void associatesRecordsWithV4() throws Exception {
        start(SimulatorConfig.defaults().unlimited());
        String contact = createContact("assoc@example.com");
        String company = post("/crm/v3/objects/companies", props("name", "Acme", "domain", "acme.com")).body().path("id").asText();
        Reply put = call("PUT", "/crm/v4/objects/contacts/" + contact + "/associations/default/companies/" + company, null, PAT);
        assertEquals(200, put.status(), put.body().toString());
        assertEquals(279, put.body().path("results").get(0).path("associationSpec").path("associationTypeId").asInt());
        assertEquals(List.of(company), sim.hubspot().associations("contacts", contact, "companies"));
        assertEquals(List.of(contact), sim.hubspot().associations("0-2", company, "0-1"));

        Reply read = post("/crm/v4/associations/companies/contacts/batch/read", inputs(List.of(Map.of("id", company))));
        assertEquals(200, read.status());
        JsonNode to = read.body().path("results").get(0).path("to").get(0);
        assertEquals(Long.parseLong(contact), to.path("toObjectId").asLong());
        assertEquals(280, to.path("associationTypes").get(0).path("typeId").asInt());

        String deal = post("/crm/v3/objects/deals", props("dealname", "D", "dealstage", "qualifiedtobuy")).body().path("id").asText();
        Reply batch = post("/crm/v4/associations/deals/companies/batch/associate/default", inputs(List.of(
                Map.of("from", Map.of("id", deal), "to", Map.of("id", company)),
                Map.of("from", Map.of("id", deal), "to", Map.of("id", "1999999")))));
        assertEquals(207, batch.status());
        assertEquals(List.of(deal), sim.hubspot().associations("companies", company, "deals"));
        Reply embedded = get("/crm/v3/objects/contacts/" + contact + "?associations=companies");
        assertEquals(company, embedded.body().path("associations").path("companies").path("results").get(0).path("id").asText());
    }

    @Test
    void loadsDirtySeedsWithGroundTruthAndAssociations() {
        start(SimulatorConfig.defaults().unlimited().seed("hubspot", new SeedConfig(30, 400, 60, 0.3, 11L)));
        HubSpotPersona hubspot = sim.hubspot();
        assertEquals(400, hubspot.store("contacts").orElseThrow().count(false));
        assertEquals(30, hubspot.store("companies").orElseThrow().count(false));
        assertEquals(60, hubspot.store("deals").orElseThrow().count(false));
        assertEquals(400, hubspot.groundTruth().clusters("contacts").size());
        assertEquals(30, hubspot.groundTruth().clusters("companies").size());
        SimRecord contact = hubspot.store("contacts").orElseThrow().stream()
                .filter(r -> r.fields().get("associatedcompanyid") != null).findFirst().orElseThrow();
        String companyId = contact.fields().get("associatedcompanyid").toString();
        assertTrue(hubspot.store("companies").orElseThrow().get(companyId).isPresent());
        assertEquals(List.of(companyId), hubspot.associations("contacts", contact.id(), "companies"));
        hubspot.store("deals").orElseThrow().stream().forEach(d -> {
            assertTrue(HubSpotObjects.STAGES.containsValue(d.fields().get("dealstage").toString()));
            assertEquals("default", d.fields().get("pipeline"));
        });
        hubspot.store("companies").orElseThrow().stream().forEach(c ->
                assertTrue(HubSpotObjects.INDUSTRIES.containsValue(c.fields().get("industry").toString())));
        Set<String> emails = new HashSet<>();
        hubspot.store("contacts").orElseThrow().stream().map(r -> r.fields().get("email")).filter(java.util.Objects::nonNull)
                .forEach(e -> assertTrue(emails.add(e.toString().toLowerCase(java.util.Locale.ROOT)), "emails are unique"));
    }
}
