package io.nificrm.nifitests;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.nifitests.flows.FileImportData;
import io.nificrm.nifitests.flows.FlowTemplates;
import io.nificrm.nifitests.flows.RunOutputs;
import io.nificrm.nifitests.flows.StageCheck;
import io.nificrm.nifitests.flows.TemplateFiles;
import io.nificrm.nifitests.harness.Await;
import io.nificrm.nifitests.harness.DeployedFlow;
import io.nificrm.nifitests.harness.FreePorts;
import io.nificrm.nifitests.harness.NiFiInstance;
import io.nificrm.nifitests.harness.NiFiNodeConfig;
import io.nificrm.nifitests.harness.NiFiRestClient;
import io.nificrm.nifitests.harness.SimulatorParameters;
import io.nificrm.nifitests.harness.SimulatorProcess;
import io.nificrm.nifitests.harness.TestArtifacts;
import io.nificrm.nifitests.harness.model.Bulletin;
import io.nificrm.nifitests.harness.model.GroupStatus;
import io.nificrm.simulator.SimulatorCredentials;
import io.nificrm.simulator.postgres.LocalPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The flow definitions of templates/ in a real NiFi 2.3.0: each is uploaded through the REST API, its parameters set,
 * its services enabled, started, and the target checked for exactly the expected records. One NiFi (with our NAR
 * and the stock-processors test NAR) and one CRM simulator process (seeded with 300 Salesforce accounts, 3,000
 * contacts with 10% near-duplicates and 600 opportunities) serve all the flows, one after the other.
 */
