package io.nificrm.nifitests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.nifitests.flows.FlowTemplates;
import io.nificrm.nifitests.flows.TemplateFiles;
import io.nificrm.nifitests.harness.Await;
import io.nificrm.nifitests.harness.DeployedFlow;
import io.nificrm.nifitests.harness.FreePorts;
import io.nificrm.nifitests.harness.NiFiInstance;
import io.nificrm.nifitests.harness.NiFiNodeConfig;
import io.nificrm.nifitests.harness.NiFiRestClient;
import io.nificrm.nifitests.harness.SimulatorProcess;
import io.nificrm.nifitests.harness.TestArtifacts;
import io.nificrm.nifitests.harness.model.Bulletin;
import io.nificrm.nifitests.harness.model.GroupStatus;
import io.nificrm.simulator.SimulatorCredentials;
import io.nificrm.simulator.postgres.LocalPostgres;
import io.nificrm.simulator.webhooks.HubSpotSignature;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sync-mode flow definitions of templates/ in one real NiFi 2.3.0 (our NAR and the stock-processors test NAR), one
 * after the other: each uploaded from its file through the REST API as a user would, its parameters set, its services
 * enabled, started against one CRM simulator process (and, for the queue, a real PostgreSQL outbox), and the outcome
 * checked record by record on the simulated systems.
 * <ol>
 *   <li>reconcile: planted missing, different and extra records are found (exact report counts) and repaired;</li>
 *   <li>push: HubSpot webhooks, v3-signed by the simulator, reach Salesforce exactly; a forged one is refused (401)
 *   and writes nothing;</li>
 *   <li>queue: Salesforce creates, updates and deletes reach HubSpot exactly through the PostgreSQL outbox;</li>
 *   <li>two-way: records created on both sides are linked, concurrent edits converge by last writer wins, and then
 *   nothing is written any more (no echo loop).</li>
 * </ol>
 */
