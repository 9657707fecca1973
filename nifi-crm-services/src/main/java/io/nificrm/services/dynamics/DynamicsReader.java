package io.nificrm.services.dynamics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.api.CrmException;
import io.nificrm.api.CrmField;
import io.nificrm.api.CrmFieldType;
import io.nificrm.api.CrmObjectSchema;
import io.nificrm.api.CrmPage;
import io.nificrm.api.CrmPartition;
import io.nificrm.api.CrmQuery;
import io.nificrm.services.records.Cursors;
import io.nificrm.services.records.RecordFactory;
import io.nificrm.services.records.WireValues;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordSchema;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.StringJoiner;

/**
 * One page of a Dataverse query, in keyset mode or change-tracking mode (see {@link DynamicsConnectionService}).
 * <p>
 * Cursor shapes (JSON inside {@link Cursors}):
 * <ul>
 *   <li>{@code {"m":"q","next":<nextLink>,"id":<last id>,"mod":<last modifiedon>}} — keyset mode;</li>
 *   <li>{@code {"m":"t","phase":"full"|"delta","next":<nextLink>,"base":<delta link the phase started from>,"w":<window>}}
 *       — inside a change-tracking read;</li>
 *   <li>{@code {"m":"d","delta":<deltaLink>,"w":<window>}} — the end of a change-tracking read: "changes since here",
 *       handed over as {@link CrmPage#nextWindowCursor()} of the last page, to start the next window with.</li>
 * </ul>
 */
final class DynamicsReader {
    private static final String SYSTEM = DynamicsResponsePolicy.LABEL;

    private final DynamicsConnectionService service;
    private final DynamicsSchemas.Entity entity;
    private final CrmObjectSchema schema;
    private final String object;

    DynamicsReader(DynamicsConnectionService service, DynamicsSchemas.Entity entity) {
        this.service = service;
        this.entity = entity;
        this.schema = entity.schema();
        this.object = schema.name();
    }

