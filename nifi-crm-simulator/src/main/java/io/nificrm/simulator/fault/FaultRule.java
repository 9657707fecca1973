package io.nificrm.simulator.fault;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * One fault-injection rule. It applies to requests of {@code system} whose endpoint name and method match
 * ({@code *} matches all), for the next {@code remaining} matching requests ({@code -1}: until removed).
 * Rates are probabilities between 0 and 1, drawn independently per request.
 *
 * @param system             {@code salesforce}, {@code hubspot}, {@code dynamics} or {@code *}
 * @param endpoint           endpoint name (e.g. {@code query}, {@code upsert}, {@code token}, {@code describe}) or {@code *}
 * @param method             HTTP method or {@code *}
 * @param latencyMs          added to every matching request
 * @param errorRate          share of requests answered with {@code errorStatus}
 * @param errorStatus        the status of injected errors (default 503)
 * @param throttleRate       share of requests answered with the system's throttling response
 * @param retryAfterSeconds  Retry-After of injected throttling (default 1)
 * @param timeoutRate        share of requests that hang for {@code timeoutMs} and then drop the connection
 * @param timeoutMs          how long a timed-out request hangs (default 30 s)
 * @param dropRate           share of requests whose connection is closed at once without an answer
 * @param malformedRate      share of answers whose body is cut in half (invalid JSON)
 * @param partialFailureRate share of records in batch writes that fail transiently while the rest succeed
 * @param remaining          how many more matching requests the rule applies to; -1 for no limit
 * @param startAfter         how many matching requests pass untouched before the rule starts (e.g. "fail after 5 pages")
 */
@JsonIgnoreProperties(ignoreUnknown = false)
@JsonInclude(JsonInclude.Include.NON_DEFAULT)
public record FaultRule(String system, String endpoint, String method, long latencyMs, double errorRate,
                        int errorStatus, double throttleRate, long retryAfterSeconds, double timeoutRate,
                        long timeoutMs, double dropRate, double malformedRate, double partialFailureRate,
                        long remaining, long startAfter) {

    public FaultRule {
        system = system == null ? "*" : system;
        endpoint = endpoint == null ? "*" : endpoint;
        method = method == null ? "*" : method;
        errorStatus = errorStatus == 0 ? 503 : errorStatus;
        retryAfterSeconds = retryAfterSeconds == 0 ? 1 : retryAfterSeconds;
        timeoutMs = timeoutMs == 0 ? 30_000 : timeoutMs;
        remaining = remaining == 0 ? -1 : remaining;
        for (double rate : new double[]{errorRate, throttleRate, timeoutRate, dropRate, malformedRate, partialFailureRate}) {
            if (rate < 0 || rate > 1) {
                throw new IllegalArgumentException("Fault rates are between 0 and 1, got " + rate);
            }
        }
    }

    /** A rule for a system and endpoint that the {@code with...} methods fill in. */
    public static FaultRule on(String system, String endpoint) {
        return new FaultRule(system, endpoint, "*", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, 0);
    }

    public FaultRule withLatency(long ms) {
        return new FaultRule(system, endpoint, method, ms, errorRate, errorStatus, throttleRate, retryAfterSeconds, timeoutRate, timeoutMs, dropRate, malformedRate, partialFailureRate, remaining, startAfter);
    }

    public FaultRule withErrors(double rate, int status) {
        return new FaultRule(system, endpoint, method, latencyMs, rate, status, throttleRate, retryAfterSeconds, timeoutRate, timeoutMs, dropRate, malformedRate, partialFailureRate, remaining, startAfter);
    }

    public FaultRule withThrottling(double rate, long retryAfter) {
        return new FaultRule(system, endpoint, method, latencyMs, errorRate, errorStatus, rate, retryAfter, timeoutRate, timeoutMs, dropRate, malformedRate, partialFailureRate, remaining, startAfter);
    }

    public FaultRule withTimeouts(double rate, long hangMs) {
        return new FaultRule(system, endpoint, method, latencyMs, errorRate, errorStatus, throttleRate, retryAfterSeconds, rate, hangMs, dropRate, malformedRate, partialFailureRate, remaining, startAfter);
    }

    public FaultRule withDrops(double rate) {
        return new FaultRule(system, endpoint, method, latencyMs, errorRate, errorStatus, throttleRate, retryAfterSeconds, timeoutRate, timeoutMs, rate, malformedRate, partialFailureRate, remaining, startAfter);
    }

    public FaultRule withMalformedBodies(double rate) {
        return new FaultRule(system, endpoint, method, latencyMs, errorRate, errorStatus, throttleRate, retryAfterSeconds, timeoutRate, timeoutMs, dropRate, rate, partialFailureRate, remaining, startAfter);
    }

    public FaultRule withPartialFailures(double rate) {
        return new FaultRule(system, endpoint, method, latencyMs, errorRate, errorStatus, throttleRate, retryAfterSeconds, timeoutRate, timeoutMs, dropRate, malformedRate, rate, remaining, startAfter);
    }

    public FaultRule forMethod(String httpMethod) {
        return new FaultRule(system, endpoint, httpMethod, latencyMs, errorRate, errorStatus, throttleRate, retryAfterSeconds, timeoutRate, timeoutMs, dropRate, malformedRate, partialFailureRate, remaining, startAfter);
    }

    public FaultRule times(long count) {
        return new FaultRule(system, endpoint, method, latencyMs, errorRate, errorStatus, throttleRate, retryAfterSeconds, timeoutRate, timeoutMs, dropRate, malformedRate, partialFailureRate, count, startAfter);
    }

    /** The rule starts after {@code count} matching requests went through untouched. */
    public FaultRule after(long count) {
        return new FaultRule(system, endpoint, method, latencyMs, errorRate, errorStatus, throttleRate, retryAfterSeconds, timeoutRate, timeoutMs, dropRate, malformedRate, partialFailureRate, remaining, count);
    }

    boolean matches(String requestSystem, String requestEndpoint, String requestMethod) {
        return ("*".equals(system) || system.equalsIgnoreCase(requestSystem))
                && ("*".equals(endpoint) || endpoint.equalsIgnoreCase(requestEndpoint))
                && ("*".equals(method) || method.equalsIgnoreCase(requestMethod));
    }
}
