package io.nificrm.processors;

import com.fasterxml.jackson.databind.JsonNode;
import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmObjectSchema;
import io.nificrm.processors.common.CrmProperties;
import io.nificrm.processors.mapping.CompiledMapping;
import io.nificrm.processors.mapping.MappingSpec;
import io.nificrm.processors.mapping.MappingSpecs;
import io.nificrm.services.jdbc.JdbcConnectionService;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.simulator.postgres.LocalPostgres;
import io.nificrm.simulator.seed.SeedConfig;
import org.apache.nifi.util.NoOpProcessor;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every shipped preset against the real describe of its target (the simulated CRMs over HTTP through the real
 * connection services; a real PostgreSQL with templates/postgres/crm-schema.sql through the JDBC service), mapping
 * the seeded records of its source: no FlowFile fails, records in = success + invalid, most records are valid and
 * the invalid ones are refused for the seed's known dirt only. The PostgreSQL presets' output is upserted, so the
 * schema's types are proven to fit.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class MapPresetsTest {
    private static final Pattern NAME = Pattern.compile("(salesforce|hubspot|dynamics)-to-(salesforce|hubspot|dynamics|postgresql)-(contacts|accounts|opportunities)");
    private static final Map<String, Map<String, String>> OBJECTS = Map.of(
            "salesforce", Map.of("contacts", "Contact", "accounts", "Account", "opportunities", "Opportunity"),
            "hubspot", Map.of("contacts", "contacts", "accounts", "companies", "opportunities", "deals"),
            "dynamics", Map.of("contacts", "contact", "accounts", "account", "opportunities", "opportunity"),
            "postgresql", Map.of("contacts", "contacts", "accounts", "accounts", "opportunities", "opportunities"));
    private static final Map<String, String> EXTERNAL_ID = Map.of("salesforce", "External_Id__c", "hubspot", "source_id",
            "dynamics", "nificrm_sourceid", "postgresql", "source_id");
    /** What the seed's dirt may legitimately be refused for. */
    private static final Set<String> EXPECTED_REASONS = Set.of("not a valid e-mail address", "required by the target but has no value");

    private CrmSimulator sim;
    private LocalPostgres.Database database;
    private TestRunner services;
    private final Map<String, List<byte[]>> sources = new HashMap<>();
    private final Map<String, String> stats = new TreeMap<>();

    @BeforeAll
    void start() throws Exception {
        SeedConfig seed = SeedConfig.ofContacts(600);
        sim = CrmSimulator.start(SimulatorConfig.defaults().unlimited().seed("salesforce", seed).seed("hubspot", seed).seed("dynamics", seed));
        for (String system : List.of("salesforce", "hubspot", "dynamics")) {
            for (String object : OBJECTS.get(system).values()) {
                sources.put(system + "/" + object, MapTestSupport.query(sim, system, object));
            }
        }
        database = LocalPostgres.shared().createDatabase("map_presets");
        try (Connection c = database.connect(); Statement s = c.createStatement()) {
            s.execute(Files.readString(Path.of("..", "templates", "postgres", "crm-schema.sql")));
        }
        services = TestRunners.newTestRunner(NoOpProcessor.class);
        addTargetServices(services);
    }

    /** The three CRM services and the JDBC service (id "postgresql") on a runner. */
    private void addTargetServices(TestRunner runner) throws Exception {
        for (String system : List.of("salesforce", "hubspot", "dynamics")) {
            MapTestSupport.addService(runner, sim, system);
        }
        MapTestSupport.PostgresDbcp dbcp = new MapTestSupport.PostgresDbcp(database.jdbcUrl(), database.user(), database.password());
        runner.addControllerService("dbcp", dbcp);
        runner.enableControllerService(dbcp);
        JdbcConnectionService jdbc = new JdbcConnectionService();
        runner.addControllerService("postgresql", jdbc);
        runner.setProperty(jdbc, JdbcConnectionService.DBCP_SERVICE, "dbcp");
        runner.enableControllerService(jdbc);
    }

    @AfterAll
    void stop() {
        System.out.println("Preset results (success / in, invalid reasons):");
        stats.forEach((name, line) -> System.out.println("  " + name + ": " + line));
        if (sim != null) {
            sim.close();
        }
        if (database != null) {
            LocalPostgres.shared().dropDatabase(database.name());
        }
    }

    static List<String> presets() {
        return MappingSpecs.presets();
    }

    @Test
    void all27PresetsAreListedAndFollowTheConventions() {
        List<String> names = MappingSpecs.presets();
        assertEquals(27, names.size());
        assertEquals(27, new LinkedHashSet<>(names).size());
        for (String name : names) {
            Matcher m = NAME.matcher(name);
            assertTrue(m.matches(), name);
            MappingSpec spec = MappingSpecs.parse(MappingSpecs.preset(name));
            assertEquals(name, spec.name());
            assertEquals(m.group(1), spec.source().system(), name);
            assertEquals(m.group(2), spec.target().system(), name);
            assertEquals(OBJECTS.get(m.group(1)).get(m.group(3)), spec.source().object(), name);
            assertEquals(OBJECTS.get(m.group(2)).get(m.group(3)), spec.target().object(), name);
            assertTrue(spec.description().contains("Key Field " + EXTERNAL_ID.get(m.group(2))), name + ": " + spec.description());
            MappingSpec.FieldMapping key = spec.fields().stream().filter(f -> f.target().equals(EXTERNAL_ID.get(m.group(2)))).findFirst().orElseThrow();
            assertEquals(Set.of("Id", "hs_object_id", "contactid", "accountid", "opportunityid").contains(key.source()), true,
                    name + " writes the source record id into the external id");
            spec.fields().stream().filter(f -> f.unmappedValues() != null && !f.unmappedValues().equals("keep"))
                    .forEach(f -> assertNotNull(f.comment(), name + "." + f.target() + " justifies its unmapped-value policy"));
            CompiledMapping.compile(spec, null, null);
        }
        // Every ordered pair of CRMs, and every CRM to PostgreSQL, for every object.
        for (String object : List.of("contacts", "accounts", "opportunities")) {
            for (String source : List.of("salesforce", "hubspot", "dynamics")) {
                for (String target : List.of("salesforce", "hubspot", "dynamics", "postgresql")) {
                    assertEquals(!source.equals(target), names.contains(source + "-to-" + target + "-" + object), source + " " + target + " " + object);
                }
            }
        }
    }

    @ParameterizedTest
    @MethodSource("presets")
    void presetMapsTheSeededSourceIntoValidTargetRecords(String name) throws Exception {
        MappingSpec spec = MappingSpecs.parse(MappingSpecs.preset(name));
        String targetSystem = spec.target().system();
        CrmObjectSchema describe = ((CrmConnectionService) services.getControllerService(targetSystem)).describe(spec.target().object());
        CompiledMapping compiled = CompiledMapping.compile(spec, describe, null);
        assertEquals(List.of(), compiled.unmappedRequiredTargets(), name + " gives every required target field a value");
        compiled.targetFields().stream().filter(f -> f.indexOf('.') < 0).forEach(f -> {
            var field = describe.field(f).orElseThrow();
            var declared = spec.fields().stream().filter(m -> m.target().equals(f)).findFirst().orElseThrow().type();
            if (declared != null) {
                assertEquals(io.nificrm.processors.mapping.TargetType.of(field.type()).name().toLowerCase(), declared,
                        name + "." + f + " declares the type the target describes");
            }
        });

        List<byte[]> input = sources.get(spec.source().system() + "/" + spec.source().object());
        int in = MapTestSupport.count(input);
        assertTrue(in > 0);
        TestRunner runner = MapTestSupport.mapper(r -> {
            try {
                addTargetServices(r);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
            r.setProperty(MapCrmFields.PRESET, name);
            r.setProperty(MapCrmFields.TARGET_SERVICE, targetSystem);
        });
        MapTestSupport.Outcome out = MapTestSupport.run(runner, input);
        assertEquals(List.of(), out.failure(), name + ": no FlowFile fails");
        assertEquals(in, out.in(), name + ": records in = success + invalid");

        Map<String, Integer> reasons = new TreeMap<>();
        for (JsonNode invalid : out.invalid()) {
            for (String reason : invalid.get(MapCrmFields.INVALID_REASON).asText().split("; ")) {
                reasons.merge(reason, 1, Integer::sum);
            }
        }
        stats.put(name, out.success().size() + " / " + in + " " + reasons);
        for (String reason : reasons.keySet()) {
            String kind = reason.substring(reason.indexOf(": ") + 2);
            assertTrue(EXPECTED_REASONS.contains(kind), name + ": unexpected refusal " + reason + " (all: " + reasons + ")");
        }
        assertTrue(out.success().size() >= in * 0.9 || spec.target().object().equals("contacts") && out.success().size() >= in * 0.8,
                name + ": " + out.success().size() + " of " + in + " valid " + reasons);
        for (JsonNode record : out.success()) {
            assertFalse(record.get(EXTERNAL_ID.get(targetSystem)).asText().isBlank(), name + ": every record carries its source id");
        }
        if (targetSystem.equals("postgresql")) {
            upsertIntoPostgres(name, spec, out);
        }
    }

    /** The mapped records go into the real table through the JDBC service: the schema's types fit the preset. */
    private void upsertIntoPostgres(String name, MappingSpec spec, MapTestSupport.Outcome out) throws Exception {
        TestRunner upsert = TestRunners.newTestRunner(UpsertCrmRecords.class);
        addTargetServices(upsert);
        TestServices.json(upsert);
        upsert.setProperty(CrmProperties.CONNECTION_SERVICE, "postgresql");
        upsert.setProperty(UpsertCrmRecords.OBJECT, spec.target().object());
        upsert.setProperty(UpsertCrmRecords.KEY_FIELD, "source_id");
        upsert.setProperty(CrmProperties.RECORD_READER, TestServices.READER);
        upsert.setProperty(CrmProperties.RECORD_WRITER, TestServices.WRITER);
        upsert.enqueue(out.successContent());
        upsert.run();
        long written = FirstSliceTest.records(upsert, UpsertCrmRecords.REL_SUCCESS);
        List<JsonNode> failed = MapTestSupport.records(upsert, UpsertCrmRecords.REL_FAILURE);
        assertEquals(List.of(), failed.stream().limit(3).toList(), name + ": PostgreSQL takes every mapped record");
        assertEquals(out.success().size(), written);
        try (Connection c = database.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM " + spec.target().object() + " WHERE source_system = '" + spec.source().system() + "'")) {
            rs.next();
            assertEquals(out.success().size(), rs.getInt(1), name + ": one row per source record");
        }
        String table = spec.target().object();
        String where = " FROM " + table + " WHERE source_system = '" + spec.source().system() + "'";
        assertEquals(0, scalar("SELECT count(*)" + where + " AND (source_created_at IS NULL OR source_modified_at IS NULL)"), name);
        switch (table) {
            case "contacts" -> {
                assertEquals(0, scalar("SELECT count(*)" + where + " AND signup_date IS NULL"), name + ": every legacy signup text is a date");
                assertEquals(0, scalar("SELECT count(*)" + where + " AND (email <> lower(email) OR length(country) <> 2)"), name);
                assertTrue(scalar("SELECT count(*)" + where + " AND account_source_id IS NOT NULL") > 0, name);
            }
            case "accounts" -> {
                assertEquals(0, scalar("SELECT count(*)" + where + " AND (domain IS NULL OR domain LIKE 'www.%' OR domain LIKE '%/%')"), name);
                assertEquals(0, scalar("SELECT count(*)" + where + " AND industry NOT IN ('Technology', 'Finance', 'Healthcare', "
                        + "'Retail', 'Manufacturing', 'Education', 'Energy', 'Media')"), name + ": industries as canonical labels");
            }
            default -> {
                assertEquals(0, scalar("SELECT count(*)" + where + " AND stage NOT IN ('Prospecting', 'Qualification', 'Proposal', "
                        + "'Negotiation', 'Closed Won', 'Closed Lost')"), name + ": stages as canonical labels");
                assertEquals(0, scalar("SELECT count(*)" + where + " AND (probability < 0 OR probability > 100 OR account_source_id IS NULL)"), name);
                assertTrue(scalar("SELECT count(*)" + where + " AND probability > 1") > 0, name + ": probability in percent");
            }
        }
    }

    private long scalar(String query) throws Exception {
        try (Connection c = database.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(query)) {
            rs.next();
            return rs.getLong(1);
        }
    }
}
