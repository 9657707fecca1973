package io.nificrm.nifitests.reliability;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.nifitests.flows.FlowBuilder;
import io.nificrm.nifitests.flows.FlowTemplates;
import io.nificrm.nifitests.flows.TemplateFiles;
import io.nificrm.nifitests.harness.Await;
import io.nificrm.nifitests.harness.DeployedFlow;
import io.nificrm.nifitests.harness.FreePorts;
import io.nificrm.nifitests.harness.NiFiInstance;
import io.nificrm.nifitests.harness.NiFiNodeConfig;
import io.nificrm.nifitests.harness.NiFiRestClient;
import io.nificrm.nifitests.harness.SimulatorAdmin;
import io.nificrm.nifitests.harness.SimulatorParameters;
import io.nificrm.nifitests.harness.SimulatorProcess;
import io.nificrm.nifitests.harness.TestArtifacts;
import io.nificrm.nifitests.harness.model.Bulletin;
import io.nificrm.simulator.SimulatorCredentials;
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
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Hostile input against a real NiFi (RELIABILITY.md): query-injection strings and oversized or broken values in
 * record values and property values of the full migration to HubSpot (deployed from templates/ with a contacts
 * mapping that protects PII: phone hashed, mobile phone dropped, last name masked); forged, stale, replayed,
 * oversized, invalid-UTF-8 and deeply nested webhooks against ListenCrmWebhook; then every log file, bulletin,
 * FlowFile attribute and provenance event of the run is scanned for the secrets and the seeded PII values.
 */
