package io.nificrm.simulator.dynamics;

import io.nificrm.simulator.query.QueryException;
import io.nificrm.simulator.seed.SeedData;
import io.nificrm.simulator.store.FieldRole;
import io.nificrm.simulator.store.SimField;
import io.nificrm.simulator.store.SimSchema;
import io.nificrm.simulator.store.SimType;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.IntStream;

/**
 * The simulated Dataverse tables: {@code account}, {@code contact} and {@code opportunity} with their standard
 * columns, a custom {@code nificrm_sourceid} column carrying the alternate key {@code nificrm_sourceid_key}, and
 * choice (picklist) columns stored as integers 1..n whose labels are the canonical {@link SeedData} values.
 * <p>
 * In the store a lookup column is kept under its logical name ({@code parentcustomerid}) holding the target GUID; on
 * the wire it is read as {@code _parentcustomerid_value} and written with {@code <navigation>@odata.bind}. A choice
 * column is an {@link SimType#INT} field whose {@link SimField#picklist()} lists the allowed values as text.
 */
final class DynamicsEntities {
    private DynamicsEntities() {
    }

    static final String SOURCE_ID = "nificrm_sourceid";
    static final String SOURCE_ID_KEY = "nificrm_sourceid_key";
    static final String VERSION = "versionnumber";

    /** One choice value. */
    record Option(int value, String label) {
    }

    /** A lookup column, the navigation property used to bind it on write, and its target table. */
    record Lookup(String field, String navigation, String target) {
        String wireName() {
            return "_" + field + "_value";
        }
    }

    /**
     * One table.
     *
     * @param logicalName    {@code contact}
     * @param setName        {@code contacts}, the name used in URLs
     * @param schemaName     {@code Contact}
     * @param displayName    human label
     * @param primaryId      the GUID column, e.g. {@code contactid}
     * @param primaryName    the primary name column, e.g. {@code fullname}
     * @param objectTypeCode the table's type code (also tags its GUIDs)
     * @param schema         the store schema, keyed by the logical name
     * @param options        choice column → its options
     * @param lookups        the lookup columns
     */
    record Entity(String logicalName, String setName, String schemaName, String displayName, String primaryId,
                  String primaryName, int objectTypeCode, SimSchema schema, Map<String, List<Option>> options,
                  List<Lookup> lookups) {

        String typeName() {
            return "Microsoft.Dynamics.CRM." + logicalName;
        }

        String metadataId() {
            return UUID.nameUUIDFromBytes(("entity:" + logicalName).getBytes(StandardCharsets.UTF_8)).toString();
        }

        /** The alternate key's columns (one key per table). */
        List<String> keyAttributes() {
            return List.of(SOURCE_ID);
        }

        Optional<Lookup> lookup(String field) {
            return lookups.stream().filter(l -> l.field().equals(field)).findFirst();
        }

        Optional<Lookup> lookupByNavigation(String navigation) {
            return lookups.stream().filter(l -> l.navigation().equals(navigation)).findFirst();
        }

        boolean isChoice(String field) {
            return options.containsKey(field);
        }

        /** The wire (read) name of a schema field: lookups read as {@code _x_value}. */
        String wireName(SimField field) {
            return lookup(field.name()).map(Lookup::wireName).orElse(field.name());
        }

        /**
         * The schema field a wire name in {@code $filter} or {@code $orderby} refers to; lookups only in their
         * {@code _x_value} form, as on the real service.
         *
         * @throws QueryException 400 {@code 0x0} for an unknown property
         */
        String fieldForWire(String wire) {
            if (wire.startsWith("_") && wire.endsWith("_value") && wire.length() > 7) {
                String field = wire.substring(1, wire.length() - 6);
                if (lookup(field).isPresent()) {
                    return field;
                }
            } else if (schema.field(wire).isPresent() && lookup(wire).isEmpty()) {
                return wire;
            }
            throw unknownProperty(wire);
        }

        QueryException unknownProperty(String wire) {
            return new QueryException("0x0", "Could not find a property named '" + wire + "' on type '" + typeName() + "'.");
        }

        /** The columns a query without {@code $select} returns, in wire names. */
        List<String> allColumns() {
            List<String> columns = new ArrayList<>();
            schema.fields().forEach(f -> columns.add(wireName(f)));
            columns.add(VERSION);
            return columns;
        }

        String label(String field, Object value) {
            if (value == null || !options.containsKey(field)) {
                return null;
            }
            long v = ((Number) value).longValue();
            return options.get(field).stream().filter(o -> o.value() == v).map(Option::label).findFirst().orElse(null);
        }
    }

    static final Entity ACCOUNT = account();
    static final Entity CONTACT = contact();
    static final Entity OPPORTUNITY = opportunity();
    static final List<Entity> ALL = List.of(ACCOUNT, CONTACT, OPPORTUNITY);

    static Optional<Entity> bySet(String setName) {
        return ALL.stream().filter(e -> e.setName().equals(setName)).findFirst();
    }

    static Optional<Entity> byLogicalName(String logicalName) {
        return ALL.stream().filter(e -> e.logicalName().equals(logicalName)).findFirst();
    }

