package io.nificrm.services.hubspot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.api.CrmException;
import io.nificrm.api.CrmField;
import io.nificrm.api.CrmObjectSchema;
import io.nificrm.api.CrmPage;
import io.nificrm.api.CrmQuery;
import io.nificrm.services.http.CrmHttpClient;
import io.nificrm.services.records.Cursors;
import io.nificrm.services.records.RecordFactory;
import io.nificrm.services.records.WireValues;
import org.apache.nifi.serialization.record.Record;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Change windows and partitions through the search API, paged by key instead of offset. Offsets are what the
 * 10,000-result cap counts, and they shift when records change mid-read (skipping unchanged records); starting
 * every page from the last key read avoids both.
 * <ul>
 *   <li><b>time</b> mode (change windows): each page searches {@code modified >= lower}, sorted by modified time,
 *       and skips the ids already delivered at exactly {@code lower}. When a whole page is such repeats (more records
 *       share one timestamp than fit in a page), it switches to <b>ids</b> mode for that timestamp.</li>
 *   <li><b>ids</b> mode: {@code modified = at AND hs_object_id > lastId}, sorted by id; when exhausted, time mode
 *       resumes after {@code at}.</li>
 *   <li>Partitions without a window page by id within the id bounds.</li>
 * </ul>
 * With deleted records included, an archived phase lists archived records whose archive time falls in the window.
 */
final class HubSpotSearchReader {
    private final HubSpotConnectionService service;
    private final CrmObjectSchema schema;
    private final RecordFactory factory;
    private final String modified;

    HubSpotSearchReader(HubSpotConnectionService service, CrmObjectSchema schema, RecordFactory factory) {
        this.service = service;
        this.schema = schema;
        this.factory = factory;
        this.modified = schema.modifiedField();
    }

    CrmPage read(CrmQuery query, List<CrmField> fields, ObjectNode cursor) {
        if (cursor != null && cursor.path("mode").asText().equals("archived")) {
            return archived(query, cursor);
        }
        int limit = Math.min(HubSpotConnectionService.MAX_PAGE, query.pageSize());
        String mode = cursor == null ? (query.window() == null ? "ids" : "time") : cursor.path("mode").asText("time");
        Set<String> seen = new HashSet<>();
        if (cursor != null) {
            cursor.path("seen").forEach(id -> seen.add(id.asText()));
        }
        ObjectNode body = CrmHttpClient.JSON.createObjectNode();
        ArrayNode filters = body.putArray("filterGroups").addObject().putArray("filters");
        windowFilters(query, filters);
        partitionFilters(query, filters);
        long lower = cursor != null && cursor.has("lower") ? cursor.get("lower").asLong() : Long.MIN_VALUE;
        if (mode.equals("time")) {
            if (lower != Long.MIN_VALUE) {
                filter(filters, modified, "GTE", Long.toString(lower));
            }
            body.putArray("sorts").addObject().put("propertyName", modified).put("direction", "ASCENDING");
        } else {
            if (cursor != null && cursor.has("at")) {
                filter(filters, modified, "EQ", cursor.get("at").asText());
            }
            if (cursor != null && cursor.hasNonNull("lastId")) {
                filter(filters, HubSpotSchemas.ID, "GT", cursor.get("lastId").asText());
            }
            body.putArray("sorts").addObject().put("propertyName", HubSpotSchemas.ID).put("direction", "ASCENDING");
        }
        body.set("properties", HubSpotConnectionService.propertyArray(fields));
        body.put("limit", limit);
        JsonNode page = service.client().sendJson(t -> service.post("/crm/v3/objects/" + schema.name() + "/search", body),
                "search " + schema.name(), true);
        JsonNode results = page.path("results");
        List<JsonNode> fresh = new ArrayList<>();
        for (JsonNode result : results) {
            if (!seen.contains(result.path("id").asText())) {
                fresh.add(result);
            }
        }
        Boolean deleted = query.includeDeleted() ? Boolean.FALSE : null;
        List<Record> records = new ArrayList<>();
        fresh.forEach(r -> records.add(factory.create(field -> HubSpotConnectionService.valueOf(r, field), deleted)));
        boolean full = results.size() >= limit;
        ObjectNode next = mode.equals("time") ? nextInTime(fresh, seen, lower, limit, full) : nextInIds(cursor, resultList(results), full);
        if (next == null && query.includeDeleted() && query.window() != null) {
            next = Cursors.newCursor().put("mode", "archived");
        }
        return new CrmPage(factory.schema(), records, next == null ? null : Cursors.encode(next));
    }

