package io.nificrm.simulator.dynamics;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.simulator.http.Json;
import io.nificrm.simulator.http.SimRequest;
import io.nificrm.simulator.http.SimResponse;
import io.nificrm.simulator.store.FieldRole;
import io.nificrm.simulator.store.SimField;
import io.nificrm.simulator.store.SimType;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Table metadata: {@code EntityDefinitions}, {@code EntityDefinitions(LogicalName='x')}, its {@code Attributes}
 * (all, one, or cast to a metadata type such as {@code Microsoft.Dynamics.CRM.PicklistAttributeMetadata}, with
 * {@code $expand=OptionSet} for choice values) and its alternate {@code Keys}. {@code $select} is honoured loosely
 * (top-level properties; {@code MetadataId} and {@code @odata.type} always come back); other options are ignored.
 */
final class DynamicsMetadata {
    private static final Pattern ENTITY = Pattern.compile("EntityDefinitions\\(([^)]*)\\)(.*)");
    private static final Pattern BY_NAME = Pattern.compile("LogicalName\\s*=\\s*'([^']*)'");
    private static final Pattern ATTRIBUTE = Pattern.compile("/Attributes\\(([^)]*)\\)(?:/Microsoft\\.Dynamics\\.CRM\\.(\\w+))?/?");
    private static final Pattern ATTRIBUTES = Pattern.compile("/Attributes(?:/Microsoft\\.Dynamics\\.CRM\\.(\\w+))?/?");
    private static final Pattern KEYS = Pattern.compile("/Keys(?:\\(([^)]*)\\))?/?");
    private static final Pattern FILTER_NAME = Pattern.compile("LogicalName\\s+eq\\s+'([^']*)'");

    private final DynamicsPersona persona;

    DynamicsMetadata(DynamicsPersona persona) {
        this.persona = persona;
    }

    SimResponse handle(SimRequest request) {
        String rest = request.path().substring(DynamicsPersona.API_PATH.length());
        String root = persona.serviceRoot();
        if (rest.equals("EntityDefinitions") || rest.equals("EntityDefinitions/")) {
            String filter = request.param("$filter");
            Matcher f = filter == null ? null : FILTER_NAME.matcher(filter);
            String only = f != null && f.find() ? f.group(1) : null;
            ObjectNode body = Json.object();
            body.put("@odata.context", root + "$metadata#EntityDefinitions");
            ArrayNode value = body.putArray("value");
            for (DynamicsEntities.Entity e : DynamicsEntities.ALL) {
                if (only == null || only.equals(e.logicalName())) {
                    value.add(project(entity(e), request.param("$select")));
                }
            }
            return SimResponse.json(200, body);
        }
        Matcher m = ENTITY.matcher(rest);
        if (!m.matches()) {
            throw DataverseException.segmentNotFound(rest);
        }
        DynamicsEntities.Entity entity = resolveEntity(m.group(1));
        String sub = m.group(2);
        String entityContext = root + "$metadata#EntityDefinitions(" + entity.metadataId() + ")";
        if (sub.isEmpty() || sub.equals("/")) {
            ObjectNode body = Json.object();
            body.put("@odata.context", root + "$metadata#EntityDefinitions/$entity");
            body.setAll(project(entity(entity), request.param("$select")));
            return SimResponse.json(200, body);
        }
        boolean expandOptions = expands(request, "OptionSet");
        boolean expandGlobal = expands(request, "GlobalOptionSet");
        Matcher all = ATTRIBUTES.matcher(sub);
        if (all.matches()) {
            String cast = all.group(1);
            ObjectNode body = Json.object();
            body.put("@odata.context", entityContext + "/Attributes" + (cast == null ? "" : "/Microsoft.Dynamics.CRM." + cast));
            ArrayNode value = body.putArray("value");
            for (ObjectNode attribute : attributes(entity)) {
                if (cast == null || cast.equals(metadataType(attribute))) {
                    value.add(project(withOptions(entity, attribute, expandOptions, expandGlobal), request.param("$select")));
                }
            }
            return SimResponse.json(200, body);
        }
        Matcher one = ATTRIBUTE.matcher(sub);
        if (one.matches()) {
            ObjectNode attribute = findAttribute(entity, one.group(1))
                    .orElseThrow(() -> new DataverseException(404, "0x80040217", "Could not find attribute " + one.group(1)
                            + " on entity " + entity.logicalName() + "."));
            String cast = one.group(2);
            if (cast != null && !cast.equals(metadataType(attribute))) {
                throw new DataverseException(404, "0x8006088a", "Resource not found for the segment 'Microsoft.Dynamics.CRM."
                        + cast + "': attribute " + attribute.get("LogicalName").asText() + " is a " + metadataType(attribute) + ".");
            }
            ObjectNode body = Json.object();
            body.put("@odata.context", entityContext + "/Attributes/" + (cast == null ? "$entity" : "Microsoft.Dynamics.CRM." + cast + "/$entity"));
            body.setAll(project(withOptions(entity, attribute, expandOptions, expandGlobal), request.param("$select")));
            return SimResponse.json(200, body);
        }
        Matcher keys = KEYS.matcher(sub);
        if (keys.matches()) {
            ObjectNode key = key(entity);
            if (keys.group(1) != null) {
                Matcher name = BY_NAME.matcher(keys.group(1));
                if (!name.find() || !name.group(1).equals(DynamicsEntities.SOURCE_ID_KEY)) {
                    throw new DataverseException(404, "0x80040217", "Could not find key " + keys.group(1) + " on entity " + entity.logicalName() + ".");
                }
                ObjectNode body = Json.object();
                body.put("@odata.context", entityContext + "/Keys/$entity");
                body.setAll(project(key, request.param("$select")));
                return SimResponse.json(200, body);
            }
            ObjectNode body = Json.object();
            body.put("@odata.context", entityContext + "/Keys");
            body.putArray("value").add(project(key, request.param("$select")));
            return SimResponse.json(200, body);
        }
        throw DataverseException.segmentNotFound(sub.startsWith("/") ? sub.substring(1) : sub);
    }

