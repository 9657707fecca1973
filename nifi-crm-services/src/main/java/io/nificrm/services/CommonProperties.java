package io.nificrm.services;

import org.apache.nifi.components.PropertyDescriptor;
import org.apache.nifi.processor.util.StandardValidators;
import org.apache.nifi.proxy.ProxyConfiguration;
import org.apache.nifi.proxy.ProxySpec;
import org.apache.nifi.ssl.SSLContextProvider;

/** Properties every HTTP connection service has: TLS, proxy, timeouts, retries and the shared rate limit. */
public final class CommonProperties {
    private CommonProperties() {
    }

    public static final PropertyDescriptor SSL_CONTEXT_SERVICE = new PropertyDescriptor.Builder()
            .name("SSL Context Service")
            .description("TLS settings (trust store, client certificate). When not set, the JVM's default trust store is used.")
            .identifiesControllerService(SSLContextProvider.class)
            .required(false)
            .build();

    public static final PropertyDescriptor PROXY_CONFIGURATION_SERVICE =
            ProxyConfiguration.createProxyConfigPropertyDescriptor(ProxySpec.HTTP, ProxySpec.HTTP_AUTH);

    public static final PropertyDescriptor CONNECT_TIMEOUT = new PropertyDescriptor.Builder()
            .name("Connect Timeout")
            .description("How long to wait for a connection to the API.")
            .required(true)
            .defaultValue("10 secs")
            .addValidator(StandardValidators.TIME_PERIOD_VALIDATOR)
            .build();

    public static final PropertyDescriptor REQUEST_TIMEOUT = new PropertyDescriptor.Builder()
            .name("Request Timeout")
            .description("How long to wait for a complete answer to one request before it counts as failed (and is retried if safe).")
            .required(true)
            .defaultValue("60 secs")
            .addValidator(StandardValidators.TIME_PERIOD_VALIDATOR)
            .build();

    public static final PropertyDescriptor MAX_RETRIES = new PropertyDescriptor.Builder()
            .name("Max Retries")
            .description("How many times a request that failed for a transient reason (server error, timeout, dropped connection, "
                    + "unreadable answer) is retried, with exponential backoff and jitter, before its failure is reported. "
                    + "Throttled requests (429) are always waited out and do not count.")
            .required(true)
            .defaultValue("5")
            .addValidator(StandardValidators.NON_NEGATIVE_INTEGER_VALIDATOR)
            .build();

    /** The request budget; each system gives its own default. */
    public static PropertyDescriptor rateLimitRequests(String defaultValue) {
        return new PropertyDescriptor.Builder()
                .name("Rate Limit Requests")
                .description("Most requests this service sends in one Rate Limit Interval, shared by every processor that uses it. "
                        + "Set it to the API limit of your account or app; the service also obeys the system's rate-limit "
                        + "headers and Retry-After. 0 means no limit.")
                .required(true)
                .defaultValue(defaultValue)
                .addValidator(StandardValidators.NON_NEGATIVE_INTEGER_VALIDATOR)
                .build();
    }

    public static PropertyDescriptor rateLimitInterval(String defaultValue) {
        return new PropertyDescriptor.Builder()
                .name("Rate Limit Interval")
                .description("The sliding window over which Rate Limit Requests is counted.")
                .required(true)
                .defaultValue(defaultValue)
                .addValidator(StandardValidators.TIME_PERIOD_VALIDATOR)
                .build();
    }

    public static PropertyDescriptor maxConcurrentRequests(String defaultValue) {
        return new PropertyDescriptor.Builder()
                .name("Max Concurrent Requests")
                .description("Most requests in flight at once across all processors using this service. 0 means no limit.")
                .required(true)
                .defaultValue(defaultValue)
                .addValidator(StandardValidators.NON_NEGATIVE_INTEGER_VALIDATOR)
                .build();
    }
}
