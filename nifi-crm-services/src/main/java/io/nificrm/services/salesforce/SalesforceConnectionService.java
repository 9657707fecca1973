package io.nificrm.services.salesforce;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.api.CrmCapabilities;
import io.nificrm.api.CrmException;
import io.nificrm.api.CrmField;
import io.nificrm.api.CrmFieldType;
import io.nificrm.api.CrmObjectSchema;
import io.nificrm.api.CrmPage;
import io.nificrm.api.CrmPartition;
import io.nificrm.api.CrmQuery;
import io.nificrm.api.CrmWriteRequest;
import io.nificrm.api.CrmWriteResult;
import io.nificrm.api.WriteOperation;
import io.nificrm.services.AbstractCrmConnectionService;
import io.nificrm.services.auth.AccessTokenSource;
import io.nificrm.services.auth.NiFiOAuth2TokenSource;
import io.nificrm.services.auth.OAuthTokenEndpoint;
import io.nificrm.services.http.CrmHttpClient;
import io.nificrm.services.http.ResponsePolicy;
import io.nificrm.services.records.Cursors;
import io.nificrm.services.records.RecordFactory;
import io.nificrm.services.records.RecordValues;
import io.nificrm.services.records.WireValues;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Salesforce through its REST API: SOQL queries, describe and sObject Collections writes. */
@Tags({"salesforce", "crm", "connection", "rest", "soql"})
@CapabilityDescription("Connects to Salesforce through the REST API. Reads with SOQL (query and queryAll for deleted rows) "
        + "following nextRecordsUrl pages, with cursors that survive restarts; incremental windows use SystemModstamp. "
        + "Describes objects (types, picklists, references, external ids). Writes with sObject Collections: upsert by an "
        + "external-id field, insert, update and delete, 200 records per call, with one result per record. "
        + "Authenticates with the OAuth 2.0 client-credentials or JWT bearer flow, or NiFi's OAuth2 Access Token Provider, "
        + "renewing the session when it expires. All processors using this service share its rate limit.")
public class SalesforceConnectionService extends AbstractCrmConnectionService {

    static final AllowableValue CLIENT_CREDENTIALS = new AllowableValue("client-credentials", "Client Credentials",
            "OAuth 2.0 client-credentials flow of a connected app with a run-as user (needs the org's My Domain URL as Login URL).");
    static final AllowableValue JWT_BEARER = new AllowableValue("jwt-bearer", "JWT Bearer",
            "OAuth 2.0 JWT bearer flow: a certificate-based connected app, signing as the given user.");
    static final AllowableValue TOKEN_PROVIDER = new AllowableValue("token-provider", "OAuth2 Access Token Provider",
            "A token from a NiFi OAuth2 Access Token Provider service.");

    public static final PropertyDescriptor LOGIN_URL = new PropertyDescriptor.Builder()
            .name("Login URL")
            .description("Where tokens are requested: https://login.salesforce.com, https://test.salesforce.com for sandboxes, or "
                    + "the org's My Domain URL (required for client credentials). API calls then go to the instance URL in the token answer.")
            .required(true)
            .defaultValue("https://login.salesforce.com")
            .expressionLanguageSupported(ExpressionLanguageScope.ENVIRONMENT)
            .addValidator(StandardValidators.URL_VALIDATOR)
            .build();

    public static final PropertyDescriptor API_VERSION = new PropertyDescriptor.Builder()
            .name("API Version")
            .description("REST API version, e.g. 62.0.")
            .required(true)
            .defaultValue("62.0")
            .addValidator(StandardValidators.createRegexMatchingValidator(java.util.regex.Pattern.compile("\\d{2,3}\\.0")))
            .build();

    public static final PropertyDescriptor AUTHORIZATION_TYPE = new PropertyDescriptor.Builder()
            .name("Authorization Type")
            .description("How to obtain access tokens.")
            .required(true)
            .allowableValues(CLIENT_CREDENTIALS, JWT_BEARER, TOKEN_PROVIDER)
            .defaultValue(CLIENT_CREDENTIALS)
            .build();