    private static DynamicsEntities.Entity resolveEntity(String key) {
        Matcher byName = BY_NAME.matcher(key);
        Optional<DynamicsEntities.Entity> entity = byName.matches() ? DynamicsEntities.byLogicalName(byName.group(1))
                : DynamicsEntities.ALL.stream().filter(e -> e.metadataId().equalsIgnoreCase(key.trim())).findFirst();
        return entity.orElseThrow(() -> new DataverseException(404, "0x8006088a",
                "Could not find an entity with " + key + ". Resource not found for the segment 'EntityDefinitions'."));
    }

    private static boolean expands(SimRequest request, String property) {
        String expand = request.param("$expand");
        if (expand == null) {
            return false;
        }
        return Arrays.stream(expand.split(",")).map(s -> s.trim().replaceAll("\\(.*", "")).anyMatch(property::equals);
    }

    private static ObjectNode entity(DynamicsEntities.Entity e) {
        ObjectNode node = Json.object();
        node.put("MetadataId", e.metadataId());
        node.put("LogicalName", e.logicalName());
        node.put("SchemaName", e.schemaName());
        node.put("EntitySetName", e.setName());
        node.put("LogicalCollectionName", e.setName());
        node.put("CollectionSchemaName", e.schemaName() + (e.schemaName().endsWith("y") ? "" : "s"));
        node.put("PrimaryIdAttribute", e.primaryId());
        node.put("PrimaryNameAttribute", e.primaryName());
        node.put("ObjectTypeCode", e.objectTypeCode());
        node.put("ChangeTrackingEnabled", true);
        node.put("IsCustomEntity", false);
        node.put("IsActivity", false);
        node.put("IsValidForAdvancedFind", true);
        node.set("DisplayName", label(e.displayName()));
        node.set("DisplayCollectionName", label(e.displayName() + "s"));
        return node;
    }

    /** Every attribute of a table, plus the virtual {@code versionnumber}. */
    private static List<ObjectNode> attributes(DynamicsEntities.Entity e) {
        List<ObjectNode> out = new ArrayList<>();
        for (SimField f : e.schema().fields()) {
            out.add(attribute(e, f));
        }
        ObjectNode version = base(e, DynamicsEntities.VERSION, "Version Number", "BigInt", "BigIntType", "BigIntAttributeMetadata");
        version.put("IsValidForCreate", false).put("IsValidForUpdate", false);
        version.set("RequiredLevel", requiredLevel("None"));
        version.put("MinValue", Long.MIN_VALUE).put("MaxValue", Long.MAX_VALUE);
        out.add(version);
        return out;
    }

