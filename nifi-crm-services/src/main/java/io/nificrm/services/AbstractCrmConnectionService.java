package io.nificrm.services;

import io.nificrm.api.CrmCapabilities;
import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmException;
import io.nificrm.api.CrmObjectSchema;
import io.nificrm.services.auth.AccessTokenSource;
import io.nificrm.services.http.ClientStats;
import io.nificrm.services.http.CrmHttpClient;
import io.nificrm.services.http.HttpSettings;
import io.nificrm.services.http.RequestThrottle;
import io.nificrm.services.http.ResponsePolicy;
import io.nificrm.services.http.RetryPolicy;
import org.apache.nifi.annotation.lifecycle.OnDisabled;
import org.apache.nifi.annotation.lifecycle.OnEnabled;
import org.apache.nifi.components.ConfigVerificationResult;
import org.apache.nifi.components.ConfigVerificationResult.Outcome;
import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.context.PropertyContext;
import org.apache.nifi.controller.AbstractControllerService;
import org.apache.nifi.controller.ConfigurationContext;
import org.apache.nifi.controller.VerifiableControllerService;
import org.apache.nifi.logging.ComponentLog;
import org.apache.nifi.proxy.ProxyConfiguration;
import org.apache.nifi.ssl.SSLContextProvider;

import java.net.InetSocketAddress;
import java.net.ProxySelector;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * What the HTTP-based connection services share: transport settings, the rate limit and retry policy, the
 * token source, a describe cache, and {@code verify()} that checks credentials, reachability, object access and
 * the remaining API budget step by step. Subclasses supply the system's wire format.
 */