    public static final PropertyDescriptor CLIENT_ID = new PropertyDescriptor.Builder()
            .name("Client ID")
            .description("Consumer key of the connected app.")
            .required(true)
            .expressionLanguageSupported(ExpressionLanguageScope.ENVIRONMENT)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(AUTHORIZATION_TYPE, CLIENT_CREDENTIALS, JWT_BEARER)
            .build();

    public static final PropertyDescriptor CLIENT_SECRET = new PropertyDescriptor.Builder()
            .name("Client Secret")
            .description("Consumer secret of the connected app.")
            .required(true)
            .sensitive(true)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(AUTHORIZATION_TYPE, CLIENT_CREDENTIALS)
            .build();

    public static final PropertyDescriptor USERNAME = new PropertyDescriptor.Builder()
            .name("Username")
            .description("The Salesforce user the JWT is issued for (its 'sub' claim).")
            .required(true)
            .expressionLanguageSupported(ExpressionLanguageScope.ENVIRONMENT)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(AUTHORIZATION_TYPE, JWT_BEARER)
            .build();

    public static final PropertyDescriptor PRIVATE_KEY = new PropertyDescriptor.Builder()
            .name("Private Key")
            .description("PEM-encoded PKCS#8 RSA private key whose certificate is uploaded to the connected app; signs the JWT.")
            .required(true)
            .sensitive(true)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(AUTHORIZATION_TYPE, JWT_BEARER)
            .build();

    public static final PropertyDescriptor TOKEN_PROVIDER_SERVICE = new PropertyDescriptor.Builder()
            .name("OAuth2 Access Token Provider")
            .description("Service that supplies access tokens for Salesforce.")
            .required(true)
            .identifiesControllerService(OAuth2AccessTokenProvider.class)
            .dependsOn(AUTHORIZATION_TYPE, TOKEN_PROVIDER)
            .build();

    public static final PropertyDescriptor INSTANCE_URL = new PropertyDescriptor.Builder()
            .name("Instance URL")
            .description("The org's instance URL (e.g. https://mycompany.my.salesforce.com), needed when tokens come from a provider.")
            .required(true)
            .expressionLanguageSupported(ExpressionLanguageScope.ENVIRONMENT)
            .addValidator(StandardValidators.URL_VALIDATOR)
            .dependsOn(AUTHORIZATION_TYPE, TOKEN_PROVIDER)
            .build();

    public static final PropertyDescriptor BULK_THRESHOLD = new PropertyDescriptor.Builder()
            .name("Bulk API Threshold")
            .description("Writes of at least this many records go through one Bulk API 2.0 ingest job instead of sObject "
                    + "Collections calls of 200 (Salesforce recommends Bulk above about 2,000 records). Processors may then send "
                    + "up to 10,000 records per write. 0 never uses the Bulk API.")
            .required(true)
            .defaultValue("2000")
            .addValidator(StandardValidators.NON_NEGATIVE_INTEGER_VALIDATOR)
            .build();

    public static final PropertyDescriptor BULK_QUERIES = new PropertyDescriptor.Builder()
            .name("Use Bulk API for Full Reads")
            .description("Read whole objects (queries without a change window) with Bulk API 2.0 query jobs, paging their CSV "
                    + "results. Worth it for millions of records; incremental reads always use SOQL.")
            .required(true)
            .allowableValues("true", "false")
            .defaultValue("false")
            .build();

    public static final PropertyDescriptor BULK_POLL_INTERVAL = new PropertyDescriptor.Builder()
            .name("Bulk Job Poll Interval")
            .description("How often the state of a running Bulk API job is checked.")
            .required(true)
            .defaultValue("2 secs")
            .addValidator(StandardValidators.TIME_PERIOD_VALIDATOR)
            .build();

