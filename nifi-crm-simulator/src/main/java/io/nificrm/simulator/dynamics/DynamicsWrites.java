package io.nificrm.simulator.dynamics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.simulator.http.Json;
import io.nificrm.simulator.http.SimRequest;
import io.nificrm.simulator.http.SimResponse;
import io.nificrm.simulator.store.FieldRole;
import io.nificrm.simulator.store.ObjectStore;
import io.nificrm.simulator.store.RecordValidator;
import io.nificrm.simulator.store.SimField;
import io.nificrm.simulator.store.SimRecord;
import io.nificrm.simulator.store.UniqueViolation;
import io.nificrm.simulator.store.Violation;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Create ({@code POST /contacts}), update ({@code PATCH /contacts(<guid>)}), upsert by alternate key
 * ({@code PATCH /contacts(nificrm_sourceid='A1')} with {@code If-Match: *} / {@code If-None-Match: *}) and delete,
 * with {@code <navigation>@odata.bind} lookups by GUID, alternate key or batch {@code $n} reference.
 * <p>
 * Validation follows the store's {@link RecordValidator} (required columns, lengths, types) plus choice ranges; the
 * read-only system columns ({@code createdon}, {@code modifiedon}, {@code versionnumber}, {@code fullname}) are
 * ignored when sent; e-mail format is not checked (Dataverse stores what it is given). Deletes are soft, so change
 * tracking can report them.
 */
