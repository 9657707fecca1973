package io.nificrm.nifitests.flows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.nifitests.flows.ExtensionCatalog.Coordinate;
import io.nificrm.nifitests.harness.NarContents;
import io.nificrm.nifitests.harness.TestArtifacts;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The static check of every flow definition in templates/ (no NiFi needed): types exist with their bundle
 * coordinates, required properties are set or parameterized, relationships are connected or auto-terminated,
 * parameters are defined. And breaking a definition makes the check fail with a message naming the component.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FlowDefinitionStaticCheckTest {

    /** The stock nifi-standard-nar is not served by Maven Central; the test NAR repackages the same 2.3.0 classes. */
    static final Coordinate STOCK_STANDARD = new Coordinate("org.apache.nifi", "nifi-standard-nar", FlowBuilder.NIFI);

    private ExtensionCatalog catalog;
    private Coordinate ours;

    /** The catalog of what a NiFi 2.3.0 with our NAR and the stock NARs offers, from the NARs' manifests. */
    static ExtensionCatalog catalog() {
        Path stock = TestArtifacts.stockNar();
        NarContents stockNar = NarContents.read(stock);
        return ExtensionCatalog.of(List.of(TestArtifacts.runtimeLib(), TestArtifacts.crmNarLocation(), stock))
                .alias(STOCK_STANDARD, new Coordinate(stockNar.bundle().group(), stockNar.bundle().artifact(), stockNar.bundle().version()));
    }

    @BeforeAll
    void readManifests() {
        catalog = catalog();
        ours = new Coordinate("io.nificrm", "nifi-crm-nar", FlowBuilder.projectVersion());
        assertTrue(catalog.hasBundle(ours), "our NAR's manifest: " + catalog.bundles());
    }

    static Stream<Path> templateFiles() throws IOException {
        try (Stream<Path> files = Files.walk(TemplateFiles.dir())) {
            return files.filter(f -> f.toString().endsWith(".json")).sorted().toList().stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("templateFiles")
    void everyTemplateIsSound(Path file) {
        List<String> problems = FlowDefinitionCheck.check(TemplateFiles.read(file), catalog, ours);
        assertTrue(problems.isEmpty(), file + ":\n  " + String.join("\n  ", problems));
    }

    @Test
    void everyShippedTemplateIsChecked() throws IOException {
        List<String> files = templateFiles().map(f -> TemplateFiles.dir().relativize(f).toString()).toList();
        for (FlowTemplates.Template template : FlowTemplates.all()) {
            assertTrue(files.contains(template.path()), template.path() + " is not in " + files);
        }
    }

    @Test
    void theReadmeExplainsEveryParameter() throws IOException {
        String readme = Files.readString(TemplateFiles.dir().resolve("README.md"), StandardCharsets.UTF_8);
        for (FlowTemplates.Template template : FlowTemplates.all()) {
            assertTrue(readme.contains(template.path()), "templates/README.md does not mention " + template.path());
            for (JsonNode context : template.json().path("parameterContexts")) {
                for (JsonNode parameter : context.path("parameters")) {
                    String name = parameter.path("name").asText();
                    assertTrue(readme.contains("`" + name + "`"), "templates/README.md does not explain parameter `" + name + "` of " + template.path());
                }
            }
        }
    }

    // ---- a broken definition fails, naming the component --------------------------------------------------------

    private ObjectNode migration() {
        return TemplateFiles.read(TemplateFiles.file(FlowTemplates.FULL_MIGRATION_HUBSPOT));
    }

    private static ObjectNode processor(ObjectNode flow, String name) {
        for (JsonNode p : flow.path("flowContents").path("processors")) {
            if (p.path("name").asText().equals(name)) {
                return (ObjectNode) p;
            }
        }
        throw new AssertionError("No processor " + name);
    }

    private void assertProblem(ObjectNode flow, String... expectedParts) {
        List<String> problems = FlowDefinitionCheck.check(flow, catalog, ours);
        assertFalse(problems.isEmpty(), "the broken definition passed the check");
        assertTrue(problems.stream().anyMatch(p -> Stream.of(expectedParts).allMatch(p::contains)),
                "no problem mentions " + List.of(expectedParts) + ":\n  " + String.join("\n  ", problems));
    }

    private static void removeConnections(ObjectNode flow, String sourceName, String relationship) {
        ArrayNode connections = (ArrayNode) flow.path("flowContents").path("connections");
        Iterator<JsonNode> it = connections.iterator();
        while (it.hasNext()) {
            JsonNode c = it.next();
            if (c.path("source").path("name").asText().equals(sourceName)) {
                for (JsonNode r : c.path("selectedRelationships")) {
                    if (r.asText().equals(relationship)) {
                        it.remove();
                        break;
                    }
                }
            }
        }
    }

    private static void removeParameter(ObjectNode flow, String name) {
        for (JsonNode context : flow.path("parameterContexts")) {
            Iterator<JsonNode> it = context.path("parameters").iterator();
            while (it.hasNext()) {
                if (it.next().path("name").asText().equals(name)) {
                    it.remove();
                }
            }
        }
    }

    @Test
    void anUnknownTypeIsReportedWithTheComponentName() {
        ObjectNode flow = migration();
        processor(flow, "Map contacts").put("type", "io.nificrm.processors.MapCrmFieldz");
        assertProblem(flow, "Processor 'Map contacts'", "unknown type io.nificrm.processors.MapCrmFieldz");
    }

    @Test
    void aStockTypeInTheWrongBundleIsReportedWithWhereItLives() {
        ObjectNode flow = TemplateFiles.read(TemplateFiles.file(FlowTemplates.FILE_IMPORT_HUBSPOT));
        ((ObjectNode) processor(flow, "List input files").path("bundle")).put("artifact", "nifi-update-attribute-nar");
        assertProblem(flow, "Processor 'List input files'", "unknown type org.apache.nifi.processors.standard.ListFile",
                "org.apache.nifi:nifi-standard-nar:2.3.0");
    }

    @Test
    void aMissingParameterIsReportedWithTheComponentThatUsesIt() {
        ObjectNode flow = migration();
        removeParameter(flow, "mapping.preset.contacts");
        assertProblem(flow, "Processor 'Map contacts'", "'Mapping Preset'", "parameter 'mapping.preset.contacts', which is not defined");
    }

    @Test
    void anUnconnectedRelationshipIsReportedWithTheProcessor() {
        ObjectNode flow = migration();
        removeConnections(flow, "Upsert opportunities", "failure");
        assertProblem(flow, "Processor 'Upsert opportunities'", "relationship 'failure' is neither connected nor auto-terminated");
    }

    @Test
    void anUnconnectedDynamicRelationshipIsReported() {
        // QueryRecord and RouteOnAttribute have one relationship per dynamic property: each must be routed too.
        ObjectNode flow = TemplateFiles.read(TemplateFiles.file(FlowTemplates.ONGOING_SYNC_PUSH_HUBSPOT_TO_SALESFORCE));
        removeConnections(flow, "Split deletes", "deletes");
        assertProblem(flow, "Processor 'Split deletes'", "relationship 'deletes' is neither connected nor auto-terminated");
        ObjectNode queue = TemplateFiles.read(TemplateFiles.file(FlowTemplates.ONGOING_SYNC_QUEUE_SALESFORCE_TO_HUBSPOT));
        ((ObjectNode) processor(queue, "Split deletes").path("properties")).remove("deletes");
        assertProblem(queue, "Processor 'Split deletes'", "has no relationship 'deletes'");
    }

    @Test
    void aRetryWithoutDeadLetterIsReported() {
        ObjectNode flow = migration();
        removeConnections(flow, "Upsert accounts", "retry");
        assertProblem(flow, "Processor 'Upsert accounts'", "retried relationship 'retry' has no dead-letter connection");
    }

    @Test
    void aRequiredPropertyLeftUnsetIsReported() {
        ObjectNode flow = migration();
        ((ObjectNode) processor(flow, "Fetch accounts").path("properties")).remove("Record Writer");
        assertProblem(flow, "Processor 'Fetch accounts'", "required property 'Record Writer' is not set");
    }

    @Test
    void aSecretWrittenIntoTheFlowIsReported() {
        ObjectNode flow = migration();
        for (JsonNode service : flow.path("flowContents").path("controllerServices")) {
            if (service.path("name").asText().startsWith("Target CRM")) {
                ((ObjectNode) service.path("properties")).put("Access Token", "pat-na1-1234");
            }
        }
        assertProblem(flow, "Controller service 'Target CRM (HubSpot)'", "'Access Token' is sensitive");
    }

    @Test
    void aPresetThatDoesNotExistIsReported() {
        ObjectNode flow = migration();
        for (JsonNode parameter : flow.path("parameterContexts").elements().next().path("parameters")) {
            if (parameter.path("name").asText().equals("mapping.preset.accounts")) {
                ((ObjectNode) parameter).put("value", "salesforce-to-hubspot-acounts");
            }
        }
        assertProblem(flow, "Processor 'Map accounts'", "'salesforce-to-hubspot-acounts' is not one of");
    }

    @Test
    void aServiceReferenceOfTheWrongKindIsReported() {
        ObjectNode flow = migration();
        JsonNode reader = null;
        for (JsonNode service : flow.path("flowContents").path("controllerServices")) {
            if (service.path("name").asText().equals("JSON records reader")) {
                reader = service;
            }
        }
        ((ObjectNode) processor(flow, "Upsert contacts").path("properties")).put("Record Writer", reader.path("identifier").asText());
        assertProblem(flow, "Processor 'Upsert contacts'", "'Record Writer' needs a org.apache.nifi.serialization.RecordSetWriterFactory");
    }

    @Test
    void ourBundleAtAnotherVersionIsReported() {
        ObjectNode flow = migration();
        ((ObjectNode) processor(flow, "Track contacts load").path("bundle")).put("version", "0.0.1");
        assertProblem(flow, "Processor 'Track contacts load'", "version 0.0.1");
    }

    @Test
    void aPrimaryNodeProcessorWithAnIncomingConnectionIsReported() {
        ObjectNode flow = migration();
        processor(flow, "Partition contacts").put("executionNode", "PRIMARY");
        assertProblem(flow, "Processor 'Partition contacts'", "primary node only but has an incoming connection");
    }

    @Test
    void anUnboundedRetryIsReported() {
        ObjectNode flow = migration();
        processor(flow, "Upsert contacts").put("retryCount", 0);
        assertProblem(flow, "Processor 'Upsert contacts'", "retryCount 0");
    }

}
