package io.nificrm.processors.push;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;

/**
 * HubSpot app webhooks with v3 signatures. A request is genuine when {@code X-HubSpot-Signature-v3} equals
 * Base64(HMAC-SHA256(client secret, "POST" + full request URI + raw body + X-HubSpot-Request-Timestamp)) and the
 * timestamp is within 5 minutes of now (either way). The URI is the one HubSpot called; both the URI as received and
 * the URI with HubSpot's listed escapes decoded are accepted, as HubSpot's own sample does. Comparisons are constant-time.
 * <p>
 * The body is a JSON array of events; each becomes a {@link ChangeEvent} with dedup key {@code portalId:eventId}.
 * Events this bundle cannot use (no object id, unknown shape) are skipped and counted, never the reason to refuse the
 * whole request: HubSpot does not retry a 400, so refusing would lose the good events too.
 */
public final class HubSpotWebhookFormat extends JsonWebhookFormat {
    public static final String SIGNATURE_HEADER = "X-HubSpot-Signature-v3";
    public static final String TIMESTAMP_HEADER = "X-HubSpot-Request-Timestamp";
    /** HubSpot's rule: reject requests whose timestamp is more than 5 minutes old. */
    public static final long MAX_SKEW_MILLIS = 5 * 60 * 1000L;

    private static final ObjectMapper JSON = new ObjectMapper();
    /** HubSpot's v3 docs: these escapes are decoded in the URI before signing. */
    private static final String[][] DECODED = {{"%3A", ":"}, {"%2F", "/"}, {"%3F", "?"}, {"%40", "@"}, {"%21", "!"}, {"%24", "$"},
            {"%27", "'"}, {"%28", "("}, {"%29", ")"}, {"%2A", "*"}, {"%2C", ","}, {"%3B", ";"}};
    private static final Map<String, String> TYPE_IDS = Map.of("0-1", "contacts", "0-2", "companies", "0-3", "deals",
            "0-5", "tickets", "0-7", "products", "0-8", "line_items", "0-47", "meetings", "0-48", "calls");

    private final byte[] secret;
    private final LongSupplier clock;

    public HubSpotWebhookFormat(String clientSecret) {
        this(clientSecret, System::currentTimeMillis);
    }

    HubSpotWebhookFormat(String clientSecret, LongSupplier clock) {
        this.secret = clientSecret.getBytes(StandardCharsets.UTF_8);
        this.clock = clock;
    }

    @Override
    public String system() {
        return "hubspot";
    }

    @Override
    public Parsed parse(InboundRequest request) throws Rejected {
        String signature = request.header(SIGNATURE_HEADER);
        String timestampText = request.header(TIMESTAMP_HEADER);
        if (signature == null || signature.isBlank() || timestampText == null || timestampText.isBlank()) {
            throw new Rejected(401, "missing signature", "The request has no " + SIGNATURE_HEADER + " and " + TIMESTAMP_HEADER);
        }
        long timestamp;
        try {
            timestamp = Long.parseLong(timestampText.trim());
        } catch (NumberFormatException e) {
            throw new Rejected(401, "bad timestamp", TIMESTAMP_HEADER + " is not epoch milliseconds");
        }
        long age = clock.getAsLong() - timestamp;
        if (age > MAX_SKEW_MILLIS) {
            throw new Rejected(401, "stale timestamp", "The request timestamp is more than 5 minutes old");
        }
        if (age < -MAX_SKEW_MILLIS) {
            throw new Rejected(401, "future timestamp", "The request timestamp is more than 5 minutes in the future");
        }
        if (!signatureMatches(request, signature.trim(), timestampText.trim())) {
            throw new Rejected(401, "bad signature", "The request signature does not match");
        }
        JsonNode root;
        try {
            root = JSON.readTree(request.body());
        } catch (IOException e) {
            throw new Rejected(400, "malformed", "The body is not valid JSON");
        }
        if (root == null || !root.isArray()) {
            throw new Rejected(400, "malformed", "The body is not a JSON array of events");
        }
        List<ChangeEvent> events = new ArrayList<>(root.size());
        int skipped = 0;
        for (JsonNode event : root) {
            ChangeEvent parsed = event(event);
            if (parsed == null) {
                skipped++;
            } else {
                events.add(parsed);
            }
        }
        return new Parsed(events, "hubspot-v3:" + timestampText.trim() + ":" + signature.trim(), skipped);
    }

    private boolean signatureMatches(InboundRequest request, String given, String timestamp) {
        byte[] givenBytes = given.getBytes(StandardCharsets.UTF_8);
        String uri = request.fullUrl();
        boolean raw = MessageDigest.isEqual(givenBytes, sign(request.method(), uri, request.body(), timestamp));
        boolean decoded = MessageDigest.isEqual(givenBytes, sign(request.method(), decode(uri), request.body(), timestamp));
        return raw | decoded;
    }

    private byte[] sign(String method, String uri, byte[] body, String timestamp) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret, "HmacSHA256"));
            mac.update((method + uri).getBytes(StandardCharsets.UTF_8));
            mac.update(body);
            mac.update(timestamp.getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encode(mac.doFinal());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }

    static String decode(String uri) {
        String out = uri;
        for (String[] pair : DECODED) {
            out = out.replace(pair[0], pair[1]).replace(pair[0].toLowerCase(java.util.Locale.ROOT), pair[1]);
        }
        return out;
    }

    /** One event, or null when it cannot become a change record. */
    private static ChangeEvent event(JsonNode event) {
        if (!event.isObject()) {
            return null;
        }
        String type = text(event, "subscriptionType");
        String eventId = text(event, "eventId");
        String key = text(event, "objectId");
        if (key == null) {
            key = text(event, "fromObjectId");
        }
        if (type == null || eventId == null || key == null || type.indexOf('.') <= 0) {
            return null;
        }
        String prefix = type.substring(0, type.indexOf('.'));
        String action = type.substring(type.indexOf('.') + 1);
        String object = object(prefix, text(event, "objectTypeId"));
        if (object == null) {
            return null;
        }
        String portal = text(event, "portalId");
        String changeSource = text(event, "changeSource");
        Long occurred = event.path("occurredAt").canConvertToLong() ? event.path("occurredAt").asLong() : null;
        List<String> changed = null;
        Map<String, String> fields = new LinkedHashMap<>();
        String property = text(event, "propertyName");
        if (property != null && !property.isBlank()) {
            changed = List.of(property);
            JsonNode value = event.get("propertyValue");
            fields.put(property, value == null || value.isNull() ? null : value.isValueNode() ? value.asText() : value.toString());
        }
        String origin = "hubspot" + (portal == null ? "" : "/" + portal) + (changeSource == null ? "" : "/" + changeSource);
        return new ChangeEvent("hubspot", object, operation(action), key, changed, occurred == null ? null : Instant.ofEpochMilli(occurred),
                origin, eventId, "hubspot:" + (portal == null ? "" : portal) + ":" + eventId, fields);
    }

    private static String object(String prefix, String typeId) {
        return switch (prefix) {
            case "contact" -> "contacts";
            case "company" -> "companies";
            case "deal" -> "deals";
            case "ticket" -> "tickets";
            case "product" -> "products";
            case "line_item" -> "line_items";
            case "object" -> typeId == null ? null : TYPE_IDS.getOrDefault(typeId, typeId);
            default -> null;
        };
    }

    private static String operation(String action) {
        return switch (action) {
            case "creation", "restore" -> "create";
            case "deletion", "privacyDeletion" -> "delete";
            default -> "update";
        };
    }
}
