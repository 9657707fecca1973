package io.nificrm.simulator.hubspot;

import io.nificrm.simulator.store.FieldRole;
import io.nificrm.simulator.store.SimField;
import io.nificrm.simulator.store.SimSchema;
import io.nificrm.simulator.store.SimType;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The simulated portal's objects: contacts (0-1), companies (0-2) and deals (0-3) with HubSpot's internal property
 * names, enumeration options (value → label), the default properties a list returns, and {@code source_id}: a
 * custom property with unique values that keys idempotent migration upserts.
 */
final class HubSpotObjects {
    private HubSpotObjects() {
    }

    static final String CONTACTS = "contacts";
    static final String COMPANIES = "companies";
    static final String DEALS = "deals";
    static final String ID = "hs_object_id";
    static final String SOURCE_ID = "source_id";
    /** HubSpot's text properties hold up to 65,536 characters. */
    private static final int TEXT_LENGTH = 65_536;

    /** One object type: its store name, type id, singular name (as HubSpot spells it in messages) and defaults. */
    record ObjectType(String name, String typeId, String singular, String groupName, String modifiedField,
                      List<String> defaultProperties) {
    }

    static final ObjectType CONTACT_TYPE = new ObjectType(CONTACTS, "0-1", "CONTACT", "contactinformation", "lastmodifieddate",
            List.of("createdate", "email", "firstname", ID, "lastmodifieddate", "lastname"));
    static final ObjectType COMPANY_TYPE = new ObjectType(COMPANIES, "0-2", "COMPANY", "companyinformation", "hs_lastmodifieddate",
            List.of("createdate", "domain", "hs_lastmodifieddate", ID, "name"));
    static final ObjectType DEAL_TYPE = new ObjectType(DEALS, "0-3", "DEAL", "dealinformation", "hs_lastmodifieddate",
            List.of("amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate", ID, "pipeline"));
    static final List<ObjectType> TYPES = List.of(CONTACT_TYPE, COMPANY_TYPE, DEAL_TYPE);

    /** A path's object type: the plural name, the singular, or the type id ({@code contacts}, {@code contact}, {@code 0-1}). */
    static Optional<ObjectType> objectType(String pathName) {
        String n = pathName.toLowerCase(Locale.ROOT);
        return TYPES.stream().filter(t -> t.name().equals(n) || t.typeId().equals(n)
                || t.singular().toLowerCase(Locale.ROOT).equals(n)
                || (t == COMPANY_TYPE && n.equals("company"))).findFirst();
    }

    /** Canonical industries ({@code SeedData.INDUSTRIES}) mapped to HubSpot's industry values. */
    static final Map<String, String> INDUSTRIES = Map.of("Technology", "COMPUTER_SOFTWARE", "Finance", "FINANCIAL_SERVICES",
            "Healthcare", "HOSPITAL_HEALTH_CARE", "Retail", "RETAIL", "Manufacturing", "MACHINERY",
            "Education", "EDUCATION_MANAGEMENT", "Energy", "OIL_ENERGY", "Media", "MEDIA_PRODUCTION");

    /** Canonical deal stages ({@code SeedData.STAGES}) mapped to the default pipeline's stage ids. */
    static final Map<String, String> STAGES = Map.of("Prospecting", "appointmentscheduled", "Qualification", "qualifiedtobuy",
            "Proposal", "presentationscheduled", "Negotiation", "contractsent", "Closed Won", "closedwon",
            "Closed Lost", "closedlost");

    /** Option value → label, in display order, per enumeration property. */
    static final Map<String, Map<String, String>> OPTIONS = Map.of(
            "lifecyclestage", ordered("subscriber", "Subscriber", "lead", "Lead", "marketingqualifiedlead", "Marketing Qualified Lead",
                    "salesqualifiedlead", "Sales Qualified Lead", "opportunity", "Opportunity", "customer", "Customer",
                    "evangelist", "Evangelist", "other", "Other"),
            "hs_lead_status", ordered("NEW", "New", "OPEN", "Open", "IN_PROGRESS", "In Progress", "OPEN_DEAL", "Open Deal",
                    "UNQUALIFIED", "Unqualified", "ATTEMPTED_TO_CONTACT", "Attempted to Contact", "CONNECTED", "Connected",
                    "BAD_TIMING", "Bad Timing"),
            "industry", ordered("ACCOUNTING", "Accounting", "BANKING", "Banking", "COMPUTER_SOFTWARE", "Computer Software",
                    "CONSTRUCTION", "Construction", "EDUCATION_MANAGEMENT", "Education Management",
                    "FINANCIAL_SERVICES", "Financial Services", "HOSPITAL_HEALTH_CARE", "Hospital & Health Care",
                    "INFORMATION_TECHNOLOGY_AND_SERVICES", "Information Technology and Services", "INSURANCE", "Insurance",
                    "INTERNET", "Internet", "MACHINERY", "Machinery", "MARKETING_AND_ADVERTISING", "Marketing and Advertising",
                    "MEDIA_PRODUCTION", "Media Production", "OIL_ENERGY", "Oil & Energy", "REAL_ESTATE", "Real Estate",
                    "RETAIL", "Retail", "TELECOMMUNICATIONS", "Telecommunications"),
            "dealstage", ordered("appointmentscheduled", "Appointment Scheduled", "qualifiedtobuy", "Qualified To Buy",
                    "presentationscheduled", "Presentation Scheduled", "decisionmakerboughtin", "Decision Maker Bought-In",
                    "contractsent", "Contract Sent", "closedwon", "Closed Won", "closedlost", "Closed Lost"),
            "pipeline", ordered("default", "Sales Pipeline"));