    public static final PropertyDescriptor BULK_TIMEOUT = new PropertyDescriptor.Builder()
            .name("Bulk Job Timeout")
            .description("How long to wait for a Bulk API job before its records are reported for retry.")
            .required(true)
            .defaultValue("30 mins")
            .addValidator(StandardValidators.TIME_PERIOD_VALIDATOR)
            .build();

    private static final int MAX_BATCH = 200;
    private static final int MAX_BULK_BATCH = 10_000;
    private static final int MAX_PAGE = 2000;
    private static final String INSTANCE_URL_KEY = "instance_url";

    private volatile String lastInstanceUrl;

    public SalesforceConnectionService() {
        // Salesforce has no short-term request window, only the daily org quota; it caps concurrent long calls at 25.
        super("0", "1 sec", "25");
    }

    @Override
    protected List<PropertyDescriptor> systemProperties() {
        return List.of(LOGIN_URL, API_VERSION, AUTHORIZATION_TYPE, CLIENT_ID, CLIENT_SECRET, USERNAME, PRIVATE_KEY,
                TOKEN_PROVIDER_SERVICE, INSTANCE_URL, BULK_THRESHOLD, BULK_QUERIES, BULK_POLL_INTERVAL, BULK_TIMEOUT);
    }

    @Override
    public String system() {
        return "salesforce";
    }

    @Override
    protected String label() {
        return "Salesforce";
    }

    @Override
    protected ResponsePolicy responsePolicy() {
        return new SalesforceResponsePolicy();
    }

    @Override
    protected AccessTokenSource tokenSource(PropertyContext context, CrmHttpClient tokenClient) {
        String type = context.getProperty(AUTHORIZATION_TYPE).getValue();
        if (TOKEN_PROVIDER.getValue().equals(type)) {
            String instance = trimSlash(context.getProperty(INSTANCE_URL).evaluateAttributeExpressions().getValue());
            NiFiOAuth2TokenSource provider = new NiFiOAuth2TokenSource(
                    context.getProperty(TOKEN_PROVIDER_SERVICE).asControllerService(OAuth2AccessTokenProvider.class));
            return new AccessTokenSource() {
                @Override
                public Token token() {
                    return new Token(provider.token().value(), Instant.MAX, Map.of(INSTANCE_URL_KEY, instance));
                }

                @Override
                public void invalidate(Token refused) {
                    provider.invalidate(refused);
                }

                @Override
                public boolean canRenew() {
                    return false;
                }
            };
        }
        String loginUrl = trimSlash(context.getProperty(LOGIN_URL).evaluateAttributeExpressions().getValue());
        String clientId = context.getProperty(CLIENT_ID).evaluateAttributeExpressions().getValue();
        URI tokenUrl = URI.create(loginUrl + "/services/oauth2/token");
        if (JWT_BEARER.getValue().equals(type)) {
            SalesforceJwtAssertion assertion = new SalesforceJwtAssertion(clientId,
                    context.getProperty(USERNAME).evaluateAttributeExpressions().getValue(), audienceOf(loginUrl),
                    context.getProperty(PRIVATE_KEY).getValue());
            return new OAuthTokenEndpoint(tokenClient, tokenUrl, () -> Map.of(
                    "grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion", assertion.sign()));
        }
        String secret = context.getProperty(CLIENT_SECRET).getValue();
        return new OAuthTokenEndpoint(tokenClient, tokenUrl, () -> Map.of(
                "grant_type", "client_credentials", "client_id", clientId, "client_secret", secret));
    }

    /** The JWT audience: the login host for production and sandboxes, else the given URL (a community or test server). */
    private static String audienceOf(String loginUrl) {
        return loginUrl.contains("test.salesforce.com") ? "https://test.salesforce.com"
                : loginUrl.contains(".salesforce.com") ? "https://login.salesforce.com" : loginUrl;
    }

