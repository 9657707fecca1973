package io.nificrm.simulator.dynamics;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.simulator.http.Json;
import io.nificrm.simulator.http.SimRequest;
import io.nificrm.simulator.http.SimResponse;
import io.nificrm.simulator.query.Expr;
import io.nificrm.simulator.query.ODataFilterParser;
import io.nificrm.simulator.query.OrderBy;
import io.nificrm.simulator.query.Values;
import io.nificrm.simulator.store.ObjectStore;
import io.nificrm.simulator.store.SimField;
import io.nificrm.simulator.store.SimRecord;
import io.nificrm.simulator.store.ValueCoercion;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * GET on entity sets: queries with {@code $select $filter $orderby $top $count}, retrieval of one row by GUID or
 * alternate key, and change tracking.
 * <p>
 * Paging is stateless: {@code $skiptoken} carries a paging cookie shaped like Dataverse's
 * ({@code <cookie pagenumber="2" pagingcookie="..." istracking="False" />}) whose {@code pagingcookie} encodes the
 * last row's sort keys and GUID (a keyset), so a next link stays valid however long the client waits and rows
 * written meanwhile are neither repeated nor skipped. Change-tracking pages carry the change-sequence range
 * instead. A delta token is {@code <sequence>!<MM/dd/yyyy HH:mm:ss>} (UTC), like the real service's.
 */
