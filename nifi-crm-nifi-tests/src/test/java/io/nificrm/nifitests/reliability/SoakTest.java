package io.nificrm.nifitests.reliability;

import com.fasterxml.jackson.databind.JsonNode;
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
import io.nificrm.simulator.SimulatorCredentials;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The soak (RELIABILITY.md, {@code ./soak.sh}): the ongoing-sync template on a real NiFi for {@code -Dsoak.minutes}
 * (default 30) under a steady stream of {@code -Dsoak.rate} (default 5) source changes per second — creates, updates and
 * deletes of contacts — sampling every 30 s the NiFi heap, FlowFile and content repository use, the flow's queued
 * FlowFiles and the lag of a probe change (source write → visible in the target). At the end the stream stops and the
 * target must equal the source exactly. Heap, repository and queue must stay flat, lag bounded.
 */
@Tag("soak")
class SoakTest {

    private static final System.Logger LOG = System.getLogger(SoakTest.class.getName());
    private static final int MINUTES = Integer.getInteger("soak.minutes", 30);
    private static final double RATE = Double.parseDouble(System.getProperty("soak.rate", "5"));
    private static final int SEED = Integer.getInteger("soak.contacts", 2000);
    private static final Duration SAMPLE = Duration.ofSeconds(Integer.getInteger("soak.sample.seconds", 30));

    record Sample(long second, long heapUsedMb, long flowFileRepoMb, long contentRepoMb, long queued, long lagMs, long changes) {
    }

