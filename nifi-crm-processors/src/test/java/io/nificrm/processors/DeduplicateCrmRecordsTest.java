package io.nificrm.processors;

import com.fasterxml.jackson.databind.JsonNode;
import io.nificrm.processors.common.CrmAttributes;
import io.nificrm.processors.common.CrmProperties;
import io.nificrm.processors.dedup.FieldRole;
import io.nificrm.simulator.seed.SeedConfig;
import io.nificrm.simulator.seed.SeedData;
import io.nificrm.simulator.seed.SeedGenerator;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.MockProcessContext;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The processor on small inputs: routing, output fields, survivorship, accounting, bad input and bad configuration. */
class DeduplicateCrmRecordsTest {
    private TestRunner runner;

    @BeforeEach
    void setUp() throws Exception {
        runner = TestRunners.newTestRunner(DeduplicateCrmRecords.class);
        TestServices.json(runner);
        runner.setProperty(CrmProperties.RECORD_READER, TestServices.READER);
        runner.setProperty(CrmProperties.RECORD_WRITER, TestServices.WRITER);
    }

    private static final String CONTACTS = """
            [
              {"Id": "c1", "FirstName": "Robert", "LastName": "Smith", "Email": "robert.smith@acme.com", "Phone": "(415) 555-0134",
               "Title": null, "MailingCity": "Boston", "MailingCountry": "US", "LastModifiedDate": "2024-01-01T00:00:00Z"},
              {"Id": "c2", "FirstName": "Alice", "LastName": "Jones", "Email": "alice@jones.io", "Phone": null,
               "Title": "CTO", "MailingCity": "Austin", "MailingCountry": "US", "LastModifiedDate": "2024-02-01T00:00:00Z"},
              {"Id": "c3", "FirstName": "Bob", "LastName": "Smith", "Email": "bob.smith@gmail.com", "Phone": "+1 415 555 0134",
               "Title": "VP Sales", "MailingCity": "Boston", "MailingCountry": "US", "LastModifiedDate": "2024-06-01T00:00:00.000+0000"},
              {"Id": "c4", "FirstName": "ROBERT", "LastName": "SMITH", "Email": " Robert.Smith@ACME.com", "Phone": null,
               "Title": "Sales", "MailingCity": "Boston", "MailingCountry": "US", "LastModifiedDate": "2023-01-01T00:00:00Z"},
              {"Id": "c5", "FirstName": "Carol", "LastName": "Smith", "Email": null, "Phone": "415.555.0134",
               "Title": null, "MailingCity": "Boston", "MailingCountry": "US", "LastModifiedDate": "2024-03-01T00:00:00Z"},
              {"Id": null, "FirstName": "No", "LastName": "Id", "Email": "noid@x.io", "Phone": null,
               "Title": null, "MailingCity": null, "MailingCountry": null, "LastModifiedDate": null},
              {"Id": "c7", "FirstName": null, "LastName": null, "Email": "  ", "Phone": null,
               "Title": "Ghost", "MailingCity": "Paris", "MailingCountry": "FR", "LastModifiedDate": null},
              {"Id": "c8", "FirstName": "Dan", "LastName": "Brown", "Email": "dan@brown.io", "Phone": null,
               "Title": null, "MailingCity": null, "MailingCountry": null, "LastModifiedDate": "yesterday"}
            ]
            """;

    private Map<String, JsonNode> byId(List<JsonNode> records) {
        Map<String, JsonNode> map = new HashMap<>();
        records.forEach(r -> map.put(r.path("Id").asText(null), r));
        return map;
    }

