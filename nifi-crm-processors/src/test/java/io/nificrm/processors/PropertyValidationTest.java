package io.nificrm.processors;

import io.nificrm.processors.common.CrmProperties;
import io.nificrm.services.hubspot.HubSpotConnectionService;
import io.nificrm.services.salesforce.SalesforceConnectionService;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.util.MockProcessContext;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.Test;

import java.util.Collection;
import java.util.stream.Collectors;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Invalid property values are refused before anything runs, with messages that say what is wrong. */
class PropertyValidationTest {

    private static String problems(TestRunner runner) {
        Collection<ValidationResult> results = ((MockProcessContext) runner.getProcessContext()).validate();
        return results.stream().filter(r -> !r.isValid()).map(ValidationResult::toString).collect(Collectors.joining("\n"));
    }

    @Test
    void queryRefusesBadObjectFieldsAndSizes() throws Exception {
        TestRunner runner = TestRunners.newTestRunner(QueryCrmEntities.class);
        TestServices.json(runner);
        runner.setProperty(CrmProperties.CONNECTION_SERVICE, "missing-service");
        runner.setProperty(CrmProperties.RECORD_WRITER, TestServices.WRITER);
        runner.setProperty(QueryCrmEntities.OBJECT, "Contact; DELETE");
        runner.setProperty(QueryCrmEntities.FIELDS, "Id, Email, 1bad");
        runner.setProperty(QueryCrmEntities.PAGE_SIZE, "0");
        runner.assertNotValid();
        String problems = problems(runner);
        assertTrue(problems.contains("Object"), problems);
        assertTrue(problems.contains("Fields"), problems);
        assertTrue(problems.contains("Page Size"), problems);
        assertTrue(problems.contains("CRM Connection Service"), problems);
    }

    @Test
    void upsertRefusesANonPositiveBatchSize() throws Exception {
        TestRunner runner = TestRunners.newTestRunner(UpsertCrmRecords.class);
        runner.setProperty(UpsertCrmRecords.BATCH_SIZE, "-5");
        runner.assertNotValid();
        assertTrue(problems(runner).contains("Batch Size"), problems(runner));
    }

    @Test
    void mappingErrorsNameTheFieldAndTheProblem() throws Exception {
        TestRunner runner = TestRunners.newTestRunner(MapCrmFields.class);
        TestServices.json(runner);
        runner.setProperty(CrmProperties.RECORD_READER, TestServices.READER);
        runner.setProperty(CrmProperties.RECORD_WRITER, TestServices.WRITER);

        runner.assertNotValid();
        assertTrue(problems(runner).contains("Set exactly one of Mapping and Mapping Preset"), problems(runner));

        runner.setProperty(MapCrmFields.MAPPING, "{\"fields\": [{\"target\": \"email\", \"source\": \"Email\", \"transforms\": [\"shout\"]}]}");
        runner.assertNotValid();
        assertTrue(problems(runner).contains("Field 'email': unknown transform 'shout'"), problems(runner));

        runner.setProperty(MapCrmFields.MAPPING, "{\"fields\": [{\"target\": \"birthdate\", \"source\": \"Birthdate\", \"type\": \"date\", \"formats\": [\"yyyy-MM-ddd\"]}]}");
        runner.assertNotValid();
        assertTrue(problems(runner).contains("Field 'birthdate': 'yyyy-MM-ddd' is not a valid date pattern"), problems(runner));

        runner.setProperty(MapCrmFields.MAPPING, "{\"fields\": [{\"target\": \"birthdate\", \"source\": \"Birthdate\", \"type\": \"date\", \"zone\": \"Mars/Olympus\"}]}");
        runner.assertNotValid();
        assertTrue(problems(runner).contains("unknown time zone 'Mars/Olympus'"), problems(runner));

        runner.setProperty(MapCrmFields.MAPPING, "{\"fields\": [{\"target\": \"x\", \"sourse\": \"Email\"}]}");
        runner.assertNotValid();
        assertTrue(problems(runner).contains("Unknown key 'sourse'"), problems(runner));

        runner.setProperty(MapCrmFields.MAPPING, "{\"fields\": [ {\"target\": ");
        runner.assertNotValid();
        assertTrue(problems(runner).contains("not valid JSON at line 1"), problems(runner));

        runner.setProperty(MapCrmFields.MAPPING, "{\"fields\": [{\"target\": \"email\", \"source\": \"Email\", \"pii\": \"hash\"}]}");
        runner.assertNotValid();
        assertTrue(problems(runner).contains("hashing needs a PII Hash Salt"), problems(runner));
        runner.setProperty(MapCrmFields.PII_SALT, "s3cret-salt");
        runner.assertValid();
    }

    @Test
    void connectionServicesRefuseBadUrlsVersionsAndMissingSecrets() throws Exception {
        TestRunner runner = TestRunners.newTestRunner(NoOpProcessor.class);
        SalesforceConnectionService salesforce = new SalesforceConnectionService();
        runner.addControllerService("sf", salesforce);
        ValidationResult url = runner.setProperty(salesforce, SalesforceConnectionService.LOGIN_URL, "login salesforce com");
        assertFalse(url.isValid());
        assertTrue(url.getExplanation().contains("URL"), url.toString());
        ValidationResult version = runner.setProperty(salesforce, SalesforceConnectionService.API_VERSION, "latest");
        assertFalse(version.isValid());
        runner.assertNotValid(salesforce);

        HubSpotConnectionService hubspot = new HubSpotConnectionService();
        runner.addControllerService("hs", hubspot);
        runner.assertNotValid(hubspot);
        ValidationResult limit = runner.setProperty(hubspot, "Rate Limit Requests", "-1");
        assertFalse(limit.isValid());
        runner.setProperty(hubspot, HubSpotConnectionService.ACCESS_TOKEN, "pat-x");
        runner.setProperty(hubspot, "Rate Limit Requests", "100");
        runner.assertValid(hubspot);
    }

    /** A processor that does nothing: it only hosts controller services in a TestRunner. */
    public static class NoOpProcessor extends org.apache.nifi.processor.AbstractProcessor {
        @Override
        public void onTrigger(org.apache.nifi.processor.ProcessContext context, org.apache.nifi.processor.ProcessSession session) {
        }
    }
}
