package io.nificrm.services.hubspot;

import com.fasterxml.jackson.databind.JsonNode;
import io.nificrm.api.CrmField;
import io.nificrm.api.CrmFieldType;
import io.nificrm.api.CrmObjectSchema;

import java.util.ArrayList;
import java.util.List;

/** HubSpot's properties API → {@link CrmObjectSchema}. */
final class HubSpotSchemas {
    static final String ID = "hs_object_id";

    private HubSpotSchemas() {
    }

    /** Contacts keep their last-modified time in {@code lastmodifieddate}; every other object in {@code hs_lastmodifieddate}. */
    static String modifiedField(String object) {
        return object.equals("contacts") || object.equals("0-1") ? "lastmodifieddate" : "hs_lastmodifieddate";
    }

    static CrmObjectSchema toSchema(String object, JsonNode properties) {
        List<CrmField> fields = new ArrayList<>();
        boolean contacts = object.equals("contacts") || object.equals("0-1");
        for (JsonNode p : properties.path("results")) {
            if (p.path("archived").asBoolean(false)) {
                continue;
            }
            String name = p.path("name").asText();
            CrmFieldType type = name.equals(ID) ? CrmFieldType.ID
                    : referenceTarget(name) != null ? CrmFieldType.REFERENCE : typeOf(p, contacts && name.equals("email"));
            boolean unique = p.path("hasUniqueValue").asBoolean(false) || name.equals(ID) || (contacts && name.equals("email"));
            boolean readOnly = name.equals(ID) || p.path("calculated").asBoolean(false)
                    || p.path("modificationMetadata").path("readOnlyValue").asBoolean(false);
            List<String> options = new ArrayList<>();
            for (JsonNode o : p.path("options")) {
                if (!o.path("hidden").asBoolean(false)) {
                    options.add(o.path("value").asText());
                }
            }
            // HubSpot creates contacts without an e-mail; deals need a name and a stage.
            boolean required = name.equals("dealname") || name.equals("dealstage");
            fields.add(new CrmField(name, p.path("label").asText(name), type, required, unique, unique && !readOnly,
                    readOnly, 0, options, referenceTarget(name)));
        }
        return new CrmObjectSchema(object, object, ID, modifiedField(object), "createdate", fields);
    }

    private static CrmFieldType typeOf(JsonNode p, boolean email) {
        if (email) {
            return CrmFieldType.EMAIL;
        }
        String fieldType = p.path("fieldType").asText("");
        return switch (p.path("type").asText("string")) {
            case "number" -> CrmFieldType.DECIMAL;
            case "date" -> CrmFieldType.DATE;
            case "datetime" -> CrmFieldType.DATETIME;
            case "bool" -> CrmFieldType.BOOLEAN;
            case "enumeration" -> fieldType.equals("checkbox") ? CrmFieldType.MULTI_PICKLIST
                    : fieldType.equals("booleancheckbox") ? CrmFieldType.BOOLEAN : CrmFieldType.PICKLIST;
            case "phone_number" -> CrmFieldType.PHONE;
            default -> fieldType.equals("phonenumber") ? CrmFieldType.PHONE : CrmFieldType.STRING;
        };
    }

    private static String referenceTarget(String name) {
        return switch (name) {
            case "associatedcompanyid" -> "companies";
            case "associatedcontactid" -> "contacts";
            default -> null;
        };
    }
}