    @Override
    protected CrmCapabilities capabilities(PropertyContext context, CrmCapabilities.RateLimit rateLimit, int maxConcurrent) {
        boolean bulk = context.getProperty(BULK_THRESHOLD).asInteger() > 0;
        return new CrmCapabilities(bulk ? MAX_BULK_BATCH : MAX_BATCH, MAX_PAGE, rateLimit, 0, maxConcurrent, true, true, bulk);
    }

    @Override
    protected List<String> verificationObjects() {
        return List.of("Account", "Contact", "Opportunity");
    }

    @Override
    protected String remainingBudget() {
        JsonNode limits = http().sendJson(t -> get(t, "/limits"), "read API limits", true);
        JsonNode daily = limits.path("DailyApiRequests");
        return "Daily API requests remaining: " + daily.path("Remaining").asLong() + " of " + daily.path("Max").asLong();
    }

    // ---- describe ----

    @Override
    protected CrmObjectSchema fetchSchema(String object) {
        JsonNode describe = http().sendJson(t -> get(t, "/sobjects/" + object + "/describe"), "describe " + object, true);
        return SalesforceSchemas.toSchema(describe);
    }

    // ---- query ----

    @Override
    public CrmPage query(CrmQuery query) {
        CrmObjectSchema schema = describe(query.object());
        List<CrmField> fields = SalesforceSchemas.selectedFields(schema, query);
        RecordSchema recordSchema = CrmObjectSchema.toRecordSchema(schema.name(), fields, query.includeDeleted());
        ObjectNode cursor = Cursors.decode(query.cursor(), "Salesforce");
        if ((cursor != null && cursor.hasNonNull("bulkJob"))
                || (cursor == null && query.window() == null && connection().properties().getProperty(BULK_QUERIES).asBoolean())) {
            return bulk().query(schema, fields, recordSchema, query, cursor);
        }
        JsonNode page = null;
        if (cursor != null && cursor.hasNonNull("next")) {
            String next = cursor.get("next").asText();
            try {
                page = http().sendJson(t -> request(t, next), "read the next page of " + query.object(), true);
            } catch (CrmException e) {
                if (!"INVALID_QUERY_LOCATOR".equals(e.code())) {
                    throw e;
                }
                // The server forgot the locator (expired or evicted): continue from the last key instead.
            }
        }
        boolean limited = query.pageSize() < 200;
        if (page == null) {
            String soql = SalesforceSchemas.soql(schema, fields, query, cursor, limited);
            String resource = query.includeDeleted() ? "/queryAll" : "/query";
            int batchSize = Math.max(200, Math.min(MAX_PAGE, query.pageSize()));
            page = http().sendJson(t -> get(t, resource + "?q=" + URLEncoder.encode(soql, StandardCharsets.UTF_8))
                    .header("Sforce-Query-Options", "batchSize=" + batchSize), "query " + query.object(), true);
        }
        RecordFactory factory = new RecordFactory(recordSchema, fields, "Salesforce");
        List<Record> records = new ArrayList<>();
        JsonNode last = null;
        for (JsonNode row : page.path("records")) {
            records.add(factory.create(row::get, query.includeDeleted() ? row.path("IsDeleted").asBoolean(false) : null));
            last = row;
        }
        boolean done = page.path("done").asBoolean(true);
        boolean more = limited ? records.size() == query.pageSize() : !done;
        String nextCursor = null;
        if (more && last != null) {
            ObjectNode next = Cursors.newCursor();
            if (!limited && page.hasNonNull("nextRecordsUrl")) {
                next.put("next", page.get("nextRecordsUrl").asText());
            }
            next.put("id", last.path(schema.idField()).asText());
            if (query.window() != null && schema.modifiedField() != null) {
                next.put("modified", last.path(schema.modifiedField()).asText());
            }
            nextCursor = Cursors.encode(next);
        }
        return new CrmPage(recordSchema, records, nextCursor);
    }

