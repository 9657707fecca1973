package io.nificrm.services.dynamics;

import com.fasterxml.jackson.databind.JsonNode;
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
import io.nificrm.services.AbstractCrmConnectionService;
import io.nificrm.services.CommonProperties;
import io.nificrm.services.auth.AccessTokenSource;
import io.nificrm.services.auth.NiFiOAuth2TokenSource;
import io.nificrm.services.auth.OAuthTokenEndpoint;
import io.nificrm.services.http.CrmHttpClient;
import io.nificrm.services.http.ResponsePolicy;
import io.nificrm.services.records.KeySpace;
import io.nificrm.services.records.RecordFactory;
import io.nificrm.services.records.WireValues;
import org.apache.nifi.annotation.documentation.CapabilityDescription;
import org.apache.nifi.annotation.documentation.Tags;
import org.apache.nifi.annotation.lifecycle.OnDisabled;
import org.apache.nifi.components.AllowableValue;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.components.ValidationContext;
import org.apache.nifi.components.ValidationResult;
import org.apache.nifi.components.Validator;
import org.apache.nifi.context.PropertyContext;
import org.apache.nifi.expression.ExpressionLanguageScope;
import org.apache.nifi.oauth2.OAuth2AccessTokenProvider;
import org.apache.nifi.processor.util.StandardValidators;
import org.apache.nifi.serialization.record.Record;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Dynamics 365 / Dataverse through the Web API v9.2 ({@code <environment>/api/data/v9.2/}).
 *
 * <h2>Names</h2>
 * Objects are named by their <b>logical name</b> ({@code contact}, {@code account}, {@code opportunity}). The service
 * reads {@code EntityDefinitions(LogicalName='x')} once (cached) for the entity set name URLs use ({@code contacts})
 * and the primary id column. Lookup columns are exposed under their attribute name ({@code parentcustomerid}, the
 * GUID of the row they point to) although the Web API reads them as {@code _parentcustomerid_value}; on write they
 * are bound with {@code <navigation>@odata.bind: "/accounts(<guid>)"} — see {@link DynamicsSchemas.Entity#navigation}
 * for how the navigation property is chosen. A record field named {@code parentcustomerid.nificrm_sourceid} binds by
 * the target's alternate key instead: {@code "/accounts(nificrm_sourceid='A-1')"}.
 *
 * <h2>Reading</h2>
 * Every value placed in {@code $filter} or a key segment is escaped or re-formatted by {@link ODataLiteral}.
 * <ul>
 *   <li><b>Keyset mode</b> (the default): {@code $select}, {@code $filter} (window {@code modifiedon ge from and
 *       modifiedon lt until}, partition bounds), {@code $orderby} ({@code modifiedon asc,<id> asc} in a window, else
 *       {@code <id> asc}) and {@code Prefer: odata.maxpagesize} (at most 5,000). The cursor stores the server's
 *       {@code @odata.nextLink} <i>and</i> the last key read (modified time and id). A resumed query follows the link;
 *       if the link is refused (expired paging cookie, 400/404) or does not point at this environment (a cursor is
 *       never allowed to send our token elsewhere), the service continues with a keyset query
 *       ({@code modifiedon gt M or (modifiedon eq M and id gt I)}) from the stored key, so nothing is lost or read twice.</li>
 *   <li><b>Change-tracking mode</b> ({@link CrmQuery#includeDeleted()} together with a window): Dataverse deletes rows
 *       for good, so deletions are only visible through change tracking ({@code Prefer: odata.track-changes}).
 *       <ol>
 *         <li>Without a cursor the service performs the initial synchronisation: all live rows (change tracking
 *             refuses {@code $filter}, so rows modified before the window's {@code from} are dropped on our side),
 *             paged by {@code @odata.nextLink}. The server ends it with an {@code @odata.deltaLink}.</li>
 *         <li>The page that carries the delta link returns a <b>delta cursor</b> as its {@code nextCursor}, tagged with
 *             the query's window. Passing it back in the <i>same</i> query returns an empty last page (no request):
 *             the read is complete. A caller that keeps this final non-null cursor and passes it with its
 *             <i>next</i> window (any other window) gets the changes since then: new and updated rows
 *             ({@code crm_deleted = false}) and deleted rows ({@code crm_deleted = true}, only the id set), again ending
 *             with a fresh delta cursor. So an incremental reader sees each change once, with deletes, and never
 *             re-reads the table.</li>
 *       </ol>
 *       In this mode the delta token, not {@code modifiedon}, decides what changed (a late write with an old
 *       {@code modifiedon} is still reported); rows come in the server's change order, and a row modified after the
 *       window's {@code until} is returned early rather than lost. Partitions cannot be combined with change
 *       tracking, and the table must have <i>Track changes</i> on. Delta tokens expire (7 days by default); an
 *       expired one fails the query with an explanation: start again without the cursor (a full resynchronisation).
 *       A change-tracking page link that is refused restarts its phase (at-least-once). Without a window,
 *       {@code includeDeleted} reads in keyset mode with {@code crm_deleted = false}: there is nothing deleted to see.</li>
 * </ul>
 *
 * <h2>Writing</h2>
 * Each write is one {@code $batch} of up to <i>Records Per Batch</i> requests with {@code Prefer:
 * odata.continue-on-error}, without change sets, so every record succeeds or fails on its own and the answer has one
 * part per record, matched back by {@code Content-ID}. Upserts are {@code PATCH /<set>(<key>='v')} with
 * {@code Prefer: return=representation} and {@code $select} of the primary id, so Dataverse answers 201 for a created
 * row and 200 for an updated one and the outcome is reported exactly (should an environment ignore the preference and
 * answer 204, the record is reported as updated). Inserts are {@code POST}, updates {@code PATCH /<set>(<guid>)} with
 * {@code If-Match: *} (never creates), deletes {@code DELETE}. Failed parts become FAILED results with Dataverse's
 * error code and message; 429, 408 and 5xx parts are transient. If a batch answer cannot be read, an idempotent batch
 * (upsert, update, delete) is sent again (then rows created by the lost attempt are reported as updated); an insert
 * batch fails as a whole.
 *
 * <h2>Lookup, count, partitions</h2>
 * Lookups are {@code $filter}s of {@code or}-joined {@code eq} terms (escaped, typed), split so that each URL stays
 * under 30,000 characters. {@code count} uses {@code @odata.count}, which Dataverse caps at 5,000; at the cap the
 * ids are paged and counted (up to 500,000, beyond which the count is reported as not exact). Partitions on the
 * primary id are balanced by record count from the server's own id order; on date-time columns the range is split
 * evenly.
 */
@Tags({"dynamics", "dataverse", "microsoft", "crm", "connection", "odata", "rest"})
@CapabilityDescription("Connects to Dynamics 365 / Dataverse through the Web API v9.2. Reads with OData queries "
        + "($select, $filter, $orderby, odata.maxpagesize up to 5,000) following @odata.nextLink, with cursors that survive "
        + "restarts and fall back to keyset paging; incremental windows use modifiedon, and deleted rows come from change "
        + "tracking (delta links). Describes tables from EntityDefinitions (types, required levels, choices, lookups, "
        + "alternate keys). Writes with $batch: upsert by alternate key (reporting created vs updated), insert, update and "
        + "delete, one result per record. Authenticates with Entra ID client credentials or NiFi's OAuth2 Access Token "
        + "Provider. All processors using this service share its rate limit (Dataverse allows 6,000 requests per 5 minutes "
        + "and 52 concurrent requests per user).")
public class DynamicsConnectionService extends AbstractCrmConnectionService {

    static final AllowableValue CLIENT_CREDENTIALS = new AllowableValue("client-credentials", "Client Credentials via Entra ID",
            "OAuth 2.0 client-credentials grant of an Entra ID app registration that is an Application User of the environment.");
    static final AllowableValue TOKEN_PROVIDER = new AllowableValue("token-provider", "OAuth2 Access Token Provider",
            "A token from a NiFi OAuth2 Access Token Provider service (its scope must be the environment URL + /.default).");

    static final String TENANT_PLACEHOLDER = "{tenant}";

    public static final PropertyDescriptor ENVIRONMENT_URL = new PropertyDescriptor.Builder()
            .name("Environment URL")
            .description("The Dataverse environment's root address, such as https://yourorg.crm.dynamics.com. API calls go to "
                    + "<Environment URL>/api/data/v9.2/.")
            .required(true)
            .expressionLanguageSupported(ExpressionLanguageScope.ENVIRONMENT)
            .addValidator(new RootUrlValidator())
            .build();

    public static final PropertyDescriptor AUTHORIZATION_TYPE = new PropertyDescriptor.Builder()
            .name("Authorization Type")
            .description("How to obtain access tokens.")
            .required(true)
            .allowableValues(CLIENT_CREDENTIALS, TOKEN_PROVIDER)
            .defaultValue(CLIENT_CREDENTIALS)
            .build();

    public static final PropertyDescriptor TENANT_ID = new PropertyDescriptor.Builder()
            .name("Tenant ID")
            .description("The Entra ID tenant (directory) id, a GUID, or its domain name (contoso.onmicrosoft.com).")
            .required(true)
            .expressionLanguageSupported(ExpressionLanguageScope.ENVIRONMENT)
            .addValidator(StandardValidators.createRegexMatchingValidator(
                    java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9.-]{0,253}"), false,
                    "a tenant id is a GUID or a domain name such as contoso.onmicrosoft.com"))
            .dependsOn(AUTHORIZATION_TYPE, CLIENT_CREDENTIALS)
            .build();

    public static final PropertyDescriptor CLIENT_ID = new PropertyDescriptor.Builder()
            .name("Client ID")
            .description("The application (client) id of the Entra ID app registration.")
            .required(true)
            .expressionLanguageSupported(ExpressionLanguageScope.ENVIRONMENT)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(AUTHORIZATION_TYPE, CLIENT_CREDENTIALS)
            .build();

    public static final PropertyDescriptor CLIENT_SECRET = new PropertyDescriptor.Builder()
            .name("Client Secret")
            .description("A client secret (its value, not its id) of the app registration.")
            .required(true)
            .sensitive(true)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(AUTHORIZATION_TYPE, CLIENT_CREDENTIALS)
            .build();

    public static final PropertyDescriptor TOKEN_URL = new PropertyDescriptor.Builder()
            .name("Token URL")
            .description("The OAuth 2.0 token endpoint; " + TENANT_PLACEHOLDER + " is replaced by the Tenant ID. Change it for "
                    + "sovereign clouds (e.g. https://login.microsoftonline.us/" + TENANT_PLACEHOLDER + "/oauth2/v2.0/token) or a test server.")
            .required(true)
            .defaultValue("https://login.microsoftonline.com/" + TENANT_PLACEHOLDER + "/oauth2/v2.0/token")
            .expressionLanguageSupported(ExpressionLanguageScope.ENVIRONMENT)
            .addValidator(new TokenUrlValidator())
            .dependsOn(AUTHORIZATION_TYPE, CLIENT_CREDENTIALS)
            .build();

    public static final PropertyDescriptor SCOPE = new PropertyDescriptor.Builder()
            .name("Scope")
            .description("The scope requested with the token. When empty: <Environment URL>/.default.")
            .required(false)
            .expressionLanguageSupported(ExpressionLanguageScope.ENVIRONMENT)
            .addValidator(StandardValidators.NON_BLANK_VALIDATOR)
            .dependsOn(AUTHORIZATION_TYPE, CLIENT_CREDENTIALS)
            .build();

    public static final PropertyDescriptor TOKEN_PROVIDER_SERVICE = new PropertyDescriptor.Builder()
            .name("OAuth2 Access Token Provider")
            .description("Service that supplies access tokens for the environment.")
            .required(true)
            .identifiesControllerService(OAuth2AccessTokenProvider.class)
            .dependsOn(AUTHORIZATION_TYPE, TOKEN_PROVIDER)
            .build();

    public static final PropertyDescriptor RECORDS_PER_BATCH = new PropertyDescriptor.Builder()
            .name("Records Per Batch")
            .description("Most records one write sends in a $batch request (Dataverse allows 1,000). Microsoft advises "
                    + "modest batches with parallel requests over huge ones: a batch's execution time counts toward the "
                    + "20-minute service-protection budget.")
            .required(true)
            .defaultValue("100")
            .addValidator(StandardValidators.createLongValidator(1, 1000, true))
            .build();

    static final String API_PATH = "/api/data/v9.2/";
    static final int MAX_PAGE = 5000;

    /** Table definitions by environment root and logical name (set names for URLs, lookup targets, transit URIs). */
    private final Map<String, DynamicsSchemas.Table> tables = new ConcurrentHashMap<>();
    /** Everything describe learned, by environment root and logical name. */
    private final Map<String, DynamicsSchemas.Entity> entities = new ConcurrentHashMap<>();

    public DynamicsConnectionService() {
        // Service protection: 6,000 requests per user per 5-minute sliding window, 52 concurrent requests.
        super("6000", "5 mins", "52");
    }

    @Override
    protected List<PropertyDescriptor> systemProperties() {
        return List.of(ENVIRONMENT_URL, AUTHORIZATION_TYPE, TENANT_ID, CLIENT_ID, CLIENT_SECRET, TOKEN_URL, SCOPE,
                TOKEN_PROVIDER_SERVICE, RECORDS_PER_BATCH);
    }

    @OnDisabled
    public void forgetMetadata() {
        tables.clear();
        entities.clear();
    }

    @Override
    public String system() {
        return "dynamics";
    }

    @Override
    protected String label() {
        return DynamicsResponsePolicy.LABEL;
    }

    @Override
    protected ResponsePolicy responsePolicy() {
        return new DynamicsResponsePolicy();
    }

    @Override
    protected AccessTokenSource tokenSource(PropertyContext context, CrmHttpClient tokenClient) {
        if (TOKEN_PROVIDER.getValue().equals(context.getProperty(AUTHORIZATION_TYPE).getValue())) {
            return new NiFiOAuth2TokenSource(context.getProperty(TOKEN_PROVIDER_SERVICE).asControllerService(OAuth2AccessTokenProvider.class));
        }
        String tenant = context.getProperty(TENANT_ID).evaluateAttributeExpressions().getValue().trim();
        URI tokenUrl = URI.create(context.getProperty(TOKEN_URL).evaluateAttributeExpressions().getValue().trim()
                .replace(TENANT_PLACEHOLDER, URLEncoder.encode(tenant, StandardCharsets.UTF_8)));
        String scope = context.getProperty(SCOPE).isSet() ? context.getProperty(SCOPE).evaluateAttributeExpressions().getValue().trim()
                : environmentUrl(context) + "/.default";
        String clientId = context.getProperty(CLIENT_ID).evaluateAttributeExpressions().getValue().trim();
        String secret = context.getProperty(CLIENT_SECRET).getValue();
        return new OAuthTokenEndpoint(tokenClient, tokenUrl, () -> Map.of("grant_type", "client_credentials",
                "client_id", clientId, "client_secret", secret, "scope", scope));
    }

    @Override
    protected CrmCapabilities capabilities(PropertyContext context, CrmCapabilities.RateLimit rateLimit, int maxConcurrent) {
        return new CrmCapabilities(context.getProperty(RECORDS_PER_BATCH).asInteger(), MAX_PAGE, rateLimit, 0, maxConcurrent,
                true, true, false);
    }

    @Override
    protected List<String> verificationObjects() {
        return List.of("account", "contact", "opportunity");
    }

    @Override
    protected String remainingBudget() {
        CrmHttpClient.Response answer = http().send(t -> get(root() + "WhoAmI"), "call WhoAmI", true);
        String requests = answer.headers().firstValue("x-ms-ratelimit-burst-remaining-xrm-requests").orElse(null);
        String time = answer.headers().firstValue("x-ms-ratelimit-time-remaining-xrm-requests").orElse(null);
        if (requests == null) {
            return "The environment answered without service-protection headers; the remaining budget is unknown";
        }
        return "Requests remaining in the 5-minute service-protection window: " + requests
                + (time == null ? "" : "; execution time remaining: " + time + " s");
    }

    // ---- metadata ----

    @Override
    protected CrmObjectSchema fetchSchema(String object) {
        return entity(object).schema();
    }

    /** The table definition (entity set name, primary id), cached per environment. */
    DynamicsSchemas.Table table(String logicalName) {
        requireApiName("object", logicalName);
        String root = root();
        DynamicsSchemas.Table cached = tables.get(root + logicalName);
        if (cached != null) {
            return cached;
        }
        JsonNode definition = http().sendJson(t -> get(definitionUrl(logicalName) + "?$select="
                        + ODataLiteral.queryValue("LogicalName,EntitySetName,PrimaryIdAttribute,PrimaryNameAttribute,DisplayName,ChangeTrackingEnabled")),
                "describe " + logicalName, true);
        DynamicsSchemas.Table table = DynamicsSchemas.Table.of(definition);
        if (table.setName().isBlank() || table.primaryId().isBlank()) {
            throw new CrmException(CrmException.Reason.MALFORMED_RESPONSE, label() + " described table " + logicalName
                    + " without an EntitySetName or PrimaryIdAttribute");
        }
        tables.put(root + logicalName, table);
        return table;
    }

    /** Everything describe learned about a table: schema, set name, lookups and their navigation properties. */
    DynamicsSchemas.Entity entity(String logicalName) {
        requireApiName("object", logicalName);
        String root = root();
        DynamicsSchemas.Entity cached = entities.get(root + logicalName);
        if (cached != null) {
            return cached;
        }
        DynamicsSchemas.Table table = table(logicalName);
        String base = definitionUrl(logicalName);
        String what = "describe " + logicalName;
        JsonNode attributes = http().sendJson(t -> get(base + "/Attributes"), what, true);
        Map<String, List<String>> options = new HashMap<>();
        for (String type : DynamicsSchemas.optionSetTypes(attributes)) {
            String cast = base + "/Attributes/Microsoft.Dynamics.CRM." + DynamicsSchemas.OPTION_SET_CASTS.get(type)
                    + "?$select=LogicalName&$expand=" + ODataLiteral.queryValue("OptionSet,GlobalOptionSet");
            DynamicsSchemas.readOptions(http().sendJson(t -> get(cast), what + " (" + type + " choices)", true), options);
        }
        JsonNode keys = http().sendJson(t -> get(base + "/Keys"), what + " (alternate keys)", true);
        Map<String, String> navigations;
        try {
            navigations = DynamicsSchemas.navigations(http().sendJson(t -> get(base + "/ManyToOneRelationships?$select="
                            + ODataLiteral.queryValue("ReferencingAttribute,ReferencedEntity,ReferencingEntityNavigationPropertyName")),
                    what + " (relationships)", true));
        } catch (CrmException e) {
            if (e.reason() != CrmException.Reason.NOT_FOUND && e.reason() != CrmException.Reason.INVALID_REQUEST) {
                throw e;
            }
            navigations = null; // not listed by this environment: the naming rule applies
        }
        DynamicsSchemas.Entity entity = DynamicsSchemas.toEntity(table, attributes, options,
                DynamicsSchemas.keyAttributes(keys), navigations);
        entities.put(root + logicalName, entity);
        return entity;
    }

    private String definitionUrl(String logicalName) {
        return root() + "EntityDefinitions(" + ODataLiteral.pathSegment("LogicalName=" + ODataLiteral.string(logicalName)) + ")";
    }

    // ---- query ----

    @Override
    public CrmPage query(CrmQuery query) {
        describe(query.object());
        return new DynamicsReader(this, entity(query.object())).read(query);
    }

    // ---- lookup and count ----

    /** Keeps lookup URLs well under the 32 KB URL limit of the Web API. */
    static final int MAX_LOOKUP_URL = 30_000;
    /** Most {@code eq} terms in one lookup filter. */
    static final int MAX_LOOKUP_TERMS = 500;

    @Override
    public List<Record> lookup(String object, String field, Collection<String> values, List<String> fields) {
        describe(object);
        DynamicsSchemas.Entity entity = entity(object);
        CrmObjectSchema schema = entity.schema();
        CrmField key = schema.field(field).orElseThrow(() -> new CrmException(CrmException.Reason.CONFIGURATION,
                "Table " + object + " has no column " + field));
        List<String> wanted = new ArrayList<>(fields);
        if (!fields.isEmpty() && !wanted.contains(field)) {
            wanted.add(field);
        }
        List<CrmField> selected = DynamicsReader.selectedFields(schema, wanted);
        RecordFactory factory = new RecordFactory(CrmObjectSchema.toRecordSchema(schema.name(), selected, false), selected, label());
        String base = root() + entity.table().setName() + "?$select=" + ODataLiteral.queryValue(DynamicsReader.select(entity, selected))
                + "&$filter=";
        String column = entity.wireName(key);
        List<String> terms = new ArrayList<>();
        for (String value : values.stream().filter(v -> v != null && !v.isBlank()).distinct().toList()) {
            try {
                terms.add(column + " eq " + ODataLiteral.of(key.type(), value));
            } catch (IllegalArgumentException e) {
                // A value that is not of the column's type (e.g. not a GUID) cannot match any row.
            }
        }
        // Dataverse compares text case-insensitively: case variants of one value find the same row, so rows are kept once.
        Map<String, Record> found = new java.util.LinkedHashMap<>();
        int start = 0;
        while (start < terms.size()) {
            StringBuilder filter = new StringBuilder(terms.get(start));
            int end = start + 1;
            while (end < terms.size() && end - start < MAX_LOOKUP_TERMS
                    && base.length() + ODataLiteral.queryValue(filter + " or " + terms.get(end)).length() < MAX_LOOKUP_URL) {
                filter.append(" or ").append(terms.get(end));
                end++;
            }
            String what = "look up " + object + " by " + field;
            String url = base + ODataLiteral.queryValue(filter.toString());
            while (url != null) {
                String current = url;
                JsonNode page = http().sendJson(t -> get(current).header("Prefer", "odata.maxpagesize=" + MAX_PAGE), what, true);
                for (JsonNode row : page.path("value")) {
                    Record record = factory.create(name -> DynamicsReader.valueOf(entity, row, name), null);
                    found.putIfAbsent(record.getAsString(schema.idField()), record);
                }
                String next = page.path("@odata.nextLink").asText(null);
                url = next != null && isOwnLink(next) ? next : null;
            }
            start = end;
        }
        return new ArrayList<>(found.values());
    }

    /**
     * Slices for parallel loads.
     * <ul>
     *   <li>On the primary id the slices are balanced by record count: the ids are read in the server's own order
     *       ({@code $orderby=<id> asc}, 5,000 per request) and every n-th id becomes a bound. Interpolating GUIDs
     *       as numbers would not do: SQL Server orders {@code uniqueidentifier}s by their last bytes first, so
     *       ranges computed as text would overlap and repeat records.</li>
     *   <li>On a date-time, date or whole-number column (e.g. {@code createdon}) the range between the smallest and
     *       largest value is split evenly ({@link KeySpace}).</li>
     * </ul>
     */
    @Override
    public List<CrmPartition> partitions(String object, String field, int count) {
        describe(object);
        DynamicsSchemas.Entity entity = entity(object);
        CrmField key = entity.schema().field(field).orElseThrow(() -> new CrmException(CrmException.Reason.CONFIGURATION,
                "Table " + object + " has no column " + field));
        if (count < 1) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "The number of partitions must be at least 1, was " + count);
        }
        return switch (key.type()) {
            case ID -> balancedIdPartitions(entity, count);
            case DATETIME, DATE, INTEGER -> KeySpace.partitions(field, key.type(), edge(entity, key, "asc"), edge(entity, key, "desc"), count);
            default -> throw new CrmException(CrmException.Reason.CONFIGURATION, "Cannot partition " + object + " by " + field
                    + ": use its primary id (" + entity.table().primaryId() + ") or a date-time column such as createdon");
        };
    }

    private List<CrmPartition> balancedIdPartitions(DynamicsSchemas.Entity entity, int count) {
        String id = entity.table().primaryId();
        long total = count == 1 ? 0 : count(entity.table().logicalName()).count();
        List<CrmPartition> partitions = new ArrayList<>();
        String lower = null;
        if (total > 1) {
            long seen = 0;
            int next = 1;
            String url = root() + entity.table().setName() + "?$select=" + id + "&$orderby=" + ODataLiteral.queryValue(id + " asc");
            while (url != null && next < count) {
                String current = url;
                JsonNode page = http().sendJson(t -> get(current).header("Prefer", "odata.maxpagesize=" + MAX_PAGE),
                        "partition " + entity.table().logicalName(), true);
                for (JsonNode row : page.path("value")) {
                    // Bound number 'next' is the id at position total * next / count (the first row of its slice).
                    while (next < count && seen >= total * next / count) {
                        String bound = row.path(id).asText();
                        if (seen > 0 && !bound.equals(lower)) {
                            partitions.add(new CrmPartition(id, lower, bound));
                            lower = bound;
                        }
                        next++;
                    }
                    seen++;
                }
                String link = page.path("@odata.nextLink").asText(null);
                url = link != null && isOwnLink(link) ? link : null;
            }
        }
        partitions.add(new CrmPartition(id, lower, null));
        return partitions;
    }

    /** The smallest ({@code asc}) or largest ({@code desc}) value of a column, as text (instants in ISO-8601), or null. */
    private String edge(DynamicsSchemas.Entity entity, CrmField field, String direction) {
        String column = entity.wireName(field);
        String url = root() + entity.table().setName() + "?$select=" + column + "&$filter=" + ODataLiteral.queryValue(column + " ne null")
                + "&$orderby=" + ODataLiteral.queryValue(column + " " + direction) + "&$top=1";
        JsonNode rows = http().sendJson(t -> get(url), "find the " + (direction.equals("asc") ? "smallest " : "largest ")
                + field.name() + " of " + entity.table().logicalName(), true).path("value");
        if (rows.isEmpty() || !rows.get(0).hasNonNull(column)) {
            return null;
        }
        String value = rows.get(0).get(column).asText();
        return field.type() == CrmFieldType.INTEGER ? value : WireValues.parseInstant(value).toString();
    }

    /** Dataverse caps {@code $count} (and {@code @odata.count}) at 5,000. */
    static final int COUNT_CAP = 5000;
    /** Pages of ids read to count a table above the cap (500,000 rows); beyond, the count is a lower bound. */
    static final int MAX_COUNT_PAGES = 100;

    /**
     * {@code @odata.count} of a one-row query when below Dataverse's 5,000 cap (exact); otherwise the ids are paged
     * 5,000 at a time and counted (exact), up to {@value #MAX_COUNT_PAGES} pages, after which the count so far is
     * reported as not exact.
     */
    @Override
    public RecordCount count(String object) {
        describe(object);
        DynamicsSchemas.Entity entity = entity(object);
        String set = entity.table().setName();
        String id = entity.table().primaryId();
        JsonNode first = http().sendJson(t -> get(root() + set + "?$select=" + id + "&$count=true&$top=1"), "count " + object, true);
        long count = first.path("@odata.count").asLong(-1);
        boolean capped = first.path("@Microsoft.Dynamics.CRM.totalrecordcountlimitexceeded").asBoolean(false);
        if (count >= 0 && count < COUNT_CAP && !capped) {
            return new RecordCount(count, true);
        }
        long counted = 0;
        String url = root() + set + "?$select=" + id + "&$orderby=" + ODataLiteral.queryValue(id + " asc");
        for (int pages = 0; url != null; pages++) {
            if (pages == MAX_COUNT_PAGES) {
                return new RecordCount(Math.max(counted, count), false);
            }
            String current = url;
            JsonNode page = http().sendJson(t -> get(current).header("Prefer", "odata.maxpagesize=" + MAX_PAGE), "count " + object, true);
            counted += page.path("value").size();
            String next = page.path("@odata.nextLink").asText(null);
            url = next != null && isOwnLink(next) ? next : null;
        }
        return new RecordCount(counted, true);
    }

    // ---- write ----

    @Override
    public List<CrmWriteResult> write(CrmWriteRequest request) {
        int max = capabilities().maxBatchSize();
        if (request.records().size() > max) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "This Dynamics 365 service writes at most " + max
                    + " records per call (Records Per Batch), got " + request.records().size());
        }
        describe(request.object());
        if (request.records().isEmpty()) {
            return List.of();
        }
        return new DynamicsWriter(this, entity(request.object())).write(request);
    }

    @Override
    public String transitUri(String object) {
        requireApiName("object", object);
        String set;
        try {
            set = table(object).setName();
        } catch (CrmException e) {
            set = object;
        }
        return root() + set;
    }

    // ---- request helpers ----

    /** {@code https://org.crm.dynamics.com/api/data/v9.2/} of the enabled configuration. */
    String root() {
        return environmentUrl(connection().properties()) + API_PATH;
    }

    static String environmentUrl(PropertyContext context) {
        String url = context.getProperty(ENVIRONMENT_URL).evaluateAttributeExpressions().getValue().trim();
        while (url.endsWith("/")) {
            url = url.substring(0, url.length() - 1);
        }
        return url;
    }

    /** Whether a link from a server answer or a cursor points into this environment's Web API (so it may get our token). */
    boolean isOwnLink(String link) {
        String root = root();
        if (link.length() < root.length() || !link.regionMatches(true, 0, root, 0, root.length())) {
            return false;
        }
        try {
            URI uri = URI.create(link);
            URI own = URI.create(root);
            return uri.getRawAuthority() != null && uri.getRawAuthority().equalsIgnoreCase(own.getRawAuthority())
                    && uri.getScheme().equalsIgnoreCase(own.getScheme()) && uri.getRawFragment() == null;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    HttpRequest.Builder get(String url) {
        return request(url).GET();
    }

    HttpRequest.Builder request(String url) {
        return HttpRequest.newBuilder(URI.create(url))
                .header("Accept", "application/json")
                .header("OData-MaxVersion", "4.0")
                .header("OData-Version", "4.0");
    }

    CrmHttpClient client() {
        return http();
    }

    int maxRetries() {
        return connection().properties().getProperty(CommonProperties.MAX_RETRIES).asInteger();
    }

    long requestTimeoutMillis() {
        return connection().properties().getProperty(CommonProperties.REQUEST_TIMEOUT).asTimePeriod(TimeUnit.MILLISECONDS);
    }

    void countMalformed() {
        stats().malformed.increment();
        stats().retries.increment();
    }

    // ---- validation ----

    @Override
    protected Collection<ValidationResult> customValidate(ValidationContext context) {
        List<ValidationResult> problems = new ArrayList<>();
        if (CLIENT_CREDENTIALS.getValue().equals(context.getProperty(AUTHORIZATION_TYPE).getValue())
                && context.getProperty(SCOPE).isSet() && !context.isExpressionLanguagePresent(context.getProperty(SCOPE).getValue())) {
            String scope = context.getProperty(SCOPE).getValue().trim();
            if (!scope.endsWith("/.default")) {
                problems.add(new ValidationResult.Builder().subject(SCOPE.getDisplayName()).input(scope).valid(false)
                        .explanation("the client-credentials grant needs a scope ending in /.default, such as "
                                + "https://yourorg.crm.dynamics.com/.default").build());
            }
        }
        return problems;
    }

    /** Accepts an http(s) URL of a host without path, query or fragment. */
    static final class RootUrlValidator implements Validator {
        @Override
        public ValidationResult validate(String subject, String input, ValidationContext context) {
            ValidationResult.Builder result = new ValidationResult.Builder().subject(subject).input(input);
            if (input != null && context.isExpressionLanguageSupported(subject) && context.isExpressionLanguagePresent(input)) {
                return result.valid(true).explanation("Expression Language present").build();
            }
            String problem = rootUrlProblem(input);
            return result.valid(problem == null).explanation(problem == null ? "a valid environment URL"
                    : problem + "; expected the environment's root address, such as https://yourorg.crm.dynamics.com").build();
        }

        static String rootUrlProblem(String input) {
            if (input == null || input.isBlank()) {
                return "no URL given";
            }
            URI uri;
            try {
                uri = new URI(input.trim());
            } catch (java.net.URISyntaxException e) {
                return "'" + input + "' is not a URL";
            }
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!Set.of("http", "https").contains(scheme) || uri.getHost() == null) {
                return "'" + input + "' is not an http(s) URL with a host";
            }
            String path = uri.getRawPath() == null ? "" : uri.getRawPath();
            if (!path.isEmpty() && !path.equals("/")) {
                return "'" + input + "' has a path (" + path + ")";
            }
            if (uri.getRawQuery() != null || uri.getRawFragment() != null || uri.getRawUserInfo() != null) {
                return "'" + input + "' has a query, fragment or user info";
            }
            return null;
        }
    }

    /** Accepts an http(s) URL, with {@value #TENANT_PLACEHOLDER} where the tenant id goes. */
    static final class TokenUrlValidator implements Validator {
        @Override
        public ValidationResult validate(String subject, String input, ValidationContext context) {
            ValidationResult.Builder result = new ValidationResult.Builder().subject(subject).input(input);
            if (input != null && context.isExpressionLanguageSupported(subject) && context.isExpressionLanguagePresent(input)) {
                return result.valid(true).explanation("Expression Language present").build();
            }
            String problem = null;
            try {
                URI uri = new URI(input.trim().replace(TENANT_PLACEHOLDER, "tenant"));
                if (uri.getScheme() == null || !Set.of("http", "https").contains(uri.getScheme().toLowerCase(Locale.ROOT))
                        || uri.getHost() == null) {
                    problem = "not an http(s) URL with a host";
                }
            } catch (java.net.URISyntaxException | RuntimeException e) {
                problem = "not a URL";
            }
            return result.valid(problem == null).explanation(problem == null ? "a valid token URL"
                    : "'" + input + "' is " + problem + "; expected e.g. https://login.microsoftonline.com/"
                    + TENANT_PLACEHOLDER + "/oauth2/v2.0/token").build();
        }
    }
}