@Tag("real-nifi")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RealNiFiSyncFlowsTest {

    private static final System.Logger LOG = System.getLogger(RealNiFiSyncFlowsTest.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration FLOW_TIMEOUT = Duration.ofSeconds(90);
    private static final Set<String> SECRETS = Set.of("source.client.secret", "source.access.token", "target.access.token",
            "target.client.secret", "webhook.client.secret", "queue.jdbc.password", "salesforce.client.secret", "hubspot.access.token");
    private static final String WEBHOOK_SECRET = "nifi-crm-test-app-secret";

    private SimulatorProcess sim;
    private NiFiInstance nifi;
    private NiFiRestClient api;
    private Path runDir;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    void startSimulatorAndNiFi() throws IOException {
        runDir = TestArtifacts.workDir().getParent().resolve("sync-flow-runs")
                .resolve(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Files.createDirectories(runDir);
        // 100 Salesforce contacts (10 accounts), no near-duplicates: the reconciliation compares them one to one.
        sim = SimulatorProcess.start(TestArtifacts.workDir(), List.of("--port", "0", "--seed", "salesforce=100",
                "--duplicate-rate", "0", "--unlimited"));
        LOG.log(System.Logger.Level.INFO, "Simulator at {0} (pid {1,number,#}), log {2}", sim.baseUrl(), sim.pid(), sim.log());
        nifi = NiFiInstance.create(NiFiNodeConfig.builder("sync-flows").build()).start();
        api = nifi.client();
        nifi.installCrmBundle(true, "io.nificrm.processors.SyncCrmChanges", "org.apache.nifi.processors.standard.QueryRecord");
    }

    @AfterAll
    void stop() {
        if (nifi != null) {
            nifi.close();
        }
        if (sim != null) {
            sim.close();
        }
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    private static JsonNode template(String path) {
        return TemplateFiles.read(TemplateFiles.file(path));
    }

    private Map<String, String> salesforce(String prefix) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put(prefix + ".login.url", sim.baseUrl());
        p.put(prefix + ".client.id", SimulatorCredentials.SALESFORCE_CLIENT_ID);
        p.put(prefix + ".client.secret", SimulatorCredentials.SALESFORCE_CLIENT_SECRET);
        return p;
    }

    private Map<String, String> hubspot(String prefix) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put(prefix + ".base.url", sim.baseUrl());
        p.put(prefix + ".access.token", SimulatorCredentials.HUBSPOT_PRIVATE_APP_TOKEN);
        return p;
    }

    /**
     * Polling parameters of the incremental sources: changes from now on, read within seconds. The first window starts
     * a lookback before now, so it waits until the previous flow's writes are older than that: each flow sees only
     * the changes its test makes.
     */
    private static Map<String, String> fastPolling() {
        Await.sleep(Duration.ofSeconds(3));
        Map<String, String> p = new LinkedHashMap<>();
        p.put("sync.schedule", "2 sec");
        p.put("sync.age.delay", "1 sec");
        p.put("sync.lookback", "2 sec");
        p.put("sync.initial.start", Instant.now().toString());
        return p;
    }

    /** Live records of a simulated object keyed by the value of one of their fields (records without it left out). */
    private Map<String, JsonNode> by(String system, String object, String field) {
        Map<String, JsonNode> map = new HashMap<>();
        for (JsonNode r : sim.records(system, object)) {
            String value = r.path("fields").path(field).asText(null);
            if (value != null && !value.isEmpty()) {
                map.put(value, r);
            }
        }
        return map;
    }

    private JsonNode byId(String system, String object, String id) {
        return sim.records(system, object).stream().filter(r -> id.equals(r.path("id").asText())).findFirst().orElse(null);
    }

    private static String field(JsonNode record, String name) {
        return record == null ? null : record.path("fields").path(name).asText(null);
    }

    private String create(String system, String object, Map<String, Object> fields) {
        return sim.putRecord(system, object, Map.of("fields", fields)).path("id").asText();
    }

    /** Changes some fields of a record, keeping the others (the admin API replaces the whole record). */
    @SuppressWarnings("unchecked")
    private void edit(String system, String object, String id, Map<String, Object> changes) {
        JsonNode current = byId(system, object, id);
        assertTrue(current != null, system + " " + object + " " + id + " exists");
        Map<String, Object> fields = JSON.convertValue(current.path("fields"), Map.class);
        fields.putAll(changes);
        sim.putRecord(system, object, Map.of("id", id, "fields", fields));
    }

    private void await(String what, DeployedFlow flow, Callable<Boolean> condition) {
        try {
            Await.until(what, FLOW_TIMEOUT, condition);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n" + describe(flow.status()) + "\nbulletins: " + errors(api.bulletins()), e);
        }
    }

    /**
     * Waits until nothing is queued in the flow, twice in a row a second apart (listeners and queue consumers wait for
     * input inside their task, so a running flow always has active threads).
     */
    private void awaitIdle(DeployedFlow flow) {
        await("the flow " + flow.name() + " to be idle", flow, () -> {
            if (flow.status().flowFilesQueued() != 0) {
                return false;
            }
            Await.sleep(Duration.ofSeconds(1));
            return flow.status().flowFilesQueued() == 0;
        });
    }

    private void stopAndSettle(DeployedFlow flow) {
        flow.stop();
        Await.until("the flow " + flow.name() + " to stop", Duration.ofSeconds(60), Duration.ofMillis(250), flow::status,
                s -> s.activeThreadCount() == 0);
    }

    private static String describe(GroupStatus status) {
        StringBuilder out = new StringBuilder("processors (FlowFiles in/out):");
        JsonNode snapshot = status.raw().path("processGroupStatus").path("aggregateSnapshot");
        snapshot.path("processorStatusSnapshots").forEach(p -> {
            JsonNode s = p.path("processorStatusSnapshot");
            out.append("\n  ").append(s.path("name").asText()).append(": ").append(s.path("flowFilesIn").asLong()).append('/')
                    .append(s.path("flowFilesOut").asLong());
        });
        out.append("\nqueued:");
        snapshot.path("connectionStatusSnapshots").forEach(c -> {
            JsonNode s = c.path("connectionStatusSnapshot");
            if (s.path("flowFilesQueued").asLong() > 0) {
                out.append("\n  ").append(s.path("sourceName").asText()).append(" → ").append(s.path("destinationName").asText())
                        .append(": ").append(s.path("queued").asText());
            }
        });
        return out.toString();
    }

    private static List<String> errors(List<Bulletin> bulletins) {
        return bulletins.stream().filter(Bulletin::isError).map(b -> b.sourceName() + ": " + b.message()).toList();
    }

    /** The records set aside in a review directory (all files), as JSON records. */
    private static List<JsonNode> reviewed(Path directory) {
        List<JsonNode> records = new ArrayList<>();
        if (!Files.isDirectory(directory)) {
            return records;
        }
        try (Stream<Path> files = Files.list(directory)) {
            for (Path f : files.sorted().toList()) {
                JsonNode content = JSON.readTree(f.toFile());
                if (content.isArray()) {
                    content.forEach(records::add);
                } else {
                    records.add(content);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return records;
    }

    private static List<String> fileNames(Path directory) {
        if (!Files.isDirectory(directory)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(f -> f.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---- 1. reconcile ----------------------------------------------------------------------------------------------

    private JsonNode awaitReport(DeployedFlow flow, Path reports, int n) throws IOException {
        await("reconciliation report " + n, flow, () -> fileNames(reports).size() >= n);
        awaitIdle(flow);
        stopAndSettle(flow);
        List<String> names = fileNames(reports);
        assertEquals(n, names.size(), "one report per run: " + names);
        JsonNode report = JSON.readTree(reports.resolve(names.get(n - 1)).toFile());
        LOG.log(System.Logger.Level.INFO, "reconciliation report {0}: {1}", n, report);
        return report;
    }

    private static Set<String> samples(JsonNode report, String kind) {
        Set<String> keys = new TreeSet<>();
        report.path("samples").path(kind).forEach(k -> keys.add(k.isTextual() ? k.asText() : k.path("key").asText()));
        return keys;
    }

    @Test
    @Order(1)
    void reconcileFindsExactlyThePlantedDifferencesAndRepairsThem() throws IOException {
        Path review = runDir.resolve("reconcile/review");
        Path reports = runDir.resolve("reconcile/reports");
        // The contacts' companies are in HubSpot (reconcile parents first), so every repair can link its company.
        for (JsonNode account : sim.records("salesforce", "Account")) {
            create("hubspot", "companies", Map.of("name", field(account, "Name"), "source_id", account.path("id").asText()));
        }
        List<JsonNode> sfContacts = sim.records("salesforce", "Contact");
        assertEquals(100, sfContacts.size(), "the seed");
        assertEquals(0, sim.count("hubspot", "contacts"), "HubSpot starts without contacts");

        Map<String, String> parameters = new LinkedHashMap<>(salesforce("source"));
        parameters.putAll(hubspot("target"));
        parameters.put("review.directory", review.toString());
        parameters.put("report.directory", reports.toString());
        parameters.put("reconcile.schedule", "1 day"); // once per start
        try (DeployedFlow flow = DeployedFlow.deploy(api, "reconcile", template(FlowTemplates.RECONCILE_SALESFORCE_TO_HUBSPOT),
                parameters, SECRETS)) {
            // Run 1: HubSpot is empty, every mappable contact is missing, and created.
            flow.start();
            JsonNode first = awaitReport(flow, reports, 1);
            long mappable = first.path("source").path("records").asLong() - first.path("source").path("unmappable").asLong()
                    - first.path("source").path("withoutKey").asLong();
            assertEquals(100, first.path("source").path("records").asLong(), "source records read");
            assertTrue(mappable > 80, "most seeded contacts map: " + first);
            assertEquals(List.of(0L, mappable, 0L, 0L), List.of(first.path("matched").asLong(), first.path("missingInTarget").asLong(),
                    first.path("extraInTarget").asLong(), first.path("different").asLong()), "first run: " + first);
            Map<String, JsonNode> hs = by("hubspot", "contacts", "source_id");
            assertEquals(mappable, hs.size(), "the missing contacts were created");
            assertEquals(List.of(), reviewed(review), "nothing refused");

            // Plant: 3 HubSpot contacts deleted, 4 changed, 2 extra with keys no Salesforce contact has.
            List<String> keys = new ArrayList<>(new TreeSet<>(hs.keySet()));
            Set<String> deleted = new TreeSet<>(keys.subList(0, 3));
            Set<String> changed = new TreeSet<>(keys.subList(3, 7));
            deleted.forEach(k -> sim.deleteRecord("hubspot", "contacts", hs.get(k).path("id").asText()));
            Map<String, String> jobTitles = new HashMap<>();
            for (String k : changed) {
                jobTitles.put(k, field(hs.get(k), "jobtitle"));
                edit("hubspot", "contacts", hs.get(k).path("id").asText(), Map.of("jobtitle", "Planted title " + k));
            }
            Set<String> extra = new TreeSet<>(List.of("PLANTED-EXTRA-1", "PLANTED-EXTRA-2"));
            extra.forEach(k -> create("hubspot", "contacts", Map.of("firstname", "Extra", "lastname", k, "source_id", k)));

            // Run 2: exactly the planted findings; missing and different repaired, extras set aside.
            flow.start();
            JsonNode second = awaitReport(flow, reports, 2);
            assertEquals(List.of(3L, 2L, 4L, mappable - 7), List.of(second.path("missingInTarget").asLong(),
                    second.path("extraInTarget").asLong(), second.path("different").asLong(), second.path("matched").asLong()),
                    "second run (missing, extra, different, matched): " + second);
            assertEquals(deleted, samples(second, "missing"));
            assertEquals(changed, samples(second, "different"));
            assertEquals(extra, samples(second, "extra"));
            assertEquals(4L, second.path("fieldDifferences").path("jobtitle").asLong(), "per field: " + second.path("fieldDifferences"));
            Map<String, JsonNode> repaired = by("hubspot", "contacts", "source_id");
            assertTrue(repaired.keySet().containsAll(deleted), "the missing contacts are back");
            changed.forEach(k -> assertEquals(jobTitles.get(k), field(repaired.get(k), "jobtitle"), "job title of " + k + " repaired"));
            Set<String> reviewedKeys = reviewed(review).stream().map(r -> r.path("source_id").asText()).collect(Collectors.toCollection(TreeSet::new));
            assertEquals(extra, reviewedKeys, "the extra records are in the review directory (and were not deleted)");
            assertTrue(repaired.keySet().containsAll(extra));

            // Run 3: in sync but for the extras, which stay for a person to decide.
            flow.start();
            JsonNode third = awaitReport(flow, reports, 3);
            assertEquals(List.of(0L, 2L, 0L, mappable), List.of(third.path("missingInTarget").asLong(), third.path("extraInTarget").asLong(),
                    third.path("different").asLong(), third.path("matched").asLong()), "third run: " + third);
        }
    }

    // ---- 2. push ---------------------------------------------------------------------------------------------------

    private int post(String url, String body, Map<String, String> headers) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10))
                .POST(HttpRequest.BodyPublishers.ofString(body));
        request.header("Content-Type", "application/json");
        headers.forEach(request::header);
        return http.send(request.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }

    @Test
    @Order(2)
    void pushSyncCarriesSignedWebhooksToSalesforceAndRefusesForgedOnes() throws Exception {
        Path review = runDir.resolve("push/review");
        int port = FreePorts.allocate(1)[0];
        String url = "http://127.0.0.1:" + port + "/crm/webhook";
        Map<String, String> parameters = new LinkedHashMap<>(hubspot("source"));
        parameters.putAll(salesforce("target"));
        parameters.put("webhook.port", Integer.toString(port));
        parameters.put("webhook.client.secret", WEBHOOK_SECRET);
        parameters.put("review.directory", review.toString());
        ObjectNode subscription = JSON.createObjectNode().put("url", url).put("secret", WEBHOOK_SECRET);
        Set<String> linkedBefore = by("salesforce", "Contact", "External_Id__c").keySet();
        assertEquals(Set.of(), linkedBefore, "no Salesforce contact comes from HubSpot yet");

        try (DeployedFlow flow = DeployedFlow.deploy(api, "push", template(FlowTemplates.ONGOING_SYNC_PUSH_HUBSPOT_TO_SALESFORCE),
                parameters, SECRETS)) {
            flow.start();
            Await.until("the webhook listener to listen", Duration.ofSeconds(30), () -> {
                try {
                    return post(url, "[]", Map.of()) == 401; // unsigned: refused, and proves the port is open
                } catch (IOException e) {
                    return false;
                }
            });

            // A forged notification (signed with another secret) is refused and writes nothing.
            long now = System.currentTimeMillis();
            String forged = "[{\"eventId\":1,\"subscriptionId\":1,\"portalId\":62515,\"appId\":1,\"occurredAt\":" + now
                    + ",\"subscriptionType\":\"contact.creation\",\"attemptNumber\":0,\"objectId\":999999,\"changeSource\":\"API\"}]";
            int forgedStatus = post(url, forged, Map.of(HubSpotSignature.V3_HEADER, HubSpotSignature.v3("not-the-secret", "POST", url,
                    forged.getBytes(StandardCharsets.UTF_8), now), HubSpotSignature.TIMESTAMP_HEADER, Long.toString(now)));
            assertEquals(401, forgedStatus, "a forged webhook is refused");

            sim.call("POST", "/sim/hubspot/webhooks", Map.of("Content-Type", "application/json"), subscription.toString());
            try {
                // 6 contacts created in HubSpot; then 2 updated and 1 deleted.
                List<String> ids = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    ids.add(create("hubspot", "contacts", Map.of("firstname", "Push" + i, "lastname", "Webhook" + i,
                            "email", "push" + i + "@webhook.example", "jobtitle", "Title " + i)));
                }
                await("the 6 HubSpot contacts in Salesforce", flow, () -> by("salesforce", "Contact", "External_Id__c").keySet()
                        .containsAll(ids));
                edit("hubspot", "contacts", ids.get(0), Map.of("jobtitle", "Updated by webhook"));
                edit("hubspot", "contacts", ids.get(1), Map.of("lastname", "Renamed"));
                sim.deleteRecord("hubspot", "contacts", ids.get(5));
                await("the updates and the delete in Salesforce", flow, () -> {
                    Map<String, JsonNode> sf = by("salesforce", "Contact", "External_Id__c");
                    return "Updated by webhook".equals(field(sf.get(ids.get(0)), "Title"))
                            && "Renamed".equals(field(sf.get(ids.get(1)), "LastName")) && !sf.containsKey(ids.get(5));
                });
                awaitIdle(flow);

                Map<String, JsonNode> sf = by("salesforce", "Contact", "External_Id__c");
                assertEquals(new TreeSet<>(ids.subList(0, 5)), new TreeSet<>(sf.keySet()), "exactly the HubSpot contacts, the deleted one gone");
                for (int i = 0; i < 5; i++) {
                    JsonNode c = sf.get(ids.get(i));
                    assertEquals("Push" + i, field(c, "FirstName"));
                    assertEquals(i == 1 ? "Renamed" : "Webhook" + i, field(c, "LastName"));
                    assertEquals("push" + i + "@webhook.example", field(c, "Email"));
                    assertEquals(i == 0 ? "Updated by webhook" : "Title " + i, field(c, "Title"));
                }
                assertEquals(List.of(), reviewed(review), "nothing set aside");
                Map<String, Long> counters = api.counters(flow.processorIds());
                LOG.log(System.Logger.Level.INFO, "push counters: {0}", counters);
                assertEquals(1L, counters.getOrDefault("Requests Rejected - bad signature (401)", 0L), "the forged request: " + counters);
                JsonNode stats = sim.admin().get("/sim/hubspot/webhooks").path("stats");
                assertEquals(0L, stats.path("eventsDropped").asLong(), "every webhook event was acknowledged: " + stats);
            } finally {
                sim.call("DELETE", "/sim/hubspot/webhooks", Map.of(), null);
            }
        }
    }

    // ---- 3. queue --------------------------------------------------------------------------------------------------

    @Test
    @Order(3)
    void queueSyncCarriesCreatesUpdatesAndDeletesThroughThePostgresOutbox() throws Exception {
        LocalPostgres postgres = LocalPostgres.shared();
        String name = "nifi_queue_" + System.currentTimeMillis();
        LocalPostgres.Database database = postgres.createDatabase(name);
        Path review = runDir.resolve("queue/review");
        try {
            Map<String, String> parameters = new LinkedHashMap<>(salesforce("source"));
            parameters.putAll(hubspot("target"));
            parameters.put("queue.jdbc.url", database.jdbcUrl());
            parameters.put("queue.jdbc.user", database.user());
            parameters.put("queue.jdbc.password", database.password());
            parameters.put("queue.jdbc.driver.location", TestArtifacts.postgresqlDriver().toString());
            parameters.put("review.directory", review.toString());
            parameters.putAll(fastPolling());
            List<String> ids = new ArrayList<>();
            try (DeployedFlow flow = DeployedFlow.deploy(api, "queue", template(FlowTemplates.ONGOING_SYNC_QUEUE_SALESFORCE_TO_HUBSPOT),
                    parameters, SECRETS)) {
                flow.start();
                for (int i = 0; i < 5; i++) {
                    ids.add(create("salesforce", "Contact", Map.of("FirstName", "Queued" + i, "LastName", "Outbox" + i,
                            "Email", "queued" + i + "@outbox.example", "Title", "Title " + i)));
                }
                await("the 5 Salesforce contacts in HubSpot", flow, () -> by("hubspot", "contacts", "source_id").keySet().containsAll(ids));
                edit("salesforce", "Contact", ids.get(0), Map.of("Title", "Updated through the queue"));
                sim.deleteRecord("salesforce", "Contact", ids.get(4));
                await("the update and the delete in HubSpot", flow, () -> {
                    Map<String, JsonNode> hs = by("hubspot", "contacts", "source_id");
                    return "Updated through the queue".equals(field(hs.get(ids.get(0)), "jobtitle")) && !hs.containsKey(ids.get(4));
                });
                awaitIdle(flow);

                Map<String, JsonNode> hs = by("hubspot", "contacts", "source_id");
                Set<String> synced = new TreeSet<>(ids);
                synced.retainAll(hs.keySet());
                assertEquals(new TreeSet<>(ids.subList(0, 4)), synced, "exactly the live contacts");
                for (int i = 0; i < 4; i++) {
                    JsonNode c = hs.get(ids.get(i));
                    assertEquals(List.of("Queued" + i, "Outbox" + i, "queued" + i + "@outbox.example", i == 0 ? "Updated through the queue" : "Title " + i),
                            List.of(field(c, "firstname"), field(c, "lastname"), field(c, "email"), field(c, "jobtitle")));
                }
                assertEquals(List.of(), reviewed(review), "nothing set aside");
            }
            // The changes really went through the outbox, each once: 5 creates, 1 update, 1 delete, all acknowledged.
            Map<String, List<String>> messages = new TreeMap<>();
            long pending = 0;
            try (Connection c = database.connect(); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT payload->>'crm_key', payload->>'crm_operation', done_at IS NULL"
                         + " FROM crm_outbox WHERE topic = 'salesforce-contacts' ORDER BY id")) {
                while (rs.next()) {
                    messages.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(rs.getString(2));
                    pending += rs.getBoolean(3) ? 1 : 0;
                }
            }
            Map<String, List<String>> expected = new TreeMap<>();
            ids.forEach(id -> expected.put(id, new ArrayList<>(List.of("upsert"))));
            expected.get(ids.get(0)).add("upsert");
            expected.get(ids.get(4)).add("delete");
            assertEquals(expected, messages, "the outbox messages (key → operations)");
            assertEquals(0, pending, "every outbox message was acknowledged");
        } finally {
            postgres.dropDatabase(name);
        }
    }

    // ---- 4. two-way ------------------------------------------------------------------------------------------------

    /** Modified times of every live record of both sides: unchanged means nothing was written. */
    private Map<String, String> modifiedTimes() {
        Map<String, String> times = new HashMap<>();
        sim.records("salesforce", "Contact").forEach(r -> times.put("sf/" + r.path("id").asText(), r.path("modifiedAt").asText()));
        sim.records("hubspot", "contacts").forEach(r -> times.put("hs/" + r.path("id").asText(), r.path("modifiedAt").asText()));
        return times;
    }

    @Test
    @Order(4)
    void twoWaySyncLinksBothSidesConvergesOnConflictsAndStopsWriting() throws Exception {
        Path review = runDir.resolve("two-way/review");
        Map<String, String> parameters = new LinkedHashMap<>(salesforce("salesforce"));
        parameters.putAll(hubspot("hubspot"));
        parameters.put("sync.ledger.directory", runDir.resolve("two-way/ledger").toString());
        parameters.put("review.directory", review.toString());
        parameters.putAll(fastPolling());
        try (DeployedFlow flow = DeployedFlow.deploy(api, "two-way", template(FlowTemplates.TWO_WAY_SYNC_SALESFORCE_HUBSPOT),
                parameters, SECRETS)) {
            flow.start();
            List<String> sfIds = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                sfIds.add(create("salesforce", "Contact", Map.of("FirstName", "Sf" + i, "LastName", "TwoWay" + i,
                        "Email", "sf" + i + "@two-way.example", "Title", "SF title " + i, "MailingCity", "Paris")));
            }
            List<String> hsIds = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                hsIds.add(create("hubspot", "contacts", Map.of("firstname", "Hs" + i, "lastname", "TwoWay" + i,
                        "email", "hs" + i + "@two-way.example", "jobtitle", "HS title " + i, "city", "Oslo")));
            }
            await("the records of each side created on the other", flow, () -> by("hubspot", "contacts", "source_id").keySet().containsAll(sfIds)
                    && by("salesforce", "Contact", "External_Id__c").keySet().containsAll(hsIds));
            awaitIdle(flow);

            // Concurrent edits while the flow is stopped: both sides change before either is read.
            stopAndSettle(flow);
            String a0 = sfIds.get(0);
            String a0InHubSpot = by("hubspot", "contacts", "source_id").get(a0).path("id").asText();
            String a1InHubSpot = by("hubspot", "contacts", "source_id").get(sfIds.get(1)).path("id").asText();
            String b0InSalesforce = by("salesforce", "Contact", "External_Id__c").get(hsIds.get(0)).path("id").asText();
            edit("salesforce", "Contact", a0, Map.of("Title", "Salesforce edit (older)"));
            edit("salesforce", "Contact", sfIds.get(1), Map.of("FirstName", "SfRenamed"));
            Await.sleep(Duration.ofMillis(1_500)); // whole-second modified times: HubSpot's edits are clearly newer
            edit("hubspot", "contacts", a0InHubSpot, Map.of("jobtitle", "HubSpot edit (newer)"));
            edit("hubspot", "contacts", a1InHubSpot, Map.of("city", "Lisbon"));
            edit("hubspot", "contacts", hsIds.get(0), Map.of("city", "Bergen"));
            Await.sleep(Duration.ofMillis(1_100));
            flow.start();

            await("both sides to converge", flow, () -> {
                JsonNode sfA0 = byId("salesforce", "Contact", a0);
                JsonNode hsA0 = byId("hubspot", "contacts", a0InHubSpot);
                JsonNode sfA1 = byId("salesforce", "Contact", sfIds.get(1));
                JsonNode hsA1 = byId("hubspot", "contacts", a1InHubSpot);
                JsonNode sfB0 = byId("salesforce", "Contact", b0InSalesforce);
                return "HubSpot edit (newer)".equals(field(sfA0, "Title")) && "HubSpot edit (newer)".equals(field(hsA0, "jobtitle"))
                        && "SfRenamed".equals(field(hsA1, "firstname")) && "Lisbon".equals(field(sfA1, "MailingCity"))
                        && "Bergen".equals(field(sfB0, "MailingCity"));
            });
            awaitIdle(flow);

            // No echo loop: several more polls of both sides write nothing on either side.
            Map<String, String> before = modifiedTimes();
            Map<String, Long> countersBefore = api.counters(flow.processorIds());
            Await.sleep(Duration.ofSeconds(8));
            awaitIdle(flow);
            assertEquals(before, modifiedTimes(), "records were still being written after convergence (echo loop)");
            Map<String, Long> countersAfter = api.counters(flow.processorIds());
            for (String counter : List.of("Creates", "Updates", "Deletes")) {
                assertEquals(countersBefore.getOrDefault(counter, 0L), countersAfter.getOrDefault(counter, 0L),
                        counter + " kept growing: " + countersAfter);
            }
            LOG.log(System.Logger.Level.INFO, "two-way counters: {0}", countersAfter);
            assertTrue(countersAfter.getOrDefault("Conflicts", 0L) >= 1, "the concurrent edits were a conflict: " + countersAfter);
            assertTrue(countersAfter.getOrDefault("Echoes Dropped", 0L) >= 5, "the creates' echoes were recognised: " + countersAfter);

            // Both sides agree on every synced record.
            Map<String, JsonNode> hs = by("hubspot", "contacts", "source_id");
            for (int i = 0; i < 3; i++) {
                JsonNode sf = byId("salesforce", "Contact", sfIds.get(i));
                JsonNode h = hs.get(sfIds.get(i));
                assertEquals(List.of(field(sf, "FirstName"), field(sf, "LastName"), field(sf, "Email"), field(sf, "Title"), field(sf, "MailingCity")),
                        List.of(field(h, "firstname"), field(h, "lastname"), field(h, "email"), field(h, "jobtitle"), field(h, "city")),
                        "contact " + sfIds.get(i) + " on both sides");
            }
            Map<String, JsonNode> sfLinked = by("salesforce", "Contact", "External_Id__c");
            for (String id : hsIds) {
                JsonNode h = byId("hubspot", "contacts", id);
                JsonNode sf = sfLinked.get(id);
                assertEquals(List.of(field(h, "firstname"), field(h, "lastname"), field(h, "email"), field(h, "jobtitle"), field(h, "city")),
                        List.of(field(sf, "FirstName"), field(sf, "LastName"), field(sf, "Email"), field(sf, "Title"), field(sf, "MailingCity")),
                        "contact " + id + " on both sides");
            }
            assertEquals(List.of(), reviewed(review), "nothing set aside");
        }
    }
}