    private ObjectNode nextInTime(List<JsonNode> fresh, Set<String> seen, long lower, int limit, boolean full) {
        if (!full) {
            return null;
        }
        long newLower = lower;
        for (JsonNode r : fresh) {
            newLower = Math.max(newLower, modifiedMillis(r));
        }
        Set<String> seenAtNewLower = new HashSet<>();
        if (newLower == lower) {
            seenAtNewLower.addAll(seen);
        }
        for (JsonNode r : fresh) {
            if (modifiedMillis(r) == newLower) {
                seenAtNewLower.add(r.path("id").asText());
            }
        }
        ObjectNode next;
        if (fresh.isEmpty() || seenAtNewLower.size() > 2 * limit) {
            // More records share this timestamp than a page holds: walk them by id, skipping those already out.
            next = Cursors.newCursor().put("mode", "ids").put("at", newLower).put("lower", newLower);
        } else {
            next = Cursors.newCursor().put("mode", "time").put("lower", newLower);
        }
        ArrayNode nextSeen = next.putArray("seen");
        seenAtNewLower.forEach(nextSeen::add);
        return next;
    }

    private ObjectNode nextInIds(ObjectNode cursor, List<JsonNode> results, boolean full) {
        boolean tieWalk = cursor != null && cursor.has("at");
        if (full) {
            ObjectNode next = Cursors.newCursor().put("mode", "ids").put("lastId", results.get(results.size() - 1).path("id").asText());
            if (tieWalk) {
                next.put("at", cursor.get("at").asLong()).put("lower", cursor.get("lower").asLong());
                next.set("seen", cursor.path("seen"));
            }
            return next;
        }
        if (tieWalk) {
            // Every record at this timestamp is delivered: continue strictly after it.
            return Cursors.newCursor().put("mode", "time").put("lower", cursor.get("at").asLong() + 1);
        }
        return null;
    }

    private static List<JsonNode> resultList(JsonNode results) {
        List<JsonNode> list = new ArrayList<>();
        results.forEach(list::add);
        return list;
    }

    private long modifiedMillis(JsonNode result) {
        String value = HubSpotConnectionService.valueOf(result, modified).asText(null);
        if (value == null) {
            throw new CrmException(CrmException.Reason.MALFORMED_RESPONSE, "HubSpot search result " + result.path("id").asText()
                    + " has no " + modified);
        }
        return WireValues.parseInstant(value).toEpochMilli();
    }

    private void windowFilters(CrmQuery query, ArrayNode filters) {
        if (query.window() == null) {
            return;
        }
        if (query.window().from() != null) {
            filter(filters, modified, "GTE", Long.toString(query.window().from().toEpochMilli()));
        }
        if (query.window().until() != null) {
            filter(filters, modified, "LT", Long.toString(query.window().until().toEpochMilli()));
        }
    }

    private void partitionFilters(CrmQuery query, ArrayNode filters) {
        if (query.partition() == null) {
            return;
        }
        String field = query.partition().field();
        CrmField partitionField = schema.field(field).orElseThrow(() -> new CrmException(CrmException.Reason.CONFIGURATION,
                "Object " + schema.name() + " has no partition field " + field));
        if (query.partition().lower() != null) {
            filter(filters, partitionField.name(), "GTE", searchValue(partitionField, query.partition().lower()));
        }
        if (query.partition().upper() != null) {
            filter(filters, partitionField.name(), "LT", searchValue(partitionField, query.partition().upper()));
        }
    }

    private static String searchValue(CrmField field, String bound) {
        return switch (field.type()) {
            case DATE, DATETIME -> Long.toString(WireValues.parseInstant(bound).toEpochMilli());
            default -> bound;
        };
    }

    /** Search filters are JSON values, never query text: hostile input cannot change the query's shape. */
    private static void filter(ArrayNode filters, String property, String operator, String value) {
        filters.addObject().put("propertyName", property).put("operator", operator).put("value", value);
    }

    private CrmPage archived(CrmQuery query, ObjectNode cursor) {
        StringBuilder path = new StringBuilder("/crm/v3/objects/").append(schema.name())
                .append("?archived=true&limit=").append(HubSpotConnectionService.MAX_PAGE)
                .append("&properties=").append(HubSpotConnectionService.encode(HubSpotConnectionService.propertyList(
                        schema.resolveFields(query.fields()))));
        if (cursor.hasNonNull("after")) {
            path.append("&after=").append(HubSpotConnectionService.encode(cursor.get("after").asText()));
        }
        JsonNode page = service.client().sendJson(t -> service.get(path.toString()), "list archived " + schema.name(), true);
        List<Record> records = new ArrayList<>();
        for (JsonNode result : page.path("results")) {
            String archivedAt = result.path("archivedAt").asText(result.path("updatedAt").asText(null));
            if (archivedAt != null && inWindow(query, WireValues.parseInstant(archivedAt).toEpochMilli())) {
                records.add(factory.create(field -> HubSpotConnectionService.valueOf(result, field), Boolean.TRUE));
            }
        }
        String after = page.path("paging").path("next").path("after").asText(null);
        return new CrmPage(factory.schema(), records,
                after == null ? null : Cursors.encode(Cursors.newCursor().put("mode", "archived").put("after", after)));
    }

    private static boolean inWindow(CrmQuery query, long millis) {
        return (query.window().from() == null || millis >= query.window().from().toEpochMilli())
                && (query.window().until() == null || millis < query.window().until().toEpochMilli());
    }
}