    @Test
    void routesEveryRecordOnceWithItsClusterFields() throws Exception {
        runner.enqueue(CONTACTS);
        runner.run();
        runner.assertTransferCount(DeduplicateCrmRecords.REL_GOLDEN, 1);
        long golden = DeduplicateTestSupport.count(runner, DeduplicateCrmRecords.REL_GOLDEN);
        long duplicates = DeduplicateTestSupport.count(runner, DeduplicateCrmRecords.REL_DUPLICATES);
        long review = DeduplicateTestSupport.count(runner, DeduplicateCrmRecords.REL_REVIEW);
        long failure = DeduplicateTestSupport.count(runner, DeduplicateCrmRecords.REL_FAILURE);
        assertEquals(8, golden + duplicates + review + failure, "records in = golden + duplicates + review + failure");
        assertEquals(2, golden, "Robert's cluster and Alice");
        assertEquals(2, duplicates);
        assertEquals(1, review, "Carol shares the Smiths' phone: a household, maybe");
        assertEquals(3, failure);
        assertEquals(8, runner.getCounterValue("Records In"));
        assertEquals(2, runner.getCounterValue("Golden Records"));
        assertEquals(2, runner.getCounterValue("Duplicate Records"));
        assertEquals(1, runner.getCounterValue("Review Records"));
        assertEquals(3, runner.getCounterValue("Failed Records"));
        assertEquals(1, runner.getCounterValue("Clusters Merged"));
        runner.getFlowFilesForRelationship(DeduplicateCrmRecords.REL_GOLDEN).getFirst().assertAttributeEquals("crm.dedup.entity", "person");

        Map<String, JsonNode> goldens = byId(DeduplicateTestSupport.records(runner, DeduplicateCrmRecords.REL_GOLDEN));
        JsonNode robert = goldens.get("c3");
        assertEquals("c3", robert.get("crm_golden_id").asText(), "the most recent member is the master");
        assertEquals("VP Sales", robert.get("Title").asText(), "the master's values");
        assertEquals("Bob", robert.get("FirstName").asText());
        assertEquals(List.of("c1", "c3", "c4"), List.of(robert.get("crm_cluster_members").asText().split(",")));
        assertEquals(3, robert.get("crm_cluster_size").asInt());
        assertTrue(robert.get("crm_target_id").isNull());
        JsonNode alice = goldens.get("c2");
        assertEquals("c2", alice.get("crm_cluster_members").asText(), "a record without duplicates is its own cluster");
        assertFalse(alice.get("crm_cluster_id").asText().equals(robert.get("crm_cluster_id").asText()));

        Map<String, JsonNode> dups = byId(DeduplicateTestSupport.records(runner, DeduplicateCrmRecords.REL_DUPLICATES));
        assertEquals(java.util.Set.of("c1", "c4"), dups.keySet());
        for (JsonNode dup : dups.values()) {
            assertEquals(robert.get("crm_cluster_id").asText(), dup.get("crm_cluster_id").asText());
            assertEquals("c3", dup.get("crm_golden_id").asText());
            assertTrue(dup.get("crm_match_score").asDouble() >= 0.95);
        }
        assertEquals("Sales", dups.get("c4").get("Title").asText(), "duplicates are passed on unchanged");

        JsonNode carol = DeduplicateTestSupport.records(runner, DeduplicateCrmRecords.REL_REVIEW).getFirst();
        assertEquals("c5", carol.get("Id").asText());
        assertTrue(List.of("c1", "c3").contains(carol.get("crm_candidate_id").asText()), "a Smith with that phone");
        assertEquals(robert.get("crm_cluster_id").asText(), carol.get("crm_cluster_id").asText());
        assertEquals("batch", carol.get("crm_candidate_source").asText());
        double score = carol.get("crm_match_score").asDouble();
        assertTrue(score >= 0.5 && score < 0.95, "between the thresholds: " + score);

        List<JsonNode> failures = DeduplicateTestSupport.records(runner, DeduplicateCrmRecords.REL_FAILURE);
        Map<String, String> reasons = failures.stream().collect(Collectors.toMap(r -> r.path("FirstName").asText("(none)") + "/" + r.path("Id").asText("(none)"),
                r -> r.get("crm_failure_reason").asText()));
        assertEquals("the id field [Id, id] is empty", reasons.get("No/(none)").replace("[Id]", "[Id, id]"));
        assertTrue(reasons.get("(none)/c7").contains("nothing to match on"), reasons.get("(none)/c7"));
        assertTrue(reasons.get("Dan/c8").contains("LastModifiedDate holds 'yesterday', which is not a date-time"), reasons.get("Dan/c8"));
    }

    @Test
    void survivorshipStrategyAndFieldRulesShapeTheGoldenRecord() throws Exception {
        runner.setProperty(DeduplicateCrmRecords.STRATEGY, "most_complete");
        runner.setProperty(DeduplicateCrmRecords.FIELD_RULES, "{\"Title\": \"oldest\", \"FirstName\": \"most_frequent\", \"Email\": \"longest\"}");
        runner.enqueue(CONTACTS);
        runner.run();
        Map<String, JsonNode> goldens = byId(DeduplicateTestSupport.records(runner, DeduplicateCrmRecords.REL_GOLDEN));
        JsonNode robert = goldens.values().stream().filter(g -> g.get("crm_cluster_size").asInt() == 3).findFirst().orElseThrow();
        assertEquals("c3", robert.get("Id").asText(), "c3 has the most values");
        assertEquals("Sales", robert.get("Title").asText(), "oldest title: c4's (2023)");
        assertEquals("Robert", robert.get("FirstName").asText(), "Robert twice (any case), Bob once");
        assertEquals("robert.smith@acme.com", robert.get("Email").asText().trim().toLowerCase(java.util.Locale.ROOT),
                "the longest e-mail, not the master's shorter one");
    }

