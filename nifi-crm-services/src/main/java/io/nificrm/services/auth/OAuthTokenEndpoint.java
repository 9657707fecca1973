package io.nificrm.services.auth;

import com.fasterxml.jackson.databind.JsonNode;
import io.nificrm.api.CrmException;
import io.nificrm.services.http.CrmHttpClient;
import io.nificrm.services.http.ResponsePolicy;

import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * Tokens from an OAuth 2.0 token endpoint with a form-encoded grant: client credentials (Salesforce, Entra ID),
 * JWT bearer (Salesforce; the form supplier signs a fresh assertion each time) or refresh token (HubSpot).
 * The token is cached until a minute before {@code expires_in}, or until the server refuses it.
 */
public final class OAuthTokenEndpoint implements AccessTokenSource {
    private static final Duration EXPIRY_SKEW = Duration.ofSeconds(60);

    private final CrmHttpClient http;
    private final URI tokenUrl;
    private final Supplier<Map<String, String>> form;
    private volatile Token current;

    /**
     * @param http     an unauthenticated client (token calls do not count against the API budget)
     * @param tokenUrl the token endpoint
     * @param form     the grant's form fields, built per request (secrets are read from sensitive properties)
     */
    public OAuthTokenEndpoint(CrmHttpClient http, URI tokenUrl, Supplier<Map<String, String>> form) {
        this.http = http;
        this.tokenUrl = tokenUrl;
        this.form = form;
    }

    @Override
    public Token token() {
        Token token = current;
        if (token != null && Instant.now().isBefore(token.expiresAt())) {
            return token;
        }
        synchronized (this) {
            if (current == null || !Instant.now().isBefore(current.expiresAt())) {
                current = fetch();
            }
            return current;
        }
    }

    @Override
    public synchronized void invalidate(Token refused) {
        if (current == refused) {
            current = null;
        }
    }

    private Token fetch() {
        String body = form.get().entrySet().stream()
                .map(e -> URLEncoder.encode(e.getKey(), StandardCharsets.UTF_8) + "=" + URLEncoder.encode(e.getValue(), StandardCharsets.UTF_8))
                .collect(Collectors.joining("&"));
        JsonNode answer = http.sendJson(t -> HttpRequest.newBuilder(tokenUrl)
                        .header("Content-Type", "application/x-www-form-urlencoded")
                        .header("Accept", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body)), "the token request", true);
        String value = answer.path("access_token").asText(null);
        if (value == null || value.isBlank()) {
            throw new CrmException(CrmException.Reason.AUTHENTICATION, "The token endpoint answered without an access_token");
        }
        long expiresIn = answer.path("expires_in").asLong(0);
        Instant expiresAt = expiresIn > 0 ? Instant.now().plusSeconds(expiresIn).minus(EXPIRY_SKEW) : Instant.MAX;
        Map<String, String> extras = new HashMap<>();
        answer.fields().forEachRemaining(e -> {
            if (!e.getKey().equals("access_token") && !e.getKey().equals("refresh_token") && e.getValue().isValueNode()) {
                extras.put(e.getKey(), e.getValue().asText());
            }
        });
        return new Token(value, expiresAt, extras);
    }

    /** Reads OAuth error bodies ({@code error}, {@code error_description}); refusals are credential problems. */
    public static final class ErrorPolicy extends ResponsePolicy {
        public ErrorPolicy(String systemLabel) {
            super(systemLabel + " token endpoint");
        }

        @Override
        public ErrorDetail describe(String body) {
            try {
                JsonNode node = CrmHttpClient.JSON.readTree(body);
                String code = node.path("error").isTextual() ? node.path("error").asText() : node.path("status").asText(null);
                String message = node.path("error_description").asText(node.path("message").asText(null));
                return new ErrorDetail(code, message);
            } catch (Exception e) {
                return ErrorDetail.NONE;
            }
        }

        @Override
        public io.nificrm.services.http.Verdict judge(String operation, int status, java.net.http.HttpHeaders headers, String body) {
            if (status == 400 || status == 401 || status == 403) {
                return new io.nificrm.services.http.Verdict.Fail(failure(operation, status, describe(body), CrmException.Reason.AUTHENTICATION));
            }
            return super.judge(operation, status, headers, body);
        }
    }
}
