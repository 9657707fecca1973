package io.nificrm.processors.twoway;

import io.nificrm.processors.SyncCrmChanges;
import io.nificrm.processors.mapping.MappingSpecs;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.services.hubspot.HubSpotConnectionService;
import io.nificrm.services.salesforce.SalesforceConnectionService;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What SyncCrmChanges accepts as configuration, and what a pair of shipped presets compares. */
class SyncConfigurationTest {
    @TempDir
    Path ledger;
    private CrmSimulator sim;
    private TestRunner runner;
    private SalesforceConnectionService salesforce;
    private HubSpotConnectionService hubspot;

    @BeforeEach
    void start() throws Exception {
        sim = CrmSimulator.start(SimulatorConfig.defaults().unlimited());
        runner = TestRunners.newTestRunner(SyncCrmChanges.class);
        salesforce = SimServices.salesforce(runner, sim);
        hubspot = SimServices.hubspot(runner, sim);
        SimServices.json(runner);
        runner.setProperty("Source Connection Service", SimServices.SALESFORCE);
        runner.setProperty("Target Connection Service", SimServices.HUBSPOT);
        runner.setProperty("Sync Ledger Directory", ledger.toString());
        runner.setProperty("Sync Name", "contacts");
        runner.setProperty("Winning Side", "salesforce");
        runner.setProperty("Record Reader", SimServices.READER);
        runner.setProperty("Record Writer", SimServices.WRITER);
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    @Test
    void theMappingsAndSidesMustFit() {
        runner.assertNotValid();
        runner.setProperty("Mapping Preset", "salesforce-to-hubspot-contacts");
        runner.setProperty("Reverse Mapping Preset", "hubspot-to-salesforce-contacts");
        runner.assertValid();
        runner.setProperty("Source Side", "crm");
        runner.setProperty("Target Side", "crm");
        runner.assertNotValid();
        runner.setProperty("Target Side", "marketing");
        runner.assertNotValid();
        runner.setProperty("Winning Side", "marketing");
        runner.assertValid();
        runner.setProperty("Conflict Policy", "field-owners");
        runner.assertNotValid();
        runner.setProperty("Field Owners", "{\"email\": \"sales\"}");
        runner.assertNotValid();
        runner.setProperty("Field Owners", "{\"email\": \"crm\"}");
        runner.assertValid();
        runner.setProperty("Mapping", "{\"fields\": []}");
        runner.assertNotValid();
    }

    @Test
    void theShippedPresetsComparePlainFieldsAndLinkByTheirIdFields() {
        SyncFields fields = new SyncFields(salesforce.describe("Contact"), hubspot.describe("contacts"),
                MappingSpecs.parse(MappingSpecs.preset("salesforce-to-hubspot-contacts")),
                MappingSpecs.parse(MappingSpecs.preset("hubspot-to-salesforce-contacts")), null, null);
        assertEquals("source_id", fields.targetLinkField());
        assertEquals("External_Id__c", fields.sourceLinkField());
        assertEquals(List.of("firstname", "lastname", "email", "phone", "mobilephone", "jobtitle", "city", "country",
                "date_of_birth", "signup_date_text"), fields.targetCompared(), "no ids, link fields or references");
        assertEquals(List.of("FirstName", "LastName", "Email", "Phone", "MobilePhone", "Title", "MailingCity", "MailingCountry",
                "Birthdate", "Legacy_Signup_Date__c"), fields.sourceCompared());
        assertEquals(Map.of("jobtitle", "hubspot", "email", "salesforce"),
                fields.ownersByTargetField(Map.of("Title", "hubspot", "email", "salesforce")), "either side's names");
        assertThrows(IllegalArgumentException.class, () -> fields.ownersByTargetField(Map.of("LeadSource", "hubspot")),
                "a field the sync does not carry");
        assertNull(fields.targetFieldFor("hs_object_id"));
    }

    @Test
    void aFieldOwnerMustBeASide() {
        runner.setProperty("Mapping Preset", "salesforce-to-hubspot-contacts");
        runner.setProperty("Reverse Mapping Preset", "hubspot-to-salesforce-contacts");
        runner.setProperty("Conflict Policy", "field-owners");
        runner.setProperty("Field Owners", "{\"Title\": \"zendesk\"}");
        runner.assertValid(); // the sides are the services' systems, known once they run
        AssertionError failed = assertThrows(AssertionError.class, () -> runner.run());
        StringBuilder messages = new StringBuilder();
        for (Throwable t = failed; t != null; t = t.getCause()) {
            messages.append(t.getMessage()).append(" / ");
        }
        assertTrue(messages.toString().contains("zendesk"), "refused at start, naming the side: " + messages);
    }
}