    @Test
    void sourcePriorityChoosesTheTrustedSource() throws Exception {
        runner.setProperty(DeduplicateCrmRecords.ROLE_PROPERTIES.get(FieldRole.SOURCE), "Src");
        runner.setProperty(DeduplicateCrmRecords.STRATEGY, "source_priority");
        runner.setProperty(DeduplicateCrmRecords.SOURCE_PRIORITY, "erp, crm");
        runner.enqueue("""
                [{"Id": "a", "Email": "x@acme.com", "LastName": "X", "Src": "crm", "LastModifiedDate": "2025-01-01T00:00:00Z"},
                 {"Id": "b", "Email": "X@acme.com", "LastName": "X", "Src": "ERP", "LastModifiedDate": "2020-01-01T00:00:00Z"}]
                """);
        runner.run();
        JsonNode golden = DeduplicateTestSupport.records(runner, DeduplicateCrmRecords.REL_GOLDEN).getFirst();
        assertEquals("b", golden.get("Id").asText());
        assertEquals("b", golden.get("crm_golden_id").asText());
    }

    @Test
    void companiesAreDeduplicatedByNameDomainAndPhone() throws Exception {
        runner.setProperty(DeduplicateCrmRecords.ENTITY_TYPE, "company");
        SeedData data = SeedGenerator.generate(SeedConfig.ofContacts(20_000));
        StringBuilder json = new StringBuilder("[");
        Map<String, String> truth = new HashMap<>();
        for (SeedData.Company c : data.companies()) {
            if (json.length() > 1) {
                json.append(',');
            }
            json.append(DeduplicateTestSupport.JSON.writeValueAsString(Map.of("Id", c.key(), "Name", c.name(), "Website", c.website(),
                    "Phone", c.phone() == null ? "" : c.phone(), "BillingCity", c.city(), "BillingCountry", c.country())));
            truth.put(c.key(), c.clusterKey());
        }
        runner.enqueue(json.append(']').toString());
        runner.run();
        Map<String, String> predicted = new HashMap<>();
        for (var rel : List.of(DeduplicateCrmRecords.REL_GOLDEN, DeduplicateCrmRecords.REL_DUPLICATES)) {
            DeduplicateTestSupport.records(runner, rel).forEach(r -> predicted.put(r.get("Id").asText(), r.get("crm_cluster_id").asText()));
        }
        DeduplicateTestSupport.Quality q = DeduplicateTestSupport.quality(predicted, truth);
        System.out.println("companies (" + truth.size() + "): " + q.format());
        assertTrue(q.precision() >= 0.98 && q.recall() >= 0.95, q.format());
        assertEquals(truth.size(), predicted.size() + DeduplicateTestSupport.count(runner, DeduplicateCrmRecords.REL_REVIEW)
                + DeduplicateTestSupport.count(runner, DeduplicateCrmRecords.REL_FAILURE));
    }

    @Test
    void unreadableInputFailsAsAWhole() {
        runner.enqueue("[{\"Id\": \"a\", \"Email\": ");
        runner.run();
        runner.assertAllFlowFilesTransferred(DeduplicateCrmRecords.REL_FAILURE, 1);
        MockFlowFile failed = runner.getFlowFilesForRelationship(DeduplicateCrmRecords.REL_FAILURE).getFirst();
        failed.assertAttributeEquals(CrmAttributes.ERROR_CODE, "MALFORMED_INPUT");
        assertTrue(failed.getAttribute(CrmAttributes.ERROR_MESSAGE).contains("could not be read"));
        failed.assertContentEquals("[{\"Id\": \"a\", \"Email\": ");
    }

    @Test
    void recordsWithoutAnIdFieldFailAsAWhole() {
        runner.enqueue("[{\"Key\": \"a\", \"Email\": \"a@b.io\"}]");
        runner.run();
        runner.assertAllFlowFilesTransferred(DeduplicateCrmRecords.REL_FAILURE, 1);
        MockFlowFile failed = runner.getFlowFilesForRelationship(DeduplicateCrmRecords.REL_FAILURE).getFirst();
        failed.assertAttributeEquals(CrmAttributes.ERROR_CODE, "MISSING_ID_FIELD");
        assertTrue(failed.getAttribute(CrmAttributes.ERROR_MESSAGE).contains("set Id Field"));
    }

    @Test
    void aNestedValueWhereTextBelongsIsAFailedRecord() throws Exception {
        runner.enqueue("[{\"Id\": \"a\", \"Email\": {\"home\": \"a@b.io\"}, \"LastName\": \"A\"}, {\"Id\": \"b\", \"Email\": null, \"LastName\": \"B\"}]");
        runner.run();
        JsonNode failed = DeduplicateTestSupport.records(runner, DeduplicateCrmRecords.REL_FAILURE).getFirst();
        assertEquals("field Email holds a record, not a single value", failed.get("crm_failure_reason").asText());
        assertEquals(1, DeduplicateTestSupport.count(runner, DeduplicateCrmRecords.REL_GOLDEN));
    }

