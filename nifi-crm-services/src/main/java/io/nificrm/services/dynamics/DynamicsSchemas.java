package io.nificrm.services.dynamics;

import com.fasterxml.jackson.databind.JsonNode;
import io.nificrm.api.CrmField;
import io.nificrm.api.CrmFieldType;
import io.nificrm.api.CrmObjectSchema;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Dataverse metadata ({@code EntityDefinitions}, its {@code Attributes}, option sets, {@code Keys} and
 * {@code ManyToOneRelationships}) → {@link CrmObjectSchema}, plus what queries and writes need beyond it: the
 * entity set name used in URLs, the wire name of each column, and the navigation property that binds a lookup.
 * <p>
 * Lookup columns ({@code Lookup}, {@code Customer}, {@code Owner}) are read from the Web API as {@code _x_value};
 * schemas and records expose them under the plain attribute name {@code x}, typed {@link CrmFieldType#REFERENCE}
 * with the first target as {@link CrmField#referenceTo()}.
 */
final class DynamicsSchemas {
    /** Table attributes whose navigation properties are named {@code <attribute>_<target>} (Dataverse's Customer lookups). */
    private static final Set<String> CUSTOMER_LOOKUPS = Set.of("customerid", "parentcustomerid");

    private DynamicsSchemas() {
    }

    /** A table: the logical name users give, the entity set name URLs use, and its primary id column. */
    record Table(String logicalName, String setName, String primaryId, String label, boolean changeTracking) {
        static Table of(JsonNode definition) {
            String logical = definition.path("LogicalName").asText();
            return new Table(logical, definition.path("EntitySetName").asText(), definition.path("PrimaryIdAttribute").asText(),
                    definition.path("DisplayName").path("UserLocalizedLabel").path("Label").asText(logical),
                    definition.path("ChangeTrackingEnabled").asBoolean(false));
        }
    }

    /** A lookup column: its attribute type ({@code Lookup}, {@code Customer}, {@code Owner}) and target tables. */
    record Lookup(String attribute, String attributeType, List<String> targets) {
    }

    /**
     * Everything the service knows about one table.
     *
     * @param navigations navigation property per {@code attribute|target} from ManyToOneRelationships, or null when the
     *                    environment did not answer that query (then the naming rule of {@link #navigation} applies)
     */
    record Entity(Table table, CrmObjectSchema schema, Map<String, Lookup> lookups, Map<String, String> navigations) {

        /** The column name of a field in {@code $select}, {@code $filter} and {@code $orderby}: {@code _x_value} for lookups. */
        String wireName(CrmField field) {
            return field.type() == CrmFieldType.REFERENCE ? "_" + field.name() + "_value" : field.name();
        }

        String wireName(String fieldName) {
            return schema.field(fieldName).map(this::wireName).orElse(fieldName);
        }

        /**
         * The single-valued navigation property that binds lookup {@code attribute} to a row of {@code target}, as in
         * {@code <navigation>@odata.bind}. The rule:
         * <ol>
         *   <li>the {@code ReferencingEntityNavigationPropertyName} of the table's many-to-one relationship for that
         *       attribute and target, when the environment lists its relationships (custom lookups are named after
         *       their schema name, e.g. {@code cr123_Parent}, which no naming rule can guess);</li>
         *   <li>otherwise {@code <attribute>_<target>} for polymorphic lookups — {@code Customer} columns, lookups with
         *       several targets except {@code Owner}, and the standard customer lookups {@code customerid} and
         *       {@code parentcustomerid} (e.g. {@code parentcustomerid_account});</li>
         *   <li>otherwise the attribute's logical name (e.g. {@code parentaccountid}).</li>
         * </ol>
         */
        String navigation(String attribute, String target) {
            if (navigations != null) {
                String declared = navigations.get(attribute + "|" + target);
                if (declared != null) {
                    return declared;
                }
            }
            Lookup lookup = lookups.get(attribute);
            boolean polymorphic = CUSTOMER_LOOKUPS.contains(attribute) || (lookup != null
                    && ("Customer".equals(lookup.attributeType())
                    || (lookup.targets().size() > 1 && !"Owner".equals(lookup.attributeType()))));
            return polymorphic ? attribute + "_" + target : attribute;
        }
    }

    /** Navigation properties per {@code attribute|target} from a ManyToOneRelationships answer. */
    static Map<String, String> navigations(JsonNode relationships) {
        Map<String, String> map = new HashMap<>();
        for (JsonNode r : relationships.path("value")) {
            String attribute = r.path("ReferencingAttribute").asText(null);
            String target = r.path("ReferencedEntity").asText(null);
            String navigation = r.path("ReferencingEntityNavigationPropertyName").asText(null);
            if (attribute != null && target != null && navigation != null && !navigation.isBlank()) {
                map.put(attribute + "|" + target, navigation);
            }
        }
        return map;
    }

    /** Attribute types whose option sets are read with a cast query. */
    static final Map<String, String> OPTION_SET_CASTS = Map.of(
            "Picklist", "PicklistAttributeMetadata",
            "State", "StateAttributeMetadata",
            "Status", "StatusAttributeMetadata",
            "MultiSelectPicklist", "MultiSelectPicklistAttributeMetadata");

    /** The option-set attribute types (keys of {@link #OPTION_SET_CASTS}) that occur in an Attributes answer. */
    static Set<String> optionSetTypes(JsonNode attributes) {
        Set<String> types = new HashSet<>();
        for (JsonNode a : attributes.path("value")) {
            String type = a.path("AttributeType").asText("");
            if (OPTION_SET_CASTS.containsKey(type)) {
                types.add(type);
            } else if (isMultiSelect(a)) {
                types.add("MultiSelectPicklist");
            }
        }
        return types;
    }

    /** Option values (choice integers as text) per attribute from a cast query with {@code $expand=OptionSet}. */
    static void readOptions(JsonNode castAnswer, Map<String, List<String>> into) {
        for (JsonNode a : castAnswer.path("value")) {
            JsonNode options = a.path("OptionSet").path("Options");
            if (!options.isArray() || options.isEmpty()) {
                options = a.path("GlobalOptionSet").path("Options");
            }
            List<String> values = new ArrayList<>();
            for (JsonNode o : options) {
                if (o.hasNonNull("Value")) {
                    values.add(Long.toString(o.get("Value").asLong()));
                }
            }
            into.put(a.path("LogicalName").asText(), values);
        }
    }

    /** Attributes that are the single column of an active alternate key. */
    static Set<String> keyAttributes(JsonNode keys) {
        Set<String> attributes = new HashSet<>();
        for (JsonNode key : keys.path("value")) {
            String status = key.path("EntityKeyIndexStatus").asText("Active");
            JsonNode columns = key.path("KeyAttributes");
            if ("Active".equalsIgnoreCase(status) && columns.isArray() && columns.size() == 1) {
                attributes.add(columns.get(0).asText());
            }
        }
        return attributes;
    }

    static Entity toEntity(Table table, JsonNode attributes, Map<String, List<String>> options, Set<String> keys,
                           Map<String, String> navigations) {
        List<CrmField> fields = new ArrayList<>();
        Map<String, Lookup> lookups = new LinkedHashMap<>();
        boolean hasModified = false;
        boolean hasCreated = false;
        for (JsonNode a : attributes.path("value")) {
            String name = a.path("LogicalName").asText("");
            if (name.isEmpty() || a.hasNonNull("AttributeOf") || !a.path("IsValidForRead").asBoolean(true)) {
                continue; // helper columns (x_name, yominame...) mirror another attribute
            }
            CrmFieldType type = typeOf(a, table.primaryId());
            if (type == null) {
                continue;
            }
            hasModified |= name.equals("modifiedon");
            hasCreated |= name.equals("createdon");
            boolean primary = name.equals(table.primaryId());
            String level = a.path("RequiredLevel").path("Value").asText("None");
            boolean required = !primary && (level.equals("ApplicationRequired") || level.equals("SystemRequired"));
            boolean readOnly = !a.path("IsValidForCreate").asBoolean(false) && !a.path("IsValidForUpdate").asBoolean(false);
            boolean key = keys.contains(name);
            String referenceTo = null;
            if (type == CrmFieldType.REFERENCE) {
                List<String> targets = new ArrayList<>();
                a.path("Targets").forEach(t -> targets.add(t.asText()));
                lookups.put(name, new Lookup(name, a.path("AttributeType").asText(), targets));
                referenceTo = targets.isEmpty() ? null : targets.get(0);
            }
            fields.add(new CrmField(name, a.path("DisplayName").path("UserLocalizedLabel").path("Label").asText(name), type,
                    required, key || primary, key, readOnly,
                    type.isText() && a.has("MaxLength") ? a.path("MaxLength").asInt(0) : 0,
                    options.getOrDefault(name, List.of()), referenceTo));
        }
        CrmObjectSchema schema = new CrmObjectSchema(table.logicalName(), table.label(), table.primaryId(),
                hasModified ? "modifiedon" : null, hasCreated ? "createdon" : null, fields);
        return new Entity(table, schema, lookups, navigations);
    }

    /** The normalized type of an attribute, or null for columns that are not read as plain values. */
    static CrmFieldType typeOf(JsonNode a, String primaryId) {
        String name = a.path("LogicalName").asText("");
        return switch (a.path("AttributeType").asText("")) {
            case "Uniqueidentifier" -> name.equals(primaryId) ? CrmFieldType.ID : CrmFieldType.STRING;
            case "String", "Memo" -> switch (a.path("Format").asText(a.path("FormatName").path("Value").asText(""))) {
                case "Email" -> CrmFieldType.EMAIL;
                case "Phone" -> CrmFieldType.PHONE;
                case "Url" -> CrmFieldType.URL;
                default -> CrmFieldType.STRING;
            };
            case "Integer", "BigInt" -> CrmFieldType.INTEGER;
            case "Money", "Decimal", "Double" -> CrmFieldType.DECIMAL;
            case "Boolean" -> CrmFieldType.BOOLEAN;
            case "DateTime" -> "DateOnly".equals(a.path("Format").asText(""))
                    || "DateOnly".equals(a.path("DateTimeBehavior").path("Value").asText("")) ? CrmFieldType.DATE : CrmFieldType.DATETIME;
            case "Picklist", "State", "Status" -> CrmFieldType.PICKLIST;
            case "Lookup", "Customer", "Owner" -> CrmFieldType.REFERENCE;
            case "Virtual" -> isMultiSelect(a) ? CrmFieldType.MULTI_PICKLIST : null;
            default -> null; // EntityName, PartyList, CalendarRules, ManagedProperty, Image, File...
        };
    }

    private static boolean isMultiSelect(JsonNode a) {
        return "MultiSelectPicklistType".equals(a.path("AttributeTypeName").path("Value").asText(""));
    }
}
