package io.nificrm.services.http;

import javax.net.ssl.SSLContext;
import java.net.ProxySelector;
import java.time.Duration;

/**
 * Transport settings of one connection service.
 *
 * @param connectTimeout how long to wait for a TCP/TLS connection
 * @param requestTimeout how long to wait for a whole answer
 * @param sslContext     TLS settings from an SSL Context Service, or null for the JVM defaults
 * @param proxy          where to route requests, or null for direct connections
 * @param proxyUser      proxy user for Basic authentication, or null
 * @param proxyPassword  proxy password, or null
 */
public record HttpSettings(Duration connectTimeout, Duration requestTimeout, SSLContext sslContext,
                           ProxySelector proxy, String proxyUser, String proxyPassword) {

    public static HttpSettings defaults() {
        return new HttpSettings(Duration.ofSeconds(10), Duration.ofSeconds(60), null, null, null, null);
    }

    @Override
    public String toString() {
        return "HttpSettings[connectTimeout=" + connectTimeout + ", requestTimeout=" + requestTimeout
                + ", tls=" + (sslContext != null) + ", proxy=" + (proxy != null) + "]";
    }
}