    @Test
    void emptyInputProducesNothing() {
        runner.enqueue("[]");
        runner.run();
        assertEquals(0, runner.getFlowFilesForRelationship(DeduplicateCrmRecords.REL_GOLDEN).size());
        assertEquals(0, runner.getFlowFilesForRelationship(DeduplicateCrmRecords.REL_FAILURE).size());
        runner.assertQueueEmpty();
    }

    private String invalid() {
        Collection<ValidationResult> results = ((MockProcessContext) runner.getProcessContext()).validate();
        return results.stream().filter(r -> !r.isValid()).map(ValidationResult::toString).collect(Collectors.joining("\n"));
    }

    @Test
    void invalidSettingsAreExplained() {
        runner.assertValid();
        runner.setProperty(DeduplicateCrmRecords.BLOCKING_KEYS, "email, soundex");
        assertTrue(invalid().contains("'soundex' is not a blocking key; known keys: email, email_local, phone"), invalid());
        runner.setProperty(DeduplicateCrmRecords.BLOCKING_KEYS, "email, domain");
        assertTrue(invalid().contains("blocking key 'domain' does not apply to entity type person"), invalid());
        runner.removeProperty(DeduplicateCrmRecords.BLOCKING_KEYS);

        runner.setProperty(DeduplicateCrmRecords.MATCH_THRESHOLD, "0.6");
        runner.setProperty(DeduplicateCrmRecords.REVIEW_THRESHOLD, "0.8");
        assertTrue(invalid().contains("Review Threshold (0.8) must not exceed Match Threshold (0.6)"), invalid());
        runner.setProperty(DeduplicateCrmRecords.MATCH_THRESHOLD, "1.5");
        assertTrue(invalid().contains("must be a probability between 0 and 1"), invalid());
        runner.removeProperty(DeduplicateCrmRecords.MATCH_THRESHOLD);
        runner.removeProperty(DeduplicateCrmRecords.REVIEW_THRESHOLD);

        runner.setProperty(DeduplicateCrmRecords.MATCH_WEIGHTS, "{\"phone.same\": 3}");
        assertTrue(invalid().contains("unknown weight 'phone.same'"), invalid());
        runner.removeProperty(DeduplicateCrmRecords.MATCH_WEIGHTS);

        runner.setProperty(DeduplicateCrmRecords.FIELD_RULES, "{\"Title\": \"newest\"}");
        assertTrue(invalid().contains("field 'Title': unknown rule 'newest'"), invalid());
        runner.removeProperty(DeduplicateCrmRecords.FIELD_RULES);

        runner.setProperty(DeduplicateCrmRecords.STRATEGY, "source_priority");
        assertTrue(invalid().contains("needs Source Priority"), invalid());
        assertTrue(invalid().contains("needs the Source Field"), invalid());
        runner.setProperty(DeduplicateCrmRecords.STRATEGY, "most_recent");

        runner.setProperty(DeduplicateCrmRecords.DEFAULT_REGION, "XX");
        assertTrue(invalid().contains("'XX' is not an ISO 3166 country code"), invalid());
        runner.setProperty(DeduplicateCrmRecords.DEFAULT_REGION, "de");
        runner.assertValid();

        runner.setProperty(DeduplicateCrmRecords.MATCH_INDEX, "directory");
        runner.assertNotValid();
        runner.setProperty(DeduplicateCrmRecords.INDEX_DIRECTORY_PATH, "target/dedup-index-validation");
        runner.assertValid();
        runner.setProperty(DeduplicateCrmRecords.MAX_BLOCK_SIZE, "1");
        runner.assertNotValid();
    }

    @Test
    void roleFieldsNameTheRecordsFields() throws Exception {
        runner.setProperty(DeduplicateCrmRecords.ROLE_PROPERTIES.get(FieldRole.ID), "contact_id");
        runner.setProperty(DeduplicateCrmRecords.ROLE_PROPERTIES.get(FieldRole.EMAIL), "mail");
        runner.enqueue("[{\"contact_id\": 1, \"mail\": \"a@b.io\"}, {\"contact_id\": 2, \"mail\": \"A@B.IO \"}]");
        runner.run();
        JsonNode golden = DeduplicateTestSupport.records(runner, DeduplicateCrmRecords.REL_GOLDEN).getFirst();
        assertEquals("1,2", golden.get("crm_cluster_members").asText());
        assertNull(golden.get("Id"));
    }
}
