package io.nificrm.services.hubspot;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.api.CrmCapabilities;
import io.nificrm.api.CrmException;
import io.nificrm.api.CrmField;
import io.nificrm.api.CrmObjectSchema;
import io.nificrm.api.CrmPage;
import io.nificrm.api.CrmQuery;
import io.nificrm.api.CrmWriteRequest;
import io.nificrm.api.CrmWriteResult;
import io.nificrm.services.AbstractCrmConnectionService;
import io.nificrm.services.auth.AccessTokenSource;
import io.nificrm.services.auth.NiFiOAuth2TokenSource;
import io.nificrm.services.auth.OAuthTokenEndpoint;
import io.nificrm.services.auth.StaticTokenSource;
import io.nificrm.services.http.CrmHttpClient;
import io.nificrm.services.http.ResponsePolicy;
import io.nificrm.services.records.Cursors;
import io.nificrm.services.records.RecordFactory;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.components.AllowableValue;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.context.PropertyContext;
import org.apache.nifi.expression.ExpressionLanguageScope;
import org.apache.nifi.oauth2.OAuth2AccessTokenProvider;
import org.apache.nifi.processor.util.StandardValidators;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordSchema;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** HubSpot CRM through the v3 object, search, properties and batch APIs. */
@Tags({"hubspot", "crm", "connection", "rest"})
@CapabilityDescription("Connects to HubSpot's CRM v3 APIs. Reads object lists with 'after' paging (and archived records "
        + "for deletes); incremental windows use the search API on the last-modified property, slicing the window to get "
        + "past the 10,000-result search cap. Describes objects through the properties API. Writes with the batch APIs, "
        + "100 records per call: upsert by a unique property (idProperty), create, update and archive, mapping the 207 "
        + "multi-status answer to one result per record. Authenticates with a private-app token, an OAuth refresh token, "
        + "or NiFi's OAuth2 Access Token Provider. All processors using this service share its rate limit.")
public class HubSpotConnectionService extends AbstractCrmConnectionService {

    static final AllowableValue PRIVATE_APP = new AllowableValue("private-app", "Private App Access Token",
            "The static access token of a private app.");
    static final AllowableValue OAUTH_REFRESH = new AllowableValue("oauth-refresh", "OAuth Refresh Token",
            "A public app's refresh token, exchanged for short-lived access tokens.");
    static final AllowableValue TOKEN_PROVIDER = new AllowableValue("token-provider", "OAuth2 Access Token Provider",
            "A token from a NiFi OAuth2 Access Token Provider service.");

    public static final PropertyDescriptor BASE_URL = new PropertyDescriptor.Builder()
            .name("Base URL")
            .description("HubSpot API address.")
            .required(true)
            .defaultValue("https://api.hubapi.com")
            .expressionLanguageSupported(ExpressionLanguageScope.ENVIRONMENT)
            .addValidator(StandardValidators.URL_VALIDATOR)
            .build();

    public static final PropertyDescriptor AUTHENTICATION_TYPE = new PropertyDescriptor.Builder()
            .name("Authentication Type")
            .description("How to authenticate.")
            .required(true)
            .allowableValues(PRIVATE_APP, OAUTH_REFRESH, TOKEN_PROVIDER)
            .defaultValue(PRIVATE_APP)
            .build();

    public static final PropertyDescriptor ACCESS_TOKEN = new PropertyDescriptor.Builder()
            .name("Access Token")
            .description("The private app's access token.")
            .required(true)
            .sensitive(true)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(AUTHENTICATION_TYPE, PRIVATE_APP)
            .build();

    public static final PropertyDescriptor CLIENT_ID = new PropertyDescriptor.Builder()
            .name("Client ID")
            .description("The public app's client id.")
            .required(true)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(AUTHENTICATION_TYPE, OAUTH_REFRESH)
            .build();

    public static final PropertyDescriptor CLIENT_SECRET = new PropertyDescriptor.Builder()
            .name("Client Secret")
            .description("The public app's client secret.")
            .required(true)
            .sensitive(true)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(AUTHENTICATION_TYPE, OAUTH_REFRESH)
            .build();