public abstract class AbstractCrmConnectionService extends AbstractControllerService
        implements CrmConnectionService, VerifiableControllerService {

    /** Object and field names are identifiers: anything else never reaches a URL or a query. */
    private static final Pattern API_NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_]{0,79}");

    private final Map<String, CrmObjectSchema> schemas = new ConcurrentHashMap<>();
    /** Describes under way: concurrent tasks asking for the same object wait for one remote describe. */
    private final Map<String, CompletableFuture<CrmObjectSchema>> describing = new ConcurrentHashMap<>();
    private final PropertyDescriptor rateLimitRequests;
    private final PropertyDescriptor rateLimitInterval;
    private final PropertyDescriptor maxConcurrent;
    private volatile Connection connection;

    /**
     * @param defaultRequests   default of Rate Limit Requests (the system's documented limit; "0" for none)
     * @param defaultInterval   default of Rate Limit Interval
     * @param defaultConcurrent default of Max Concurrent Requests ("0" for none)
     */
    protected AbstractCrmConnectionService(String defaultRequests, String defaultInterval, String defaultConcurrent) {
        this.rateLimitRequests = CommonProperties.rateLimitRequests(defaultRequests);
        this.rateLimitInterval = CommonProperties.rateLimitInterval(defaultInterval);
        this.maxConcurrent = CommonProperties.maxConcurrentRequests(defaultConcurrent);
    }

    /** One enabled connection: the HTTP client (with its token source and throttle) and its statistics. */
    protected record Connection(CrmHttpClient http, AccessTokenSource tokens, RequestThrottle throttle,
                                CrmCapabilities capabilities, ClientStats stats, PropertyContext properties) {
    }

    /** The system's own properties; the common ones (limits, retries, timeouts, TLS, proxy) follow them. */
    protected abstract List<PropertyDescriptor> systemProperties();

    @Override
    protected final List<PropertyDescriptor> getSupportedPropertyDescriptors() {
        List<PropertyDescriptor> all = new ArrayList<>(systemProperties());
        all.addAll(List.of(rateLimitRequests, rateLimitInterval, maxConcurrent, CommonProperties.MAX_RETRIES,
                CommonProperties.CONNECT_TIMEOUT, CommonProperties.REQUEST_TIMEOUT, CommonProperties.SSL_CONTEXT_SERVICE,
                CommonProperties.PROXY_CONFIGURATION_SERVICE));
        return all;
    }

    /** A human name for messages: "Salesforce", "HubSpot", "Dynamics 365". */
    protected abstract String label();

    /** How the system's error bodies read. */
    protected abstract ResponsePolicy responsePolicy();

    /** The token source for this configuration; {@code tokenClient} is an unauthenticated, unthrottled client. */
    protected abstract AccessTokenSource tokenSource(PropertyContext context, CrmHttpClient tokenClient);

    /** Capabilities for this configuration (batch and page sizes are the system's; limits come from properties). */
    protected abstract CrmCapabilities capabilities(PropertyContext context, CrmCapabilities.RateLimit rateLimit, int maxConcurrent);

    /** Describes an object remotely (the base class caches it). */
    protected abstract CrmObjectSchema fetchSchema(String object);

    /** Objects whose access verify() checks (the standard customer objects of the system). */
    protected abstract List<String> verificationObjects();

    /** A one-line statement of the remaining API budget, read from the system (for verify()). */
    protected abstract String remainingBudget();

    @OnEnabled
    public void onEnabled(ConfigurationContext context) {
        connection = connect(context);
    }

    @OnDisabled
    public void onDisabled() {
        connection = null;
        schemas.clear();
    }

    private Connection connect(PropertyContext context) {
        HttpSettings settings = httpSettings(context);
        HttpClient transport = CrmHttpClient.transport(settings);
        RetryPolicy retry = new RetryPolicy(context.getProperty(CommonProperties.MAX_RETRIES).asInteger(),
                Duration.ofMillis(200), Duration.ofSeconds(10));
        ClientStats stats = new ClientStats();
        CrmHttpClient tokenClient = new CrmHttpClient(transport, new io.nificrm.services.auth.OAuthTokenEndpoint.ErrorPolicy(label()),
                null, null, retry, settings.requestTimeout(), stats);
        AccessTokenSource tokens = tokenSource(context, tokenClient);
        int requests = context.getProperty(rateLimitRequests).asInteger();
        CrmCapabilities.RateLimit rateLimit = requests == 0 ? CrmCapabilities.RateLimit.UNLIMITED
                : new CrmCapabilities.RateLimit(requests, Duration.ofMillis(
                context.getProperty(rateLimitInterval).asTimePeriod(TimeUnit.MILLISECONDS)));
        int concurrency = context.getProperty(maxConcurrent).asInteger();
        RequestThrottle throttle = new RequestThrottle(rateLimit, concurrency);
        CrmHttpClient http = new CrmHttpClient(transport, responsePolicy(), tokens, throttle, retry, settings.requestTimeout(), stats);
        return new Connection(http, tokens, throttle, capabilities(context, rateLimit, concurrency), stats, context);
    }

    private static HttpSettings httpSettings(PropertyContext context) {
        Duration connect = Duration.ofMillis(context.getProperty(CommonProperties.CONNECT_TIMEOUT).asTimePeriod(TimeUnit.MILLISECONDS));
        Duration request = Duration.ofMillis(context.getProperty(CommonProperties.REQUEST_TIMEOUT).asTimePeriod(TimeUnit.MILLISECONDS));
        SSLContextProvider ssl = context.getProperty(CommonProperties.SSL_CONTEXT_SERVICE).asControllerService(SSLContextProvider.class);
        ProxyConfiguration proxy = ProxyConfiguration.getConfiguration(context);
        ProxySelector selector = null;
        if (proxy != null && proxy.getProxyType() == java.net.Proxy.Type.HTTP) {
            selector = ProxySelector.of(new InetSocketAddress(proxy.getProxyServerHost(), proxy.getProxyServerPort()));
        }
        return new HttpSettings(connect, request, ssl == null ? null : ssl.createContext(), selector,
                proxy != null && proxy.hasCredential() ? proxy.getProxyUserName() : null,
                proxy != null && proxy.hasCredential() ? proxy.getProxyUserPassword() : null);
    }

    /** The enabled connection. */
    protected Connection connection() {
        Connection current = connection;
        if (current == null) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, label() + " connection service is not enabled");
        }
        return current;
    }

    protected CrmHttpClient http() {
        return connection().http();
    }

    @Override
    public CrmCapabilities capabilities() {
        return connection().capabilities();
    }

    /** Request counters of this connection since it was enabled. */
    public ClientStats stats() {
        return connection().stats();
    }

    @Override
    public CrmObjectSchema describe(String object) {
        requireApiName("object", object);
        CrmObjectSchema cached = schemas.get(object);
        if (cached != null) {
            return cached;
        }
        CompletableFuture<CrmObjectSchema> mine = new CompletableFuture<>();
        CompletableFuture<CrmObjectSchema> running = describing.putIfAbsent(object, mine);
        if (running != null) {
            return awaitDescribe(running);
        }
        try {
            CrmObjectSchema schema = schemas.get(object);  // finished between the first look and ours
            if (schema == null) {
                schema = fetchSchema(object);
                schemas.put(object, schema);
            }
            mine.complete(schema);
            return schema;
        } catch (RuntimeException e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            describing.remove(object, mine);
        }
    }

    private static CrmObjectSchema awaitDescribe(CompletableFuture<CrmObjectSchema> running) {
        try {
            return running.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException failure ? failure : e;
        }
    }

    /**
     * Refuses names that are not plain identifiers before they reach a URL or a query.
     *
     * @throws CrmException (CONFIGURATION) naming the bad value
     */
    public static String requireApiName(String what, String name) {
        if (name == null || !API_NAME.matcher(name).matches()) {
            throw new CrmException(CrmException.Reason.CONFIGURATION,
                    "Invalid " + what + " name '" + name + "': expected letters, digits and underscores, starting with a letter");
        }
        return name;
    }

    @Override
    public List<ConfigVerificationResult> verify(ConfigurationContext context, ComponentLog verificationLogger, Map<String, String> variables) {
        List<ConfigVerificationResult> results = new ArrayList<>();
        Connection previous = connection;
        try {
            connection = connect(context);
            schemas.clear();
        } catch (RuntimeException e) {
            results.add(result("Configure connection", Outcome.FAILED, "The configuration cannot be used: " + e.getMessage()));
            return results;
        }
        try {
            boolean authenticated = step(results, "Authenticate", () -> {
                connection().tokens().token();
                return "Obtained an access token from " + label();
            });
            if (!authenticated) {
                results.add(result("Access objects", Outcome.SKIPPED, "Skipped because authentication failed"));
                results.add(result("Check API budget", Outcome.SKIPPED, "Skipped because authentication failed"));
                return results;
            }
            for (String object : verificationObjects()) {
                step(results, "Access object " + object, () -> {
                    CrmObjectSchema schema = describe(object);
                    return "Can describe " + object + ": " + schema.fields().size() + " fields";
                });
            }
            step(results, "Check API budget", this::remainingBudget);
            verificationLogger.info("Verified {} connection: {} steps", label(), results.size());
        } finally {
            connection = previous;
            schemas.clear();
        }
        return results;
    }

    private boolean step(List<ConfigVerificationResult> results, String name, java.util.function.Supplier<String> check) {
        try {
            results.add(result(name, Outcome.SUCCESSFUL, check.get()));
            return true;
        } catch (CrmException e) {
            results.add(result(name, Outcome.FAILED, explain(e)));
            return false;
        }
    }

    /** A plain-words explanation of a failure, with what to check. */
    protected String explain(CrmException e) {
        String hint = switch (e.reason()) {
            case AUTHENTICATION -> " Check the client id, secret or token, and that the app is allowed to use this grant.";
            case PERMISSION -> " The credentials work but lack access: check the app's scopes or the user's permissions.";
            case NOT_FOUND -> " Check the object name and the API version.";
            case UNAVAILABLE -> " Check the URL, network, proxy and TLS settings.";
            case QUOTA_EXHAUSTED -> " The daily API quota is used up; it resets on the system's schedule.";
            case RATE_LIMITED -> " The system is throttling this client; lower Rate Limit Requests.";
            default -> "";
        };
        return e.getMessage() + "." + hint;
    }

    private static ConfigVerificationResult result(String step, Outcome outcome, String explanation) {
        return new ConfigVerificationResult.Builder().verificationStepName(step).outcome(outcome).explanation(explanation).build();
    }
}
