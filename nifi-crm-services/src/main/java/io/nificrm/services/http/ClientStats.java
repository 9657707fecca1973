package io.nificrm.services.http;

import java.util.concurrent.atomic.LongAdder;

/** Counts what a connection's HTTP client did: for verify(), logs and benchmarks. */
public final class ClientStats {
    public final LongAdder requests = new LongAdder();
    public final LongAdder throttled = new LongAdder();
    public final LongAdder retries = new LongAdder();
    public final LongAdder transientFailures = new LongAdder();
    public final LongAdder reauthentications = new LongAdder();
    public final LongAdder malformed = new LongAdder();

    @Override
    public String toString() {
        return "requests=" + requests.sum() + ", throttled=" + throttled.sum() + ", retries=" + retries.sum()
                + ", transientFailures=" + transientFailures.sum() + ", reauthentications=" + reauthentications.sum()
                + ", malformed=" + malformed.sum();
    }
}