    /** Options 1..n labelled with {@code labels} in order. */
    static List<Option> numbered(List<String> labels) {
        return IntStream.range(0, labels.size()).mapToObj(i -> new Option(i + 1, labels.get(i))).toList();
    }

    /** The choice value of a canonical label, or null. */
    static Long choiceValue(List<String> labels, String label) {
        int i = label == null ? -1 : labels.indexOf(label);
        return i < 0 ? null : (long) (i + 1);
    }

    private static Entity account() {
        Map<String, List<Option>> options = new LinkedHashMap<>();
        options.put("industrycode", numbered(SeedData.INDUSTRIES));
        List<SimField> fields = audit("accountid", "Account");
        fields.addAll(List.of(
                text("name", "Account Name", 160).asRequired(),
                SimField.data("websiteurl", "Website", SimType.URL).withLength(200),
                choice("industrycode", "Industry", options.get("industrycode")),
                SimField.data("telephone1", "Main Phone", SimType.PHONE).withLength(50),
                text("address1_city", "Address 1: City", 80),
                text("address1_country", "Address 1: Country/Region", 80),
                SimField.data("numberofemployees", "Number of Employees", SimType.INT),
                SimField.data("revenue", "Annual Revenue", SimType.CURRENCY),
                SimField.data("parentaccountid", "Parent Account", SimType.REFERENCE).referencing("account"),
                sourceId()));
        return new Entity("account", "accounts", "Account", "Account", "accountid", "name", 1,
                new SimSchema("account", "Account", fields), options,
                List.of(new Lookup("parentaccountid", "parentaccountid", "account")));
    }

    private static Entity contact() {
        Map<String, List<Option>> options = new LinkedHashMap<>();
        options.put("leadsourcecode", numbered(SeedData.LEAD_SOURCES));
        List<SimField> fields = audit("contactid", "Contact");
        fields.addAll(List.of(
                text("firstname", "First Name", 50),
                text("lastname", "Last Name", 50).asRequired(),
                new SimField("fullname", "Full Name", SimType.STRING, false, false, false, true, 160, List.of(), null, FieldRole.DATA),
                SimField.data("emailaddress1", "Email", SimType.EMAIL).withLength(100),
                SimField.data("telephone1", "Business Phone", SimType.PHONE).withLength(50),
                SimField.data("mobilephone", "Mobile Phone", SimType.PHONE).withLength(50),
                text("jobtitle", "Job Title", 100),
                SimField.data("parentcustomerid", "Company Name", SimType.REFERENCE).referencing("account"),
                text("address1_city", "Address 1: City", 80),
                text("address1_country", "Address 1: Country/Region", 80),
                choice("leadsourcecode", "Lead Source", options.get("leadsourcecode")),
                SimField.data("birthdate", "Birthday", SimType.DATE),
                text("nificrm_signupdatetext", "Signup Date (text)", 100),
                sourceId()));
        return new Entity("contact", "contacts", "Contact", "Contact", "contactid", "fullname", 2,
                new SimSchema("contact", "Contact", fields), options,
                List.of(new Lookup("parentcustomerid", "parentcustomerid_account", "account")));
    }

    private static Entity opportunity() {
        Map<String, List<Option>> options = new LinkedHashMap<>();
        options.put("salesstagecode", numbered(SeedData.STAGES));
        List<SimField> fields = audit("opportunityid", "Opportunity");
        fields.addAll(List.of(
                text("name", "Topic", 300).asRequired(),
                choice("salesstagecode", "Sales Stage", options.get("salesstagecode")),
                SimField.data("estimatedvalue", "Est. Revenue", SimType.CURRENCY),
                SimField.data("estimatedclosedate", "Est. Close Date", SimType.DATE),
                SimField.data("closeprobability", "Probability", SimType.INT),
                SimField.data("parentaccountid", "Account", SimType.REFERENCE).referencing("account"),
                SimField.data("parentcontactid", "Contact", SimType.REFERENCE).referencing("contact"),
                sourceId()));
        return new Entity("opportunity", "opportunities", "Opportunity", "Opportunity", "opportunityid", "name", 3,
                new SimSchema("opportunity", "Opportunity", fields), options,
                List.of(new Lookup("parentaccountid", "parentaccountid", "account"),
                        new Lookup("parentcontactid", "parentcontactid", "contact")));
    }

    private static List<SimField> audit(String idField, String label) {
        return new ArrayList<>(List.of(
                SimField.system(idField, label, SimType.ID, FieldRole.ID),
                SimField.system("createdon", "Created On", SimType.DATETIME, FieldRole.CREATED),
                SimField.system("modifiedon", "Modified On", SimType.DATETIME, FieldRole.MODIFIED)));
    }

    private static SimField text(String name, String label, int length) {
        return SimField.data(name, label, SimType.STRING).withLength(length);
    }

    private static SimField choice(String name, String label, List<Option> options) {
        return SimField.data(name, label, SimType.INT).withPicklist(options.stream().map(o -> Integer.toString(o.value())).toList());
    }

    private static SimField sourceId() {
        return text(SOURCE_ID, "NiFi CRM Source ID", 100).asExternalId();
    }
}
