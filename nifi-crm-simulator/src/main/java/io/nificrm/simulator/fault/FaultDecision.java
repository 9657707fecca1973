package io.nificrm.simulator.fault;

/**
 * What the fault injector decided for one request.
 *
 * @param latencyMs         sleep this long before answering
 * @param dropConnection    hang up without an answer (after the latency)
 * @param status            answer with this error status instead of calling the handler; 0 for none
 * @param retryAfterSeconds Retry-After of an injected 429
 * @param malformedBody     cut the handler's answer in half
 */
public record FaultDecision(long latencyMs, boolean dropConnection, int status, long retryAfterSeconds,
                            boolean malformedBody) {

    public static final FaultDecision NONE = new FaultDecision(0, false, 0, 0, false);

    public void delay() {
        if (latencyMs > 0) {
            try {
                Thread.sleep(latencyMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