    public static final PropertyDescriptor REFRESH_TOKEN = new PropertyDescriptor.Builder()
            .name("Refresh Token")
            .description("The refresh token issued when the app was installed.")
            .required(true)
            .sensitive(true)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(AUTHENTICATION_TYPE, OAUTH_REFRESH)
            .build();

    public static final PropertyDescriptor TOKEN_PROVIDER_SERVICE = new PropertyDescriptor.Builder()
            .name("OAuth2 Access Token Provider")
            .description("Service that supplies access tokens for HubSpot.")
            .required(true)
            .identifiesControllerService(OAuth2AccessTokenProvider.class)
            .dependsOn(AUTHENTICATION_TYPE, TOKEN_PROVIDER)
            .build();

    static final int MAX_BATCH = 100;
    static final int MAX_PAGE = 100;

    public HubSpotConnectionService() {
        // Private apps on Professional and Enterprise accounts: 190 requests per rolling 10 seconds.
        super("190", "10 secs", "0");
    }

    @Override
    protected List<PropertyDescriptor> systemProperties() {
        return List.of(BASE_URL, AUTHENTICATION_TYPE, ACCESS_TOKEN, CLIENT_ID, CLIENT_SECRET, REFRESH_TOKEN, TOKEN_PROVIDER_SERVICE);
    }

    @Override
    public String system() {
        return "hubspot";
    }

    @Override
    protected String label() {
        return "HubSpot";
    }

    @Override
    protected ResponsePolicy responsePolicy() {
        return new HubSpotResponsePolicy();
    }

    @Override
    protected AccessTokenSource tokenSource(PropertyContext context, CrmHttpClient tokenClient) {
        String type = context.getProperty(AUTHENTICATION_TYPE).getValue();
        if (PRIVATE_APP.getValue().equals(type)) {
            return new StaticTokenSource(context.getProperty(ACCESS_TOKEN).getValue());
        }
        if (TOKEN_PROVIDER.getValue().equals(type)) {
            return new NiFiOAuth2TokenSource(context.getProperty(TOKEN_PROVIDER_SERVICE).asControllerService(OAuth2AccessTokenProvider.class));
        }
        Map<String, String> form = Map.of("grant_type", "refresh_token",
                "client_id", context.getProperty(CLIENT_ID).getValue(),
                "client_secret", context.getProperty(CLIENT_SECRET).getValue(),
                "refresh_token", context.getProperty(REFRESH_TOKEN).getValue());
        return new OAuthTokenEndpoint(tokenClient, URI.create(baseUrl(context) + "/oauth/v1/token"), () -> form);
    }

    @Override
    protected CrmCapabilities capabilities(PropertyContext context, CrmCapabilities.RateLimit rateLimit, int maxConcurrent) {
        return new CrmCapabilities(MAX_BATCH, MAX_PAGE, rateLimit, 0, maxConcurrent, true, true, false);
    }

    @Override
    protected List<String> verificationObjects() {
        return List.of("contacts", "companies", "deals");
    }

    @Override
    protected String remainingBudget() {
        CrmHttpClient.Response answer = http().send(t -> get("/crm/v3/objects/contacts?limit=1"), "read one contact", true);
        String remaining = answer.headers().firstValue("X-HubSpot-RateLimit-Daily-Remaining")
                .or(() -> answer.headers().firstValue("X-HubSpot-RateLimit-Remaining")).orElse("unknown");
        String max = answer.headers().firstValue("X-HubSpot-RateLimit-Daily")
                .or(() -> answer.headers().firstValue("X-HubSpot-RateLimit-Max")).orElse("unknown");
        return "API requests remaining: " + remaining + " of " + max;
    }

    @Override
    protected CrmObjectSchema fetchSchema(String object) {
        JsonNode properties = http().sendJson(t -> get("/crm/v3/properties/" + object), "describe " + object, true);
        return HubSpotSchemas.toSchema(object, properties);
    }

    // ---- query ----