final class DynamicsWrites {
    private static final Pattern COLLECTION = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern SINGLE = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)\\((.*)\\)");

    private final DynamicsPersona persona;

    DynamicsWrites(DynamicsPersona persona) {
        this.persona = persona;
    }

    private static String rest(SimRequest request) {
        return request.path().substring(DynamicsPersona.API_PATH.length());
    }

    // ---- create ----

    SimResponse create(SimRequest request, WriteContext context) {
        String rest = rest(request);
        if (!COLLECTION.matcher(rest).matches()) {
            throw DataverseException.segmentNotFound(rest);
        }
        DynamicsEntities.Entity entity = DynamicsPersona.entityForSet(rest);
        DynamicsPersona.Prefer prefer = DynamicsPersona.Prefer.of(request);
        JsonNode body = request.json();
        persona.writeLock.lock();
        try {
            Parsed parsed = parse(entity, body, context);
            SimRecord record = insert(entity, parsed, context);
            return answer(request, entity, record, 201, prefer, persona.entityUrl(entity, record.id()));
        } finally {
            persona.writeLock.unlock();
        }
    }

    private SimRecord insert(DynamicsEntities.Entity entity, Parsed parsed, WriteContext context) {
        ObjectStore store = persona.storeOf(entity);
        if (parsed.explicitId() != null && store.get(parsed.explicitId()).isPresent()) {
            throw new DataverseException(412, "0x80040237", "Cannot insert duplicate key: a " + entity.logicalName()
                    + " with " + entity.primaryId() + " = " + parsed.explicitId() + " already exists.");
        }
        Map<String, Object> values = validate(entity, parsed.plain(), true);
        values.values().removeIf(Objects::isNull);
        if (entity == DynamicsEntities.CONTACT) {
            String fullName = DynamicsPersona.fullName(values.get("firstname"), values.get("lastname"));
            if (fullName != null) {
                values.put("fullname", fullName);
            }
        }
        SimRecord record;
        try {
            if (parsed.explicitId() != null) {
                Instant now = persona.simClock().now();
                record = store.put(new SimRecord(parsed.explicitId(), values, now, now, false, null));
            } else {
                record = store.create(values);
            }
        } catch (UniqueViolation e) {
            throw duplicateKey(e);
        }
        String id = record.id();
        context.onRollback(() -> {
            store.remove(id);
            persona.tracker.forget(entity.logicalName(), id);
        });
        context.wrote(entity, id);
        return record;
    }

    // ---- update and upsert ----

    SimResponse patch(SimRequest request, WriteContext context) {
        String rest = rest(request);
        Matcher m = SINGLE.matcher(rest);
        if (!m.matches()) {
            if (COLLECTION.matcher(rest).matches()) {
                DynamicsPersona.entityForSet(rest);
                throw new DataverseException(405, "0x0", "PATCH needs a record: /" + rest + "(<guid>) or /" + rest
                        + "(" + DynamicsEntities.SOURCE_ID + "='...').");
            }
            throw DataverseException.segmentNotFound(rest);
        }
        DynamicsEntities.Entity entity = DynamicsPersona.entityForSet(m.group(1));
        DynamicsPersona.KeySpec key = DynamicsPersona.parseKey(entity, m.group(2));
        DynamicsPersona.Prefer prefer = DynamicsPersona.Prefer.of(request);
        JsonNode body = request.json();
        String ifMatch = request.header("If-Match");
        String ifNoneMatch = request.header("If-None-Match");
        persona.writeLock.lock();
        try {
            Optional<SimRecord> existing = persona.find(entity, key);
            if (existing.isEmpty()) {
                if (key.byId()) {
                    throw DataverseException.recordNotFound(entity.logicalName(), key.id());
                }
                if ("*".equals(trim(ifMatch))) {
                    throw DataverseException.keyNotFound(entity.logicalName());
                }
                Parsed parsed = parse(entity, body, context);
                key.alternate().forEach(parsed.plain()::putIfAbsent);
                SimRecord created = insert(entity, parsed, context);
                return answer(request, entity, created, 201, prefer, persona.keyUrl(entity, key.alternate()));
            }
            SimRecord old = existing.get();
            if ("*".equals(trim(ifNoneMatch))) {
                throw DataverseException.alreadyExists();
            }
            if (ifMatch != null && !"*".equals(trim(ifMatch))) {
                String expected = DynamicsPersona.etag(persona.version(entity, old));
                if (!ifMatch.trim().equals(expected) && !ifMatch.trim().equals(expected.substring(2))) {
                    throw new DataverseException(412, "0x80060882",
                            "The version of the existing record doesn't match the RowVersion property provided.");
                }
            }
            Parsed parsed = parse(entity, body, context);
            if (!key.byId()) {
                key.alternate().keySet().forEach(parsed.plain()::remove);
            }
            SimRecord updated = update(entity, old, parsed, context);
            return answer(request, entity, updated, 200, prefer,
                    key.byId() ? persona.entityUrl(entity, old.id()) : persona.keyUrl(entity, key.alternate()));
        } finally {
            persona.writeLock.unlock();
        }
    }

    private SimRecord update(DynamicsEntities.Entity entity, SimRecord old, Parsed parsed, WriteContext context) {
        ObjectStore store = persona.storeOf(entity);
        Map<String, Object> values = validate(entity, parsed.plain(), false);
        if (entity == DynamicsEntities.CONTACT && (values.containsKey("firstname") || values.containsKey("lastname"))) {
            values.put("fullname", DynamicsPersona.fullName(
                    values.containsKey("firstname") ? values.get("firstname") : old.fields().get("firstname"),
                    values.containsKey("lastname") ? values.get("lastname") : old.fields().get("lastname")));
        }
        SimRecord updated;
        try {
            updated = store.update(old.id(), values);
        } catch (UniqueViolation e) {
            throw duplicateKey(e);
        }
        context.onRollback(() -> store.put(old));
        context.wrote(entity, old.id());
        return updated;
    }

    // ---- delete ----

    SimResponse delete(SimRequest request, WriteContext context) {
        String rest = rest(request);
        Matcher m = SINGLE.matcher(rest);
        if (!m.matches()) {
            throw DataverseException.segmentNotFound(rest);
        }
        DynamicsEntities.Entity entity = DynamicsPersona.entityForSet(m.group(1));
        DynamicsPersona.KeySpec key = DynamicsPersona.parseKey(entity, m.group(2));
        persona.writeLock.lock();
        try {
            SimRecord old = persona.find(entity, key).orElseThrow(() -> key.byId()
                    ? DataverseException.recordNotFound(entity.logicalName(), key.id())
                    : DataverseException.keyNotFound(entity.logicalName()));
            ObjectStore store = persona.storeOf(entity);
            store.delete(old.id());
            context.onRollback(() -> store.put(old));
            context.wrote(entity, old.id());
            return SimResponse.empty(204).header("OData-Version", "4.0");
        } finally {
            persona.writeLock.unlock();
        }
    }

    // ---- answers ----

    /** 204 with {@code OData-EntityId}, or with {@code Prefer: return=representation} the row, an ETag and 201/200. */
    private SimResponse answer(SimRequest request, DynamicsEntities.Entity entity, SimRecord record, int status,
                               DynamicsPersona.Prefer prefer, String entityId) {
        if (!prefer.returnRepresentation()) {
            return SimResponse.empty(204).header("OData-Version", "4.0").header("OData-EntityId", entityId);
        }
        List<String> columns = DynamicsPersona.select(entity, request.param("$select"));
        ObjectNode body = Json.object();
        body.put("@odata.context", persona.context(entity, columns, "/$entity"));
        body.setAll(persona.render(entity, record, columns, prefer));
        return SimResponse.json(status, body)
                .header("OData-Version", "4.0")
                .header("ETag", body.get("@odata.etag").asText())
                .header("Preference-Applied", "return=representation")
                .header("OData-EntityId", entityId);
    }

    // ---- body ----

    /** Body columns by schema field name (lookups already resolved to GUIDs), and a GUID the client chose. */
    private record Parsed(Map<String, Object> plain, String explicitId) {
    }

    private Parsed parse(DynamicsEntities.Entity entity, JsonNode body, WriteContext context) {
        if (body == null || !body.isObject()) {
            throw DataverseException.badRequest("The request body must be a JSON object with the columns to write.");
        }
        Map<String, Object> plain = new LinkedHashMap<>();
        String explicitId = null;
        for (var it = body.fields(); it.hasNext(); ) {
            var entry = it.next();
            String name = entry.getKey();
            JsonNode value = entry.getValue();
            int at = name.indexOf('@');
            if (at >= 0) {
                String property = name.substring(0, at);
                if (name.substring(at + 1).equals("odata.bind")) {
                    DynamicsEntities.Lookup lookup = entity.lookupByNavigation(property).orElseThrow(() -> DataverseException.badRequest(
                            "An undeclared property '" + property + "' which only has property annotations in the payload but no "
                                    + "property value was found in the payload. In OData, only declared navigation properties and "
                                    + "declared named streams can be represented as properties without values."));
                    plain.put(lookup.field(), resolveBind(lookup, value, context));
                }
                continue;
            }
            if (name.equals(entity.primaryId())) {
                String id = value.asText("");
                if (!DynamicsPersona.GUID.matcher(id).matches()) {
                    throw DataverseException.badRequest("Cannot convert the literal '" + id + "' to the expected type 'Edm.Guid'.");
                }
                explicitId = id.toLowerCase(java.util.Locale.ROOT);
                continue;
            }
            Optional<SimField> field = entity.schema().field(name);
            if (name.equals(DynamicsEntities.VERSION)
                    || field.map(f -> f.role() != FieldRole.DATA || (f.readOnly() && entity.lookup(name).isEmpty())).orElse(false)) {
                continue;
            }
            if (field.isEmpty() || entity.lookup(name).isPresent()) {
                throw DataverseException.badRequest("Invalid property '" + name + "' was found in entity '" + entity.typeName() + "'.");
            }
            if (value.isContainerNode()) {
                throw DataverseException.badRequest("Cannot convert the literal '" + value + "' to the expected type '"
                        + edmType(field.get()) + "' (property '" + name + "').");
            }
            plain.put(name, Json.scalar(value));
        }
        return new Parsed(plain, explicitId);
    }

    /** The GUID an {@code @odata.bind} value refers to: {@code /accounts(<guid>)}, {@code /accounts(key='v')} or {@code $n}. */
    private String resolveBind(DynamicsEntities.Lookup lookup, JsonNode value, WriteContext context) {
        if (value == null || value.isNull()) {
            return null;
        }
        String bindName = lookup.navigation() + "@odata.bind";
        if (!value.isTextual()) {
            throw DataverseException.badRequest("The value of '" + bindName + "' must be a URL such as '/accounts(<guid>)'.");
        }
        String raw = value.asText().trim();
        String ref = raw;
        if (ref.startsWith("$")) {
            int slash = ref.indexOf('/');
            String contentId = ref.substring(1, slash < 0 ? ref.length() : slash);
            String path = context.reference(contentId);
            if (path == null) {
                throw DataverseException.badRequest("Content-ID Reference: '$" + contentId + "' does not exist in the batch context.");
            }
            ref = path + (slash < 0 ? "" : ref.substring(slash));
        }
        int api = ref.indexOf(DynamicsPersona.API_PATH);
        if (api >= 0) {
            ref = ref.substring(api + DynamicsPersona.API_PATH.length());
        } else if (ref.startsWith("/")) {
            ref = ref.substring(1);
        }
        Matcher m = SINGLE.matcher(percentDecode(ref));
        if (!m.matches()) {
            throw DataverseException.badRequest("The value '" + raw + "' of '" + bindName
                    + "' is not a valid entity reference: expected '/<entity set>(<guid>)' or '/<entity set>(<key>='<value>')'.");
        }
        DynamicsEntities.Entity target = DynamicsEntities.bySet(m.group(1)).orElseThrow(() -> DataverseException.badRequest(
                "The value '" + raw + "' of '" + bindName + "' refers to an unknown entity set '" + m.group(1) + "'."));
        if (!target.logicalName().equals(lookup.target())) {
            throw DataverseException.badRequest("The navigation property '" + lookup.navigation() + "' refers to a "
                    + lookup.target() + ", but '" + raw + "' is a " + target.logicalName() + ".");
        }
        DynamicsPersona.KeySpec key = DynamicsPersona.parseKey(target, m.group(2));
        return persona.find(target, key).map(SimRecord::id).orElseThrow(() -> key.byId()
                ? DataverseException.recordNotFound(target.logicalName(), key.id())
                : DataverseException.keyNotFound(target.logicalName()));
    }

    /** Validates typed values; the first problem becomes the error, as Dataverse reports one. */
    private static Map<String, Object> validate(DynamicsEntities.Entity entity, Map<String, Object> plain, boolean creating) {
        RecordValidator.Result result = RecordValidator.validate(entity.schema(), plain, creating, List.of());
        for (Violation v : result.violations()) {
            if (v.kind() == Violation.Kind.INVALID_EMAIL) {
                continue;
            }
            SimField field = entity.schema().field(v.field()).orElse(null);
            throw switch (v.kind()) {
                case REQUIRED -> new DataverseException(400, "0x80040203", "Attribute '" + v.field() + "' of entity '"
                        + entity.logicalName() + "' cannot be null or empty: it is required (ApplicationRequired).");
                case TOO_LONG -> new DataverseException(400, "0x80044331", "A validation error occurred. The length of the '"
                        + v.field() + "' attribute of the '" + entity.logicalName() + "' entity exceeded the maximum allowed length of '"
                        + (field == null ? 0 : field.length()) + "'.");
                case INVALID_VALUE -> DataverseException.badRequest("Cannot convert the literal '" + plain.get(v.field())
                        + "' to the expected type '" + (field == null ? "Edm.String" : edmType(field)) + "' (property '" + v.field() + "').");
                default -> new DataverseException(400, "0x80040203", v.message());
            };
        }
        Map<String, Object> values = new LinkedHashMap<>(result.values());
        for (var entry : values.entrySet()) {
            SimField field = entity.schema().field(entry.getKey()).orElseThrow();
            if (entity.isChoice(field.name()) && entry.getValue() != null && !field.picklist().contains(entry.getValue().toString())) {
                throw new DataverseException(400, "0x8004431a", "A validation error occurred. The value " + entry.getValue() + " of '"
                        + field.name() + "' on record of type '" + entity.logicalName() + "' is outside the valid range. Accepted Values: "
                        + String.join(",", field.picklist()));
            }
        }
        return values;
    }

    private static DataverseException duplicateKey(UniqueViolation e) {
        return new DataverseException(412, "0x80060892", "A record that has the attribute values " + e.field()
                + " already exists. The entity key " + DynamicsEntities.SOURCE_ID_KEY
                + " requires that this set of attributes contains unique values. Select unique values and try again.");
    }

    static String edmType(SimField field) {
        return switch (field.type()) {
            case INT -> "Edm.Int32";
            case CURRENCY -> "Edm.Decimal";
            case DOUBLE, PERCENT -> "Edm.Double";
            case DATE -> "Edm.Date";
            case DATETIME -> "Edm.DateTimeOffset";
            case BOOLEAN -> "Edm.Boolean";
            case ID, REFERENCE -> "Edm.Guid";
            default -> "Edm.String";
        };
    }

    private static String trim(String header) {
        return header == null ? null : header.trim();
    }

    /** Decodes {@code %XX} escapes (UTF-8) and leaves {@code +} alone, as in a URL path. */
    static String percentDecode(String text) {
        if (text.indexOf('%') < 0) {
            return text;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int i = 0;
        while (i < text.length()) {
            char c = text.charAt(i);
            if (c == '%' && i + 2 < text.length()) {
                try {
                    out.write(Integer.parseInt(text.substring(i + 1, i + 3), 16));
                    i += 3;
                    continue;
                } catch (NumberFormatException ignored) {
                    // not an escape: keep the '%'
                }
            }
            int cp = text.codePointAt(i);
            byte[] bytes = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
            out.write(bytes, 0, bytes.length);
            i += Character.charCount(cp);
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
