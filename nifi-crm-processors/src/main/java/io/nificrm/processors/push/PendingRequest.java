package io.nificrm.processors.push;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A verified request waiting for its FlowFile to be committed. The HTTP thread that received it waits on it; the
 * processor {@link #take takes} it from the queue, writes its events and completes it after the session commit. A request
 * whose sender gave up waiting is {@link #cancel cancelled} while still queued, so it is never written.
 */
public final class PendingRequest {
    private static final int QUEUED = 0;
    private static final int TAKEN = 1;
    private static final int CANCELLED = 2;

    private final String id;
    private final List<ChangeEvent> events;
    private final List<String> keys;
    private final String remoteHost;
    private final String transitUri;
    private final long receivedNanos = System.nanoTime();
    private final AtomicInteger state = new AtomicInteger(QUEUED);
    private final CompletableFuture<Boolean> done = new CompletableFuture<>();

    /**
     * @param keys the replay-cache keys claimed for it (its signature and its events' dedup keys)
     */
    public PendingRequest(String id, List<ChangeEvent> events, List<String> keys, String remoteHost, String transitUri) {
        this.id = id;
        this.events = events;
        this.keys = keys;
        this.remoteHost = remoteHost;
        this.transitUri = transitUri;
    }

    public String id() {
        return id;
    }

    public List<ChangeEvent> events() {
        return events;
    }

    List<String> keys() {
        return keys;
    }

    public String remoteHost() {
        return remoteHost;
    }

    public String transitUri() {
        return transitUri;
    }

    public long receivedNanos() {
        return receivedNanos;
    }

    /** Claims the request for writing; false when its sender already gave up. */
    public boolean take() {
        return state.compareAndSet(QUEUED, TAKEN);
    }

    /** Withdraws a request nobody took yet; false when it is already being written. */
    boolean cancel() {
        return state.compareAndSet(QUEUED, CANCELLED);
    }

    void complete(boolean committed) {
        done.complete(committed);
    }

    /** True when committed, false when failed; throws TimeoutException when undecided after the timeout. */
    boolean await(long timeoutMillis) throws TimeoutException, InterruptedException {
        try {
            return done.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            return false;
        }
    }
}