    // ---- lookup and count ----

    /** Values per SOQL IN list: keeps the query URL well under Salesforce's 16,384-character limit. */
    private static final int LOOKUP_CHUNK = 200;

    @Override
    public List<Record> lookup(String object, String field, java.util.Collection<String> values, List<String> fields) {
        CrmObjectSchema schema = describe(object);
        CrmField key = schema.field(field).orElseThrow(() -> new CrmException(CrmException.Reason.CONFIGURATION,
                "Object " + object + " has no field " + field));
        List<String> wanted = new ArrayList<>(fields);
        if (!fields.isEmpty() && !wanted.contains(field)) {
            wanted.add(field);
        }
        List<CrmField> selected = SalesforceSchemas.selectedFields(schema, CrmQuery.of(object).withFields(wanted));
        RecordSchema recordSchema = CrmObjectSchema.toRecordSchema(schema.name(), selected, false);
        RecordFactory factory = new RecordFactory(recordSchema, selected, "Salesforce");
        List<String> distinct = values.stream().filter(v -> v != null && !v.isBlank()).distinct().toList();
        List<Record> found = new ArrayList<>();
        for (int start = 0; start < distinct.size(); start += LOOKUP_CHUNK) {
            List<String> chunk = distinct.subList(start, Math.min(distinct.size(), start + LOOKUP_CHUNK));
            String soql = "SELECT " + String.join(", ", selected.stream().map(CrmField::name).toList()) + " FROM " + schema.name()
                    + " WHERE " + key.name() + " IN (" + String.join(", ", chunk.stream().map(Soql::quote).toList()) + ")";
            String path = "/query?q=" + URLEncoder.encode(soql, StandardCharsets.UTF_8);
            JsonNode page = http().sendJson(t -> get(t, path), "look up " + object + " by " + field, true);
            while (true) {
                for (JsonNode row : page.path("records")) {
                    found.add(factory.create(row::get, null));
                }
                if (page.path("done").asBoolean(true) || !page.hasNonNull("nextRecordsUrl")) {
                    break;
                }
                String next = page.get("nextRecordsUrl").asText();
                page = http().sendJson(t -> request(t, next), "look up " + object + " by " + field, true);
            }
        }
        return found;
    }

