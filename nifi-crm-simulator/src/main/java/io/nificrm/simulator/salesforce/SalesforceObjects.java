package io.nificrm.simulator.salesforce;

import io.nificrm.simulator.seed.SeedData;
import io.nificrm.simulator.store.FieldRole;
import io.nificrm.simulator.store.SimField;
import io.nificrm.simulator.store.SimSchema;
import io.nificrm.simulator.store.SimType;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The simulated org's objects: Account, Contact and Opportunity with their standard fields and an external id. */
final class SalesforceObjects {
    private SalesforceObjects() {
    }

    static final String EXTERNAL_ID = "External_Id__c";

    /** The three-character id prefix of each object. */
    static final Map<String, String> KEY_PREFIXES = Map.of("Account", "001", "Contact", "003", "Opportunity", "006");

    /** Canonical stage names mapped to this org's StageName values. */
    static final Map<String, String> STAGES = Map.of("Prospecting", "Prospecting", "Qualification", "Qualification",
            "Proposal", "Proposal/Price Quote", "Negotiation", "Negotiation/Review", "Closed Won", "Closed Won",
            "Closed Lost", "Closed Lost");

    static SimSchema account() {
        List<SimField> fields = audit();
        fields.addAll(List.of(
                SimField.data("Name", "Account Name", SimType.STRING).asRequired(),
                SimField.data("Website", "Website", SimType.URL),
                SimField.data("Industry", "Industry", SimType.PICKLIST).withPicklist(SeedData.INDUSTRIES),
                SimField.data("Phone", "Account Phone", SimType.PHONE),
                SimField.data("BillingCity", "Billing City", SimType.STRING).withLength(40),
                SimField.data("BillingCountry", "Billing Country", SimType.STRING).withLength(80),
                SimField.data("NumberOfEmployees", "Employees", SimType.INT),
                SimField.data("AnnualRevenue", "Annual Revenue", SimType.CURRENCY),
                SimField.data("ParentId", "Parent Account ID", SimType.REFERENCE).referencing("Account"),
                SimField.data(EXTERNAL_ID, "External ID", SimType.STRING).asExternalId()));
        return new SimSchema("Account", "Account", fields);
    }

    static SimSchema contact() {
        List<SimField> fields = audit();
        fields.addAll(List.of(
                SimField.data("FirstName", "First Name", SimType.STRING).withLength(40),
                SimField.data("LastName", "Last Name", SimType.STRING).withLength(80).asRequired(),
                SimField.data("Email", "Email", SimType.EMAIL).withLength(80),
                SimField.data("Phone", "Business Phone", SimType.PHONE),
                SimField.data("MobilePhone", "Mobile Phone", SimType.PHONE),
                SimField.data("Title", "Title", SimType.STRING).withLength(128),
                SimField.data("AccountId", "Account ID", SimType.REFERENCE).referencing("Account"),
                SimField.data("MailingCity", "Mailing City", SimType.STRING).withLength(40),
                SimField.data("MailingCountry", "Mailing Country", SimType.STRING).withLength(80),
                SimField.data("LeadSource", "Lead Source", SimType.PICKLIST).withPicklist(SeedData.LEAD_SOURCES),
                SimField.data("Birthdate", "Birthdate", SimType.DATE),
                SimField.data("Legacy_Signup_Date__c", "Legacy Signup Date", SimType.STRING).withLength(40),
                SimField.data(EXTERNAL_ID, "External ID", SimType.STRING).asExternalId()));
        return new SimSchema("Contact", "Contact", fields);
    }

    static SimSchema opportunity() {
        List<SimField> fields = audit();
        fields.addAll(List.of(
                SimField.data("Name", "Opportunity Name", SimType.STRING).withLength(120).asRequired(),
                SimField.data("StageName", "Stage", SimType.PICKLIST).withPicklist(List.of("Prospecting", "Qualification",
                        "Proposal/Price Quote", "Negotiation/Review", "Closed Won", "Closed Lost")).asRequired(),
                SimField.data("Amount", "Amount", SimType.CURRENCY),
                SimField.data("CloseDate", "Close Date", SimType.DATE).asRequired(),
                SimField.data("Probability", "Probability (%)", SimType.PERCENT),
                SimField.data("AccountId", "Account ID", SimType.REFERENCE).referencing("Account"),
                SimField.data("ContactId", "Contact ID", SimType.REFERENCE).referencing("Contact"),
                SimField.data(EXTERNAL_ID, "External ID", SimType.STRING).asExternalId()));
        return new SimSchema("Opportunity", "Opportunity", fields);
    }

    private static List<SimField> audit() {
        return new ArrayList<>(List.of(
                SimField.system("Id", "Record ID", SimType.ID, FieldRole.ID),
                SimField.system("IsDeleted", "Deleted", SimType.BOOLEAN, FieldRole.DELETED_FLAG),
                SimField.system("CreatedDate", "Created Date", SimType.DATETIME, FieldRole.CREATED),
                SimField.system("LastModifiedDate", "Last Modified Date", SimType.DATETIME, FieldRole.MODIFIED),
                SimField.system("SystemModstamp", "System Modstamp", SimType.DATETIME, FieldRole.MODIFIED)));
    }

    /** Relationship name of a reference field ({@code AccountId} → {@code Account}), as describe reports it. */
    static String relationshipName(String referenceField) {
        return referenceField.endsWith("Id") ? referenceField.substring(0, referenceField.length() - 2) : null;
    }
}