    @Test
    void ongoingSyncStaysFlatAndConvergesUnderASteadyStreamOfChanges() throws Exception {
        Path runDir = TestArtifacts.workDir().getParent().resolve("reliability").resolve("soak-" + System.currentTimeMillis());
        Files.createDirectories(runDir);
        try (SimulatorProcess simProcess = SimulatorProcess.start(TestArtifacts.workDir(), List.of("--port", "0", "--unlimited"));
             NiFiInstance nifi = NiFiInstance.create(NiFiNodeConfig.builder("soak").build()).start()) {
            SimulatorAdmin sim = simProcess.admin();
            NiFiRestClient api = nifi.client();
            nifi.installCrmBundle(false, "io.nificrm.processors.QueryCrmEntities");
            sim.call("POST", "/sim/salesforce/seed", Map.of("Content-Type", "application/json"),
                    "{\"contacts\":" + SEED + ",\"duplicateRate\":0.0}");
            Path review = runDir.resolve("review");
            Map<String, String> p = SimulatorParameters.salesforceToHubSpot(sim.baseUrl());
            p.put("review.directory", review.toString());
            p.put("cache.port", Integer.toString(FreePorts.allocate(1)[0]));
            p.put("sync.schedule", "2 sec");
            p.put("sync.age.delay", "1 sec");
            p.put("sync.lookback", "10 sec");
            p.put("sync.initial.start", "2000-01-01T00:00:00Z");
            try (DeployedFlow flow = DeployedFlow.deploy(api, "soak-sync", TemplateFiles.read(TemplateFiles.file(FlowTemplates.ONGOING_SYNC_HUBSPOT)),
                    p, Set.of("source.client.secret", "target.access.token"))) {
                flow.start();
                Await.until("the initial load of the seed", Duration.ofMinutes(5), Duration.ofSeconds(2),
                        () -> sim.count("hubspot", "contacts"), n -> n >= SEED * 0.95);

                List<String> accounts = sim.records("salesforce", "Account").stream().map(r -> r.path("id").asText()).toList();
                List<String> contacts = FaultMatrixTest.Edits.deletable(sim);
                String probe = contacts.remove(0);
                Map<String, String> titles = new HashMap<>();
                AtomicBoolean running = new AtomicBoolean(true);
                AtomicLong changes = new AtomicLong();
                AtomicLong failedChanges = new AtomicLong();
                Thread stream = Thread.ofPlatform().name("soak-stream").start(() -> {
                    Random random = new Random(11);
                    long intervalNanos = (long) (1e9 / RATE);
                    long next = System.nanoTime();
                    while (running.get()) {
                        try {
                            int kind = random.nextInt(10);
                            long n = changes.incrementAndGet();
                            if (kind < 3 || contacts.size() < 100) {
                                String id = sim.putRecord("salesforce", "Contact", Map.of("fields", Map.of("FirstName", FaultMatrixTest.Edits.person(random), "LastName", FaultMatrixTest.Edits.surname(random),
                                        "Email", "soak." + n + "@soak.example", "AccountId", accounts.get(random.nextInt(accounts.size())),
                                        "MailingCountry", "US"))).path("id").asText();
                                synchronized (contacts) {
                                    contacts.add(id);
                                }
                            } else if (kind < 7) {
                                String id;
                                synchronized (contacts) {
                                    id = contacts.get(random.nextInt(contacts.size()));
                                }
                                String title = "Soak title " + n;
                                sim.putRecord("salesforce", "Contact", Map.of("id", id, "fields", Map.of("Title", title)));
                                synchronized (titles) {
                                    titles.put(id, title);
                                }
                            } else {
                                String id;
                                synchronized (contacts) {
                                    id = contacts.remove(random.nextInt(contacts.size()));
                                }
                                sim.deleteRecord("salesforce", "Contact", id);
                                synchronized (titles) {
                                    titles.remove(id);
                                }
                            }
                        } catch (RuntimeException e) {
                            failedChanges.incrementAndGet();
                        }
                        next += intervalNanos;
                        long sleep = next - System.nanoTime();
                        if (sleep > 0) {
                            Await.sleep(Duration.ofNanos(sleep));
                        }
                    }
                });

                List<Sample> samples = new ArrayList<>();
                long start = System.nanoTime();
                long end = start + Duration.ofMinutes(MINUTES).toNanos();
                int probes = 0;
                while (System.nanoTime() < end) {
                    long sampleStart = System.nanoTime();
                    String marker = "probe-" + (probes++);
                    Instant written = Instant.now();
                    sim.putRecord("salesforce", "Contact", Map.of("id", probe, "fields", Map.of("Title", marker)));
                    long lag = -1;
                    while (System.nanoTime() - sampleStart < SAMPLE.toNanos() * 3) {
                        JsonNode target = sim.call("POST", "/crm/v3/objects/contacts/search", Map.of("Authorization", "Bearer "
                                + SimulatorCredentials.HUBSPOT_PRIVATE_APP_TOKEN, "Content-Type", "application/json"),
                                "{\"filterGroups\":[{\"filters\":[{\"propertyName\":\"source_id\",\"operator\":\"EQ\",\"value\":\"" + probe
                                        + "\"}]}],\"properties\":[\"jobtitle\"],\"limit\":1}");
                        if (marker.equals(target.path("results").path(0).path("properties").path("jobtitle").asText())) {
                            lag = Duration.between(written, Instant.now()).toMillis();
                            break;
                        }
                        Await.sleep(Duration.ofMillis(500));
                    }
                    JsonNode diagnostics = api.get("/system-diagnostics").path("systemDiagnostics").path("aggregateSnapshot");
                    long heap = diagnostics.path("usedHeapBytes").asLong() / (1024 * 1024);
                    long ffRepo = diagnostics.path("flowFileRepositoryStorageUsage").path("usedSpaceBytes").asLong();
                    long contentRepo = 0;
                    for (JsonNode c : diagnostics.path("contentRepositoryStorageUsage")) {
                        contentRepo += c.path("usedSpaceBytes").asLong();
                    }
                    // Repository use of the partition is shared with the machine: the repositories' own size on disk instead.
                    ffRepo = sizeOf(nifi.home().root().resolve("flowfile_repository"));
                    contentRepo = sizeOf(nifi.home().root().resolve("content_repository"));
                    Sample s = new Sample(Duration.ofNanos(System.nanoTime() - start).toSeconds(), heap, ffRepo / (1024 * 1024),
                            contentRepo / (1024 * 1024), flow.status().flowFilesQueued(), lag, changes.get());
                    samples.add(s);
                    LOG.log(System.Logger.Level.INFO, "soak {0}", s);
                    // Progress on disk, so an interrupted soak still shows what it measured.
                    Files.writeString(TestArtifacts.workDir().getParent().resolve("reliability").resolve("soak-progress.txt"),
                            s + System.lineSeparator(), java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
                    long rest = SAMPLE.toNanos() - (System.nanoTime() - sampleStart);
                    if (rest > 0) {
                        Await.sleep(Duration.ofNanos(rest));
                    }
                }
                running.set(false);
                stream.join(30_000);

                // Final reconciliation: the target equals the source.
                Ledger ledger = null;
                long deadline = System.nanoTime() + Duration.ofMinutes(5).toNanos();
                while (System.nanoTime() < deadline) {
                    ledger = Ledger.read(sim, review);
                    if (ledger.lost(ledger.source).isEmpty() && ledger.zombies() == 0 && stale(ledger, titles) == 0) {
                        break;
                    }
                    Await.sleep(Duration.ofSeconds(3));
                }
                StringBuilder md = new StringBuilder("| t (s) | heap used (MB) | FlowFile repo (MB) | content repo (MB) | queued FlowFiles "
                        + "| probe lag (ms) | changes so far |\n|---:|---:|---:|---:|---:|---:|---:|\n");
                samples.forEach(s -> md.append("| ").append(s.second()).append(" | ").append(s.heapUsedMb()).append(" | ")
                        .append(s.flowFileRepoMb()).append(" | ").append(s.contentRepoMb()).append(" | ").append(s.queued()).append(" | ")
                        .append(s.lagMs()).append(" | ").append(s.changes()).append(" |\n"));
                Map<String, java.util.Set<String>> lost = ledger.lost(ledger.source);
                md.append("\nMinutes: ").append(MINUTES).append(", rate: ").append(RATE).append(" changes/s, changes made: ").append(changes.get())
                        .append(" (").append(failedChanges.get()).append(" failed to be made)\n")
                        .append("Final reconciliation: source ").append(ledger.sourceCount()).append(", target ").append(ledger.targetCount())
                        .append(", set aside ").append(ledger.reviewed.size()).append(" (without reason ").append(ledger.withoutReason().size())
                        .append("), duplicated ").append(ledger.duplicates()).append(", lost ").append(Ledger.size(lost))
                        .append(", stale ").append(stale(ledger, titles)).append(", zombies ").append(ledger.zombies()).append('\n');
                if (!lost.isEmpty()) {
                    // For the diagnosis: the lost records as the source has them.
                    Set<String> some = new TreeSet<>();
                    lost.values().forEach(ids -> ids.stream().limit(10).forEach(some::add));
                    for (String object : lost.keySet()) {
                        sim.records("salesforce", object).stream().filter(r -> some.contains(r.path("id").asText()))
                                .forEach(r -> md.append("\nlost: ").append(r));
                    }
                }
                Path out = TestArtifacts.workDir().getParent().resolve("reliability").resolve("soak.md");
                Files.writeString(out, md.toString());
                LOG.log(System.Logger.Level.INFO, "Soak:\n{0}", md);

                assertEquals(Map.of(), lost, "records lost\n" + md);
                assertEquals(0, ledger.duplicates(), "duplicates\n" + md);
                assertEquals(0, ledger.zombies(), "deleted in the source, still in the target\n" + md);
                assertEquals(0, stale(ledger, titles), "updates not applied\n" + md);
                assertEquals(List.of(), ledger.withoutReason(), "set aside without a reason");
                assertTrue(samples.size() >= 3, "samples: " + samples.size());
                assertTrue(samples.stream().allMatch(s -> s.lagMs() >= 0 && s.lagMs() < 60_000), "lag bounded (< 60 s):\n" + md);
                int third = Math.max(1, samples.size() / 3);
                double early = samples.subList(0, third).stream().mapToLong(Sample::heapUsedMb).max().orElse(0);
                double late = samples.subList(samples.size() - third, samples.size()).stream().mapToLong(Sample::heapUsedMb).min().orElse(0);
                assertTrue(late <= early * 1.5 + 128, "heap flat: the last third's minimum " + late + " MB vs the first third's maximum "
                        + early + " MB\n" + md);
                double ffEarly = samples.subList(0, third).stream().mapToLong(Sample::flowFileRepoMb).max().orElse(0);
                double ffLate = samples.subList(samples.size() - third, samples.size()).stream().mapToLong(Sample::flowFileRepoMb).min().orElse(0);
                assertTrue(ffLate <= ffEarly * 1.5 + 32, "FlowFile repository flat\n" + md);
                assertTrue(samples.stream().allMatch(s -> s.queued() < 5_000), "queues bounded\n" + md);
            }
        }
    }

    private static long stale(Ledger ledger, Map<String, String> titles) {
        Set<String> reviewed = ledger.reviewedIds("Contact");
        synchronized (titles) {
            return titles.entrySet().stream().filter(e -> ledger.source.get("Contact").contains(e.getKey()) && !reviewed.contains(e.getKey())
                    && !e.getValue().equals(ledger.targetFields.get("Contact").get(e.getKey()))).count();
        }
    }

    private static long sizeOf(Path dir) {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (var files = Files.walk(dir)) {
            return files.filter(Files::isRegularFile).mapToLong(f -> {
                try {
                    return Files.size(f);
                } catch (java.io.IOException e) {
                    return 0;
                }
            }).sum();
        } catch (java.io.IOException | java.io.UncheckedIOException e) {
            return 0;
        }
    }

    @SuppressWarnings("unused")
    private static Set<String> ids(List<JsonNode> records) {
        Set<String> out = new TreeSet<>();
        records.forEach(r -> out.add(r.path("id").asText()));
        return out;
    }
}