    private static Optional<ObjectNode> findAttribute(DynamicsEntities.Entity e, String key) {
        Matcher byName = BY_NAME.matcher(key);
        return attributes(e).stream().filter(a -> byName.matches() ? a.get("LogicalName").asText().equals(byName.group(1))
                : a.get("MetadataId").asText().equalsIgnoreCase(key.trim())).findFirst();
    }

    private static ObjectNode attribute(DynamicsEntities.Entity e, SimField f) {
        boolean choice = e.isChoice(f.name());
        boolean lookup = e.lookup(f.name()).isPresent();
        String[] type = choice ? new String[]{"Picklist", "PicklistType", "PicklistAttributeMetadata"}
                : lookup ? new String[]{"Lookup", "LookupType", "LookupAttributeMetadata"}
                : switch (f.type()) {
                    case ID -> new String[]{"Uniqueidentifier", "UniqueidentifierType", "UniqueIdentifierAttributeMetadata"};
                    case TEXTAREA -> new String[]{"Memo", "MemoType", "MemoAttributeMetadata"};
                    case INT -> new String[]{"Integer", "IntegerType", "IntegerAttributeMetadata"};
                    case CURRENCY -> new String[]{"Money", "MoneyType", "MoneyAttributeMetadata"};
                    case DOUBLE, PERCENT -> new String[]{"Double", "DoubleType", "DoubleAttributeMetadata"};
                    case BOOLEAN -> new String[]{"Boolean", "BooleanType", "BooleanAttributeMetadata"};
                    case DATE, DATETIME -> new String[]{"DateTime", "DateTimeType", "DateTimeAttributeMetadata"};
                    default -> new String[]{"String", "StringType", "StringAttributeMetadata"};
                };
        ObjectNode node = base(e, f.name(), f.label(), type[0], type[1], type[2]);
        boolean system = f.role() != FieldRole.DATA;
        node.put("IsPrimaryId", f.role() == FieldRole.ID);
        node.put("IsPrimaryName", f.name().equals(e.primaryName()));
        node.put("IsCustomAttribute", f.name().startsWith("nificrm_"));
        node.put("IsValidForCreate", f.role() == FieldRole.ID || (!system && !f.readOnly()));
        node.put("IsValidForUpdate", !system && !f.readOnly());
        node.set("RequiredLevel", requiredLevel(f.role() == FieldRole.ID ? "SystemRequired" : f.required() ? "ApplicationRequired" : "None"));
        switch (type[0]) {
            case "String", "Memo" -> {
                node.put("MaxLength", f.length());
                String format = switch (f.type()) {
                    case EMAIL -> "Email";
                    case PHONE -> "Phone";
                    case URL -> "Url";
                    case TEXTAREA -> "TextArea";
                    default -> "Text";
                };
                node.put("Format", format);
                node.putObject("FormatName").put("Value", format);
            }
            case "DateTime" -> {
                boolean dateOnly = f.type() == SimType.DATE;
                node.put("Format", dateOnly ? "DateOnly" : "DateAndTime");
                node.putObject("DateTimeBehavior").put("Value", dateOnly ? "DateOnly" : "UserLocal");
            }
            case "Integer" -> node.put("Format", "None").put("MinValue", -2147483648).put("MaxValue", 2147483647);
            case "Money" -> node.put("Precision", 2).put("PrecisionSource", 2).put("MinValue", -922337203685477.0).put("MaxValue", 922337203685477.0);
            case "Lookup" -> node.putArray("Targets").add(e.lookup(f.name()).orElseThrow().target());
            case "Picklist" -> node.putNull("DefaultFormValue");
            default -> {
            }
        }
        return node;
    }

    private static ObjectNode base(DynamicsEntities.Entity e, String name, String label, String type, String typeName, String metadataType) {
        ObjectNode node = Json.object();
        node.put("@odata.type", "#Microsoft.Dynamics.CRM." + metadataType);
        node.put("MetadataId", uuid("attribute:" + e.logicalName() + "." + name));
        node.put("LogicalName", name);
        node.put("SchemaName", schemaName(name));
        node.put("EntityLogicalName", e.logicalName());
        node.put("AttributeType", type);
        node.putObject("AttributeTypeName").put("Value", typeName);
        node.putNull("AttributeOf");
        node.put("IsValidForRead", true);
        node.set("DisplayName", label(label));
        return node;
    }