    CrmPage read(CrmQuery query) {
        List<CrmField> fields = selectedFields(schema, query.fields());
        RecordSchema recordSchema = CrmObjectSchema.toRecordSchema(schema.name(), fields, query.includeDeleted());
        RecordFactory factory = new RecordFactory(recordSchema, fields, SYSTEM);
        ObjectNode cursor = Cursors.decode(query.cursor(), SYSTEM);
        boolean tracking = query.includeDeleted() && query.window() != null;
        String mode = cursor == null ? null : cursor.path("m").asText("");
        if (cursor != null && tracking != (mode.equals("t") || mode.equals("d"))) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "The cursor belongs to a query "
                    + (tracking ? "without" : "with") + " deleted records in a change window; pass it to the query that produced it");
        }
        int pageSize = Math.min(DynamicsConnectionService.MAX_PAGE, query.pageSize());
        return tracking ? tracked(query, fields, factory, cursor, pageSize) : keyset(query, fields, factory, cursor, pageSize);
    }

    // ---- keyset mode ----

    private CrmPage keyset(CrmQuery query, List<CrmField> fields, RecordFactory factory, ObjectNode cursor, int pageSize) {
        String prefer = "odata.maxpagesize=" + pageSize;
        JsonNode page = null;
        String next = cursor == null ? null : cursor.path("next").asText(null);
        if (next != null && service.isOwnLink(next)) {
            try {
                page = service.client().sendJson(t -> service.get(next).header("Prefer", prefer),
                        "read the next page of " + object, true);
            } catch (CrmException e) {
                if (e.reason() != CrmException.Reason.INVALID_REQUEST && e.reason() != CrmException.Reason.NOT_FOUND) {
                    throw e;
                }
                // The server no longer accepts the link (expired paging cookie, changed service): continue by key.
            }
        }
        if (page == null) {
            String url = queryUrl(query, fields, cursor);
            page = service.client().sendJson(t -> service.get(url).header("Prefer", prefer), "query " + object, true);
        }
        Boolean deleted = query.includeDeleted() ? Boolean.FALSE : null;
        List<Record> records = new ArrayList<>();
        JsonNode last = null;
        for (JsonNode row : page.path("value")) {
            records.add(factory.create(name -> valueOf(entity, row, name), deleted));
            last = row;
        }
        String nextLink = page.path("@odata.nextLink").asText(null);
        if (nextLink == null) {
            return new CrmPage(factory.schema(), records, null);
        }
        ObjectNode nextCursor = Cursors.newCursor().put("m", "q").put("next", nextLink);
        String modified = schema.modifiedField();
        if (last != null) {
            nextCursor.put("id", last.path(schema.idField()).asText());
            if (query.window() != null && modified != null) {
                nextCursor.put("mod", last.path(modified).asText(null));
            }
        } else if (cursor != null) {
            // An empty page that is not the last: keep the key of the page before.
            nextCursor.set("id", cursor.get("id"));
            nextCursor.set("mod", cursor.get("mod"));
        }
        return new CrmPage(factory.schema(), records, Cursors.encode(nextCursor));
    }

    /**
     * The query URL for a first page, or for the page after the key stored in {@code after} when its link was
     * refused. Every literal is formatted by {@link ODataLiteral}.
     */
    private String queryUrl(CrmQuery query, List<CrmField> fields, ObjectNode after) {
        String id = schema.idField();
        String modified = schema.modifiedField();
        List<String> where = new ArrayList<>();
        boolean windowed = query.window() != null;
        if (windowed) {
            if (modified == null) {
                throw new CrmException(CrmException.Reason.CONFIGURATION, "Table " + object
                        + " has no modifiedon column, so it cannot be read incrementally");
            }
            if (query.window().from() != null) {
                where.add(modified + " ge " + ODataLiteral.dateTime(query.window().from()));
            }
            if (query.window().until() != null) {
                where.add(modified + " lt " + ODataLiteral.dateTime(query.window().until()));
            }
        }
        if (query.partition() != null) {
            where.addAll(partitionBounds(query.partition()));
        }
        if (after != null && after.hasNonNull("id")) {
            String lastId = literal(CrmFieldType.ID, after.get("id").asText(), "the cursor's last id");
            if (windowed && after.hasNonNull("mod")) {
                String lastModified = literal(CrmFieldType.DATETIME, after.get("mod").asText(), "the cursor's last modified time");
                where.add("(" + modified + " gt " + lastModified + " or (" + modified + " eq " + lastModified
                        + " and " + id + " gt " + lastId + "))");
            } else {
                where.add(id + " gt " + lastId);
            }
        }
        StringBuilder url = new StringBuilder(service.root()).append(entity.table().setName())
                .append("?$select=").append(ODataLiteral.queryValue(select(entity, fields)));
        if (!where.isEmpty()) {
            url.append("&$filter=").append(ODataLiteral.queryValue(String.join(" and ", where)));
        }
        url.append("&$orderby=").append(ODataLiteral.queryValue(windowed ? modified + " asc," + id + " asc" : id + " asc"));
        return url.toString();
    }

    private List<String> partitionBounds(CrmPartition partition) {
        CrmField field = schema.field(partition.field()).orElseThrow(() -> new CrmException(CrmException.Reason.CONFIGURATION,
                "Table " + object + " has no partition column " + partition.field()));
        String column = entity.wireName(field);
        List<String> bounds = new ArrayList<>();
        if (partition.lower() != null) {
            bounds.add(column + " ge " + literal(field.type(), partition.lower(), "the lower partition bound of " + field.name()));
        }
        if (partition.upper() != null) {
            bounds.add(column + " lt " + literal(field.type(), partition.upper(), "the upper partition bound of " + field.name()));
        }
        return bounds;
    }

    private static String literal(CrmFieldType type, String value, String what) {
        try {
            return ODataLiteral.of(type, value);
        } catch (IllegalArgumentException e) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "The value of " + what + " is " + e.getMessage());
        }
    }

    // ---- change-tracking mode ----

    private CrmPage tracked(CrmQuery query, List<CrmField> fields, RecordFactory factory, ObjectNode cursor, int pageSize) {
        if (query.partition() != null) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "Dataverse change tracking (used to read deleted rows) "
                    + "accepts no filter, so it cannot be combined with a partition");
        }
        if (!entity.table().changeTracking()) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "Table " + object + " does not have Track changes "
                    + "turned on, so deleted rows cannot be read; turn it on in the table's settings or read without deleted rows");
        }
        String window = windowKey(query.window());
        String initial = service.root() + entity.table().setName() + "?$select=" + ODataLiteral.queryValue(select(entity, fields));
        String phase;
        String url;
        String base;
        if (cursor == null) {
            phase = "full";
            url = initial;
            base = null;
        } else if (cursor.path("m").asText().equals("d")) {
            if (window.equals(cursor.path("w").asText())) {
                // The same query again after its last page: the read is complete. A new window reads the changes.
                return new CrmPage(factory.schema(), List.of(), null);
            }
            phase = "delta";
            url = cursor.path("delta").asText(null);
            base = url;
        } else {
            phase = cursor.path("phase").asText("full");
            base = cursor.path("base").asText(null);
            url = cursor.path("next").asText(null);
            if (url == null || !service.isOwnLink(url)) {
                url = base == null ? initial : base;
            }
        }
        if (url == null || !service.isOwnLink(url)) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "The change-tracking cursor does not point at this "
                    + "environment; start again without a cursor");
        }
        String prefer = "odata.track-changes,odata.maxpagesize=" + pageSize;
        JsonNode page;
        String target = url;
        try {
            page = service.client().sendJson(t -> service.get(target).header("Prefer", prefer),
                    (phase.equals("full") ? "read changes of " : "read the changes of ") + object, true);
        } catch (CrmException e) {
            boolean refused = e.reason() == CrmException.Reason.INVALID_REQUEST || e.reason() == CrmException.Reason.NOT_FOUND;
            if (!refused) {
                throw e;
            }
            String restart = base == null ? initial : base;
            if (target.equals(restart)) {
                if (phase.equals("delta")) {
                    throw new CrmException(CrmException.Reason.INVALID_REQUEST, e.code(), e.httpStatus(), SYSTEM
                            + " refused the change-tracking position of " + object + " (delta tokens expire after 7 days by "
                            + "default): start again without the cursor to resynchronise. " + e.getMessage(), e);
                }
                throw e;
            }
            // A page link of this read was refused: run the phase again from its start (records may repeat, none is lost).
            page = service.client().sendJson(t -> service.get(restart).header("Prefer", prefer), "read changes of " + object, true);
        }
        Instant from = phase.equals("full") && query.window().from() != null ? query.window().from() : null;
        List<Record> records = new ArrayList<>();
        for (JsonNode row : page.path("value")) {
            if (isDeletedEntity(row)) {
                String id = row.path("id").asText(null);
                if (id != null) {
                    records.add(factory.create(name -> name.equals(schema.idField()) ? row.path("id") : null, Boolean.TRUE));
                }
                continue;
            }
            if (from != null && modifiedBefore(row, from)) {
                continue;
            }
            records.add(factory.create(name -> valueOf(entity, row, name), Boolean.FALSE));
        }
        String nextLink = page.path("@odata.nextLink").asText(null);
        String deltaLink = page.path("@odata.deltaLink").asText(null);
        if (nextLink != null) {
            ObjectNode next = Cursors.newCursor().put("m", "t").put("phase", phase).put("next", nextLink).put("w", window);
            if (base != null) {
                next.put("base", base);
            }
            return new CrmPage(factory.schema(), records, Cursors.encode(next));
        }
        String handOver = deltaLink == null ? null
                : Cursors.encode(Cursors.newCursor().put("m", "d").put("delta", deltaLink).put("w", window));
        return new CrmPage(factory.schema(), records, null, handOver);
    }

    /** Whether a row's modifiedon lies before {@code from}; rows without a readable one are kept. */
    private boolean modifiedBefore(JsonNode row, Instant from) {
        String modified = schema.modifiedField();
        if (modified == null || !row.hasNonNull(modified)) {
            return false;
        }
        try {
            return WireValues.parseInstant(row.get(modified).asText()).isBefore(from);
        } catch (RuntimeException e) {
            return false;
        }
    }

    private static boolean isDeletedEntity(JsonNode row) {
        return row.path("@odata.context").asText("").endsWith("$deletedEntity")
                || ("deleted".equals(row.path("reason").asText(null)) && row.has("id") && !row.has("@odata.etag"));
    }

    private static String windowKey(CrmQuery.ChangeWindow window) {
        return (window.from() == null ? "-" : window.from().toString()) + "/" + (window.until() == null ? "-" : window.until().toString());
    }

    // ---- shared with lookup ----

    /** The fields a query returns; unknown names are a configuration error naming them. */
    static List<CrmField> selectedFields(CrmObjectSchema schema, Collection<String> requested) {
        try {
            return schema.resolveFields(requested);
        } catch (IllegalArgumentException e) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, e.getMessage());
        }
    }

    /** The {@code $select} list: wire names ({@code _x_value} for lookups). */
    static String select(DynamicsSchemas.Entity entity, List<CrmField> fields) {
        StringJoiner select = new StringJoiner(",");
        fields.forEach(f -> select.add(entity.wireName(f)));
        return select.toString();
    }

    /** A row's value of a field, by the field's record name (lookups are read from {@code _x_value}). */
    static JsonNode valueOf(DynamicsSchemas.Entity entity, JsonNode row, String fieldName) {
        return row.get(entity.wireName(fieldName));
    }
}
