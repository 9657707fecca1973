package io.nificrm.services.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nificrm.api.CrmException;
import io.nificrm.api.CrmException.Reason;
import io.nificrm.services.auth.AccessTokenSource;

import java.io.IOException;
import java.net.ConnectException;
import java.net.http.HttpClient;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.function.Function;

/**
 * Every HTTP call of every connection service goes through here, once: the shared rate limit, the bearer token
 * (renewed once on 401), waiting out 429s, retrying transient failures with backoff and jitter, the request
 * timeout, and turning error bodies into {@link CrmException}s that name the operation. Messages never contain
 * tokens or request bodies.
 */
public final class CrmHttpClient {
    public static final ObjectMapper JSON = new ObjectMapper();
    /** How long one call may keep waiting out 429s before it gives up and reports RATE_LIMITED. */
    private static final Duration MAX_THROTTLED_WAIT = Duration.ofMinutes(10);
    /** The largest answer read into memory: far above any page the systems send (Dataverse 5,000 records). */
    public static final long DEFAULT_MAX_RESPONSE_BYTES = 256L * 1024 * 1024;

    private final HttpClient transport;
    private final ResponsePolicy policy;
    private final AccessTokenSource tokens;
    private final RequestThrottle throttle;
    private final RetryPolicy retry;
    private final Duration requestTimeout;
    private final ClientStats stats;
    private final long maxResponseBytes;

    /**
     * @param tokens   the bearer-token source, or null for unauthenticated calls (token endpoints)
     * @param throttle the shared rate limit, or null for none
     */
    public CrmHttpClient(HttpClient transport, ResponsePolicy policy, AccessTokenSource tokens, RequestThrottle throttle,
                         RetryPolicy retry, Duration requestTimeout, ClientStats stats) {
        this(transport, policy, tokens, throttle, retry, requestTimeout, stats, DEFAULT_MAX_RESPONSE_BYTES);
    }

    /** @param maxResponseBytes the longest body read; a longer one fails the call (MALFORMED_RESPONSE), not the heap */
    public CrmHttpClient(HttpClient transport, ResponsePolicy policy, AccessTokenSource tokens, RequestThrottle throttle,
                         RetryPolicy retry, Duration requestTimeout, ClientStats stats, long maxResponseBytes) {
        this.maxResponseBytes = maxResponseBytes;
        this.transport = transport;
        this.policy = policy;
        this.tokens = tokens;
        this.throttle = throttle;
        this.retry = retry;
        this.requestTimeout = requestTimeout;
        this.stats = stats;
    }

    /** Builds the JDK client all calls of one service share. */
    public static HttpClient transport(HttpSettings settings) {
        HttpClient.Builder builder = HttpClient.newBuilder()
                .connectTimeout(settings.connectTimeout())
                .followRedirects(HttpClient.Redirect.NORMAL);
        if (settings.sslContext() != null) {
            builder.sslContext(settings.sslContext());
        }
        if (settings.proxy() != null) {
            builder.proxy(settings.proxy());
            if (settings.proxyUser() != null) {
                builder.authenticator(new java.net.Authenticator() {
                    @Override
                    protected java.net.PasswordAuthentication getPasswordAuthentication() {
                        return getRequestorType() == RequestorType.PROXY
                                ? new java.net.PasswordAuthentication(settings.proxyUser(), settings.proxyPassword().toCharArray())
                                : null;
                    }
                });
            }
        }
        return builder.build();
    }

    /** A successful answer. */
    public record Response(int status, HttpHeaders headers, byte[] body) {
        public String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    /**
     * Sends a request built per attempt (with the current token), retrying as the failure allows.
     *
     * @param request    builds the request for a token (the token may carry the instance URL); the client adds
     *                   the Authorization header and the timeout
     * @param operation  what this call does, for messages (e.g. "query Contact")
     * @param idempotent true when repeating the call cannot do harm (reads, upserts, deletes); non-idempotent calls
     *                   are only repeated when the request surely did not reach the server (429, refused connection)
     * @throws CrmException when the call fails for good
     */
    public Response send(Function<AccessTokenSource.Token, HttpRequest.Builder> request, String operation, boolean idempotent) {
        return exchange(request, operation, idempotent, null).response;
    }

    /** Like {@link #send}, then parses the body as JSON; an unreadable body counts as a transient failure. */
    public JsonNode sendJson(Function<AccessTokenSource.Token, HttpRequest.Builder> request, String operation, boolean idempotent) {
        return exchange(request, operation, idempotent, CrmHttpClient::parseJson).json;
    }

    private record Exchange(Response response, JsonNode json) {
    }