    @Override
    public List<CrmPartition> partitions(String object, String field, int count) {
        CrmObjectSchema schema = describe(object);
        CrmField key = schema.field(field).orElseThrow(() -> new CrmException(CrmException.Reason.CONFIGURATION,
                "Object " + object + " has no field " + field));
        if (key.type() != CrmFieldType.ID && key.type() != CrmFieldType.DATETIME && key.type() != CrmFieldType.DATE
                && key.type() != CrmFieldType.INTEGER) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "Cannot partition " + object + " by " + field
                    + ": use its Id (PK chunking) or a date-time field such as CreatedDate");
        }
        String min = edge(schema, key, "ASC");
        String max = edge(schema, key, "DESC");
        if (key.type() == CrmFieldType.ID && min != null && max != null) {
            // The last three characters are a case checksum; the key space is the first fifteen.
            min = min.substring(0, Math.min(15, min.length()));
            max = max.substring(0, Math.min(15, max.length()));
        }
        return io.nificrm.services.records.KeySpace.partitions(field, key.type(), min, max, count);
    }

    /** The smallest (ASC) or largest (DESC) value of a field, as text (instants in ISO-8601), or null when empty. */
    private String edge(CrmObjectSchema schema, CrmField field, String direction) {
        String soql = "SELECT " + field.name() + " FROM " + schema.name() + " WHERE " + field.name() + " != null ORDER BY "
                + field.name() + " " + direction + " LIMIT 1";
        JsonNode rows = http().sendJson(t -> get(t, "/query?q=" + URLEncoder.encode(soql, StandardCharsets.UTF_8)),
                "find the " + (direction.equals("ASC") ? "smallest " : "largest ") + field.name() + " of " + schema.name(), true)
                .path("records");
        if (rows.isEmpty()) {
            return null;
        }
        String value = rows.get(0).path(field.name()).asText();
        return field.type() == CrmFieldType.DATETIME || field.type() == CrmFieldType.DATE ? WireValues.parseInstant(value).toString() : value;
    }

    @Override
    public RecordCount count(String object) {
        CrmObjectSchema schema = describe(object);
        String path = "/query?q=" + URLEncoder.encode("SELECT COUNT() FROM " + schema.name(), StandardCharsets.UTF_8);
        return new RecordCount(http().sendJson(t -> get(t, path), "count " + object, true).path("totalSize").asLong(), true);
    }

    // ---- write ----

    @Override
    public List<CrmWriteResult> write(CrmWriteRequest request) {
        int max = capabilities().maxBatchSize();
        if (request.records().size() > max) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "Salesforce takes at most " + max
                    + " records per write, got " + request.records().size());
        }
        if (request.records().isEmpty()) {
            return List.of();
        }
        CrmObjectSchema schema = describe(request.object());
        SalesforceWriter writer = new SalesforceWriter(this, schema);
        String key = writer.keyOf(request);
        int threshold = connection().properties().getProperty(BULK_THRESHOLD).asInteger();
        if (threshold > 0 && request.records().size() >= threshold) {
            return bulk().write(schema, request, key);
        }
        List<CrmWriteResult> results = new ArrayList<>(request.records().size());
        for (int start = 0; start < request.records().size(); start += MAX_BATCH) {
            List<Record> chunk = request.records().subList(start, Math.min(request.records().size(), start + MAX_BATCH));
            results.addAll(writer.write(new CrmWriteRequest(request.object(), request.operation(), request.keyField(), chunk)));
        }
        return results;
    }

    @Override
    public String transitUri(String object) {
        String base = lastInstanceUrl == null ? "https://login.salesforce.com" : lastInstanceUrl;
        return base + "/services/data/v" + apiVersion() + "/sobjects/" + object;
    }

    private SalesforceBulk bulk() {
        PropertyContext properties = connection().properties();
        return new SalesforceBulk(this,
                java.time.Duration.ofMillis(properties.getProperty(BULK_POLL_INTERVAL).asTimePeriod(java.util.concurrent.TimeUnit.MILLISECONDS)),
                java.time.Duration.ofMillis(properties.getProperty(BULK_TIMEOUT).asTimePeriod(java.util.concurrent.TimeUnit.MILLISECONDS)));
    }

    // ---- request helpers ----

    String apiVersion() {
        return connection().properties().getProperty(API_VERSION).getValue();
    }

    private String instanceUrl(AccessTokenSource.Token token) {
        String instance = token.extra(INSTANCE_URL_KEY);
        if (instance == null) {
            throw new CrmException(CrmException.Reason.AUTHENTICATION, "The Salesforce token answer carried no instance_url");
        }
        lastInstanceUrl = trimSlash(instance);
        return lastInstanceUrl;
    }

    /** A GET of a path under {@code /services/data/vXX.X}. */
    HttpRequest.Builder get(AccessTokenSource.Token token, String path) {
        return request(token, "/services/data/v" + apiVersion() + path).GET();
    }

    /** A request to a path on the instance (paths from Salesforce, like nextRecordsUrl, already carry the version). */
    HttpRequest.Builder request(AccessTokenSource.Token token, String instancePath) {
        return HttpRequest.newBuilder(URI.create(instanceUrl(token) + instancePath)).header("Accept", "application/json");
    }

    HttpRequest.Builder json(AccessTokenSource.Token token, String method, String path, JsonNode body) {
        return request(token, "/services/data/v" + apiVersion() + path)
                .header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString(body.toString()));
    }

    CrmHttpClient client() {
        return http();
    }

    private static String trimSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }
}