    /** Adds {@code OptionSet} (and {@code GlobalOptionSet}: null) to a choice attribute when expanded. */
    private static ObjectNode withOptions(DynamicsEntities.Entity e, ObjectNode attribute, boolean expandOptions, boolean expandGlobal) {
        String name = attribute.get("LogicalName").asText();
        if (!e.isChoice(name)) {
            return attribute;
        }
        ObjectNode copy = attribute.deepCopy();
        if (expandOptions) {
            ObjectNode set = copy.putObject("OptionSet");
            set.put("MetadataId", uuid("optionset:" + e.logicalName() + "." + name));
            set.put("Name", e.logicalName() + "_" + name);
            set.put("IsGlobal", false);
            set.put("OptionSetType", "Picklist");
            ArrayNode options = set.putArray("Options");
            for (DynamicsEntities.Option o : e.options().get(name)) {
                ObjectNode option = options.addObject();
                option.put("Value", o.value());
                option.set("Label", label(o.label()));
                option.putNull("Color");
                option.put("IsManaged", false);
            }
        }
        if (expandGlobal) {
            copy.putNull("GlobalOptionSet");
        }
        return copy;
    }

    private static ObjectNode key(DynamicsEntities.Entity e) {
        ObjectNode node = Json.object();
        node.put("MetadataId", uuid("key:" + e.logicalName()));
        node.put("LogicalName", DynamicsEntities.SOURCE_ID_KEY);
        node.put("SchemaName", "nificrm_SourceIdKey");
        node.put("EntityLogicalName", e.logicalName());
        ArrayNode attributes = node.putArray("KeyAttributes");
        e.keyAttributes().forEach(attributes::add);
        node.put("EntityKeyIndexStatus", "Active");
        node.set("DisplayName", label("NiFi CRM Source ID Key"));
        return node;
    }

    private static String metadataType(ObjectNode attribute) {
        return attribute.get("@odata.type").asText().replace("#Microsoft.Dynamics.CRM.", "");
    }

    /** Keeps the selected top-level properties (plus {@code MetadataId}, {@code @odata.type} and expanded ones). */
    private static ObjectNode project(ObjectNode node, String select) {
        if (select == null || select.isBlank()) {
            return node;
        }
        Set<String> keep = new HashSet<>(Arrays.stream(select.split(",")).map(String::trim).toList());
        keep.addAll(List.of("MetadataId", "@odata.type", "OptionSet", "GlobalOptionSet"));
        ObjectNode copy = node.deepCopy();
        for (Iterator<String> it = copy.fieldNames(); it.hasNext(); ) {
            if (!keep.contains(it.next())) {
                it.remove();
            }
        }
        return copy;
    }

    private static ObjectNode requiredLevel(String value) {
        ObjectNode node = Json.object();
        node.put("Value", value);
        node.put("CanBeChanged", !value.equals("SystemRequired"));
        node.put("ManagedPropertyLogicalName", "canmodifyrequirementlevelsettings");
        return node;
    }

    private static ObjectNode label(String text) {
        ObjectNode node = Json.object();
        ObjectNode localized = Json.object();
        localized.put("Label", text).put("LanguageCode", 1033).put("IsManaged", true);
        node.putArray("LocalizedLabels").add(localized);
        node.set("UserLocalizedLabel", localized.deepCopy());
        return node;
    }

    /** {@code address1_city} → {@code Address1_City}, {@code nificrm_sourceid} → {@code nificrm_SourceId}-like. */
    private static String schemaName(String logicalName) {
        if (logicalName.startsWith("nificrm_")) {
            return "nificrm_" + capitalize(logicalName.substring(8));
        }
        StringBuilder sb = new StringBuilder();
        for (String part : logicalName.split("_")) {
            if (!sb.isEmpty()) {
                sb.append('_');
            }
            sb.append(capitalize(part));
        }
        return sb.toString();
    }

    private static String capitalize(String s) {
        return s.isEmpty() ? s : s.substring(0, 1).toUpperCase(Locale.ROOT) + s.substring(1);
    }

    private static String uuid(String seed) {
        return UUID.nameUUIDFromBytes(seed.getBytes(StandardCharsets.UTF_8)).toString();
    }
}
