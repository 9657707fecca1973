package io.nificrm.simulator.dynamics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.simulator.SimulatorCredentials;
import io.nificrm.simulator.fault.FaultRule;
import io.nificrm.simulator.seed.SeedConfig;
import io.nificrm.simulator.seed.SeedData;
import io.nificrm.simulator.store.ObjectStore;
import io.nificrm.simulator.store.SimRecord;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The Dataverse persona over real HTTP, as a client sees it. */
class DynamicsPersonaTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String API = "/api/data/v9.2/";
    private static final HttpClient HTTP = HttpClient.newHttpClient();

    private CrmSimulator sim;
    private String token;

    @BeforeEach
    void start() throws Exception {
        sim = CrmSimulator.start(SimulatorConfig.defaults().unlimited());
        token = fetchToken(sim);
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    // ---- client helpers ----

    private record Reply(int status, HttpResponse<String> raw) {
        JsonNode json() throws Exception {
            return JSON.readTree(raw.body());
        }

        String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }
    }

    private static String fetchToken(CrmSimulator simulator) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(simulator.baseUrl() + "/"
                        + SimulatorCredentials.DYNAMICS_TENANT_ID + "/oauth2/v2.0/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form(SimulatorCredentials.DYNAMICS_CLIENT_SECRET))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, r.statusCode(), r.body());
        return JSON.readTree(r.body()).get("access_token").asText();
    }

    private static String form(String secret) {
        return "grant_type=client_credentials&client_id=" + SimulatorCredentials.DYNAMICS_CLIENT_ID + "&client_secret="
                + enc(secret) + "&scope=" + enc("https://sim.crm.dynamics.com/.default");
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    private Reply send(String method, String pathOrUrl, String body, String... headers) throws Exception {
        String url = pathOrUrl.startsWith("http") ? pathOrUrl : sim.baseUrl() + (pathOrUrl.startsWith("/") ? pathOrUrl : API + pathOrUrl);
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url))
                .header("Authorization", "Bearer " + token)
                .header("OData-Version", "4.0").header("Accept", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            b.header("Content-Type", "application/json");
        }
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r);
    }

    private Reply get(String pathOrUrl, String... headers) throws Exception {
        return send("GET", pathOrUrl, null, headers);
    }

    /** Follows @odata.nextLink to the end; returns every row and the last page. */
    private List<JsonNode> readAll(String first, List<JsonNode> pages, String... headers) throws Exception {
        List<JsonNode> rows = new ArrayList<>();
        String next = first;
        while (next != null) {
            Reply r = get(next, headers);
            assertEquals(200, r.status(), r.raw().body());
            JsonNode page = r.json();
            pages.add(page);
            page.get("value").forEach(rows::add);
            next = page.hasNonNull("@odata.nextLink") ? page.get("@odata.nextLink").asText() : null;
        }
        return rows;
    }

    private ObjectStore contacts() {
        return sim.dynamics().store("contact").orElseThrow();
    }

    private void seed(int accounts, int contacts) {
        sim.seed("dynamics", new SeedConfig(accounts, contacts, 0, 0.1, 42L));
    }

    // ---- auth ----

    @Test
    void tokenFlowAndExpiredSession() throws Exception {
        HttpResponse<String> bad = HTTP.send(HttpRequest.newBuilder(URI.create(sim.baseUrl() + "/"
                        + SimulatorCredentials.DYNAMICS_TENANT_ID + "/oauth2/v2.0/token"))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString(form("wrong"))).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(401, bad.statusCode());
        JsonNode error = JSON.readTree(bad.body());
        assertEquals("invalid_client", error.get("error").asText());
        assertTrue(error.get("error_description").asText().startsWith("AADSTS7000215"));

        Reply ok = get("WhoAmI");
        assertEquals(200, ok.status());
        assertNotNull(ok.header("x-ms-ratelimit-burst-remaining-xrm-requests"));

        sim.dynamics().tokens().expireAll();
        Reply expired = get("contacts");
        assertEquals(401, expired.status());
        assertEquals("0x80072182", expired.json().at("/error/code").asText());
        assertTrue(expired.header("WWW-Authenticate").startsWith("Bearer"));

        token = fetchToken(sim);
        assertEquals(200, get("contacts").status());
    }

    // ---- queries ----

    @Test
    void pagesWithMaxPageSizeToTheEndWithoutDuplicates() throws Exception {
        seed(25, 250);
        long live = contacts().count(false);
        List<JsonNode> pages = new ArrayList<>();
        Reply first = get("contacts?$select=fullname,emailaddress1", "Prefer", "odata.maxpagesize=100");
        assertEquals("odata.maxpagesize=100", first.header("Preference-Applied"));
        List<JsonNode> rows = readAll(first.json().get("@odata.nextLink").asText(), pages, "Prefer", "odata.maxpagesize=100");
        first.json().get("value").forEach(rows::add);
        assertEquals(2, pages.size());
        assertEquals(100, first.json().get("value").size());
        assertEquals(live, rows.size());
        Set<String> ids = new HashSet<>();
        rows.forEach(r -> ids.add(r.get("contactid").asText()));
        assertEquals(live, ids.size());
        JsonNode row = rows.get(0);
        assertTrue(row.get("@odata.etag").asText().startsWith("W/\""));
        assertTrue(row.has("fullname") && row.has("emailaddress1") && !row.has("lastname"));
        assertTrue(first.json().get("@odata.context").asText().endsWith("$metadata#contacts(fullname,emailaddress1)"));

        // Ordered paging: the keyset cursor walks a sort on a non-unique column without losing or repeating rows,
        // even when a row is written between pages.
        List<JsonNode> orderedPages = new ArrayList<>();
        Reply p1 = get("contacts?$select=lastname&$orderby=" + enc("lastname desc"), "Prefer", "odata.maxpagesize=70");
        List<JsonNode> ordered = new ArrayList<>();
        p1.json().get("value").forEach(ordered::add);
        Reply created = send("POST", "contacts", "{\"lastname\":\"Aardvark\"}");
        assertEquals(204, created.status());
        ordered.addAll(readAll(p1.json().get("@odata.nextLink").asText(), orderedPages));
        assertEquals(live + 1, ordered.size());
        assertEquals(live + 1, ordered.stream().map(r -> r.get("contactid").asText()).distinct().count());
        for (int i = 1; i < ordered.size(); i++) {
            String a = ordered.get(i - 1).path("lastname").asText("");
            String b = ordered.get(i).path("lastname").asText("");
            assertTrue(a.compareTo(b) >= 0, a + " before " + b);
        }

        // No paging preference: one page of at most 5,000. $top limits rows; $skip is refused.
        Reply all = get("contacts?$select=contactid");
        assertEquals(live + 1, all.json().get("value").size());
        assertNull(all.json().get("@odata.nextLink"));
        Reply top = get("contacts?$select=contactid&$top=7", "Prefer", "odata.maxpagesize=5");
        assertEquals(7, top.json().get("value").size());
        assertNull(top.json().get("@odata.nextLink"));
        assertEquals(400, get("contacts?$skip=10").status());
    }

    @Test
    void filtersOnModifiedOnWithOrderBy() throws Exception {
        seed(10, 120);
        List<Instant> modified = contacts().stream().filter(r -> !r.deleted()).map(SimRecord::modifiedAt).sorted().toList();
        Instant threshold = modified.get(modified.size() / 2);
        long expected = modified.stream().filter(m -> m.isAfter(threshold)).count();
        String filter = "modifiedon gt " + threshold + " and lastname ne null";
        long expectedWithName = contacts().stream().filter(r -> !r.deleted() && r.modifiedAt().isAfter(threshold)
                && r.fields().get("lastname") != null).count();
        List<JsonNode> rows = readAll("contacts?$select=lastname,modifiedon&$filter=" + enc(filter)
                + "&$orderby=" + enc("modifiedon asc,lastname desc"), new ArrayList<>(), "Prefer", "odata.maxpagesize=13");
        assertEquals(expectedWithName, rows.size());
        assertTrue(expected >= rows.size());
        for (int i = 1; i < rows.size(); i++) {
            Instant a = Instant.parse(rows.get(i - 1).get("modifiedon").asText());
            Instant b = Instant.parse(rows.get(i).get("modifiedon").asText());
            assertFalse(b.isBefore(a));
            assertTrue(b.isAfter(threshold));
        }
        assertTrue(rows.get(0).get("modifiedon").asText().matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z"));

        // Lookup filter by GUID and the _x_value column.
        JsonNode one = get("contacts?$select=_parentcustomerid_value&$filter=" + enc("_parentcustomerid_value ne null") + "&$top=1")
                .json().get("value").get(0);
        String account = one.get("_parentcustomerid_value").asText();
        long byAccount = contacts().stream().filter(r -> !r.deleted() && account.equals(r.fields().get("parentcustomerid"))).count();
        assertEquals(byAccount, get("contacts?$select=contactid&$filter=" + enc("_parentcustomerid_value eq " + account))
                .json().get("value").size());
        assertEquals(1, get("contacts?$select=contactid&$count=true&$top=1").json().get("value").size());
    }

    @Test
    void hostileFilterInputAndUnknownNames() throws Exception {
        assertEquals(204, send("POST", "contacts", "{\"firstname\":\"Pat\",\"lastname\":\"O'Brien\"}").status());
        assertEquals(204, send("POST", "contacts", "{\"firstname\":\"Sam\",\"lastname\":\"Brien\"}").status());

        Reply injected = get("contacts?$filter=" + enc("lastname eq 'O'Brien'"));
        assertEquals(400, injected.status());
        assertEquals("0x80060888", injected.json().at("/error/code").asText());
        assertTrue(injected.json().at("/error/message").asText().startsWith("Syntax error"));
        assertEquals(400, get("contacts?$filter=" + enc("lastname eq 'x' or 1 eq 1")).status());

        Reply escaped = get("contacts?$select=fullname&$filter=" + enc("lastname eq 'O''Brien'"));
        assertEquals(200, escaped.status());
        assertEquals(1, escaped.json().get("value").size());
        assertEquals("Pat O'Brien", escaped.json().get("value").get(0).get("fullname").asText());
        assertEquals(2, get("contacts?$filter=" + enc("contains(lastname,'brien')")).json().get("value").size());
        Reply count = get("contacts/$count?$filter=" + enc("contains(lastname,'brien')"));
        assertEquals(200, count.status());
        assertEquals("2", count.raw().body());

        Reply unknown = get("contacts?$select=lastname,nosuchcolumn");
        assertEquals(400, unknown.status());
        assertEquals("0x0", unknown.json().at("/error/code").asText());
        assertEquals("Could not find a property named 'nosuchcolumn' on type 'Microsoft.Dynamics.CRM.contact'.",
                unknown.json().at("/error/message").asText());
        assertEquals(400, get("contacts?$filter=" + enc("parentcustomerid eq null")).status());
        Reply noSet = get("contactz");
        assertEquals(404, noSet.status());
        assertEquals("0x8006088a", noSet.json().at("/error/code").asText());
    }

    @Test
    void rowsUseDataverseValueShapes() throws Exception {
        seed(5, 20);
        ObjectStore store = contacts();
        SimRecord seeded = store.stream().filter(r -> r.fields().get("parentcustomerid") != null
                && r.fields().get("leadsourcecode") != null && r.fields().get("birthdate") != null).findFirst().orElseThrow();
        Reply r = get("contacts(" + seeded.id() + ")", "Prefer", "odata.include-annotations=\"*\"");
        assertEquals(200, r.status(), r.raw().body());
        JsonNode row = r.json();
        assertEquals(seeded.id(), row.get("contactid").asText());
        assertTrue(row.get("leadsourcecode").isInt());
        int code = row.get("leadsourcecode").asInt();
        assertEquals(SeedData.LEAD_SOURCES.get(code - 1), row.get("leadsourcecode@OData.Community.Display.V1.FormattedValue").asText());
        assertEquals(seeded.fields().get("parentcustomerid"), row.get("_parentcustomerid_value").asText());
        assertEquals("account", row.get("_parentcustomerid_value@Microsoft.Dynamics.CRM.lookuplogicalname").asText());
        assertFalse(row.has("parentcustomerid"));
        assertTrue(row.get("birthdate").asText().matches("\\d{4}-\\d{2}-\\d{2}"));
        assertTrue(row.get("createdon").asText().endsWith("Z"));
        assertTrue(row.get("versionnumber").isNumber());
        assertEquals(row.get("@odata.etag").asText(), r.header("ETag"));
        JsonNode account = get("accounts?$top=1&$filter=" + enc("industrycode ne null")).json().get("value").get(0);
        assertTrue(account.get("revenue").isNumber() || account.get("revenue").isNull());
        assertTrue(account.get("industrycode").isInt());
        assertTrue(account.has("_parentaccountid_value"));
        assertEquals(404, get("contacts(00000002-0000-4000-8000-0000000fffff)").status());
    }

    // ---- change tracking ----

    @Test
    void changeTrackingReportsCreatesUpdatesLateWritesAndDeletes() throws Exception {
        seed(5, 30);
        ObjectStore store = contacts();
        List<JsonNode> pages = new ArrayList<>();
        String prefer = "odata.track-changes,odata.maxpagesize=10";
        Reply first = get("contacts?$select=firstname,lastname", "Prefer", prefer);
        assertEquals(200, first.status());
        assertTrue(first.header("Preference-Applied").contains("odata.track-changes"));
        List<JsonNode> initial = new ArrayList<>();
        first.json().get("value").forEach(initial::add);
        assertNull(first.json().get("@odata.deltaLink"));
        initial.addAll(readAll(first.json().get("@odata.nextLink").asText(), pages, "Prefer", prefer));
        assertEquals(30, initial.size());
        JsonNode last = pages.get(pages.size() - 1);
        String deltaLink = last.get("@odata.deltaLink").asText();
        assertTrue(deltaLink.contains("$deltatoken="), deltaLink);

        List<SimRecord> existing = store.stream().filter(r -> !r.deleted()).toList();
        SimRecord toUpdate = existing.get(3);
        SimRecord lateWrite = existing.get(4);
        SimRecord toDelete = existing.get(5);
        Reply created = send("POST", "contacts", "{\"firstname\":\"New\",\"lastname\":\"Person\"}");
        String createdId = created.header("OData-EntityId").replaceAll(".*\\((.*)\\)", "$1");
        assertEquals(204, send("PATCH", "contacts(" + toUpdate.id() + ")", "{\"jobtitle\":\"Chief\"}").status());
        Map<String, Object> changed = new HashMap<>(lateWrite.fields());
        changed.put("jobtitle", "Late");
        // A late commit: modifiedon older than the token, must still show up.
        store.put(new SimRecord(lateWrite.id(), changed, lateWrite.createdAt(), Instant.parse("2001-01-01T00:00:00Z"), false, null));
        assertEquals(204, send("DELETE", "contacts(" + toDelete.id() + ")", null).status());

        Reply delta = get(deltaLink);
        assertEquals(200, delta.status(), delta.raw().body());
        JsonNode body = delta.json();
        assertTrue(body.get("@odata.context").asText().endsWith("/$delta"));
        Map<String, JsonNode> byId = new LinkedHashMap<>();
        for (JsonNode row : body.get("value")) {
            byId.put(row.has("contactid") ? row.get("contactid").asText() : row.get("id").asText(), row);
        }
        assertEquals(Set.of(createdId, toUpdate.id(), lateWrite.id(), toDelete.id()), byId.keySet());
        JsonNode deleted = byId.get(toDelete.id());
        assertEquals("deleted", deleted.get("reason").asText());
        assertTrue(deleted.get("@odata.context").asText().endsWith("$metadata#contacts/$deletedEntity"));
        assertEquals("New", byId.get(createdId).get("firstname").asText());
        String nextDelta = body.get("@odata.deltaLink").asText();
        assertFalse(nextDelta.equals(deltaLink));

        Reply quiet = get(nextDelta);
        assertEquals(0, quiet.json().get("value").size());
        assertNotNull(quiet.json().get("@odata.deltaLink"));

        // A large delta pages through @odata.nextLink too.
        for (SimRecord r : store.stream().filter(r -> !r.deleted()).limit(25).toList()) {
            Map<String, Object> f = new HashMap<>(r.fields());
            f.put("jobtitle", "Bulk");
            store.put(new SimRecord(r.id(), f, r.createdAt(), r.modifiedAt(), false, null));
        }
        List<JsonNode> deltaPages = new ArrayList<>();
        List<JsonNode> bulk = readAll(quiet.json().get("@odata.deltaLink").asText(), deltaPages, "Prefer", "odata.maxpagesize=10");
        assertEquals(25, bulk.size());
        assertEquals(3, deltaPages.size());
        assertNotNull(deltaPages.get(2).get("@odata.deltaLink"));

        // Options that change tracking refuses, and an expired token.
        assertEquals(400, get("contacts?$filter=" + enc("lastname eq 'x'"), "Prefer", "odata.track-changes").status());
        assertEquals(400, get("contacts?$orderby=lastname", "Prefer", "odata.track-changes").status());
        Reply expired = get("contacts?$select=lastname&$deltatoken=" + enc("1!01/01/2020 00:00:00"));
        assertEquals(400, expired.status());
        assertTrue(expired.json().at("/error/message").asText().contains("expired"));
    }

    // ---- writes ----

    @Test
    void upsertByAlternateKey() throws Exception {
        Reply account = send("PATCH", "accounts(nificrm_sourceid='A-1')", "{\"name\":\"Acme\"}");
        assertEquals(204, account.status());
        assertTrue(account.header("OData-EntityId").endsWith("/api/data/v9.2/accounts(nificrm_sourceid='A-1')"));
        String accountId = sim.dynamics().store("account").orElseThrow().findByUnique("nificrm_sourceid", "A-1").orElseThrow().id();

        String body = "{\"firstname\":\"Ann\",\"lastname\":\"Lee\",\"parentcustomerid_account@odata.bind\":\"/accounts(nificrm_sourceid='A-1')\"}";
        Reply created = send("PATCH", "contacts(nificrm_sourceid='S-1')", body);
        assertEquals(204, created.status(), created.raw().body());
        assertNotNull(created.header("OData-EntityId"));
        Reply again = send("PATCH", "contacts(nificrm_sourceid='S-1')", body.replace("Ann", "Anne"));
        assertEquals(204, again.status());
        List<SimRecord> matches = contacts().stream().filter(r -> "S-1".equals(r.fields().get("nificrm_sourceid"))).toList();
        assertEquals(1, matches.size());
        assertEquals("Anne", matches.get(0).fields().get("firstname"));
        assertEquals(accountId, matches.get(0).fields().get("parentcustomerid"));

        Reply createOnly = send("PATCH", "contacts(nificrm_sourceid='S-1')", body, "If-None-Match", "*");
        assertEquals(412, createOnly.status());
        assertEquals("A record with matching key values already exists.", createOnly.json().at("/error/message").asText());
        Reply updateOnly = send("PATCH", "contacts(nificrm_sourceid='S-404')", body, "If-Match", "*");
        assertEquals(404, updateOnly.status());
        assertTrue(contacts().findByUnique("nificrm_sourceid", "S-404").isEmpty());

        Reply rep = send("PATCH", "contacts(nificrm_sourceid='S-2')?$select=contactid,lastname", "{\"lastname\":\"Rep\"}",
                "Prefer", "return=representation");
        assertEquals(201, rep.status());
        assertNotNull(rep.header("ETag"));
        assertEquals("Rep", rep.json().get("lastname").asText());
        Reply rep2 = send("PATCH", "contacts(nificrm_sourceid='S-2')", "{\"lastname\":\"Rep2\"}", "Prefer", "return=representation");
        assertEquals(200, rep2.status());
        assertEquals(rep.json().get("contactid").asText(), rep2.json().get("contactid").asText());

        assertEquals(400, send("PATCH", "contacts(emailaddress1='a@b.c')", body).status());
        Reply missingParent = send("POST", "contacts", "{\"lastname\":\"X\",\"parentcustomerid_account@odata.bind\":\"/accounts(00000001-0000-4000-8000-0000000fffff)\"}");
        assertEquals(404, missingParent.status());
        assertTrue(missingParent.json().at("/error/message").asText().contains("Does Not Exist"));
        Reply unknown = send("POST", "contacts", "{\"lastname\":\"X\",\"shoesize\":44}");
        assertEquals(400, unknown.status());
        assertEquals("Invalid property 'shoesize' was found in entity 'Microsoft.Dynamics.CRM.contact'.", unknown.json().at("/error/message").asText());
        Reply required = send("POST", "contacts", "{\"firstname\":\"NoLast\"}");
        assertEquals(400, required.status());
        assertEquals("0x80040203", required.json().at("/error/code").asText());
        assertTrue(required.json().at("/error/message").asText().contains("lastname"));
        assertEquals(400, send("POST", "contacts", "{\"lastname\":\"X\",\"leadsourcecode\":99}").status());

        // Plain create, update by GUID (404 when missing) and a soft delete.
        Reply plain = send("POST", "accounts", "{\"name\":\"Plain\",\"industrycode\":2}", "Prefer", "return=representation");
        assertEquals(201, plain.status());
        String id = plain.json().get("accountid").asText();
        assertEquals(204, send("PATCH", "accounts(" + id + ")", "{\"telephone1\":\"+1 555\"}").status());
        Reply stale = send("PATCH", "accounts(" + id + ")", "{\"telephone1\":\"1\"}", "If-Match", "W/\"999999\"");
        assertEquals(412, stale.status());
        String etag = get("accounts(" + id + ")").header("ETag");
        assertEquals(204, send("PATCH", "accounts(" + id + ")", "{\"telephone1\":\"2\"}", "If-Match", etag).status());
        assertEquals(404, send("PATCH", "accounts(00000001-0000-4000-8000-0000000fffff)", "{\"name\":\"x\"}").status());
        assertEquals(204, send("DELETE", "accounts(" + id + ")", null).status());
        assertEquals(404, send("DELETE", "accounts(" + id + ")", null).status());
        assertTrue(sim.dynamics().store("account").orElseThrow().get(id).orElseThrow().deleted());
    }

    // ---- $batch ----

    private static String part(String method, String url, String json, String contentId) {
        return "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
                + (contentId == null ? "" : "Content-ID: " + contentId + "\r\n") + "\r\n"
                + method + " " + url + " HTTP/1.1\r\n"
                + (json == null ? "\r\n" : "Content-Type: application/json;type=entry\r\n\r\n" + json + "\r\n");
    }

    private static String batch(String boundary, List<String> parts) {
        StringBuilder sb = new StringBuilder();
        for (String p : parts) {
            sb.append("--").append(boundary).append("\r\n").append(p);
        }
        return sb.append("--").append(boundary).append("--\r\n").toString();
    }

    private static String changeSet(String boundary, List<String> parts) {
        return "Content-Type: multipart/mixed;boundary=" + boundary + "\r\n\r\n" + batch(boundary, parts);
    }

    private Reply postBatch(String body, String... headers) throws Exception {
        List<String> all = new ArrayList<>(List.of("Content-Type", "multipart/mixed;boundary=batch_AAA"));
        all.addAll(List.of(headers));
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(sim.baseUrl() + API + "$batch"))
                .header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < all.size(); i += 2) {
            b.header(all.get(i), all.get(i + 1));
        }
        HttpResponse<String> r = HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), r);
    }

    private static List<Integer> statuses(String body) {
        List<Integer> out = new ArrayList<>();
        Matcher m = Pattern.compile("HTTP/1\\.1 (\\d{3})").matcher(body);
        while (m.find()) {
            out.add(Integer.parseInt(m.group(1)));
        }
        return out;
    }

    @Test
    void batchContinueOnErrorAnswersEveryRequest() throws Exception {
        String base = sim.baseUrl() + API;
        String body = batch("batch_AAA", List.of(
                part("PATCH", base + "contacts(nificrm_sourceid='B-1')", "{\"lastname\":\"One\"}", null),
                part("PATCH", base + "contacts(nificrm_sourceid='B-2')", "{\"lastname\":\"Two\"}", null),
                part("PATCH", "/api/data/v9.2/contacts(nificrm_sourceid='B-3')", "{\"lastname\":\"Three\"}", null),
                part("PATCH", "contacts(nificrm_sourceid='B-4')", "{\"lastname\":\"Four\",\"leadsourcecode\":42}", null)));
        Reply r = postBatch(body, "Prefer", "odata.continue-on-error");
        assertEquals(200, r.status(), r.raw().body());
        assertTrue(r.header("Content-Type").startsWith("multipart/mixed; boundary=batchresponse_"));
        assertEquals(List.of(204, 204, 204, 400), statuses(r.raw().body()));
        assertTrue(r.raw().body().contains("OData-EntityId: "));
        assertTrue(r.raw().body().contains("\"code\":\"0x8004431a\""));
        assertEquals(3, contacts().count(false));

        // Without continue-on-error the batch stops at the first failure and answers with that part only.
        String stopping = batch("batch_AAA", List.of(
                part("POST", "contacts", "{\"lastname\":\"Before\"}", null),
                part("POST", "contacts", "{\"firstname\":\"NoLastName\"}", null),
                part("POST", "contacts", "{\"lastname\":\"After\"}", null)));
        Reply stopped = postBatch(stopping);
        assertEquals(400, stopped.status());
        assertEquals(List.of(400), statuses(stopped.raw().body()));
        assertEquals(4, contacts().count(false));

        // Inner requests take the per-record fault hook: a transient 503 for that request only.
        sim.faults().add(FaultRule.on("dynamics", "batch").withPartialFailures(1.0));
        Reply faulted = postBatch(batch("batch_AAA", List.of(part("POST", "contacts", "{\"lastname\":\"F\"}", null))),
                "Prefer", "odata.continue-on-error");
        sim.faults().clear();
        assertEquals(200, faulted.status());
        assertEquals(List.of(503), statuses(faulted.raw().body()));

        List<String> tooMany = new ArrayList<>();
        for (int i = 0; i < 1001; i++) {
            tooMany.add(part("DELETE", "contacts(00000002-0000-4000-8000-0000000fffff)", null, null));
        }
        assertEquals(400, postBatch(batch("batch_AAA", tooMany)).status());
    }

    @Test
    void changeSetsAreAllOrNothingWithContentIdReferences() throws Exception {
        long accountsBefore = sim.dynamics().store("account").orElseThrow().count(true);
        String ok = batch("batch_AAA", List.of(changeSet("changeset_BBB", List.of(
                part("POST", "accounts", "{\"name\":\"Parent\"}", "1"),
                part("POST", "contacts", "{\"lastname\":\"Child\",\"parentcustomerid_account@odata.bind\":\"$1\"}", "2"),
                part("PATCH", "$1", "{\"telephone1\":\"123\"}", "3")))));
        Reply r = postBatch(ok);
        assertEquals(200, r.status(), r.raw().body());
        assertTrue(r.raw().body().contains("boundary=changesetresponse_"));
        assertTrue(r.raw().body().contains("Content-ID: 2"));
        assertEquals(List.of(204, 204, 204), statuses(r.raw().body()));
        SimRecord parent = sim.dynamics().store("account").orElseThrow().stream().filter(a -> "Parent".equals(a.fields().get("name"))).findFirst().orElseThrow();
        assertEquals("123", parent.fields().get("telephone1"));
        SimRecord child = contacts().stream().filter(c -> "Child".equals(c.fields().get("lastname"))).findFirst().orElseThrow();
        assertEquals(parent.id(), child.fields().get("parentcustomerid"));

        String failing = batch("batch_AAA", List.of(changeSet("changeset_CCC", List.of(
                part("POST", "accounts", "{\"name\":\"Doomed\"}", "1"),
                part("POST", "contacts", "{\"lastname\":\"Doomed\",\"parentcustomerid_account@odata.bind\":\"$1\"}", "2"),
                part("PATCH", "contacts(" + child.id() + ")", "{\"lastname\":\"Changed\"}", "3"),
                part("POST", "contacts", "{\"lastname\":\"Bad\",\"leadsourcecode\":77}", "4")))));
        Reply failed = postBatch(failing);
        assertEquals(400, failed.status(), failed.raw().body());
        assertEquals(List.of(400), statuses(failed.raw().body()));
        assertEquals(accountsBefore + 1, sim.dynamics().store("account").orElseThrow().count(true));
        assertEquals(1, contacts().count(true));
        assertEquals("Child", contacts().get(child.id()).orElseThrow().fields().get("lastname"));

        Reply badRef = postBatch(batch("batch_AAA", List.of(changeSet("changeset_DDD", List.of(
                part("POST", "contacts", "{\"lastname\":\"X\",\"parentcustomerid_account@odata.bind\":\"$9\"}", "1"))))));
        assertEquals(400, badRef.status());
    }

    // ---- limits ----

    @Test
    void throttlesWithRetryAfterOverTheRequestWindow() throws Exception {
        try (CrmSimulator limited = CrmSimulator.start(SimulatorConfig.defaults().unlimited()
                .limits("dynamics", new SimulatorConfig.Limits(5, Duration.ofSeconds(1), 0)))) {
            CrmSimulator previous = sim;
            sim = limited;
            try {
                token = fetchToken(limited);
                List<String> remaining = new ArrayList<>();
                for (int i = 0; i < 5; i++) {
                    Reply r = get("WhoAmI");
                    assertEquals(200, r.status());
                    remaining.add(r.header("x-ms-ratelimit-burst-remaining-xrm-requests"));
                }
                assertEquals(List.of("4", "3", "2", "1", "0"), remaining);
                Reply throttled = get("contacts");
                assertEquals(429, throttled.status());
                assertEquals("1", throttled.header("Retry-After"));
                assertEquals("0x80072322", throttled.json().at("/error/code").asText());
                assertTrue(throttled.json().at("/error/message").asText().contains("limit of 5"));
                Thread.sleep(1100);
                assertEquals(200, get("contacts").status());
            } finally {
                sim = previous;
            }
        }
    }

    // ---- metadata ----

    @Test
    void metadataShapes() throws Exception {
        JsonNode entity = get("EntityDefinitions(LogicalName='contact')?$select=LogicalName,EntitySetName,PrimaryIdAttribute,PrimaryNameAttribute,ChangeTrackingEnabled").json();
        assertEquals("contacts", entity.get("EntitySetName").asText());
        assertEquals("contactid", entity.get("PrimaryIdAttribute").asText());
        assertEquals("fullname", entity.get("PrimaryNameAttribute").asText());
        assertTrue(entity.get("ChangeTrackingEnabled").asBoolean());
        assertNotNull(entity.get("MetadataId"));
        assertFalse(entity.has("ObjectTypeCode"));

        Map<String, JsonNode> attributes = new HashMap<>();
        get("EntityDefinitions(LogicalName='contact')/Attributes").json().get("value")
                .forEach(a -> attributes.put(a.get("LogicalName").asText(), a));
        assertEquals("ApplicationRequired", attributes.get("lastname").at("/RequiredLevel/Value").asText());
        assertEquals("None", attributes.get("firstname").at("/RequiredLevel/Value").asText());
        assertEquals(50, attributes.get("lastname").get("MaxLength").asInt());
        assertEquals("SystemRequired", attributes.get("contactid").at("/RequiredLevel/Value").asText());
        assertEquals("Uniqueidentifier", attributes.get("contactid").get("AttributeType").asText());
        assertEquals("Lookup", attributes.get("parentcustomerid").get("AttributeType").asText());
        assertEquals("account", attributes.get("parentcustomerid").get("Targets").get(0).asText());
        assertEquals("DateOnly", attributes.get("birthdate").get("Format").asText());
        assertEquals("Email", attributes.get("emailaddress1").get("Format").asText());
        assertEquals("Picklist", attributes.get("leadsourcecode").get("AttributeType").asText());
        assertFalse(attributes.get("createdon").get("IsValidForCreate").asBoolean());
        assertEquals("First Name", attributes.get("firstname").at("/DisplayName/UserLocalizedLabel/Label").asText());

        JsonNode picklist = get("EntityDefinitions(LogicalName='contact')/Attributes(LogicalName='leadsourcecode')"
                + "/Microsoft.Dynamics.CRM.PicklistAttributeMetadata?$select=LogicalName&$expand=OptionSet").json();
        JsonNode options = picklist.at("/OptionSet/Options");
        assertEquals(SeedData.LEAD_SOURCES.size(), options.size());
        for (int i = 0; i < options.size(); i++) {
            assertEquals(i + 1, options.get(i).get("Value").asInt());
            assertTrue(options.get(i).get("Value").isInt());
            assertEquals(SeedData.LEAD_SOURCES.get(i), options.get(i).at("/Label/UserLocalizedLabel/Label").asText());
        }
        JsonNode allPicklists = get("EntityDefinitions(LogicalName='account')/Attributes/Microsoft.Dynamics.CRM.PicklistAttributeMetadata"
                + "?$select=LogicalName&$expand=OptionSet").json().get("value");
        assertEquals(1, allPicklists.size());
        assertEquals("industrycode", allPicklists.get(0).get("LogicalName").asText());
        assertEquals(SeedData.INDUSTRIES.get(0), allPicklists.get(0).at("/OptionSet/Options/0/Label/UserLocalizedLabel/Label").asText());
        assertEquals(404, get("EntityDefinitions(LogicalName='contact')/Attributes(LogicalName='lastname')"
                + "/Microsoft.Dynamics.CRM.PicklistAttributeMetadata").status());

        JsonNode key = get("EntityDefinitions(LogicalName='contact')/Keys").json().get("value").get(0);
        assertEquals("nificrm_sourceid_key", key.get("LogicalName").asText());
        assertEquals("nificrm_sourceid", key.get("KeyAttributes").get(0).asText());
        assertEquals("Active", key.get("EntityKeyIndexStatus").asText());

        Reply unknown = get("EntityDefinitions(LogicalName='widget')");
        assertEquals(404, unknown.status());
        assertEquals("0x8006088a", unknown.json().at("/error/code").asText());
    }

    @Test
    void seedLoadsGroundTruthUnderLogicalNames() {
        seed(10, 50);
        sim.seed("dynamics", new SeedConfig(10, 50, 10, 0.1, 42L));
        assertEquals(100, sim.dynamics().groundTruth().clusters("contact").size());
        assertEquals(20, sim.dynamics().groundTruth().clusters("account").size());
        assertEquals(10, sim.dynamics().store("opportunity").orElseThrow().count(false));
        List<String> ids = contacts().stream().map(SimRecord::id).toList();
        assertEquals(ids.stream().sorted(Comparator.naturalOrder()).toList(), ids);
    }
}
