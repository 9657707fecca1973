package io.nificrm.processors;

import com.fasterxml.jackson.databind.JsonNode;
import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmField;
import io.nificrm.api.CrmFieldType;
import io.nificrm.api.CrmObjectSchema;
import io.nificrm.processors.mapping.CompiledMapping;
import io.nificrm.processors.mapping.MappingSpec;
import io.nificrm.processors.mapping.MappingSpecs;
import io.nificrm.processors.mapping.MappingSuggester;
import io.nificrm.processors.mapping.SuggestMappingMain;
import io.nificrm.services.jdbc.JdbcConnectionService;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.simulator.postgres.LocalPostgres;
import org.apache.nifi.components.ConfigVerificationResult;
import org.apache.nifi.components.ConfigVerificationResult.Outcome;
import org.apache.nifi.processor.VerifiableProcessor;
import org.apache.nifi.util.MockProcessContext;
import org.apache.nifi.util.NoOpProcessor;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Mapping suggestions from the describes of the simulated CRMs and the PostgreSQL schema: measured against the
 * hand-written presets, offered by MapCrmFields' verification, and drafted by the command-line entry point.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MapSuggestionsTest {
    private CrmSimulator sim;
    private LocalPostgres.Database database;
    private TestRunner services;

    @BeforeAll
    void start() throws Exception {
        sim = CrmSimulator.start(SimulatorConfig.defaults().unlimited());
        database = LocalPostgres.shared().createDatabase("map_suggestions");
        try (Connection c = database.connect(); Statement s = c.createStatement()) {
            s.execute(Files.readString(Path.of("..", "templates", "postgres", "crm-schema.sql")));
        }
        services = TestRunners.newTestRunner(NoOpProcessor.class);
        for (String system : List.of("salesforce", "hubspot", "dynamics")) {
            MapTestSupport.addService(services, sim, system);
        }
        MapTestSupport.PostgresDbcp dbcp = new MapTestSupport.PostgresDbcp(database.jdbcUrl(), database.user(), database.password());
        services.addControllerService("dbcp", dbcp);
        services.enableControllerService(dbcp);
        JdbcConnectionService jdbc = new JdbcConnectionService();
        services.addControllerService("postgresql", jdbc);
        services.setProperty(jdbc, JdbcConnectionService.DBCP_SERVICE, "dbcp");
        services.enableControllerService(jdbc);
    }

    @AfterAll
    void stop() {
        sim.close();
        LocalPostgres.shared().dropDatabase(database.name());
    }

    private CrmObjectSchema describe(String system, String object) {
        return ((CrmConnectionService) services.getControllerService(system)).describe(object);
    }

    @Test
    void suggestionsAgreeWithTheHandWrittenPresets() {
        int expectedTotal = 0;
        int suggestedTotal = 0;
        int correctTotal = 0;
        StringBuilder report = new StringBuilder("Suggestions against the presets (correct / suggested / preset pairs):\n");
        for (String name : MappingSpecs.presets()) {
            MappingSpec preset = MappingSpecs.parse(MappingSpecs.preset(name));
            CrmObjectSchema source = describe(preset.source().system(), preset.source().object());
            CrmObjectSchema target = describe(preset.target().system(), preset.target().object());
            String targetSystem = preset.target().system().equals("postgresql") ? "jdbc" : preset.target().system();
            MappingSuggester.Draft draft = MappingSuggester.suggest(source, target, Set.of(), targetSystem);

            Set<String> expected = preset.fields().stream().filter(f -> f.source() != null)
                    .map(f -> f.target() + " <- " + f.source()).collect(Collectors.toSet());
            Set<String> suggested = draft.fields().stream().map(f -> f.get("target").asText() + " <- " + f.get("source").asText())
                    .collect(Collectors.toSet());
            Set<String> correct = new HashSet<>(suggested);
            correct.retainAll(expected);
            expectedTotal += expected.size();
            suggestedTotal += suggested.size();
            correctTotal += correct.size();
            Set<String> wrong = new HashSet<>(suggested);
            wrong.removeAll(expected);
            Set<String> missed = new HashSet<>(expected);
            missed.removeAll(suggested);
            report.append(String.format(Locale.ROOT, "  %-40s %2d / %2d / %2d  wrong %s missed %s%n", name, correct.size(), suggested.size(),
                    expected.size(), wrong, missed));

            // The draft is a spec that compiles against the target, so an operator can start from it.
            String json = draft.spec(name + "-draft", preset.source(), preset.target()).toString();
            CompiledMapping.compile(MappingSpecs.parse(json), target, null);
        }
        double precision = (double) correctTotal / suggestedTotal;
        double recall = (double) correctTotal / expectedTotal;
        report.append(String.format(Locale.ROOT, "precision %.3f, recall %.3f over %d preset pairs%n", precision, recall, expectedTotal));
        System.out.print(report);
        assertTrue(precision >= 0.95, report.toString());
        assertTrue(recall >= 0.95, report.toString());
    }

    @Test
    void customFieldsMatchByNameLabelAndSimilarityWhenTheTypesFit() {
        CrmObjectSchema source = new CrmObjectSchema("Thing__c", "Thing", "Id", null, null, List.of(
                CrmField.of("Id", CrmFieldType.ID),
                CrmField.of("Annual_Contract_Value__c", CrmFieldType.DECIMAL),
                new CrmField("x_lang", "Preferred Language", CrmFieldType.STRING, false, false, false, false, 20, List.of(), null),
                CrmField.of("Shipping_Postal_Code__c", CrmFieldType.STRING),
                CrmField.of("Newsletter__c", CrmFieldType.BOOLEAN),
                CrmField.of("Renewal_Date__c", CrmFieldType.STRING),
                CrmField.of("Favourite_Colour__c", CrmFieldType.STRING)));
        CrmObjectSchema target = new CrmObjectSchema("things", "Things", "id", null, null, List.of(
                new CrmField("id", "id", CrmFieldType.ID, false, true, false, true, 0, List.of(), null),
                new CrmField("external_ref", "External Ref", CrmFieldType.STRING, false, true, true, false, 0, List.of(), null),
                CrmField.of("annual_contract_value", CrmFieldType.DECIMAL),
                new CrmField("language_pref", "Preferred Language", CrmFieldType.STRING, false, false, false, false, 10, List.of(), null),
                CrmField.of("shipping_postcode", CrmFieldType.STRING),
                CrmField.of("newsletter", CrmFieldType.DATE),
                CrmField.of("renewal_date", CrmFieldType.DATE),
                new CrmField("tier", "Tier", CrmFieldType.PICKLIST, true, false, false, false, 0, List.of("gold", "silver"), null)));
        MappingSuggester.Draft draft = MappingSuggester.suggest(source, target);
        Map<String, String> pairs = draft.suggestions().stream().collect(Collectors.toMap(MappingSuggester.Suggestion::target,
                MappingSuggester.Suggestion::source));
        assertEquals(Map.of("annual_contract_value", "Annual_Contract_Value__c", "language_pref", "x_lang",
                "shipping_postcode", "Shipping_Postal_Code__c", "renewal_date", "Renewal_Date__c"), pairs,
                "same name without __c and _, same label, similar name; a boolean never goes into a date");
        Map<String, String> basis = draft.suggestions().stream().collect(Collectors.toMap(MappingSuggester.Suggestion::target,
                MappingSuggester.Suggestion::basis));
        assertEquals("same name", basis.get("annual_contract_value"));
        assertEquals("same label", basis.get("language_pref"));
        assertEquals("similar name or label", basis.get("shipping_postcode"));
        assertEquals(List.of("external_ref", "newsletter", "tier"), draft.unmatched(), "external_ref is no source/external id by its name");
        assertEquals(List.of("tier"), draft.unmatchedRequired());
        JsonNode renewal = draft.fields().stream().filter(f -> f.get("target").asText().equals("renewal_date")).findFirst().orElseThrow();
        assertTrue(renewal.get("formats").isArray(), "a text source of a date gets a formats list to fill in");
        JsonNode language = draft.fields().stream().filter(f -> f.get("target").asText().equals("language_pref")).findFirst().orElseThrow();
        assertEquals(10, language.get("transforms").get(2).get("truncate").asInt());
    }

    @Test
    void draftsCarryTransformsAndValueMapSkeletons() {
        MappingSuggester.Draft draft = MappingSuggester.suggest(describe("salesforce", "Account"), describe("hubspot", "companies"));
        Map<String, JsonNode> byTarget = draft.fields().stream().collect(Collectors.toMap(f -> f.get("target").asText(), f -> f));
        assertEquals("Id", byTarget.get("source_id").get("source").asText(), "the source id goes into the external id");
        assertEquals("Industry", byTarget.get("industry").get("source").asText());
        JsonNode industries = byTarget.get("industry").get("valueMap");
        assertEquals(8, industries.size(), "one entry per source picklist value");
        assertEquals("RETAIL", industries.get("Retail").asText(), "matched where the values agree");
        assertEquals("", industries.get("Technology").asText(), "left to fill where they do not");
        assertEquals("error", byTarget.get("industry").get("unmappedValues").asText());
        assertTrue(byTarget.get("industry").get("comment").asText().contains("fill in 7 empty value-map entries"));
        assertEquals("BillingCountry", byTarget.get("phone").get("transforms").get(0).get("e164").get("regionField").asText(),
                "phones are read in the record's country");

        MappingSuggester.Draft contacts = MappingSuggester.suggest(describe("salesforce", "Contact"), describe("dynamics", "contact"));
        Map<String, JsonNode> c = contacts.fields().stream().collect(Collectors.toMap(f -> f.get("target").asText(), f -> f));
        assertEquals("Email", c.get("emailaddress1").get("source").asText());
        assertEquals("email", c.get("emailaddress1").get("transforms").get(0).asText());
        assertEquals("Phone", c.get("telephone1").get("source").asText());
        assertEquals("AccountId", c.get("parentcustomerid.nificrm_sourceid").get("source").asText(), "references by the target's key");
        assertEquals(50, c.get("lastname").get("transforms").get(2).get("truncate").asInt(), "text fits the target's length");
        assertEquals(List.of(), contacts.unmatchedRequired());
    }

    @Test
    void verificationChecksTheMappingAndSuggestsTheRest() throws Exception {
        String mapping = """
                {"name": "partial", "source": {"system": "salesforce", "object": "Contact"}, "target": {"system": "hubspot", "object": "contacts"},
                 "fields": [{"target": "source_id", "source": "Id"}, {"target": "email", "source": "Email", "transforms": ["email"]}]}
                """;
        List<ConfigVerificationResult> results = verify(mapping);
        assertEquals(List.of("Parse mapping", "Describe target", "Check target fields", "Describe source", "Check source fields", "Suggest mapping"),
                results.stream().map(ConfigVerificationResult::getVerificationStepName).toList());
        results.forEach(r -> assertEquals(Outcome.SUCCESSFUL, r.getOutcome(), r.toString()));
        String suggestion = results.get(5).getExplanation();
        JsonNode fields = MapTestSupport.JSON.readTree(suggestion.substring(suggestion.indexOf('[')));
        Map<String, String> pairs = new java.util.HashMap<>();
        fields.forEach(f -> pairs.put(f.get("target").asText(), f.get("source").asText()));
        assertEquals("FirstName", pairs.get("firstname"));
        assertEquals("Title", pairs.get("jobtitle"));
        assertEquals("MailingCity", pairs.get("city"));
        assertEquals("AccountId", pairs.get("associations.companies"));
        assertTrue(!pairs.containsKey("email") && !pairs.containsKey("source_id"), "mapped fields are not suggested again");

        List<ConfigVerificationResult> bad = verify(mapping.replace("\"target\": \"email\"", "\"target\": \"e_mail\"")
                .replace("\"source\": \"Id\"", "\"source\": \"Identifier\""));
        assertEquals(Outcome.FAILED, bad.get(2).getOutcome());
        assertEquals("Field 'e_mail': the target object contacts has no such field", bad.get(2).getExplanation());
        assertEquals(Outcome.FAILED, bad.get(4).getOutcome());
        assertEquals("The mapping reads field(s) [Identifier] that Contact does not have", bad.get(4).getExplanation());

        List<ConfigVerificationResult> unparsable = verify("{\"fields\": [{\"target\": \"x\", \"source\": \"a\", \"transforms\": [\"shout\"]}]}");
        assertEquals(1, unparsable.size());
        assertEquals(Outcome.FAILED, unparsable.get(0).getOutcome());
        assertTrue(unparsable.get(0).getExplanation().startsWith("Field 'x': unknown transform 'shout'"));
    }

    @Test
    void verificationOfAPresetPassesEveryStep() throws Exception {
        TestRunner runner = verifier(r -> r.setProperty(MapCrmFields.PRESET, "salesforce-to-dynamics-opportunities"));
        List<ConfigVerificationResult> results = ((VerifiableProcessor) runner.getProcessor())
                .verify(runner.getProcessContext(), runner.getLogger(), Map.of());
        results.forEach(r -> assertEquals(Outcome.SUCCESSFUL, r.getOutcome(), r.toString()));
    }

    private List<ConfigVerificationResult> verify(String mapping) throws Exception {
        TestRunner runner = verifier(r -> r.setProperty(MapCrmFields.MAPPING, mapping));
        return ((VerifiableProcessor) runner.getProcessor()).verify(runner.getProcessContext(), runner.getLogger(), Map.of());
    }

    private TestRunner verifier(java.util.function.Consumer<TestRunner> configure) throws Exception {
        return MapTestSupport.mapper(r -> {
            try {
                for (String system : List.of("salesforce", "hubspot", "dynamics")) {
                    MapTestSupport.addService(r, sim, system);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            configure.accept(r);
            MappingSpec spec;
            try {
                spec = MapCrmFields.readSpec(((MockProcessContext) r.getProcessContext()));
            } catch (Exception e) {
                spec = null;
            }
            r.setProperty(MapCrmFields.TARGET_SERVICE, spec == null || spec.target() == null ? "hubspot" : spec.target().system());
            r.setProperty(MapCrmFields.SOURCE_SERVICE, spec == null || spec.source() == null ? "salesforce" : spec.source().system());
        });
    }

    @Test
    void commandLineDraftsASpecFromSavedDescribes(@TempDir Path dir) throws Exception {
        Path source = dir.resolve("sf-contact.json");
        Path target = dir.resolve("hs-contacts.json");
        Files.writeString(source, SuggestMappingMain.describeToJson(describe("salesforce", "Contact")));
        Files.writeString(target, SuggestMappingMain.describeToJson(describe("hubspot", "contacts")));

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = SuggestMappingMain.run(new String[]{"--source", source.toString(), "--target", target.toString(),
                "--source-system", "salesforce", "--target-system", "hubspot"}, new PrintStream(out), new PrintStream(err));
        assertEquals(0, code, err.toString(StandardCharsets.UTF_8));
        MappingSpec spec = MappingSpecs.parse(out.toString(StandardCharsets.UTF_8));
        assertEquals("salesforce-contact-to-hubspot-contacts-draft", spec.name());
        assertEquals(new MappingSpec.Endpoint("hubspot", "contacts"), spec.target());
        CompiledMapping compiled = CompiledMapping.compile(spec, describe("hubspot", "contacts"), null);
        assertTrue(compiled.targetFields().containsAll(List.of("source_id", "email", "firstname", "lastname", "phone", "associations.companies")),
                compiled.targetFields().toString());
        assertTrue(err.toString(StandardCharsets.UTF_8).contains("no match for [company, lifecyclestage, hs_lead_status]"), err.toString(StandardCharsets.UTF_8));

        Path written = dir.resolve("draft.json");
        assertEquals(0, SuggestMappingMain.run(new String[]{"--source", source.toString(), "--target", target.toString(),
                "--out", written.toString()}, new PrintStream(out), new PrintStream(err)));
        MappingSpecs.parse(Files.readString(written));

        assertEquals(2, SuggestMappingMain.run(new String[]{"--source", source.toString()}, new PrintStream(out), new PrintStream(err)));
        assertEquals(2, SuggestMappingMain.run(new String[]{"--sauce", "x"}, new PrintStream(out), new PrintStream(err)));
        ByteArrayOutputStream missing = new ByteArrayOutputStream();
        assertEquals(1, SuggestMappingMain.run(new String[]{"--source", dir.resolve("nope.json").toString(), "--target", target.toString()},
                new PrintStream(out), new PrintStream(missing)));
        assertTrue(missing.toString(StandardCharsets.UTF_8).contains("nope.json"), missing.toString(StandardCharsets.UTF_8));
    }
}
