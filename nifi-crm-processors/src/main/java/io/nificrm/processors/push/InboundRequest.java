package io.nificrm.processors.push;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.net.URLDecoder;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One received request as a webhook format sees it.
 *
 * @param method   HTTP method
 * @param uri      the request URI as received (path and query, still encoded)
 * @param baseUrl  scheme, host and port the sender called (the Signed URL Base, or rebuilt from the Host header)
 * @param headers  headers by lower-case name
 * @param body     the raw body
 * @param remoteHost the peer's address
 */
public record InboundRequest(String method, URI uri, String baseUrl, Map<String, List<String>> headers, byte[] body, String remoteHost) {

    /** The first value of a header (name in any case), or null. */
    public String header(String name) {
        List<String> values = headers.get(name.toLowerCase(java.util.Locale.ROOT));
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** The decoded query parameters (first value of each). */
    public Map<String, String> query() {
        Map<String, String> params = new LinkedHashMap<>();
        String raw = uri.getRawQuery();
        if (raw == null || raw.isEmpty()) {
            return params;
        }
        for (String pair : raw.split("&")) {
            int eq = pair.indexOf('=');
            try {
                String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
                params.putIfAbsent(name, value);
            } catch (IllegalArgumentException e) {
                // A malformed escape: the parameter is ignored.
            }
        }
        return params;
    }

    /** The full URL as the sender called it: base URL + raw path + raw query. */
    public String fullUrl() {
        String query = uri.getRawQuery();
        return baseUrl + uri.getRawPath() + (query == null ? "" : "?" + query);
    }
}