    private Exchange exchange(Function<AccessTokenSource.Token, HttpRequest.Builder> request, String operation,
                              boolean idempotent, Function<Response, JsonNode> parser) {
        int transientFailures = 0;
        boolean renewed = false;
        long throttledSince = 0;
        String lastProblem = null;
        while (true) {
            AccessTokenSource.Token token = tokens == null ? null : tokens.token();
            HttpRequest.Builder builder = request.apply(token).timeout(requestTimeout);
            if (token != null) {
                builder.header("Authorization", "Bearer " + token.value());
            }
            boolean mayHaveReachedServer = true;
            String problem;
            try (RequestThrottle.Permit ignored = throttle == null ? () -> { } : throttle.acquire()) {
                stats.requests.increment();
                HttpResponse<byte[]> answer = transport.send(builder.build(), BoundedBody.atMost(maxResponseBytes));
                Response response = new Response(answer.statusCode(), answer.headers(), answer.body());
                if (response.status() / 100 == 2) {
                    if (parser == null) {
                        return new Exchange(response, null);
                    }
                    try {
                        return new Exchange(response, parser.apply(response));
                    } catch (MalformedBody e) {
                        stats.malformed.increment();
                        problem = "an answer that is not valid JSON (" + e.getMessage() + ")";
                        if (!idempotent || transientFailures >= retry.maxRetries()) {
                            throw new CrmException(Reason.MALFORMED_RESPONSE, null, response.status(),
                                    policy.systemLabel() + " answered " + operation + " with " + problem, null);
                        }
                        backOff(transientFailures++);
                        lastProblem = problem;
                        continue;
                    }
                }
                Verdict verdict = policy.judge(operation, response.status(), response.headers(), response.text());
                switch (verdict) {
                    case Verdict.Reauthenticate r -> {
                        if (tokens == null || renewed || !tokens.canRenew()) {
                            throw policy.failure(operation, response.status(), policy.describe(response.text()), Reason.AUTHENTICATION);
                        }
                        stats.reauthentications.increment();
                        tokens.invalidate(token);
                        renewed = true;
                        continue;
                    }
                    case Verdict.Throttled t -> {
                        stats.throttled.increment();
                        if (throttledSince == 0) {
                            throttledSince = System.nanoTime();
                        } else if (System.nanoTime() - throttledSince > MAX_THROTTLED_WAIT.toNanos()) {
                            throw new CrmException(Reason.RATE_LIMITED, null, 429, policy.systemLabel() + " kept throttling "
                                    + operation + " for more than " + MAX_THROTTLED_WAIT.toMinutes() + " minutes: " + t.detail(), null);
                        }
                        if (throttle != null) {
                            throttle.pause(t.retryAfter());
                        } else {
                            sleep(t.retryAfter());
                        }
                        continue;
                    }
                    case Verdict.Transient tr -> problem = tr.detail();
                    case Verdict.Fail f -> throw f.exception();
                }
            } catch (ConnectException e) {
                mayHaveReachedServer = false;
                problem = "connection refused or unreachable (" + e.getClass().getSimpleName() + ")";
            } catch (HttpTimeoutException e) {
                problem = "no answer within " + requestTimeout.toSeconds() + " s";
            } catch (IOException e) {
                BoundedBody.TooLarge tooLarge = BoundedBody.cause(e);
                if (tooLarge != null) {
                    stats.malformed.increment();
                    throw new CrmException(Reason.MALFORMED_RESPONSE, null, 0, policy.systemLabel() + " answered " + operation
                            + String.format(" with more than %,d bytes; lower the page size", tooLarge.maxBytes), null);
                }
                problem = "connection failed (" + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")";
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new CrmException(Reason.UNAVAILABLE, null, 0, operation + " was interrupted", e);
            }
            stats.transientFailures.increment();
            lastProblem = problem;
            if ((mayHaveReachedServer && !idempotent) || transientFailures >= retry.maxRetries()) {
                String tries = transientFailures == 0 ? "" : " after " + (transientFailures + 1) + " attempts";
                throw new CrmException(Reason.UNAVAILABLE, null, 0,
                        policy.systemLabel() + " did not complete " + operation + tries + ": " + lastProblem, null);
            }
            backOff(transientFailures++);
        }
    }

    private void backOff(int attempt) {
        stats.retries.increment();
        sleep(retry.delay(attempt));
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CrmException(Reason.UNAVAILABLE, "interrupted while waiting to retry");
        }
    }

    private static JsonNode parseJson(Response response) {
        try {
            JsonNode node = JSON.readTree(response.body());
            if (node == null || node.isMissingNode()) {
                throw new MalformedBody("empty body");
            }
            return node;
        } catch (IOException e) {
            String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage().lines().findFirst().orElse("");
            throw new MalformedBody(response.body().length + " bytes: " + reason);
        }
    }

    private static final class MalformedBody extends RuntimeException {
        MalformedBody(String message) {
            super(message, null, false, false);
        }
    }
}
