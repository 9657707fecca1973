package io.nificrm.simulator.http;

import com.fasterxml.jackson.databind.JsonNode;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;

/**
 * One HTTP request as a handler sees it: method, decoded path and query, headers (lower-case names), raw body,
 * and the groups its route pattern matched.
 */
public final class SimRequest {
    private final String method;
    private final URI uri;
    private final Map<String, List<String>> headers;
    private final byte[] body;
    private final Map<String, String> query;
    private Matcher pathMatch;

    public SimRequest(String method, URI uri, Map<String, List<String>> headers, byte[] body) {
        this.method = method;
        this.uri = uri;
        this.headers = headers;
        this.body = body;
        this.query = parseQuery(uri.getRawQuery());
    }

    /** Parses {@code a=1&b=2} (a query string or a form-encoded body) into decoded name/value pairs. */
    public static Map<String, String> parseQuery(String rawQuery) {
        Map<String, String> params = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return params;
        }
        for (String pair : rawQuery.split("&")) {
            int eq = pair.indexOf('=');
            String name = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
            String value = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
            params.merge(name, value, (a, b) -> a + "," + b);
        }
        return params;
    }

    public String method() {
        return method;
    }

    /** The decoded path, e.g. {@code /services/data/v62.0/query}. */
    public String path() {
        return uri.getPath();
    }

    /** The path as sent, still percent-encoded. */
    public String rawPath() {
        return uri.getRawPath();
    }

    public URI uri() {
        return uri;
    }

    /** A query parameter, decoded; repeated parameters are joined with commas. */
    public String param(String name) {
        return query.get(name);
    }

    public String param(String name, String defaultValue) {
        return query.getOrDefault(name, defaultValue);
    }

    public Map<String, String> params() {
        return query;
    }

    /** A header value (case-insensitive name), or null. */
    public String header(String name) {
        List<String> values = headers.get(name.toLowerCase());
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** Every value of a header (case-insensitive name), in the order received; empty when absent. */
    public List<String> headers(String name) {
        List<String> values = headers.get(name.toLowerCase());
        return values == null ? List.of() : List.copyOf(values);
    }

    public byte[] body() {
        return body;
    }

    public String bodyText() {
        return new String(body, StandardCharsets.UTF_8);
    }

    /** The body as form fields ({@code application/x-www-form-urlencoded}). */
    public Map<String, String> form() {
        return parseQuery(bodyText());
    }

    /**
     * The body parsed as JSON.
     *
     * @throws BadRequestException when the body is not JSON
     */
    public JsonNode json() {
        try {
            return Json.MAPPER.readTree(body);
        } catch (Exception e) {
            throw new BadRequestException("Request body is not valid JSON: " + e.getMessage());
        }
    }

    /** The route pattern's capture group {@code n}, decoded. */
    public String pathGroup(int n) {
        return URLDecoder.decode(pathMatch.group(n), StandardCharsets.UTF_8);
    }

    void setPathMatch(Matcher pathMatch) {
        this.pathMatch = pathMatch;
    }
}