    /** Properties HubSpot itself defines; the rest ({@code source_id}) are the portal's custom properties. */
    private static final Set<String> CUSTOM = Set.of(SOURCE_ID, "signup_date_text");

    static boolean hubspotDefined(String property) {
        return !CUSTOM.contains(property);
    }

    static SimSchema contacts() {
        List<SimField> fields = audit("lastmodifieddate");
        fields.addAll(List.of(
                text("firstname", "First Name"),
                text("lastname", "Last Name"),
                // HubSpot's native dedup key: unique (case-insensitive) but reported with hasUniqueValue=false.
                SimField.data("email", "Email", SimType.EMAIL).withLength(TEXT_LENGTH).asUnique(),
                SimField.data("phone", "Phone Number", SimType.PHONE).withLength(TEXT_LENGTH),
                SimField.data("mobilephone", "Mobile Phone Number", SimType.PHONE).withLength(TEXT_LENGTH),
                text("jobtitle", "Job Title"),
                text("company", "Company Name"),
                text("city", "City"),
                text("country", "Country/Region"),
                enumeration("lifecyclestage", "Lifecycle Stage"),
                enumeration("hs_lead_status", "Lead Status"),
                SimField.data("date_of_birth", "Date of birth", SimType.DATE),
                text("signup_date_text", "Legacy Signup Date"),
                SimField.data("associatedcompanyid", "Primary Associated Company ID", SimType.REFERENCE).referencing(COMPANIES),
                sourceId()));
        return new SimSchema(CONTACTS, "Contacts", fields);
    }

    static SimSchema companies() {
        List<SimField> fields = audit("hs_lastmodifieddate");
        fields.addAll(List.of(
                text("name", "Company name"),
                text("domain", "Company Domain Name"),
                text("website", "Website URL"),
                enumeration("industry", "Industry"),
                SimField.data("phone", "Phone Number", SimType.PHONE).withLength(TEXT_LENGTH),
                text("city", "City"),
                text("country", "Country/Region"),
                SimField.data("numberofemployees", "Number of Employees", SimType.INT),
                SimField.data("annualrevenue", "Annual Revenue", SimType.DOUBLE),
                sourceId()));
        return new SimSchema(COMPANIES, "Companies", fields);
    }

    static SimSchema deals() {
        List<SimField> fields = audit("hs_lastmodifieddate");
        fields.addAll(List.of(
                text("dealname", "Deal Name").asRequired(),
                enumeration("dealstage", "Deal Stage").asRequired(),
                enumeration("pipeline", "Pipeline"),
                SimField.data("amount", "Amount", SimType.DOUBLE),
                SimField.data("closedate", "Close Date", SimType.DATETIME),
                SimField.data("hs_deal_probability", "Deal probability", SimType.DOUBLE),
                SimField.data("associatedcompanyid", "Associated Company ID", SimType.REFERENCE).referencing(COMPANIES),
                SimField.data("associatedcontactid", "Associated Contact ID", SimType.REFERENCE).referencing(CONTACTS),
                sourceId()));
        return new SimSchema(DEALS, "Deals", fields);
    }

    private static List<SimField> audit(String modifiedField) {
        return new ArrayList<>(List.of(
                SimField.system(ID, "Record ID", SimType.ID, FieldRole.ID),
                SimField.system("createdate", "Create Date", SimType.DATETIME, FieldRole.CREATED),
                SimField.system(modifiedField, "Last Modified Date", SimType.DATETIME, FieldRole.MODIFIED)));
    }

    private static SimField text(String name, String label) {
        return SimField.data(name, label, SimType.STRING).withLength(TEXT_LENGTH);
    }

    private static SimField enumeration(String name, String label) {
        return SimField.data(name, label, SimType.PICKLIST).withPicklist(List.copyOf(OPTIONS.get(name).keySet()));
    }

    private static SimField sourceId() {
        return SimField.data(SOURCE_ID, "Source ID", SimType.STRING).withLength(TEXT_LENGTH).asExternalId();
    }

    private static Map<String, String> ordered(String... valueLabelPairs) {
        Map<String, String> map = new LinkedHashMap<>();
        for (int i = 0; i < valueLabelPairs.length; i += 2) {
            map.put(valueLabelPairs[i], valueLabelPairs[i + 1]);
        }
        return java.util.Collections.unmodifiableMap(map);
    }

    /** HubSpot's storage type of a property. */
    static String propertyType(SimType type) {
        return switch (type) {
            case ID, INT, DOUBLE, CURRENCY, PERCENT, REFERENCE -> "number";
            case DATE -> "date";
            case DATETIME -> "datetime";
            case PICKLIST, MULTIPICKLIST -> "enumeration";
            case BOOLEAN -> "bool";
            default -> "string";
        };
    }

    /** HubSpot's UI widget of a property. */
    static String fieldType(SimType type) {
        return switch (type) {
            case ID, INT, DOUBLE, CURRENCY, PERCENT, REFERENCE -> "number";
            case DATE, DATETIME -> "date";
            case PICKLIST -> "select";
            case MULTIPICKLIST -> "checkbox";
            case BOOLEAN -> "booleancheckbox";
            case PHONE -> "phonenumber";
            case TEXTAREA -> "textarea";
            default -> "text";
        };
    }
}
