package io.nificrm.services.salesforce;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.api.CrmException;
import io.nificrm.api.CrmField;
import io.nificrm.api.CrmFieldType;
import io.nificrm.api.CrmObjectSchema;
import io.nificrm.api.CrmPartition;
import io.nificrm.api.CrmQuery;
import io.nificrm.services.records.WireValues;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.StringJoiner;

/** Salesforce describe → {@link CrmObjectSchema}, and SOQL for a {@link CrmQuery}. */
final class SalesforceSchemas {
    private SalesforceSchemas() {
    }

    static CrmObjectSchema toSchema(JsonNode describe) {
        List<CrmField> fields = new ArrayList<>();
        boolean hasModstamp = false;
        boolean hasLastModified = false;
        boolean hasCreated = false;
        for (JsonNode f : describe.path("fields")) {
            String sfType = f.path("type").asText();
            CrmFieldType type = typeOf(sfType);
            if (type == null) {
                continue; // compound fields (address, location) come back as nested objects; their parts are separate fields
            }
            String name = f.path("name").asText();
            hasModstamp |= name.equals("SystemModstamp");
            hasLastModified |= name.equals("LastModifiedDate");
            hasCreated |= name.equals("CreatedDate");
            boolean createable = f.path("createable").asBoolean(false);
            boolean updateable = f.path("updateable").asBoolean(false);
            List<String> picklist = new ArrayList<>();
            for (JsonNode v : f.path("picklistValues")) {
                if (v.path("active").asBoolean(true)) {
                    picklist.add(v.path("value").asText());
                }
            }
            JsonNode refs = f.path("referenceTo");
            fields.add(new CrmField(name, f.path("label").asText(name), type,
                    !f.path("nillable").asBoolean(true) && createable && !f.path("defaultedOnCreate").asBoolean(false),
                    f.path("unique").asBoolean(false) || type == CrmFieldType.ID,
                    f.path("externalId").asBoolean(false),
                    !createable && !updateable,
                    type.isText() ? f.path("length").asInt(0) : 0,
                    picklist,
                    refs.isArray() && !refs.isEmpty() ? refs.get(0).asText() : null));
        }
        String modified = hasModstamp ? "SystemModstamp" : hasLastModified ? "LastModifiedDate" : null;
        return new CrmObjectSchema(describe.path("name").asText(), describe.path("label").asText(), "Id", modified,
                hasCreated ? "CreatedDate" : null, fields);
    }

    private static CrmFieldType typeOf(String sfType) {
        return switch (sfType) {
            case "id" -> CrmFieldType.ID;
            case "email" -> CrmFieldType.EMAIL;
            case "phone" -> CrmFieldType.PHONE;
            case "url" -> CrmFieldType.URL;
            case "picklist" -> CrmFieldType.PICKLIST;
            case "multipicklist" -> CrmFieldType.MULTI_PICKLIST;
            case "reference" -> CrmFieldType.REFERENCE;
            case "boolean" -> CrmFieldType.BOOLEAN;
            case "int", "long" -> CrmFieldType.INTEGER;
            case "double", "currency", "percent" -> CrmFieldType.DECIMAL;
            case "date" -> CrmFieldType.DATE;
            case "datetime" -> CrmFieldType.DATETIME;
            case "address", "location", "complexvalue" -> null;
            default -> CrmFieldType.STRING;
        };
    }

    /** The fields a query returns; unknown names are a configuration error naming them. */
    static List<CrmField> selectedFields(CrmObjectSchema schema, CrmQuery query) {
        try {
            return schema.resolveFields(query.fields());
        } catch (IllegalArgumentException e) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, e.getMessage());
        }
    }

    /**
     * The SOQL of a query, ordered so that paging can continue from the last key seen: by (modified, Id) in a change
     * window, else by Id. {@code after} is the cursor of the page already read (or null); {@code limited} adds a LIMIT
     * for page sizes below Salesforce's minimum batch of 200.
     */
    static String soql(CrmObjectSchema schema, List<CrmField> fields, CrmQuery query, ObjectNode after, boolean limited) {
        StringJoiner select = new StringJoiner(", ");
        fields.forEach(f -> select.add(f.name()));
        if (query.includeDeleted() && fields.stream().noneMatch(f -> f.name().equals("IsDeleted"))) {
            select.add("IsDeleted");
        }
        List<String> where = new ArrayList<>();
        String modified = schema.modifiedField();
        boolean windowed = query.window() != null;
        if (windowed) {
            if (modified == null) {
                throw new CrmException(CrmException.Reason.CONFIGURATION, "Object " + schema.name()
                        + " has no SystemModstamp or LastModifiedDate, so it cannot be read incrementally");
            }
            if (query.window().from() != null) {
                where.add(modified + " >= " + Soql.dateTime(query.window().from()));
            }
            if (query.window().until() != null) {
                where.add(modified + " < " + Soql.dateTime(query.window().until()));
            }
        }
        if (query.partition() != null) {
            where.addAll(partitionBounds(schema, query.partition()));
        }
        if (after != null && after.hasNonNull("id")) {
            String lastId = Soql.quote(after.get("id").asText());
            if (windowed && after.hasNonNull("modified")) {
                String lastModified = Soql.dateTime(WireValues.parseInstant(after.get("modified").asText()));
                where.add("(" + modified + " > " + lastModified + " OR (" + modified + " = " + lastModified + " AND Id > " + lastId + "))");
            } else {
                where.add("Id > " + lastId);
            }
        }
        StringBuilder soql = new StringBuilder("SELECT ").append(select).append(" FROM ").append(schema.name());
        if (!where.isEmpty()) {
            soql.append(" WHERE ").append(String.join(" AND ", where));
        }
        soql.append(windowed ? " ORDER BY " + modified + " ASC, Id ASC" : " ORDER BY Id ASC");
        if (limited) {
            soql.append(" LIMIT ").append(query.pageSize());
        }
        return soql.toString();
    }

    private static List<String> partitionBounds(CrmObjectSchema schema, CrmPartition partition) {
        CrmField field = schema.field(partition.field()).orElseThrow(() -> new CrmException(CrmException.Reason.CONFIGURATION,
                "Object " + schema.name() + " has no partition field " + partition.field()));
        List<String> bounds = new ArrayList<>();
        if (partition.lower() != null) {
            bounds.add(field.name() + " >= " + literal(field, partition.lower()));
        }
        if (partition.upper() != null) {
            bounds.add(field.name() + " < " + literal(field, partition.upper()));
        }
        return bounds;
    }

    private static String literal(CrmField field, String value) {
        if (field.type() == CrmFieldType.DATETIME) {
            Instant instant;
            try {
                instant = WireValues.parseInstant(value);
            } catch (RuntimeException e) {
                throw new CrmException(CrmException.Reason.CONFIGURATION, "Partition bound of " + field.name() + " is not a date-time: " + value);
            }
            return Soql.dateTime(instant);
        }
        return Soql.quote(value);
    }
}