@Tag("reliability")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HostileInputTest {

    private static final System.Logger LOG = System.getLogger(HostileInputTest.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PII_SALT = "pii-salt-" + random();
    private static final String WEBHOOK_SECRET = "webhook-secret-" + random();
    private static final String[] INJECTIONS = {"' OR 1=1 --", "'); DROP TABLE contacts;--", "\\u0027 or true or '' eq '",
            "x' or true", "\"}]},{\"filters\":[{\"propertyName\":\"email\",\"operator\":\"HAS_PROPERTY\"}]}],\"x\":\"",
            "${literal('el')}#{source.client.secret}", "Robert'); DELETE FROM accounts WHERE ('1'='1"};

    private SimulatorProcess simProcess;
    private SimulatorAdmin sim;
    private NiFiInstance nifi;
    private NiFiRestClient api;
    private Path runDir;
    private final Map<String, String> findings = new LinkedHashMap<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static String random() {
        byte[] b = new byte[12];
        new SecureRandom().nextBytes(b);
        return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
    }

    @BeforeAll
    void start() throws IOException {
        runDir = TestArtifacts.workDir().getParent().resolve("reliability").resolve("hostile-" + System.currentTimeMillis());
        Files.createDirectories(runDir);
        simProcess = SimulatorProcess.start(TestArtifacts.workDir(), List.of("--port", "0", "--unlimited"));
        sim = simProcess.admin();
        nifi = NiFiInstance.create(NiFiNodeConfig.builder("hostile").build()).start();
        api = nifi.client();
        nifi.installCrmBundle(false, "io.nificrm.processors.ListenCrmWebhook");
    }

    @AfterAll
    void stop() throws IOException {
        StringBuilder md = new StringBuilder("| check | result |\n|---|---|\n");
        findings.forEach((k, v) -> md.append("| ").append(k).append(" | ").append(v.replace('|', '/').replace("\n", " ")).append(" |\n"));
        Path out = TestArtifacts.workDir().getParent().resolve("reliability").resolve("hostile-input.md");
        Files.createDirectories(out.getParent());
        Files.writeString(out, md.toString());
        LOG.log(System.Logger.Level.INFO, "Hostile input:\n{0}", md);
        if (nifi != null) {
            nifi.close();
        }
        if (simProcess != null) {
            simProcess.close();
        }
    }

    // ---- 1. hostile records through the full migration ---------------------------------------------------------------

    private final Map<String, String> hostile = new LinkedHashMap<>();  // source contact id → what it carries
    private final Set<String> piiValues = new LinkedHashSet<>();

    @Test
    @Order(1)
    void injectionStringsOversizedAndBrokenValuesArriveLiterallyOrAreSetAsideWithAReason() throws IOException {
        sim.call("POST", "/sim/salesforce/seed", Map.of("Content-Type", "application/json"), "{\"contacts\":300,\"duplicateRate\":0.0}");
        List<JsonNode> accounts = sim.records("salesforce", "Account");
        String account = accounts.get(0).path("id").asText();
        String hostileAccount = sim.putRecord("salesforce", "Account", Map.of("fields", Map.of("Name", INJECTIONS[0] + " Ltd",
                "BillingCountry", "US"))).path("id").asText();
        for (int i = 0; i < INJECTIONS.length; i++) {
            String id = sim.putRecord("salesforce", "Contact", Map.of("fields", Map.of("FirstName", INJECTIONS[i], "LastName", "Hostile" + i,
                    "Title", INJECTIONS[(i + 1) % INJECTIONS.length], "Email", "o'brien+inject" + i + "@hostile.example",
                    "AccountId", i % 2 == 0 ? account : hostileAccount, "MailingCountry", "US"))).path("id").asText();
            hostile.put(id, "injection " + i);
        }
        hostile.put(sim.putRecord("salesforce", "Contact", Map.of("fields", Map.of("FirstName", "Huge", "LastName", "Oversized",
                "Title", "x".repeat(1_000_000), "Email", "huge@hostile.example", "AccountId", account))).path("id").asText(), "1 MB title");
        hostile.put(sim.putRecord("salesforce", "Contact", Map.of("fields", Map.of("FirstName", "Broken\uD800Surrogate\u0000Nul",
                "LastName", "Unicode\uFFFE", "Email", "broken@hostile.example", "AccountId", account))).path("id").asText(),
                "lone surrogate, NUL, U+FFFE");

        for (JsonNode c : sim.records("salesforce", "Contact")) {
            for (String field : List.of("Phone", "MobilePhone", "LastName")) {
                String v = c.path("fields").path(field).asText("");
                if (v.length() >= 7) {
                    piiValues.add(v);
                }
            }
        }

        Path review = runDir.resolve("migration/review");
        Path reports = runDir.resolve("migration/reports");
        Map<String, String> p = SimulatorParameters.salesforceToHubSpot(sim.baseUrl());
        p.put("review.directory", review.toString());
        p.put("report.directory", reports.toString());
        p.put("cache.port", Integer.toString(FreePorts.allocate(1)[0]));
        p.put("pii.hash.salt", PII_SALT);
        try (DeployedFlow flow = DeployedFlow.deploy(api, "hostile-migration", withPiiMapping(), p,
                Set.of("source.client.secret", "target.access.token", "pii.hash.salt"))) {
            flow.start();
            Await.until("the three run reports", Duration.ofMinutes(4), Duration.ofSeconds(1), () -> count(reports), n -> n >= 3);
            Await.until("the flow to be idle", Duration.ofSeconds(90), Duration.ofMillis(500), flow::status,
                    s -> s.flowFilesQueued() == 0 && s.activeThreadCount() == 0);
            scanAttributesOfQueues(flow.groupId());
            collectProvenance();
        }

        Ledger ledger = Ledger.read(sim, review);
        Map<String, JsonNode> target = new HashMap<>();
        sim.records("hubspot", "contacts").forEach(r -> target.put(r.path("fields").path("source_id").asText(), r.path("fields")));
        Set<String> reviewed = ledger.reviewedIds("Contact");
        List<String> wrong = new ArrayList<>();
        Map<String, JsonNode> source = new HashMap<>();
        sim.records("salesforce", "Contact").forEach(r -> source.put(r.path("id").asText(), r.path("fields")));
        for (var e : hostile.entrySet()) {
            JsonNode t = target.get(e.getKey());
            JsonNode s = source.get(e.getKey());
            String outcome;
            if (t != null) {
                boolean literal = s.path("FirstName").asText().strip().equals(t.path("firstname").asText())
                        && s.path("Title").asText().strip().equals(t.path("jobtitle").asText());
                outcome = literal ? "in the target, literally" : "in the target, ALTERED: " + abbreviate(t.toString());
                if (!literal && !e.getValue().startsWith("lone")) {
                    wrong.add(e.getValue() + ": " + outcome);
                }
            } else if (reviewed.contains(e.getKey())) {
                outcome = "set aside: " + ledger.reviewed.stream().filter(r -> e.getKey().equals(r.sourceId())).map(r -> r.stage() + "."
                        + r.relationship() + " " + abbreviate(String.valueOf(r.reason()))).findFirst().orElse("?");
            } else {
                outcome = "LOST";
                wrong.add(e.getValue() + ": lost");
            }
            findings.put("record value: " + e.getValue(), outcome);
        }
        JsonNode company = sim.records("hubspot", "companies").stream()
                .filter(r -> hostileAccount.equals(r.path("fields").path("source_id").asText())).findFirst().orElse(null);
        findings.put("record value: account name " + INJECTIONS[0], company == null ? "not in the target"
                : "in the target as " + company.path("fields").path("name").asText());
        Map<String, Set<String>> lost = ledger.lost(ledger.source);
        findings.put("whole migration: source / target / set aside / duplicated / lost", ledger.sourceCount() + " / " + ledger.targetCount()
                + " / " + ledger.reviewed.size() + " / " + ledger.duplicates() + " / " + Ledger.size(lost));
        findings.put("set aside without a reason", String.valueOf(ledger.withoutReason().size()));
        assertTrue(wrong.isEmpty(), "hostile values not carried literally: " + wrong);
        assertEquals(Map.of(), lost, "records lost");
        assertEquals(0, ledger.duplicates(), "records duplicated (an injection that created records?)");
        assertEquals(0, ledger.zombies(), "target records without a source record");
        assertEquals(List.of(), ledger.withoutReason(), "records set aside without a reason");
        assertEquals(company == null ? null : INJECTIONS[0] + " Ltd", company == null ? null : company.path("fields").path("name").asText());
        // PII protection held in the target itself: no seeded phone or mobile phone in clear.
        Set<String> clear = new TreeSet<>();
        for (JsonNode t : target.values()) {
            if (t.path("mobilephone").isTextual()) {
                clear.add("mobilephone " + t.path("mobilephone").asText());
            }
        }
        assertEquals(Set.of(), clear, "mobile phones are dropped by the mapping");
    }

    /** The migration template with the contacts mapping protecting PII (phone hashed, mobile dropped, last name masked). */
    private static JsonNode withPiiMapping() throws IOException {
        ObjectNode definition = (ObjectNode) TemplateFiles.read(TemplateFiles.file(FlowTemplates.FULL_MIGRATION_HUBSPOT)).deepCopy();
        ObjectNode mapping = (ObjectNode) JSON.readTree(Files.readString(Path.of("..", "nifi-crm-processors", "src", "main", "resources",
                "io", "nificrm", "mappings", "salesforce-to-hubspot-contacts.json")));
        mapping.put("name", "salesforce-to-hubspot-contacts-pii");
        for (JsonNode f : mapping.path("fields")) {
            switch (f.path("target").asText()) {
                case "phone" -> ((ObjectNode) f).put("pii", "hash");
                case "mobilephone" -> ((ObjectNode) f).put("pii", "drop");
                case "lastname" -> ((ObjectNode) f).put("pii", "mask");
                default -> { }
            }
        }
        for (JsonNode processor : definition.path("flowContents").path("processors")) {
            if ("Map contacts".equals(processor.path("name").asText())) {
                ObjectNode properties = (ObjectNode) processor.path("properties");
                properties.remove("Mapping Preset");
                properties.put("Mapping", mapping.toString());
                properties.put("PII Hash Salt", "#{pii.hash.salt}");
            }
        }
        for (JsonNode context : definition.path("parameterContexts")) {
            ((ArrayNode) context.path("parameters")).addObject().put("name", "pii.hash.salt").put("sensitive", true)
                    .put("description", "salt of hashed PII");
        }
        return definition;
    }

    // ---- 2. injection in property values ---------------------------------------------------------------------------

    @Test
    @Order(2)
    void injectionInPropertyValuesIsRefusedOrCarriedLiterally() {
        long before = sim.count("hubspot", "companies");
        Map<String, String> p = SimulatorParameters.salesforceToHubSpot(sim.baseUrl());
        p.put("sync.initial.start", "2000-01-01T00:00:00Z' OR LastModifiedDate != null --");
        p.put("source.object.accounts", "Account WHERE Name != '' --");
        p.put("review.directory", runDir.resolve("property/review").toString());
        p.put("cache.port", Integer.toString(FreePorts.allocate(1)[0]));
        String outcome;
        try (DeployedFlow flow = DeployedFlow.deploy(api, "hostile-properties", TemplateFiles.read(TemplateFiles.file(
                FlowTemplates.ONGOING_SYNC_HUBSPOT)), p, Set.of("source.client.secret", "target.access.token"))) {
            flow.start();
            Await.sleep(Duration.ofSeconds(8));
            outcome = "deployed and ran; companies written: " + (sim.count("hubspot", "companies") - before);
        } catch (AssertionError | RuntimeException e) {
            outcome = "refused: " + abbreviate(e.getMessage().replace('\n', ' '));
        }
        findings.put("property values: SOQL injection in Object and Initial Start Time", outcome);
        assertEquals(before, sim.count("hubspot", "companies"), "an injected property value wrote to the target: " + outcome);
    }

    // ---- 3. webhooks ------------------------------------------------------------------------------------------------

    @Test
    @Order(3)
    void forgedStaleReplayedAndMalformedWebhooksAreRefusedAndEmitNothing() throws Exception {
        int port = FreePorts.allocate(1)[0];
        FlowBuilder b = new FlowBuilder("hostile-webhooks", "hostile webhooks", "ListenCrmWebhook under attack", "hostile-webhooks",
                "webhook secret");
        b.sensitiveParameter("webhook.secret", "HubSpot client secret");
        FlowBuilder.Service writer = b.service("writer", "JSON writer", "org.apache.nifi.json.JsonRecordSetWriter",
                FlowBuilder.RECORD_SERVICES, "org.apache.nifi.serialization.RecordSetWriterFactory", FlowBuilder.SERVICES_API)
                .property("schema-access-strategy", "inherit-record-schema").property("Schema Write Strategy", "no-schema");
        FlowBuilder.Processor listen = b.processor("listen", "Listen", "io.nificrm.processors.ListenCrmWebhook", FlowBuilder.OURS, 0, 0)
                .property("Listening Port", Integer.toString(port)).property("Path", "/crm/webhook")
                .property("Webhook Format", "hubspot-v3").property("HubSpot Client Secret", "#{webhook.secret}")
                .property("Signed URL Base", "http://127.0.0.1:" + port).property("Record Writer", writer);
        b.connect(listen, b.funnel("out", 0, 300), "success");
        String url = "http://127.0.0.1:" + port + "/crm/webhook";
        try (DeployedFlow flow = DeployedFlow.deploy(api, "hostile-webhooks", b.build(), Map.of("webhook.secret", WEBHOOK_SECRET),
                Set.of("webhook.secret"))) {
            flow.start();
            Await.until("the webhook listener to listen", Duration.ofSeconds(60), Duration.ofMillis(300), () -> {
                try {
                    http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.discarding());
                    return true;
                } catch (IOException e) {
                    return false;
                }
            }, ok -> ok);
            long now = System.currentTimeMillis();
            byte[] valid = event(now, 1001).getBytes(StandardCharsets.UTF_8);
            Map<String, Integer> answers = new LinkedHashMap<>();
            answers.put("valid, signed", send(url, valid, now, WEBHOOK_SECRET));
            answers.put("replayed (same signature)", send(url, valid, now, WEBHOOK_SECRET));
            answers.put("forged signature", send(url, event(now, 1002).getBytes(StandardCharsets.UTF_8), now, "not-the-secret"));
            answers.put("no signature", sendRaw(url, event(now, 1003).getBytes(StandardCharsets.UTF_8), Map.of()));
            long stale = now - Duration.ofMinutes(30).toMillis();
            answers.put("stale timestamp (30 min), signed", send(url, event(stale, 1004).getBytes(StandardCharsets.UTF_8), stale, WEBHOOK_SECRET));
            byte[] oversized = ("[{\"eventId\":1005,\"objectId\":1,\"subscriptionType\":\"contact.creation\",\"occurredAt\":" + now
                    + ",\"propertyValue\":\"" + "y".repeat(2_000_000) + "\"}]").getBytes(StandardCharsets.UTF_8);
            answers.put("oversized body (2 MB), signed", send(url, oversized, now, WEBHOOK_SECRET));
            byte[] invalidUtf8 = event(now, 1006).getBytes(StandardCharsets.UTF_8);
            invalidUtf8[invalidUtf8.length - 10] = (byte) 0xC3;
            invalidUtf8[invalidUtf8.length - 9] = (byte) 0x28;
            answers.put("invalid UTF-8, signed", send(url, invalidUtf8, now, WEBHOOK_SECRET));
            byte[] deep = ("[".repeat(10_000) + "]".repeat(10_000)).getBytes(StandardCharsets.UTF_8);
            answers.put("nested 10,000 deep, signed", send(url, deep, now, WEBHOOK_SECRET));
            answers.put("not JSON, signed", send(url, "{{{'".getBytes(StandardCharsets.UTF_8), now, WEBHOOK_SECRET));
            Await.sleep(Duration.ofSeconds(6));
            long emitted = flow.status().flowFilesQueued();
            scanAttributesOfQueues(flow.groupId());
            collectProvenance();
            answers.forEach((k, v) -> findings.put("webhook: " + k, "HTTP " + v));
            findings.put("webhook: FlowFiles emitted in all", String.valueOf(emitted));
            assertTrue(answers.get("valid, signed") / 100 == 2, "the valid notification is accepted: " + answers);
            answers.forEach((k, v) -> {
                if (!k.startsWith("valid") && !k.startsWith("replayed")) {
                    assertTrue(v >= 400 && v < 500, k + " is refused with a 4xx: " + v);
                }
            });
            assertEquals(1, emitted, "only the valid notification is emitted, once: " + answers);
            List<String> traces = api.bulletins().stream().map(Bulletin::message).filter(m -> m != null
                    && (m.contains("\tat ") || m.contains("Exception:"))).toList();
            findings.put("webhook: bulletins with a stack trace", String.valueOf(traces.size()));
            assertEquals(List.of(), traces, "bulletins with stack traces");
        }
    }

    private static String event(long occurredAt, long eventId) {
        return "[{\"eventId\":" + eventId + ",\"subscriptionId\":1,\"portalId\":62515,\"appId\":1160452,\"occurredAt\":" + occurredAt
                + ",\"subscriptionType\":\"contact.propertyChange\",\"attemptNumber\":0,\"objectId\":" + (5000 + eventId)
                + ",\"propertyName\":\"email\",\"propertyValue\":\"hook" + eventId + "@hostile.example\",\"changeSource\":\"CRM\"}]";
    }

    private int send(String url, byte[] body, long timestamp, String secret) throws Exception {
        return sendRaw(url, body, Map.of(HubSpotSignature.V3_HEADER, HubSpotSignature.v3(secret, "POST", url, body, timestamp),
                HubSpotSignature.TIMESTAMP_HEADER, Long.toString(timestamp)));
    }

    private int sendRaw(String url, byte[] body, Map<String, String> headers) throws Exception {
        HttpRequest.Builder r = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body));
        headers.forEach(r::header);
        // A fresh connection per request: after a refused oversized body the listener closes the connection.
        try (HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build()) {
            return client.send(r.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return 499; // the listener hung up without an answer: refused, nothing accepted
        }
    }

    // ---- 4. the scan -------------------------------------------------------------------------------------------------

    private final List<String> attributeDump = new ArrayList<>();

    /** Lists the FlowFiles of every non-empty queue of a group and keeps their attributes for the scan. */
    private void scanAttributesOfQueues(String groupId) {
        JsonNode connections = api.get("/process-groups/" + groupId + "/connections").path("connections");
        for (JsonNode c : connections) {
            String id = c.path("id").asText();
            if (c.path("status").path("aggregateSnapshot").path("flowFilesQueued").asLong() == 0) {
                continue;
            }
            try {
                String request = api.post("/flowfile-queues/" + id + "/listing-requests", JSON.createObjectNode())
                        .path("listingRequest").path("id").asText();
                JsonNode listing = Await.until("the queue listing", Duration.ofSeconds(30), Duration.ofMillis(200),
                        () -> api.get("/flowfile-queues/" + id + "/listing-requests/" + request).path("listingRequest"),
                        l -> l.path("finished").asBoolean());
                for (JsonNode f : listing.path("flowFileSummaries")) {
                    JsonNode detail = api.get("/flowfile-queues/" + id + "/flowfiles/" + f.path("uuid").asText());
                    attributeDump.add(detail.path("flowFile").path("attributes").toString());
                }
                api.delete("/flowfile-queues/" + id + "/listing-requests/" + request);
            } catch (RuntimeException | AssertionError e) {
                LOG.log(System.Logger.Level.WARNING, "Could not list queue " + id + ": " + e.getMessage());
            }
        }
    }

    private final StringBuilder provenanceText = new StringBuilder();
    private int provenanceEvents;
    private int withAttributes;
    private long nextEventId;

    /** Reads the provenance events written since the last call, one by one, with their attributes, details and transit URIs. */
    private void collectProvenance() {
        int misses = 0;
        while (misses < 25) {
            try {
                JsonNode e = api.get("/provenance-events/" + nextEventId).path("provenanceEvent");
                provenanceText.append(e.path("attributes").toString()).append(e.path("details").asText("")).append(' ')
                        .append(e.path("transitUri").asText("")).append(' ').append(e.path("sourceSystemFlowFileId").asText("")).append('\n');
                provenanceEvents++;
                withAttributes += e.path("attributes").size() > 0 ? 1 : 0;
                misses = 0;
            } catch (RuntimeException e) {
                misses++;
            }
            nextEventId++;
        }
        nextEventId -= misses;
    }

    @Test
    @Order(4)
    void noSecretAndNoProtectedPiiValueInAnyLogBulletinAttributeOrProvenanceEvent() throws IOException {
        Map<String, String> needles = new LinkedHashMap<>();
        needles.put("Salesforce client secret", SimulatorCredentials.SALESFORCE_CLIENT_SECRET);
        needles.put("HubSpot private-app token", SimulatorCredentials.HUBSPOT_PRIVATE_APP_TOKEN);
        needles.put("Salesforce access token (00Dsim! prefix)", "00Dsim!");
        needles.put("webhook secret", WEBHOOK_SECRET);
        needles.put("PII hash salt", PII_SALT);
        int i = 0;
        for (String v : piiValues) {
            needles.put("PII value #" + (i++), v);
        }
        // Provenance: every event (read one by one through the REST API while its flow existed) and, besides, the raw
        // provenance repository on disk (events of deleted components are no longer served by the API).
        StringBuilder repository = new StringBuilder();
        try (Stream<Path> files = Files.walk(nifi.home().root().resolve("provenance_repository"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                byte[] bytes = Files.readAllBytes(f);
                if (f.getFileName().toString().endsWith(".gz")) {
                    bytes = new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(bytes)).readAllBytes();
                }
                repository.append(new String(bytes, StandardCharsets.UTF_8));
            }
        }
        String bulletins = api.bulletins().toString();
        String attributes = String.join("\n", attributeDump);
        Map<String, String> logs = new LinkedHashMap<>();
        try (Stream<Path> files = Files.walk(nifi.home().root().resolve("logs"))) {
            for (Path f : files.filter(Files::isRegularFile).toList()) {
                logs.put(f.getFileName().toString(), Files.readString(f, StandardCharsets.ISO_8859_1));
            }
        }
        List<String> leaks = new ArrayList<>();
        needles.forEach((what, value) -> {
            logs.forEach((file, text) -> {
                if (text.contains(value)) {
                    leaks.add(what + " in log " + file + ": …" + around(text, value) + "…");
                }
            });
            if (bulletins.contains(value)) {
                leaks.add(what + " in a bulletin: …" + around(bulletins, value) + "…");
            }
            if (attributes.contains(value)) {
                leaks.add(what + " in a FlowFile attribute: …" + around(attributes, value) + "…");
            }
            if (provenanceText.indexOf(value) >= 0) {
                leaks.add(what + " in a provenance event: …" + around(provenanceText.toString(), value) + "…");
            }
            if (repository.indexOf(value) >= 0) {
                leaks.add(what + " in the provenance repository: …" + around(repository.toString(), value) + "…");
            }
        });
        findings.put("scan: needles (secrets + seeded PII values)", (needles.size() - piiValues.size()) + " secrets + " + piiValues.size() + " PII values");
        findings.put("scan: haystacks", logs.size() + " log files (" + logs.values().stream().mapToLong(String::length).sum() / 1024
                + " KiB), " + api.bulletins().size() + " bulletins, " + attributeDump.size() + " queued FlowFiles' attributes, "
                + provenanceEvents + " provenance events read through the API (" + withAttributes + " with attributes), the provenance "
                + "repository on disk (" + repository.length() / 1024 + " KiB)");
        findings.put("scan: leaks", leaks.isEmpty() ? "none" : leaks.size() + ": " + abbreviate(leaks.toString()));
        assertTrue(provenanceEvents > 100 && withAttributes > 0, "the provenance scan saw the run's events: " + provenanceEvents);
        assertTrue(repository.indexOf("crm.load.id") >= 0, "the provenance repository holds the run's events");
        assertTrue(piiValues.size() > 100, "PII values to look for: " + piiValues.size());
        assertEquals(List.of(), leaks, "secrets or protected PII values found");
    }

    private static String around(String text, String value) {
        int at = text.indexOf(value);
        return abbreviate(text.substring(Math.max(0, at - 120), Math.min(text.length(), at + value.length() + 40)));
    }

    private static String abbreviate(String s) {
        return s.length() > 300 ? s.substring(0, 300) + "…" : s;
    }

    private static long count(Path dir) {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".json")).count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