final class DynamicsQueries {
    private static final Pattern SINGLE = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)\\((.*)\\)");
    private static final Pattern SET = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final Pattern COUNT = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)/\\$count");
    private static final Pattern PAGING_COOKIE = Pattern.compile("pagingcookie=\"([^\"]*)\"");
    private static final DateTimeFormatter TOKEN_TIME = DateTimeFormatter.ofPattern("MM/dd/yyyy HH:mm:ss", Locale.ROOT);
    private static final Set<String> OPTIONS = Set.of("$select", "$filter", "$orderby", "$top", "$skiptoken", "$deltatoken", "$count");
    private static final Set<String> NOT_WITH_TRACKING = Set.of("$filter", "$orderby", "$top", "$expand");

    private final DynamicsPersona persona;

    DynamicsQueries(DynamicsPersona persona) {
        this.persona = persona;
    }

    SimResponse get(SimRequest request) {
        String rest = request.path().substring(DynamicsPersona.API_PATH.length());
        Matcher count = COUNT.matcher(rest);
        if (count.matches()) {
            return count(request, DynamicsPersona.entityForSet(count.group(1)));
        }
        Matcher single = SINGLE.matcher(rest);
        if (single.matches()) {
            return retrieve(request, DynamicsPersona.entityForSet(single.group(1)), single.group(2));
        }
        if (!SET.matcher(rest).matches()) {
            throw DataverseException.segmentNotFound(rest);
        }
        return collection(request, DynamicsPersona.entityForSet(rest));
    }

    // ---- count ----

    /** {@code GET /contacts/$count[?$filter=...]}: a plain number, at most 5,000 as on the real service. */
    private SimResponse count(SimRequest request, DynamicsEntities.Entity entity) {
        String filter = request.param("$filter");
        Expr where = filter == null ? Expr.TRUE : ODataFilterParser.parse(filter, entity::fieldForWire);
        long n = persona.storeOf(entity).stream().filter(r -> !r.deleted()).filter(r -> where.test(r, entity.schema()))
                .limit(DynamicsPersona.MAX_PAGE_SIZE).count();
        return SimResponse.text(200, "text/plain;charset=UTF-8", Long.toString(n));
    }

    // ---- one row ----

    private SimResponse retrieve(SimRequest request, DynamicsEntities.Entity entity, String key) {
        DynamicsPersona.Prefer prefer = DynamicsPersona.Prefer.of(request);
        List<String> columns = DynamicsPersona.select(entity, request.param("$select"));
        DynamicsPersona.KeySpec spec = DynamicsPersona.parseKey(entity, key);
        SimRecord record = persona.find(entity, spec).orElseThrow(() -> spec.byId()
                ? DataverseException.recordNotFound(entity.logicalName(), spec.id())
                : DataverseException.keyNotFound(entity.logicalName()));
        ObjectNode body = Json.object();
        body.put("@odata.context", persona.context(entity, columns, "/$entity"));
        body.setAll(persona.render(entity, record, columns, prefer));
        return SimResponse.json(200, body).header("ETag", body.get("@odata.etag").asText());
    }

    // ---- collections ----

    /** Where the next page starts. {@code mode}: q = query, t = change-tracking initial load, d = delta. */
    record Cookie(String mode, int page, int size, String lastId, List<Object> keys, long from, long to) {

        String encode() {
            ObjectNode node = Json.object();
            node.put("m", mode).put("p", page).put("s", size).put("i", lastId).put("f", from).put("t", to);
            ArrayNode k = node.putArray("k");
            for (Object key : keys) {
                k.add(key instanceof Instant || key instanceof LocalDate ? Json.MAPPER.getNodeFactory().textNode(key.toString())
                        : Json.MAPPER.valueToTree(key));
            }
            String cookie = Base64.getUrlEncoder().withoutPadding().encodeToString(Json.write(node));
            return "<cookie pagenumber=\"" + page + "\" pagingcookie=\"" + cookie + "\" istracking=\""
                    + (mode.equals("q") ? "False" : "True") + "\" />";
        }

        static Cookie decode(String skiptoken) {
            Matcher m = PAGING_COOKIE.matcher(skiptoken);
            try {
                if (!m.find()) {
                    throw new IllegalArgumentException("no paging cookie");
                }
                JsonNode node = Json.MAPPER.readTree(new String(Base64.getUrlDecoder().decode(m.group(1)), StandardCharsets.UTF_8));
                List<Object> keys = new ArrayList<>();
                node.path("k").forEach(k -> keys.add(Json.scalar(k)));
                String mode = node.path("m").asText();
                if (!Set.of("q", "t", "d").contains(mode)) {
                    throw new IllegalArgumentException("bad mode");
                }
                return new Cookie(mode, node.path("p").asInt(2), node.path("s").asInt(DynamicsPersona.MAX_PAGE_SIZE),
                        node.path("i").isNull() ? null : node.path("i").asText(null), keys,
                        node.path("f").asLong(), node.path("t").asLong());
            } catch (Exception e) {
                throw DataverseException.badRequest("The $skiptoken is not valid. Follow @odata.nextLink exactly as returned.");
            }
        }
    }

    private SimResponse collection(SimRequest request, DynamicsEntities.Entity entity) {
        checkOptions(request);
        DynamicsPersona.Prefer prefer = DynamicsPersona.Prefer.of(request);
        List<String> columns = DynamicsPersona.select(entity, request.param("$select"));
        Cookie cookie = request.param("$skiptoken") == null ? null : Cookie.decode(request.param("$skiptoken"));
        String deltaToken = request.param("$deltatoken");
        boolean tracking = cookie != null ? !cookie.mode().equals("q") : prefer.trackChanges() || deltaToken != null;
        int pageSize = prefer.maxPageSize() != null && prefer.maxPageSize() > 0
                ? Math.min(prefer.maxPageSize(), DynamicsPersona.MAX_PAGE_SIZE)
                : cookie != null ? cookie.size() : DynamicsPersona.MAX_PAGE_SIZE;
        List<String> applied = new ArrayList<>();
        if (prefer.maxPageSize() != null) {
            applied.add("odata.maxpagesize=" + pageSize);
        }
        if (tracking) {
            applied.add("odata.track-changes");
        }
        if (prefer.includeAnnotations() != null) {
            applied.add("odata.include-annotations=\"" + prefer.includeAnnotations() + "\"");
        }
        ObjectNode body = Json.object();
        if (tracking) {
            for (String option : NOT_WITH_TRACKING) {
                if (request.param(option) != null) {
                    throw DataverseException.badRequest("The query option " + option + " is not supported with change tracking ("
                            + "Prefer: odata.track-changes or $deltatoken). Only $select may be used.");
                }
            }
            trackedPage(request, entity, columns, prefer, cookie, deltaToken, pageSize, body);
        } else {
            queryPage(request, entity, columns, prefer, cookie, pageSize, body);
        }
        SimResponse response = SimResponse.json(200, body);
        if (!applied.isEmpty()) {
            response.header("Preference-Applied", String.join(",", applied));
        }
        return response;
    }

    private static void checkOptions(SimRequest request) {
        for (String name : request.params().keySet()) {
            if (name.equals("$skip")) {
                throw DataverseException.badRequest("The query parameter $skip is not supported. Use the @odata.nextLink "
                        + "of the previous page (Prefer: odata.maxpagesize) to page through results.");
            }
            if (name.equals("$expand")) {
                throw DataverseException.badRequest("The query parameter $expand is not supported by the simulator.");
            }
            if ((name.startsWith("$") && !OPTIONS.contains(name)) || name.equals("fetchXml") || name.equals("savedQuery")
                    || name.equals("userQuery")) {
                throw DataverseException.badRequest("The query parameter " + name + " is not supported.");
            }
        }
    }

    private void queryPage(SimRequest request, DynamicsEntities.Entity entity, List<String> columns,
                           DynamicsPersona.Prefer prefer, Cookie cookie, int pageSize, ObjectNode body) {
        ObjectStore store = persona.storeOf(entity);
        String filter = request.param("$filter");
        Expr where = filter == null ? Expr.TRUE : ODataFilterParser.parse(filter, entity::fieldForWire);
        List<OrderBy> order = orderBy(entity, request.param("$orderby"));
        Integer top = top(request.param("$top"));
        List<SimField> orderFields = order.stream().map(o -> entity.schema().field(o.field()).orElseThrow()).toList();

        Stream<SimRecord> rows = (order.isEmpty() && cookie != null ? store.streamAfter(cookie.lastId()) : store.stream())
                .filter(r -> !r.deleted()).filter(r -> where.test(r, entity.schema()));
        if (!order.isEmpty()) {
            rows = rows.sorted(OrderBy.comparator(order, entity.schema()));
            if (cookie != null) {
                List<Object> keys = restoreKeys(orderFields, cookie.keys());
                rows = rows.filter(r -> afterCursor(r, order, orderFields, keys, cookie.lastId()));
            }
        }
        int limit = top != null ? Math.min(top, DynamicsPersona.MAX_PAGE_SIZE) : pageSize;
        List<SimRecord> page = rows.limit(top != null ? limit : limit + 1L).toList();
        boolean more = top == null && page.size() > limit;
        if (more) {
            page = page.subList(0, limit);
        }
        body.put("@odata.context", persona.context(entity, columns, ""));
        if ("true".equalsIgnoreCase(request.param("$count"))) {
            body.put("@odata.count", store.stream().filter(r -> !r.deleted()).filter(r -> where.test(r, entity.schema())).count());
        }
        ArrayNode value = body.putArray("value");
        page.forEach(r -> value.add(persona.render(entity, r, columns, prefer)));
        if (more) {
            SimRecord last = page.get(page.size() - 1);
            List<Object> keys = orderFields.stream().map(last::value).toList();
            Cookie next = new Cookie("q", cookie == null ? 2 : cookie.page() + 1, pageSize, last.id(), keys, 0, 0);
            body.put("@odata.nextLink", link(request, entity, next));
        }
    }

    private void trackedPage(SimRequest request, DynamicsEntities.Entity entity, List<String> columns,
                             DynamicsPersona.Prefer prefer, Cookie cookie, String deltaToken, int pageSize, ObjectNode body) {
        ObjectStore store = persona.storeOf(entity);
        String mode;
        long from;
        long to;
        String afterId = null;
        int pageNumber = 1;
        if (cookie != null) {
            mode = cookie.mode();
            from = cookie.from();
            to = cookie.to();
            afterId = cookie.lastId();
            pageNumber = cookie.page();
        } else if (deltaToken != null) {
            mode = "d";
            from = parseDeltaToken(deltaToken);
            to = persona.tracker.sync(entity.logicalName(), store);
        } else {
            mode = "t";
            from = 0;
            to = persona.tracker.sync(entity.logicalName(), store);
        }
        ArrayNode value = Json.array();
        String lastId;
        boolean more;
        if (mode.equals("t")) {
            List<SimRecord> rows = store.streamAfter(afterId).filter(r -> !r.deleted()).limit(pageSize + 1L).toList();
            more = rows.size() > pageSize;
            rows = more ? rows.subList(0, pageSize) : rows;
            rows.forEach(r -> value.add(persona.render(entity, r, columns, prefer)));
            lastId = rows.isEmpty() ? afterId : rows.get(rows.size() - 1).id();
        } else {
            List<ChangeTracker.Change> changes = persona.tracker.changes(entity.logicalName(), from, to, afterId, pageSize + 1);
            more = changes.size() > pageSize;
            changes = more ? changes.subList(0, pageSize) : changes;
            for (ChangeTracker.Change change : changes) {
                if (change.deleted()) {
                    ObjectNode deleted = value.addObject();
                    deleted.put("@odata.context", persona.serviceRoot() + "$metadata#" + entity.setName() + "/$deletedEntity");
                    deleted.put("id", change.id());
                    deleted.put("reason", "deleted");
                } else {
                    value.add(persona.render(entity, change.record(), columns, prefer));
                }
            }
            lastId = changes.isEmpty() ? afterId : changes.get(changes.size() - 1).id();
        }
        body.put("@odata.context", persona.context(entity, columns, mode.equals("d") ? "/$delta" : ""));
        body.set("value", value);
        if (more) {
            body.put("@odata.nextLink", link(request, entity, new Cookie(mode, pageNumber + 1, pageSize, lastId, List.of(), from, to)));
        } else {
            String token = to + "!" + TOKEN_TIME.format(persona.simClock().now().atZone(ZoneOffset.UTC));
            StringBuilder link = new StringBuilder(persona.serviceRoot()).append(entity.setName()).append('?');
            if (request.param("$select") != null) {
                link.append("$select=").append(DynamicsPersona.encode(request.param("$select"))).append('&');
            }
            body.put("@odata.deltaLink", link.append("$deltatoken=").append(DynamicsPersona.encode(token)).toString());
        }
    }

    /** The change sequence a delta token stands for; refuses malformed, unknown and expired tokens. */
    private long parseDeltaToken(String token) {
        int bang = token.indexOf('!');
        long seq;
        Instant issued;
        try {
            seq = Long.parseLong(token.substring(0, bang < 0 ? token.length() : bang).trim());
            issued = bang < 0 ? null : LocalDateTime.parse(token.substring(bang + 1).trim(), TOKEN_TIME).toInstant(ZoneOffset.UTC);
        } catch (NumberFormatException | DateTimeParseException e) {
            throw DataverseException.badRequest("The $deltatoken '" + token + "' is not valid. Do a full sync with Prefer: odata.track-changes.");
        }
        if (seq < 0 || seq > persona.tracker.current()) {
            throw DataverseException.badRequest("The $deltatoken '" + token + "' is not valid. Do a full sync with Prefer: odata.track-changes.");
        }
        Duration retention = persona.changeTrackingRetention();
        if (issued != null && issued.plus(retention).isBefore(Instant.now())) {
            throw new DataverseException(400, "0x80044352", "The change tracking token has expired: changes are kept for "
                    + retention.toDays() + " days (ExpireChangeTrackingInDays). Do a full sync with Prefer: odata.track-changes.");
        }
        return seq;
    }

    /** An absolute next-page URL: the request's own query options plus the new {@code $skiptoken}. */
    private String link(SimRequest request, DynamicsEntities.Entity entity, Cookie next) {
        StringBuilder link = new StringBuilder(persona.serviceRoot()).append(entity.setName()).append('?');
        for (String option : List.of("$select", "$filter", "$orderby", "$count")) {
            String v = request.param(option);
            if (v != null) {
                link.append(option).append('=').append(DynamicsPersona.encode(v)).append('&');
            }
        }
        return link.append("$skiptoken=").append(DynamicsPersona.encode(next.encode())).toString();
    }

    private static List<OrderBy> orderBy(DynamicsEntities.Entity entity, String orderBy) {
        List<OrderBy> keys = new ArrayList<>();
        if (orderBy == null || orderBy.isBlank()) {
            return keys;
        }
        for (String part : orderBy.split(",")) {
            String[] words = part.trim().split("\\s+");
            if (words.length == 0 || words.length > 2 || words[0].isEmpty()) {
                throw syntax(orderBy);
            }
            boolean desc = false;
            if (words.length == 2) {
                switch (words[1].toLowerCase(Locale.ROOT)) {
                    case "asc" -> desc = false;
                    case "desc" -> desc = true;
                    default -> throw syntax(orderBy);
                }
            }
            keys.add(new OrderBy(entity.fieldForWire(words[0]), desc));
        }
        return keys;
    }

    private static Integer top(String top) {
        if (top == null) {
            return null;
        }
        try {
            int n = Integer.parseInt(top.trim());
            if (n >= 0) {
                return n;
            }
        } catch (NumberFormatException ignored) {
            // falls through to the error
        }
        throw DataverseException.badRequest("Invalid value for $top: '" + top + "'. It must be a non-negative integer.");
    }

    private static DataverseException syntax(String text) {
        return new DataverseException(400, ODataFilterParser.SYNTAX_ERROR, "Syntax error in '" + text + "'.");
    }

    private static List<Object> restoreKeys(List<SimField> fields, List<Object> raw) {
        if (raw.size() != fields.size()) {
            throw DataverseException.badRequest("The $skiptoken does not belong to this query. Follow @odata.nextLink exactly as returned.");
        }
        List<Object> keys = new ArrayList<>();
        for (int i = 0; i < fields.size(); i++) {
            keys.add(ValueCoercion.coerce(fields.get(i).type(), raw.get(i)));
        }
        return keys;
    }

    /** True when {@code r} sorts after the cursor (sort keys, then GUID), the same order as {@link OrderBy#comparator}. */
    private static boolean afterCursor(SimRecord r, List<OrderBy> order, List<SimField> fields, List<Object> keys, String lastId) {
        for (int i = 0; i < order.size(); i++) {
            int c = Values.compare(r.value(fields.get(i)), keys.get(i));
            if (order.get(i).descending()) {
                c = -c;
            }
            if (c != 0) {
                return c > 0;
            }
        }
        return lastId == null || r.id().compareTo(lastId) > 0;
    }
}
