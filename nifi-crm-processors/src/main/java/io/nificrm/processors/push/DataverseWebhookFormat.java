package io.nificrm.processors.push;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Dataverse (Dynamics 365) webhooks: a POST of the JSON {@code RemoteExecutionContext} of one message (Create, Update,
 * Delete...) on one table. Dataverse signs nothing: the webhook is registered with a secret that it sends back with every
 * call, as an HTTP header ({@code HttpHeader} authentication), as the {@code code} query parameter ({@code WebhookKey}) or
 * as a query parameter of the registration's choosing ({@code HttpQueryString}). It is compared in constant time.
 * <p>
 * The change record takes the values of the {@code Target} entity (for an Update, the changed columns) over those of a
 * registered post-image; lookups become their id, option sets and money their value, {@code /Date(ms)/} an ISO instant.
 */
public final class DataverseWebhookFormat extends JsonWebhookFormat {

    /** Where Dataverse puts the key. */
    public enum KeyLocation {
        HEADER, WEBHOOK_KEY, QUERY_STRING
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern DATE = Pattern.compile("/Date\\((-?\\d+)([+-]\\d{4})?\\)/");
    private static final String ZERO_GUID = "00000000-0000-0000-0000-000000000000";

    private final KeyLocation location;
    private final String keyName;
    private final byte[] keyValue;

    /**
     * @param keyName the header or query parameter name (ignored for WEBHOOK_KEY, which is always {@code code})
     */
    public DataverseWebhookFormat(KeyLocation location, String keyName, String keyValue) {
        this.location = location;
        this.keyName = location == KeyLocation.WEBHOOK_KEY ? "code" : keyName;
        this.keyValue = keyValue.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public String system() {
        return "dynamics";
    }

    @Override
    public Parsed parse(InboundRequest request) throws Rejected {
        String given = location == KeyLocation.HEADER ? request.header(keyName) : request.query().get(keyName);
        if (given == null || given.isEmpty()) {
            throw new Rejected(401, "missing key", "The request carries no webhook key");
        }
        if (!MessageDigest.isEqual(keyValue, given.getBytes(StandardCharsets.UTF_8))) {
            throw new Rejected(401, "bad key", "The webhook key does not match");
        }
        JsonNode context;
        try {
            context = JSON.readTree(request.body());
        } catch (IOException e) {
            throw new Rejected(400, "malformed", "The body is not valid JSON");
        }
        if (context == null || !context.isObject()) {
            throw new Rejected(400, "malformed", "The body is not a RemoteExecutionContext object");
        }
        String message = text(context, "MessageName");
        String entity = text(context, "PrimaryEntityName");
        String id = text(context, "PrimaryEntityId");
        if (message == null || entity == null || id == null) {
            throw new Rejected(400, "malformed", "The RemoteExecutionContext has no MessageName, PrimaryEntityName or PrimaryEntityId");
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (JsonNode image : iterable(context.path("PostEntityImages"))) {
            attributes(image.path("value"), fields);
        }
        Map<String, String> target = new LinkedHashMap<>();
        JsonNode targetNode = parameter(context.path("InputParameters"), "Target");
        if (targetNode != null) {
            attributes(targetNode, target);
        }
        fields.putAll(target);
        String operation = switch (message) {
            case "Create" -> "create";
            case "Delete" -> "delete";
            case "Upsert" -> "upsert";
            default -> "update";
        };
        List<String> changed = null;
        if (!"delete".equals(operation) && !target.isEmpty()) {
            changed = new ArrayList<>(target.keySet());
            changed.remove(entity + "id");
        }
        String organization = text(context, "OrganizationName") != null ? text(context, "OrganizationName") : text(context, "OrganizationId");
        String requestId = text(context, "RequestId");
        String operationId = text(context, "OperationId");
        String eventId = requestId != null ? requestId : operationId != null ? operationId : text(context, "CorrelationId");
        String dedup = "dynamics:" + text(context, "OrganizationId") + ":" + (operationId != null && !ZERO_GUID.equals(operationId) ? operationId : requestId)
                + ":" + message + ":" + id + ":" + context.path("Stage").asText("");
        ChangeEvent event = new ChangeEvent("dynamics", entity, operation, id, changed, instant(text(context, "OperationCreatedOn")),
                "dynamics" + (organization == null ? "" : "/" + organization), eventId, dedup, fields);
        return new Parsed(List.of(event), null, 0);
    }

    private static JsonNode parameter(JsonNode parameters, String key) {
        for (JsonNode parameter : iterable(parameters)) {
            if (key.equals(text(parameter, "key"))) {
                return parameter.get("value");
            }
        }
        return null;
    }

    /** Entity attributes: {@code Attributes: [{key, value}]} (the data-contract JSON Dataverse posts). */
    private static void attributes(JsonNode entity, Map<String, String> into) {
        if (entity == null || !entity.isObject()) {
            return;
        }
        for (JsonNode attribute : iterable(entity.path("Attributes"))) {
            String name = text(attribute, "key");
            if (name != null) {
                into.put(name, value(attribute.get("value")));
            }
        }
    }

    /** A column value as text: lookups by their id, option sets and money by their value, dates as ISO instants. */
    static String value(JsonNode value) {
        if (value == null || value.isNull()) {
            return null;
        }
        if (value.isObject()) {
            if (value.has("Id")) {
                return text(value, "Id");
            }
            if (value.has("Value")) {
                return value(value.get("Value"));
            }
            return value.toString();
        }
        if (value.isArray()) {
            return value.toString();
        }
        String text = value.asText();
        Instant instant = instant(text);
        return instant != null ? instant.toString() : text;
    }

    private static Instant instant(String text) {
        if (text == null) {
            return null;
        }
        Matcher m = DATE.matcher(text.replace("\\/", "/"));
        if (m.matches()) {
            return Instant.ofEpochMilli(Long.parseLong(m.group(1)));
        }
        try {
            return text.length() >= 20 && text.charAt(4) == '-' && text.charAt(10) == 'T' ? Instant.parse(text) : null;
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static Iterable<JsonNode> iterable(JsonNode node) {
        return node != null && node.isArray() ? node : List.of();
    }
}
