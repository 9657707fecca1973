package io.nificrm.nifitests;

import io.nificrm.nifitests.harness.Await;
import io.nificrm.nifitests.harness.NarContents;
import io.nificrm.nifitests.harness.NiFiApiException;
import io.nificrm.nifitests.harness.NiFiInstance;
import io.nificrm.nifitests.harness.NiFiNodeConfig;
import io.nificrm.nifitests.harness.NiFiRestClient;
import io.nificrm.nifitests.harness.TestArtifacts;
import io.nificrm.nifitests.harness.model.Bulletin;
import io.nificrm.nifitests.harness.model.ComponentRef;
import io.nificrm.nifitests.harness.model.ComponentType;
import io.nificrm.nifitests.harness.model.ControllerServiceInfo;
import io.nificrm.nifitests.harness.model.GroupStatus;
import io.nificrm.nifitests.harness.model.ProcessorInfo;
import io.nificrm.nifitests.harness.model.PropertyDescriptorInfo;
import io.nificrm.nifitests.harness.model.ValidationStatus;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Boots one real NiFi 2.3.0 for the class, hot-loads our NAR into it and checks through the REST API that NiFi loads
 * every component the NAR declares, from our bundle, and that they can be instantiated and validated.
 */
@Tag("real-nifi")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RealNiFiSmokeTest {

    private static final System.Logger LOG = System.getLogger(RealNiFiSmokeTest.class.getName());
    private static final String NIFI_VERSION = "2.3.0";
    private static final String OUR_GROUP = "io.nificrm";
    private static final String OUR_ARTIFACT = "nifi-crm-nar";
    /** A WARN line logged by NiFi's NAR loading (logger names are abbreviated to 40 characters). */
    private static final Pattern NAR_LOADING_WARNING =
            Pattern.compile(" WARN \\[[^]]*] (org\\.apache\\.nifi\\.nar\\.|o\\.a\\.n\\.n(ar)?\\.)");
    private static final Duration HOT_LOAD_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration VALIDATION_TIMEOUT = Duration.ofSeconds(30);

    private NiFiInstance nifi;
    private NiFiRestClient api;
    private NarContents nar;
    private final Set<String> createdComponentIds = new HashSet<>();

    @BeforeAll
    void startNiFiAndInstallOurNar() {
        Optional<Path> built = TestArtifacts.crmNar();
        nifi = NiFiInstance.create(NiFiNodeConfig.builder("smoke").build()).start();
        api = nifi.client();
        built.ifPresent(narFile -> {
            nar = NarContents.read(narFile);
            LOG.log(System.Logger.Level.INFO, "Installing {0} (built {1}): processors {2}, controller services {3}",
                    narFile, nar.buildTimestamp(), nar.processors(), nar.controllerServices());
            nifi.installNar(narFile);
        });
    }

    @AfterAll
    void stopNiFi() {
        if (nifi != null) {
            nifi.close();
        }
    }

    @Test
    @Order(1)
    void nifiRunsTheExpectedVersionWithTheStockControllerServices() {
        assertEquals(NIFI_VERSION, api.about().path("version").asText());
        assertFalse(api.rootProcessGroupId().isBlank());
        assertTrue(typeNames(api.controllerServiceTypes()).contains("org.apache.nifi.json.JsonTreeReader"),
                "the stock record services NAR should be loaded");
    }

    /** Exercises the client calls flow tests need (upload, enable, start, status, download, teardown), stock only. */
    @Test
    @Order(2)
    void aFlowDefinitionUploadsEnablesRunsAndIsTornDown() throws IOException {
        byte[] flow;
        try (InputStream in = getClass().getResourceAsStream("/flows/stock-services-flow.json")) {
            flow = in.readAllBytes();
        }
        ComponentRef group = api.uploadFlowDefinition(api.rootProcessGroupId(), "stock-" + UUID.randomUUID(), flow);
        try {
            assertEquals(Set.of("org.apache.nifi.json.JsonTreeReader", "org.apache.nifi.json.JsonRecordSetWriter"),
                    Set.copyOf(api.controllerServices(group.id()).stream().map(ControllerServiceInfo::type).toList()));
            api.enableControllerServices(group.id());
            Await.until("the uploaded services to be ENABLED", VALIDATION_TIMEOUT, Duration.ofMillis(250),
                    () -> api.controllerServices(group.id()),
                    services -> services.stream().allMatch(s -> "ENABLED".equals(s.state())));
            api.startProcessGroup(group.id());

            GroupStatus status = api.processGroupStatus(group.id());
            assertEquals(group.id(), status.id());
            assertEquals(0, status.flowFilesQueued());
            assertEquals(2, api.downloadFlowDefinition(group.id()).path("flowContents").path("controllerServices")
                    .size(), "services in the downloaded flow definition");
        } finally {
            api.stopAndDeleteProcessGroup(group.id());
        }
        NiFiApiException gone = assertThrows(NiFiApiException.class, () -> api.processGroup(group.id()));
        assertEquals(404, gone.status(), gone.getMessage());
    }

    @Test
    @Order(3)
    void ourNarDeclaresProcessorsAndControllerServices() {
        assumeOurNar();
        assertAll(
                () -> assertEquals(OUR_GROUP, nar.bundle().group(), "Nar-Group"),
                () -> assertEquals(OUR_ARTIFACT, nar.bundle().artifact(), "Nar-Id"),
                () -> assertEquals("org.apache.nifi:nifi-standard-services-api-nar:" + NIFI_VERSION,
                        String.valueOf(nar.parent()), "parent NAR"),
                () -> assertFalse(nar.processors().isEmpty(),
                        "no META-INF/services/org.apache.nifi.processor.Processor in " + nar.bundledJars()),
                () -> assertFalse(nar.controllerServices().isEmpty(),
                        "no META-INF/services/org.apache.nifi.controller.ControllerService in " + nar.bundledJars()),
                () -> assertTrue(nar.bundledJars().stream().noneMatch(jar -> jar.startsWith("nifi-api-")),
                        "nifi-api must be provided by NiFi, not bundled: " + nar.bundledJars()));
    }

    @Test
    @Order(4)
    void niFiLoadsEveryDeclaredComponentFromOurBundle() {
        assumeOurNar();
        List<ComponentType> processors = awaitTypes("processor", nar.processors(), api::processorTypes);
        List<ComponentType> services = awaitTypes("controller service", nar.controllerServices(),
                api::controllerServiceTypes);
        for (ComponentType type : concat(processors, services)) {
            assertEquals(nar.bundle(), type.bundle(), "bundle of " + type.type());
        }
    }

    @Test
    @Order(5)
    void ourComponentsCanBeCreatedAndReportTheirValidation() {
        assumeOurNar();
        List<ComponentType> processorTypes = awaitTypes("processor", nar.processors(), api::processorTypes);
        List<ComponentType> serviceTypes = awaitTypes("controller service", nar.controllerServices(),
                api::controllerServiceTypes);
        ComponentRef group = api.createProcessGroup(api.rootProcessGroupId(), "smoke-" + UUID.randomUUID());
        createdComponentIds.add(group.id());
        try {
            List<ProcessorInfo> processors = new ArrayList<>();
            for (ComponentType type : processorTypes) {
                ProcessorInfo created = api.createProcessor(group.id(), type.type(), type.bundle());
                createdComponentIds.add(created.id());
                processors.add(api.awaitProcessorValidation(created.id(), VALIDATION_TIMEOUT));
            }
            List<ControllerServiceInfo> services = new ArrayList<>();
            for (ComponentType type : serviceTypes) {
                ControllerServiceInfo created = api.createControllerService(group.id(), type.type(), type.bundle());
                createdComponentIds.add(created.id());
                services.add(Await.until("validation of " + type.type(), VALIDATION_TIMEOUT, Duration.ofMillis(250),
                        () -> api.controllerService(created.id()),
                        s -> s.validationStatus() != ValidationStatus.VALIDATING));
            }

            processors.forEach(p -> LOG.log(System.Logger.Level.INFO, "Processor {0}: {1} {2}", p.type(),
                    p.validationStatus(), p.validationErrors()));
            services.forEach(s -> LOG.log(System.Logger.Level.INFO, "Controller service {0}: {1} {2}", s.type(),
                    s.validationStatus(), s.validationErrors()));
            assertAll(processors.stream().map(p -> () -> assertProcessorValidation(p)));
            assertAll(services.stream().map(s -> () -> assertServiceValidation(s)));
            assertPropertiesCanBeUpdated(processors);
        } finally {
            api.stopAndDeleteProcessGroup(group.id());
        }
    }

    @Test
    @Order(6)
    void noErrorsOrNarLoadingWarningsFromOurBundle() {
        assumeOurNar();
        Set<String> ourNames = new HashSet<>();
        concat(new ArrayList<>(nar.processors()), new ArrayList<>(nar.controllerServices()))
                .forEach(type -> ourNames.add(type.substring(type.lastIndexOf('.') + 1)));
        List<Bulletin> ours = api.bulletins().stream()
                .filter(Bulletin::isError)
                .filter(b -> createdComponentIds.contains(b.sourceId())
                        || createdComponentIds.contains(b.groupId())
                        || mentionsUs(b.message()) || ourNames.stream().anyMatch(n -> contains(b.sourceName(), n)))
                .toList();
        assertTrue(ours.isEmpty(), "ERROR bulletins from our bundle: " + ours);

        // ERROR lines about us, and WARN lines of NiFi's NAR loading about us (e.g. "unable to locate exact NAR
        // dependency": NiFi then falls back to another parent version, which works until it does not).
        List<String> problems = nifi.home().appLogLines(line -> mentionsUs(line)
                && (line.contains(" ERROR [") || NAR_LOADING_WARNING.matcher(line).find()));
        assertTrue(problems.isEmpty(), "Problems with our bundle in " + nifi.home().appLog() + ":\n"
                + String.join("\n", problems));
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    private void assumeOurNar() {
        assumeTrue(nar != null, "Our NAR was not built (expected at " + TestArtifacts.crmNarLocation()
                + "): build nifi-crm-nar first, e.g. mvn -pl nifi-crm-nar -am install -DskipTests");
    }

    /** Polls the type listing until every declared class is there (hot loading takes a few seconds). */
    private List<ComponentType> awaitTypes(String kind, SortedSet<String> declared,
                                           Supplier<List<ComponentType>> listing) {
        List<ComponentType> found;
        try {
            found = Await.until("NiFi to list our " + kind + "s " + declared, HOT_LOAD_TIMEOUT,
                    Duration.ofMillis(500),
                    () -> listing.get().stream().filter(t -> t.isFrom(OUR_GROUP, OUR_ARTIFACT)).toList(),
                    types -> typeNames(types).containsAll(declared));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\n" + nifi.logTail(), e);
        }
        SortedSet<String> extra = typeNames(found);
        extra.removeAll(declared);
        assertTrue(extra.isEmpty(), "NiFi lists " + kind + "s of our bundle the NAR does not declare: " + extra);
        return found;
    }

    private static void assertProcessorValidation(ProcessorInfo processor) {
        String what = processor.type() + " " + processor.validationErrors();
        assertFalse(processor.extensionMissing(), "NiFi created a ghost (extension missing) for " + what);
        assertNotEquals(ValidationStatus.UNKNOWN, processor.validationStatus(), "validation status of " + what);
        if (processor.validationStatus() == ValidationStatus.INVALID) {
            assertFalse(processor.validationErrors().isEmpty(), "INVALID without validation errors: " + what);
        }
        // Every property that must be set and is not must be reported by its display name.
        for (PropertyDescriptorInfo descriptor : processor.descriptors().values()) {
            if (descriptor.mustBeSet() && processor.properties().get(descriptor.name()) == null) {
                assertEquals(ValidationStatus.INVALID, processor.validationStatus(),
                        "'" + descriptor.displayName() + "' is required and unset: " + what);
                assertTrue(processor.validationErrors().stream().anyMatch(e -> e.contains(descriptor.displayName())),
                        "no validation error names the required property '" + descriptor.displayName() + "': "
                                + what);
            }
        }
    }

    private static void assertServiceValidation(ControllerServiceInfo service) {
        String what = service.type() + " " + service.validationErrors();
        assertFalse(service.extensionMissing(), "NiFi created a ghost (extension missing) for " + what);
        assertNotEquals(ValidationStatus.UNKNOWN, service.validationStatus(), "validation status of " + what);
        assertEquals("DISABLED", service.state(), "state of a new service " + what);
        if (service.validationStatus() == ValidationStatus.INVALID) {
            assertFalse(service.validationErrors().isEmpty(), "INVALID without validation errors: " + what);
        }
    }

    /** Sets one plain (non-sensitive, non-service) property of the first processor that has one and reads it back. */
    private void assertPropertiesCanBeUpdated(List<ProcessorInfo> processors) {
        for (ProcessorInfo processor : processors) {
            Optional<PropertyDescriptorInfo> plain = processor.descriptors().values().stream()
                    .filter(d -> !d.sensitive() && d.identifiesControllerService() == null && !d.dependent())
                    .findFirst();
            if (plain.isPresent()) {
                PropertyDescriptorInfo descriptor = plain.get();
                String value = descriptor.allowableValues().isEmpty() ? "smoke-test-value"
                        : descriptor.allowableValues().getFirst();
                ProcessorInfo updated = api.updateProcessorProperties(processor.id(), Map.of(descriptor.name(), value));
                assertEquals(value, updated.properties().get(descriptor.name()),
                        "property '" + descriptor.displayName() + "' of " + processor.type() + " after the update");
                assertTrue(updated.revisionVersion() > processor.revisionVersion(), "revision after the update");
                return;
            }
        }
    }

    private static boolean mentionsUs(String text) {
        return contains(text, "io.nificrm") || contains(text, "nifi-crm");
    }

    private static boolean contains(String text, String part) {
        return text != null && text.contains(part);
    }

    private static SortedSet<String> typeNames(List<ComponentType> types) {
        return new TreeSet<>(types.stream().map(ComponentType::type).toList());
    }

    private static <T> List<T> concat(List<T> a, List<T> b) {
        List<T> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }
}