@Tag("real-nifi")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RealNiFiFlowsTest {

    private static final System.Logger LOG = System.getLogger(RealNiFiFlowsTest.class.getName());
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration RUN_TIMEOUT = Duration.ofMinutes(4);
    private static final Set<String> SECRETS = Set.of("source.client.secret", "target.access.token", "target.jdbc.password");
    private static final String HUBSPOT_AUTH = "Bearer " + SimulatorCredentials.HUBSPOT_PRIVATE_APP_TOKEN;

    private SimulatorProcess sim;
    private NiFiInstance nifi;
    private NiFiRestClient api;
    private Path runDir;
    private StageCheck migratedContacts;

    @BeforeAll
    void startSimulatorAndNiFi() throws IOException {
        runDir = TestArtifacts.workDir().getParent().resolve("flow-runs")
                .resolve(LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")));
        Files.createDirectories(runDir);
        sim = SimulatorProcess.start(TestArtifacts.workDir(), List.of("--port", "0", "--seed", "salesforce=3000", "--unlimited"));
        LOG.log(System.Logger.Level.INFO, "Simulator at {0} (pid {1,number,#}), log {2}", sim.baseUrl(), sim.pid(), sim.log());
        nifi = NiFiInstance.create(NiFiNodeConfig.builder("flows").build()).start();
        api = nifi.client();
        nifi.installCrmBundle(true, "io.nificrm.processors.GenerateCrmPartitions", "org.apache.nifi.processors.standard.ListFile");
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

    private Map<String, String> salesforceSource() {
        return SimulatorParameters.salesforceSource(sim.baseUrl());
    }

    private Map<String, String> hubspotTarget() {
        return SimulatorParameters.hubspotTarget(sim.baseUrl());
    }

    private static JsonNode template(String path) {
        return TemplateFiles.read(TemplateFiles.file(path));
    }

    /** Waits for the reports of the three objects, then for the flow to be idle (nothing queued or running). */
    private RunOutputs awaitMigration(DeployedFlow flow, Path review, Path reports) {
        long started = System.nanoTime();
        try {
            Await.until("the three run reports in " + reports, RUN_TIMEOUT, Duration.ofSeconds(1),
                    () -> RunOutputs.reportCount(reports), n -> n >= 3);
            Await.until("the flow to be idle", Duration.ofSeconds(60), Duration.ofMillis(500), flow::status,
                    s -> s.flowFilesQueued() == 0 && s.activeThreadCount() == 0);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n" + describe(flow.status()) + "\nbulletins: " + errors(api.bulletins())
                    + "\n" + nifi.logTail(), e);
        }
        LOG.log(System.Logger.Level.INFO, "{0} finished in {1} s", flow.name(), Duration.ofNanos(System.nanoTime() - started).toSeconds());
        return RunOutputs.read(review, reports);
    }

    /** Processors' FlowFiles in/out and the non-empty queues, for failure messages. */
    private static String describe(GroupStatus status) {
        StringBuilder out = new StringBuilder("processors (FlowFiles in/out):");
        JsonNode snapshot = status.raw().path("processGroupStatus").path("aggregateSnapshot");
        snapshot.path("processorStatusSnapshots").forEach(p -> {
            JsonNode s = p.path("processorStatusSnapshot");
            out.append("\n  ").append(s.path("name").asText()).append(": ").append(s.path("flowFilesIn").asLong()).append('/')
                    .append(s.path("flowFilesOut").asLong()).append(s.path("activeThreadCount").asInt() > 0 ? " (running)" : "");
        });
        out.append("\nqueued:");
        snapshot.path("connectionStatusSnapshots").forEach(c -> {
            JsonNode s = c.path("connectionStatusSnapshot");
            if (s.path("flowFilesQueued").asLong() > 0) {
                out.append("\n  ").append(s.path("sourceName").asText()).append(" [").append(s.path("name").asText()).append("] → ")
                        .append(s.path("destinationName").asText()).append(": ").append(s.path("queued").asText());
            }
        });
        return out.toString();
    }

    private static List<String> errors(List<Bulletin> bulletins) {
        return bulletins.stream().filter(Bulletin::isError).map(b -> b.sourceName() + ": " + b.message()).toList();
    }

    private static List<String> ids(List<JsonNode> records) {
        return records.stream().map(r -> r.path("id").asText()).toList();
    }

    private static Map<String, JsonNode> byId(List<JsonNode> records) {
        Map<String, JsonNode> map = new HashMap<>();
        records.forEach(r -> map.put(r.path("id").asText(), r));
        return map;
    }

    private static List<String> fieldValues(List<JsonNode> records, String field) {
        return records.stream().map(r -> r.path("fields").path(field).asText(null)).toList();
    }

    // ---- 1. full migration to HubSpot ------------------------------------------------------------------------------

    @Test
    @Order(1)
    void fullMigrationSalesforceToHubSpotLoadsEveryValidRecordOnceParentsFirst() {
        Path review = runDir.resolve("migration-hubspot/review");
        Path reports = runDir.resolve("migration-hubspot/reports");
        Map<String, String> parameters = new LinkedHashMap<>(salesforceSource());
        parameters.putAll(hubspotTarget());
        parameters.put("review.directory", review.toString());
        parameters.put("report.directory", reports.toString());
        parameters.put("cache.port", Integer.toString(FreePorts.allocate(1)[0]));
        parameters.put("fetch.batch.size", "1000");

        RunOutputs outputs;
        try (DeployedFlow flow = DeployedFlow.deploy(api, "migration-hubspot",
                template(FlowTemplates.FULL_MIGRATION_HUBSPOT), parameters, SECRETS)) {
            flow.start();
            outputs = awaitMigration(flow, review, reports);
        }

        List<JsonNode> accounts = sim.records("salesforce", "Account");
        List<JsonNode> contacts = sim.records("salesforce", "Contact");
        List<JsonNode> opportunities = sim.records("salesforce", "Opportunity");
        assertEquals(List.of(300, 3000, 600), List.of(accounts.size(), contacts.size(), opportunities.size()), "the seed");
        List<JsonNode> companies = sim.records("hubspot", "companies");
        List<JsonNode> hsContacts = sim.records("hubspot", "contacts");
        List<JsonNode> deals = sim.records("hubspot", "deals");

        StageCheck accountCheck = new StageCheck("accounts", ids(accounts), fieldValues(companies, "source_id"), outputs,
                "Account", "companies", sim.groundTruth("salesforce", "Account")).assertAccounted().assertDeduplicatedExactly();
        StageCheck contactCheck = new StageCheck("contacts", ids(contacts), fieldValues(hsContacts, "source_id"), outputs,
                "Contact", "contacts", sim.groundTruth("salesforce", "Contact")).assertAccounted().assertDeduplicatedExactly();
        StageCheck dealCheck = new StageCheck("opportunities", ids(opportunities), fieldValues(deals, "source_id"), outputs,
                "Opportunity", "deals", Map.of()).assertAccounted();
        LOG.log(System.Logger.Level.INFO, "{0}\n{1}\n{2}", accountCheck.summary(), contactCheck.summary(), dealCheck.summary());
        assertTrue(contactCheck.invalid.size() > 0 && contactCheck.duplicates.size() + contactCheck.mergedLater.size() > 200,
                "the seed's dirt was met: " + contactCheck.summary());

        // Parents first: every report of a child object starts after its parents' report.
        Instant accountsDone = Instant.parse(outputs.report("companies").path("finished").asText());
        Instant contactsStarted = Instant.parse(outputs.report("contacts").path("started").asText());
        Instant contactsDone = Instant.parse(outputs.report("contacts").path("finished").asText());
        Instant dealsStarted = Instant.parse(outputs.report("deals").path("started").asText());
        assertFalse(contactsStarted.isBefore(accountsDone), "contacts started before the accounts were done");
        assertFalse(dealsStarted.isBefore(contactsDone), "opportunities started before the contacts were done");

        // A deal refused by the target is one whose contact or account was not loaded, and says so.
        for (JsonNode refused : outputs.records("deals", "upsert.failure")) {
            assertEquals("MISSING_PARENT", refused.path("crm_error_code").asText(), refused.toString());
            JsonNode source = byId(opportunities).get(refused.path("source_id").asText());
            String contact = source.path("fields").path("ContactId").asText(null);
            String account = source.path("fields").path("AccountId").asText(null);
            assertTrue((contact != null && contactCheck.endedAs(contact) == null) || (account != null && accountCheck.endedAs(account) == null),
                    "a deal refused although its parents are in the target: " + refused);
        }

        // References: each contact is linked to the company its account ended as (itself, or the golden record it was merged into).
        Map<String, String> companyBySourceId = new HashMap<>();
        companies.forEach(c -> companyBySourceId.put(c.path("fields").path("source_id").asText(), c.path("id").asText()));
        Map<String, String> contactBySourceId = new HashMap<>();
        hsContacts.forEach(c -> contactBySourceId.put(c.path("fields").path("source_id").asText(), c.path("id").asText()));
        Map<String, JsonNode> sfContacts = byId(contacts);
        assertAssociations("contacts", "companies", hsContacts, id -> {
            String account = sfContacts.get(id).path("fields").path("AccountId").asText(null);
            return account == null ? null : companyBySourceId.get(accountCheck.endedAs(account));
        });
        Map<String, JsonNode> sfOpportunities = byId(opportunities);
        assertAssociations("deals", "companies", deals, id -> {
            String account = sfOpportunities.get(id).path("fields").path("AccountId").asText(null);
            return account == null ? null : companyBySourceId.get(accountCheck.endedAs(account));
        });
        assertAssociations("deals", "contacts", deals, id -> {
            String contact = sfOpportunities.get(id).path("fields").path("ContactId").asText(null);
            return contact == null ? null : contactBySourceId.get(contactCheck.endedAs(contact));
        });
        migratedContacts = contactCheck;
    }

    /** Every target record's association to {@code to} is exactly the expected one (none when none is expected). */
    private void assertAssociations(String from, String to, List<JsonNode> records, java.util.function.Function<String, String> expected) {
        List<String> ids = records.stream().map(r -> r.path("id").asText()).toList();
        Map<String, String> sourceIds = new HashMap<>();
        records.forEach(r -> sourceIds.put(r.path("id").asText(), r.path("fields").path("source_id").asText()));
        Map<String, List<String>> linked = new HashMap<>();
        for (int start = 0; start < ids.size(); start += 500) {
            ArrayNode inputs = JSON.createArrayNode();
            ids.subList(start, Math.min(ids.size(), start + 500)).forEach(id -> inputs.addObject().put("id", id));
            ObjectNode body = JSON.createObjectNode();
            body.set("inputs", inputs);
            JsonNode answer = sim.call("POST", "/crm/v4/associations/" + from + "/" + to + "/batch/read",
                    Map.of("Authorization", HUBSPOT_AUTH, "Content-Type", "application/json"), body.toString());
            for (JsonNode result : answer.path("results")) {
                List<String> targets = new ArrayList<>();
                result.path("to").forEach(t -> targets.add(t.path("toObjectId").asText()));
                linked.put(result.path("from").path("id").asText(), targets);
            }
        }
        List<String> wrong = new ArrayList<>();
        int links = 0;
        for (String id : ids) {
            String want = expected.apply(sourceIds.get(id));
            List<String> have = linked.getOrDefault(id, List.of());
            if (want == null ? !have.isEmpty() : !have.equals(List.of(want))) {
                wrong.add(from + " " + sourceIds.get(id) + ": " + have + " instead of " + want);
            }
            links += have.size();
        }
        assertTrue(wrong.isEmpty(), wrong.size() + " wrong " + from + " → " + to + " associations, e.g. "
                + wrong.subList(0, Math.min(10, wrong.size())));
        assertTrue(links > 0, "no " + from + " → " + to + " association at all");
    }

    // ---- 2. full migration to PostgreSQL ---------------------------------------------------------------------------

    @Test
    @Order(2)
    void fullMigrationSalesforceToPostgreSQLLoadsEveryValidRecordOnce() throws Exception {
        LocalPostgres postgres = LocalPostgres.shared();
        String name = "nifi_flows_" + System.currentTimeMillis();
        LocalPostgres.Database database = postgres.createDatabase(name);
        try {
            try (Connection c = database.connect(); Statement s = c.createStatement()) {
                s.execute(Files.readString(TemplateFiles.dir().resolve("postgres/crm-schema.sql")));
            }
            Path review = runDir.resolve("migration-postgresql/review");
            Path reports = runDir.resolve("migration-postgresql/reports");
            Map<String, String> parameters = new LinkedHashMap<>(salesforceSource());
            parameters.put("target.jdbc.url", database.jdbcUrl());
            parameters.put("target.jdbc.user", database.user());
            parameters.put("target.jdbc.password", database.password());
            parameters.put("target.jdbc.driver.location", TestArtifacts.postgresqlDriver().toString());
            parameters.put("review.directory", review.toString());
            parameters.put("report.directory", reports.toString());
            parameters.put("cache.port", Integer.toString(FreePorts.allocate(1)[0]));
            parameters.put("partitions", "4");

            RunOutputs outputs;
            try (DeployedFlow flow = DeployedFlow.deploy(api, "migration-postgresql",
                    template(FlowTemplates.FULL_MIGRATION_POSTGRESQL), parameters, SECRETS)) {
                flow.start();
                outputs = awaitMigration(flow, review, reports);
            }

            Map<String, List<String>> rows = new HashMap<>();
            Map<String, String> contactAccount = new HashMap<>();
            try (Connection c = database.connect(); Statement s = c.createStatement()) {
                for (String table : List.of("accounts", "contacts", "opportunities")) {
                    List<String> keys = new ArrayList<>();
                    try (ResultSet rs = s.executeQuery("SELECT source_id, source_system FROM " + table)) {
                        while (rs.next()) {
                            keys.add(rs.getString(1));
                            assertEquals("salesforce", rs.getString(2), table + ".source_system");
                        }
                    }
                    rows.put(table, keys);
                }
                try (ResultSet rs = s.executeQuery("SELECT source_id, account_source_id FROM contacts")) {
                    while (rs.next()) {
                        contactAccount.put(rs.getString(1), rs.getString(2));
                    }
                }
            }
            List<JsonNode> contacts = sim.records("salesforce", "Contact");
            StageCheck accounts = new StageCheck("accounts", ids(sim.records("salesforce", "Account")), rows.get("accounts"), outputs,
                    "Account", "accounts", sim.groundTruth("salesforce", "Account")).assertAccounted().assertDeduplicatedExactly();
            StageCheck people = new StageCheck("contacts", ids(contacts), rows.get("contacts"), outputs,
                    "Contact", "contacts", sim.groundTruth("salesforce", "Contact")).assertAccounted().assertDeduplicatedExactly();
            StageCheck deals = new StageCheck("opportunities", ids(sim.records("salesforce", "Opportunity")), rows.get("opportunities"),
                    outputs, "Opportunity", "opportunities", Map.of()).assertAccounted();
            LOG.log(System.Logger.Level.INFO, "{0}\n{1}\n{2}", accounts.summary(), people.summary(), deals.summary());
            assertEquals(Set.of(), Set.copyOf(deals.failed), "PostgreSQL keeps parent ids as plain columns: no deal is refused");
            // account_source_id holds the contact's source account id, as the preset maps it.
            Map<String, JsonNode> sfContacts = byId(contacts);
            contactAccount.forEach((id, account) -> assertEquals(sfContacts.get(id).path("fields").path("AccountId").asText(null),
                    account, "account_source_id of " + id));
        } finally {
            postgres.dropDatabase(name);
        }
    }

    // ---- 3. ongoing sync -------------------------------------------------------------------------------------------

    @Test
    @Order(3)
    void ongoingSyncCarriesCreatesUpdatesAndDeletesAndResumesFromItsState() {
        assertNotNull(migratedContacts, "runs after the migration to HubSpot, which it keeps in sync");
        Path review = runDir.resolve("sync-hubspot/review");
        Map<String, String> parameters = new LinkedHashMap<>(salesforceSource());
        parameters.putAll(hubspotTarget());
        parameters.put("review.directory", review.toString());
        parameters.put("cache.port", Integer.toString(FreePorts.allocate(1)[0]));
        parameters.put("sync.schedule", "2 sec");
        parameters.put("sync.age.delay", "1 sec");
        parameters.put("sync.lookback", "10 sec");
        // Changes from now on: the migration already loaded everything before.
        parameters.put("sync.initial.start", Instant.now().minusSeconds(2).toString());

        // Two migrated contacts to change: one updated, one deleted.
        List<String> loaded = migratedContacts.target.stream().sorted().toList();
        String updated = loaded.get(0);
        String deleted = loaded.get(1);

        try (DeployedFlow flow = DeployedFlow.deploy(api, "sync-hubspot", template(FlowTemplates.ONGOING_SYNC_HUBSPOT), parameters, SECRETS)) {
            flow.start();
            // A new account and a new contact of it (the child may well be polled before its parent: it is retried).
            String account = sim.putRecord("salesforce", "Account", Map.of("fields", Map.of("Name", "Synced Widgets Ltd",
                    "Website", "https://synced-widgets.example", "Phone", "+1 415 555 0199", "BillingCity", "San Francisco",
                    "BillingCountry", "US"))).path("id").asText();
            String contact = sim.putRecord("salesforce", "Contact", Map.of("fields", Map.of("FirstName", "Ada", "LastName", "Synced",
                    "Email", "ada.synced@synced-widgets.example", "AccountId", account, "MailingCountry", "US"))).path("id").asText();
            sim.putRecord("salesforce", "Contact", Map.of("id", updated, "fields", Map.of("Title", "Chief Sync Officer")));
            sim.deleteRecord("salesforce", "Contact", deleted);

            awaitHubSpot("the sync's create, update and delete", () -> {
                JsonNode company = hubspot("companies", account);
                JsonNode person = hubspot("contacts", contact);
                JsonNode changed = hubspot("contacts", updated);
                return company != null && person != null && changed != null
                        && "Chief Sync Officer".equals(changed.path("fields").path("jobtitle").asText())
                        && hubspot("contacts", deleted) == null
                        && associated("contacts", person.path("id").asText(), "companies").contains(company.path("id").asText());
            }, flow);

            // Resumes from its state: stop, change, start: only the change is read again.
            flow.stop();
            Await.until("the sync to stop", Duration.ofSeconds(60), Duration.ofMillis(500), flow::status, s -> s.activeThreadCount() == 0);
            sim.putRecord("salesforce", "Contact", Map.of("id", updated, "fields", Map.of("Title", "Chief Resume Officer")));
            long mappedBefore = api.counters().getOrDefault("Records Mapped", 0L);
            flow.start();
            awaitHubSpot("the change made while the sync was stopped", () ->
                    "Chief Resume Officer".equals(hubspot("contacts", updated).path("fields").path("jobtitle").asText()), flow);
            long reread = api.counters().getOrDefault("Records Mapped", 0L) - mappedBefore;
            assertTrue(reread < 50, "after the restart the sync read " + reread + " records instead of the few that changed");
            assertTrue(errorsOf(review).isEmpty(), "records set aside by the sync: " + errorsOf(review));
        }
    }

    private JsonNode hubspot(String object, String sourceId) {
        return sim.records("hubspot", object).stream().filter(r -> sourceId.equals(r.path("fields").path("source_id").asText(null)))
                .findFirst().orElse(null);
    }

    private List<String> associated(String from, String id, String to) {
        JsonNode answer = sim.call("GET", "/crm/v4/objects/" + from + "/" + id + "/associations/" + to,
                Map.of("Authorization", HUBSPOT_AUTH), null);
        List<String> ids = new ArrayList<>();
        answer.path("results").forEach(r -> ids.add(r.path("toObjectId").asText()));
        return ids;
    }

    private void awaitHubSpot(String what, java.util.concurrent.Callable<Boolean> condition, DeployedFlow flow) {
        try {
            Await.until(what, Duration.ofMinutes(2), condition);
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n" + describe(flow.status()) + "\nbulletins: " + errors(api.bulletins()), e);
        }
    }

    private static List<String> errorsOf(Path reviewDirectory) {
        if (!Files.isDirectory(reviewDirectory)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(reviewDirectory)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> !n.contains("-dedup-")).toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    // ---- 4. file import (stock processors) -------------------------------------------------------------------------

    @Test
    @Order(4)
    void fileImportLoadsACsvFileAndWritesTheRejectedRowsBackWithTheirReasons() throws IOException {
        Path base = runDir.resolve("file-import");
        Path input = Files.createDirectories(base.resolve("in"));
        Path processed = base.resolve("processed");
        Path results = base.resolve("results");
        Map<String, String> parameters = new LinkedHashMap<>(hubspotTarget());
        parameters.put("import.directory", input.toString());
        parameters.put("import.processed.directory", processed.toString());
        parameters.put("import.results.directory", results.toString());
        parameters.put("import.min.file.age", "1 sec");
        parameters.put("import.poll.interval", "1 sec");

        FileImportData data = FileImportData.write(base.resolve("staging"), sim.admin());
        try (DeployedFlow flow = DeployedFlow.deploy(api, "file-import", template(FlowTemplates.FILE_IMPORT_HUBSPOT), parameters, SECRETS)) {
            flow.start();
            Files.move(data.file(), input.resolve(data.file().getFileName()), StandardCopyOption.ATOMIC_MOVE);
            Await.until("the input file to be imported", RUN_TIMEOUT, () -> {
                GroupStatus status = flow.status();
                return Files.exists(processed.resolve(data.file().getFileName())) && status.flowFilesQueued() == 0
                        && status.activeThreadCount() == 0 && Files.isDirectory(results)
                        && FileImportData.resultRows(results).getOrDefault("upsert-success", List.of()).size() > 0;
            });
        }
        data.assertImported(results, sim.admin());
    }
}
