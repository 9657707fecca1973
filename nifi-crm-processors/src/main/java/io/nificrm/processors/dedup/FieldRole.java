package io.nificrm.processors.dedup;

/**
 * The meaning of an input field for matching. Each role is configured as a comma-separated list of field names;
 * the defaults name the fields of Salesforce (Contact, Account) and HubSpot (contacts, companies), so the
 * processor works on either without configuration. Of a single-valued role the first listed field that holds a
 * value is used; of {@link #PHONE} every listed field.
 */
public enum FieldRole {
    ID("Id Field", "Id,hs_object_id,id", "The record's unique id. Member ids, golden ids and review candidates are these values."),
    EMAIL("Email Field", "Email,email", "E-mail address."),
    PHONE("Phone Fields", "Phone,MobilePhone,phone,mobilephone", "Phone numbers; every listed field is used."),
    FIRST_NAME("First Name Field", "FirstName,firstname", "Given name (person)."),
    LAST_NAME("Last Name Field", "LastName,lastname", "Family name (person)."),
    COMPANY("Company Field", "AccountId,associatedcompanyid,company",
            "The company a person works for: an account id or a company name (person)."),
    COMPANY_NAME("Company Name Field", "Name,name", "The company's name (company)."),
    WEBSITE("Website Field", "Website,domain,website", "Web site or domain (company)."),
    STREET("Street Field", "MailingStreet,BillingStreet,address", "Street address."),
    CITY("City Field", "MailingCity,BillingCity,city", "City."),
    COUNTRY("Country Field", "MailingCountry,BillingCountry,country",
            "Country (ISO code or English name); also the region of phone numbers written without a country code."),
    MODIFIED("Modified Field", "LastModifiedDate,hs_lastmodifieddate,lastmodifieddate,modifiedon",
            "When the record last changed (for the most recent survivorship)."),
    SOURCE("Source Field", "", "The system or source a record came from (for the source priority survivorship).");

    private final String displayName;
    private final String defaultFields;
    private final String description;

    FieldRole(String displayName, String defaultFields, String description) {
        this.displayName = displayName;
        this.defaultFields = defaultFields;
        this.description = description;
    }

    public String displayName() {
        return displayName;
    }

    public String defaultFields() {
        return defaultFields;
    }

    public String description() {
        return description;
    }
}