    @Override
    public CrmPage query(CrmQuery query) {
        CrmObjectSchema schema = describe(query.object());
        List<CrmField> fields;
        try {
            fields = schema.resolveFields(query.fields());
        } catch (IllegalArgumentException e) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, e.getMessage());
        }
        RecordSchema recordSchema = CrmObjectSchema.toRecordSchema(schema.name(), fields, query.includeDeleted());
        RecordFactory factory = new RecordFactory(recordSchema, fields, "HubSpot");
        ObjectNode cursor = Cursors.decode(query.cursor(), "HubSpot");
        return query.window() == null && query.partition() == null
                ? new HubSpotListReader(this, schema, factory).read(query, fields, cursor)
                : new HubSpotSearchReader(this, schema, factory).read(query, fields, cursor);
    }

    // ---- lookup and count ----

    @Override
    public List<Record> lookup(String object, String field, java.util.Collection<String> values, List<String> fields) {
        CrmObjectSchema schema = describe(object);
        CrmField key = schema.field(field).orElseThrow(() -> new CrmException(CrmException.Reason.CONFIGURATION,
                "HubSpot object " + object + " has no property " + field));
        List<String> wanted = new ArrayList<>(fields);
        if (!fields.isEmpty() && !wanted.contains(field)) {
            wanted.add(field);
        }
        List<CrmField> selected;
        try {
            selected = schema.resolveFields(wanted);
        } catch (IllegalArgumentException e) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, e.getMessage());
        }
        RecordFactory factory = new RecordFactory(CrmObjectSchema.toRecordSchema(schema.name(), selected, false), selected, "HubSpot");
        List<String> distinct = values.stream().filter(v -> v != null && !v.isBlank()).map(String::trim).distinct().toList();
        List<Record> found = new ArrayList<>();
        for (int start = 0; start < distinct.size(); start += MAX_BATCH) {
            List<String> chunk = distinct.subList(start, Math.min(distinct.size(), start + MAX_BATCH));
            ObjectNode body = CrmHttpClient.JSON.createObjectNode();
            body.set("properties", propertyArray(selected));
            ArrayNode inputs = body.putArray("inputs");
            chunk.forEach(v -> inputs.addObject().put("id", v));
            if (key.unique() && !key.name().equals(HubSpotSchemas.ID)) {
                body.put("idProperty", key.name());
            } else if (!key.name().equals(HubSpotSchemas.ID)) {
                found.addAll(searchIn(schema, key, chunk, selected, factory));
                continue;
            }
            // batch/read answers 207 with errors for values that match nothing: those are simply not found.
            CrmHttpClient.Response answer = http().send(t -> post("/crm/v3/objects/" + object + "/batch/read", body),
                    "look up " + object + " by " + field, true);
            JsonNode json;
            try {
                json = CrmHttpClient.JSON.readTree(answer.body());
            } catch (java.io.IOException e) {
                throw new CrmException(CrmException.Reason.MALFORMED_RESPONSE, "HubSpot answered a batch read with invalid JSON");
            }
            found.addAll(records(json.path("results"), factory, null));
        }
        return found;
    }

    /** Non-unique properties: search with an IN filter (values are JSON, never query text), paged by id. */
    private List<Record> searchIn(CrmObjectSchema schema, CrmField key, List<String> chunk, List<CrmField> selected, RecordFactory factory) {
        List<Record> found = new ArrayList<>();
        String lastId = null;
        while (true) {
            ObjectNode body = CrmHttpClient.JSON.createObjectNode();
            ArrayNode filters = body.putArray("filterGroups").addObject().putArray("filters");
            ObjectNode in = filters.addObject().put("propertyName", key.name()).put("operator", "IN");
            ArrayNode list = in.putArray("values");
            chunk.forEach(list::add);
            if (lastId != null) {
                filters.addObject().put("propertyName", HubSpotSchemas.ID).put("operator", "GT").put("value", lastId);
            }
            body.putArray("sorts").addObject().put("propertyName", HubSpotSchemas.ID).put("direction", "ASCENDING");
            body.set("properties", propertyArray(selected));
            body.put("limit", MAX_PAGE);
            JsonNode page = http().sendJson(t -> post("/crm/v3/objects/" + schema.name() + "/search", body),
                    "search " + schema.name() + " by " + key.name(), true);
            JsonNode results = page.path("results");
            found.addAll(records(results, factory, null));
            if (results.size() < MAX_PAGE) {
                return found;
            }
            lastId = results.get(results.size() - 1).path("id").asText();
        }
    }

    @Override
    public List<io.nificrm.api.CrmPartition> partitions(String object, String field, int count) {
        CrmObjectSchema schema = describe(object);
        CrmField key = schema.field(field).orElseThrow(() -> new CrmException(CrmException.Reason.CONFIGURATION,
                "HubSpot object " + object + " has no property " + field));
        if (key.type() != io.nificrm.api.CrmFieldType.ID && key.type() != io.nificrm.api.CrmFieldType.DATETIME
                && key.type() != io.nificrm.api.CrmFieldType.DATE) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "Cannot partition " + object + " by " + field
                    + ": use hs_object_id or a date-time property such as createdate");
        }
        return io.nificrm.services.records.KeySpace.partitions(field, key.type(), edge(object, key, "ASCENDING"),
                edge(object, key, "DESCENDING"), count);
    }

    /** The smallest or largest value of a property through a one-result search sorted on it, or null when empty. */
    private String edge(String object, CrmField field, String direction) {
        ObjectNode body = CrmHttpClient.JSON.createObjectNode();
        body.putArray("filterGroups").addObject().putArray("filters").addObject()
                .put("propertyName", field.name()).put("operator", "HAS_PROPERTY");
        body.putArray("sorts").addObject().put("propertyName", field.name()).put("direction", direction);
        body.putArray("properties").add(field.name());
        body.put("limit", 1);
        JsonNode results = http().sendJson(t -> post("/crm/v3/objects/" + object + "/search", body),
                "find the edge of " + field.name() + " in " + object, true).path("results");
        if (results.isEmpty()) {
            return null;
        }
        String value = valueOf(results.get(0), field.name()).asText(null);
        return value == null || field.type() == io.nificrm.api.CrmFieldType.ID ? value
                : io.nificrm.services.records.WireValues.parseInstant(value).toString();
    }

    @Override
    public RecordCount count(String object) {
        ObjectNode body = CrmHttpClient.JSON.createObjectNode();
        body.put("limit", 1);
        body.putArray("filterGroups");
        JsonNode answer = http().sendJson(t -> post("/crm/v3/objects/" + object + "/search", body), "count " + object, true);
        return new RecordCount(answer.path("total").asLong(), true);
    }

    // ---- write ----

    @Override
    public List<CrmWriteResult> write(CrmWriteRequest request) {
        if (request.records().size() > MAX_BATCH) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "HubSpot takes at most " + MAX_BATCH
                    + " records per call, got " + request.records().size());
        }
        if (request.records().isEmpty()) {
            return List.of();
        }
        return new HubSpotWriter(this, describe(request.object())).write(request);
    }

    @Override
    public String transitUri(String object) {
        return baseUrl(connection().properties()) + "/crm/v3/objects/" + object;
    }

    // ---- request helpers ----

    private static String baseUrl(PropertyContext context) {
        String url = context.getProperty(BASE_URL).evaluateAttributeExpressions().getValue();
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    HttpRequest.Builder get(String path) {
        return HttpRequest.newBuilder(URI.create(baseUrl(connection().properties()) + path)).header("Accept", "application/json").GET();
    }

    HttpRequest.Builder post(String path, JsonNode body) {
        return HttpRequest.newBuilder(URI.create(baseUrl(connection().properties()) + path))
                .header("Accept", "application/json").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()));
    }

    CrmHttpClient client() {
        return http();
    }

    static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    static String propertyList(List<CrmField> fields) {
        return fields.stream().map(CrmField::name).filter(n -> !n.equals(HubSpotSchemas.ID)).collect(Collectors.joining(","));
    }

    static ArrayNode propertyArray(List<CrmField> fields) {
        ArrayNode array = CrmHttpClient.JSON.createArrayNode();
        fields.stream().map(CrmField::name).forEach(array::add);
        return array;
    }

    /** A HubSpot object's value of a field: the id, or a property. */
    static JsonNode valueOf(JsonNode result, String field) {
        return field.equals(HubSpotSchemas.ID) ? result.path("id") : result.path("properties").path(field);
    }

    static List<Record> records(JsonNode results, RecordFactory factory, Boolean deleted) {
        List<Record> records = new ArrayList<>();
        for (JsonNode result : results) {
            records.add(factory.create(field -> valueOf(result, field), deleted));
        }
        return records;
    }
}
