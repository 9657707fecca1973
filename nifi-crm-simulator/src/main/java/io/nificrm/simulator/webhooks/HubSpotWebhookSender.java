package io.nificrm.simulator.webhooks;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.simulator.http.BadRequestException;
import io.nificrm.simulator.http.Json;
import io.nificrm.simulator.http.Route;
import io.nificrm.simulator.http.SimRequest;
import io.nificrm.simulator.http.SimResponse;
import io.nificrm.simulator.store.ObjectStore;
import io.nificrm.simulator.store.SimRecord;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

/**
 * The HubSpot persona's app webhooks: once {@link #enable enabled}, every create, update and delete in the portal's stores
 * (contacts, companies, deals) becomes a v3-signed notification POSTed to the subscriber's URL, as HubSpot sends them:
 * a JSON array of up to {@code maxBatch} events (100 by default), {@code <type>.creation}, one {@code <type>.propertyChange}
 * per changed property, {@code <type>.deletion} (and {@code <type>.restore}). A delivery that fails (connection error,
 * timeout, or any status but 2xx and the permanent 400/401/403/404/405) is retried with exponential back-off and a
 * higher {@code attemptNumber} (so a new body and signature) up to {@code maxAttempts} attempts in all; then its events
 * are dropped and counted. Deliveries run on {@code concurrency} workers, so events may arrive out of order, as from
 * HubSpot. Admin API: {@code POST /sim/hubspot/webhooks} with {@code {"url","secret"[,"maxBatch","maxAttempts",
 * "backoffMs","concurrency","changeSource"]}}, {@code GET} (settings without the secret, and statistics), {@code DELETE}.
 */
public final class HubSpotWebhookSender implements AutoCloseable {
    public static final long PORTAL_ID = 62_515L;
    public static final long APP_ID = 1_160_452L;
    /** HubSpot does not retry these statuses. */
    private static final Set<Integer> PERMANENT = Set.of(400, 401, 403, 404, 405);
    private static final Map<String, String> TYPES = Map.of("contacts", "contact", "companies", "company", "deals", "deal");
    private static final Map<String, Long> SUBSCRIPTION_BASE = Map.of("contact", 100_000L, "company", 200_000L, "deal", 300_000L);

    /**
     * Delivery settings.
     *
     * @param url          where to POST (the full URL, which is also what is signed)
     * @param secret       the app's client secret (signing key)
     * @param maxBatch     events per request, at most
     * @param maxAttempts  attempts per request in all, first included
     * @param backoff      wait before the first retry; doubled for each further one (capped at 30 s)
     * @param concurrency  requests in flight at once
     * @param changeSource the {@code changeSource} of every event (HubSpot: CRM_UI, API, INTEGRATION, IMPORT...)
     */
    public record Settings(String url, String secret, int maxBatch, int maxAttempts, Duration backoff, int concurrency,
                           String changeSource) {
        public Settings {
            Objects.requireNonNull(url, "url");
            Objects.requireNonNull(secret, "secret");
            if (maxBatch < 1 || maxAttempts < 1 || concurrency < 1) {
                throw new IllegalArgumentException("maxBatch, maxAttempts and concurrency must be at least 1");
            }
        }

        public static Settings of(String url, String secret) {
            return new Settings(url, secret, 100, 5, Duration.ofMillis(200), 4, "API");
        }

        public Settings withMaxBatch(int n) {
            return new Settings(url, secret, n, maxAttempts, backoff, concurrency, changeSource);
        }

        public Settings withMaxAttempts(int n) {
            return new Settings(url, secret, maxBatch, n, backoff, concurrency, changeSource);
        }

        public Settings withBackoff(Duration d) {
            return new Settings(url, secret, maxBatch, maxAttempts, d, concurrency, changeSource);
        }

        public Settings withConcurrency(int n) {
            return new Settings(url, secret, maxBatch, maxAttempts, backoff, n, changeSource);
        }
    }

    /** One notification; {@code attemptNumber} is set when it is sent. */
    private record Event(long eventId, String subscriptionType, long occurredAt, String objectId, String propertyName,
                         String propertyValue) {
    }

    private final Map<String, ObjectStore> stores;
    private final ObjectStore.ChangeListener listener = this::changed;
    private final LinkedBlockingQueue<Event> queue = new LinkedBlockingQueue<>();
    private final AtomicLong eventIds = new AtomicLong(1_000_000_000L);
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();
    private final LongAdder eventsQueued = new LongAdder();
    private final LongAdder eventsDelivered = new LongAdder();
    private final LongAdder eventsDropped = new LongAdder();
    private final LongAdder requests = new LongAdder();
    private final LongAdder retries = new LongAdder();
    private final Map<String, LongAdder> statuses = new ConcurrentHashMap<>();
    private volatile Settings settings;
    private final List<Thread> workers = new ArrayList<>();
    private volatile boolean running;

    /** @param stores the portal's object stores by HubSpot object name (contacts, companies, deals) */
    public HubSpotWebhookSender(Map<String, ObjectStore> stores) {
        this.stores = stores;
    }

    /** Starts sending notifications for every later change (replacing earlier settings). */
    public synchronized void enable(Settings newSettings) {
        stopWorkers();
        settings = newSettings;
        stores.forEach((name, store) -> {
            if (TYPES.containsKey(name)) {
                store.removeChangeListener(listener);
                store.addChangeListener(listener);
            }
        });
        running = true;
        for (int i = 0; i < newSettings.concurrency(); i++) {
            Thread worker = Thread.ofVirtual().name("hubspot-webhooks-" + i).start(this::work);
            workers.add(worker);
        }
    }

    public void enable(String url, String secret) {
        enable(Settings.of(url, secret));
    }

    /** Stops notifying: later changes are not sent, events not yet sent are dropped (and counted). */
    public synchronized void disable() {
        stores.values().forEach(s -> s.removeChangeListener(listener));
        stopWorkers();
        settings = null;
        int left = queue.size();
        queue.clear();
        eventsDropped.add(left);
    }

    public boolean enabled() {
        return settings != null;
    }

    private void stopWorkers() {
        running = false;
        workers.forEach(Thread::interrupt);
        for (Thread worker : workers) {
            try {
                worker.join(5_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        workers.clear();
    }

    /** Waits until every queued event was delivered or dropped; false when that took longer than {@code timeout}. */
    public boolean awaitIdle(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (pending() > 0) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(5);
        }
        return true;
    }

    private long pending() {
        return eventsQueued.sum() - eventsDelivered.sum() - eventsDropped.sum();
    }

    /** Delivery statistics. */
    public record Stats(long eventsQueued, long eventsDelivered, long eventsDropped, long eventsPending, long requests, long retries,
                        Map<String, Long> statuses) {
    }

    public Stats stats() {
        Map<String, Long> byStatus = new TreeMap<>();
        statuses.forEach((k, v) -> byStatus.put(k, v.sum()));
        return new Stats(eventsQueued.sum(), eventsDelivered.sum(), eventsDropped.sum(), pending(),
                requests.sum(), retries.sum(), byStatus);
    }

    /** Zeroes the statistics; call it only while no event is pending. */
    public void resetStats() {
        eventsQueued.reset();
        eventsDelivered.reset();
        eventsDropped.reset();
        requests.reset();
        retries.reset();
        statuses.clear();
    }

    // ---- events from store writes ----

    private void changed(ObjectStore store, SimRecord before, SimRecord after) {
        if (settings == null) {
            return;
        }
        String type = TYPES.get(store.schema().object());
        if (type == null) {
            return;
        }
        List<Event> events = new ArrayList<>();
        if (after.deleted()) {
            if (before == null || !before.deleted()) {
                long at = (after.deletedAt() == null ? after.modifiedAt() : after.deletedAt()).toEpochMilli();
                events.add(new Event(eventIds.incrementAndGet(), type + ".deletion", at, after.id(), null, null));
            }
        } else if (before == null) {
            events.add(new Event(eventIds.incrementAndGet(), type + ".creation", after.createdAt().toEpochMilli(), after.id(), null, null));
        } else {
            if (before.deleted()) {
                events.add(new Event(eventIds.incrementAndGet(), type + ".restore", after.modifiedAt().toEpochMilli(), after.id(), null, null));
            }
            Set<String> names = new LinkedHashSet<>(before.fields().keySet());
            names.addAll(after.fields().keySet());
            for (String name : names) {
                Object old = before.fields().get(name);
                Object now = after.fields().get(name);
                if (!Objects.equals(old, now)) {
                    events.add(new Event(eventIds.incrementAndGet(), type + ".propertyChange", after.modifiedAt().toEpochMilli(),
                            after.id(), name, render(now)));
                }
            }
        }
        eventsQueued.add(events.size());
        queue.addAll(events);
    }

    /** Property values as HubSpot sends them: text; dates and times as epoch milliseconds; empty when cleared. */
    private static String render(Object value) {
        if (value == null) {
            return "";
        }
        if (value instanceof Instant instant) {
            return Long.toString(instant.toEpochMilli());
        }
        if (value instanceof LocalDate date) {
            return Long.toString(date.atStartOfDay(ZoneOffset.UTC).toInstant().toEpochMilli());
        }
        return value.toString();
    }

    // ---- delivery ----

    private void work() {
        List<Event> batch = new ArrayList<>();
        while (running) {
            Settings current = settings;
            Event first;
            try {
                first = queue.poll(100, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (first == null) {
                continue;
            }
            batch.clear();
            batch.add(first);
            queue.drainTo(batch, current == null ? 0 : current.maxBatch() - 1);
            if (current == null) {
                eventsDropped.add(batch.size());
                continue;
            }
            try {
                deliver(current, batch);
            } catch (InterruptedException e) {
                eventsDropped.add(batch.size());
                return;
            }
        }
    }

    private void deliver(Settings current, List<Event> batch) throws InterruptedException {
        Duration wait = current.backoff();
        for (int attempt = 0; attempt < current.maxAttempts(); attempt++) {
            if (attempt > 0) {
                retries.increment();
                Thread.sleep(wait);
                wait = wait.multipliedBy(2).compareTo(Duration.ofSeconds(30)) > 0 ? Duration.ofSeconds(30) : wait.multipliedBy(2);
            }
            byte[] body = body(current, batch, attempt);
            long timestamp = System.currentTimeMillis();
            HttpRequest request = HttpRequest.newBuilder(URI.create(current.url()))
                    .timeout(Duration.ofSeconds(20))
                    .header("Content-Type", "application/json")
                    .header("User-Agent", "HubSpot Connect 2.0 (http://dev.hubspot.com/) (simulated)")
                    .header(HubSpotSignature.V3_HEADER, HubSpotSignature.v3(current.secret(), "POST", current.url(), body, timestamp))
                    .header(HubSpotSignature.TIMESTAMP_HEADER, Long.toString(timestamp))
                    .header(HubSpotSignature.V1_HEADER, HubSpotSignature.v1(current.secret(), body))
                    .header(HubSpotSignature.VERSION_HEADER, "v1")
                    .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                    .build();
            requests.increment();
            int status;
            try {
                status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
            } catch (IOException e) {
                statuses.computeIfAbsent("io-error", k -> new LongAdder()).increment();
                continue;
            }
            statuses.computeIfAbsent(Integer.toString(status), k -> new LongAdder()).increment();
            if (status >= 200 && status < 300) {
                eventsDelivered.add(batch.size());
                return;
            }
            if (PERMANENT.contains(status)) {
                break;
            }
        }
        eventsDropped.add(batch.size());
    }

    private static byte[] body(Settings current, List<Event> batch, int attempt) {
        ArrayNode array = Json.array();
        for (Event e : batch) {
            ObjectNode node = array.addObject();
            node.put("eventId", e.eventId());
            node.put("subscriptionId", SUBSCRIPTION_BASE.getOrDefault(e.subscriptionType().substring(0, e.subscriptionType().indexOf('.')), 0L)
                    + Math.floorMod(e.subscriptionType().hashCode(), 1000));
            node.put("portalId", PORTAL_ID);
            node.put("appId", APP_ID);
            node.put("occurredAt", e.occurredAt());
            node.put("subscriptionType", e.subscriptionType());
            node.put("attemptNumber", attempt);
            node.put("objectId", Long.parseLong(e.objectId()));
            if (e.propertyName() != null) {
                node.put("propertyName", e.propertyName());
                node.put("propertyValue", e.propertyValue());
            }
            node.put("changeSource", current.changeSource());
            node.put("sourceId", String.valueOf(APP_ID));
        }
        return Json.write(array);
    }

    // ---- admin API ----

    /** {@code POST|GET|DELETE /sim/hubspot/webhooks}. */
    public List<Route> routes() {
        String path = "/sim/hubspot/webhooks";
        return List.of(
                Route.of("admin", "POST", path, "webhooks", this::configure),
                Route.of("admin", "GET", path, "webhooks", r -> SimResponse.json(200, describe())),
                Route.of("admin", "DELETE", path, "webhooks", r -> {
                    disable();
                    return SimResponse.empty(204);
                }));
    }

    private SimResponse configure(SimRequest request) {
        JsonNode body = request.json();
        String url = body.path("url").asText("");
        String secret = body.path("secret").asText("");
        if (url.isBlank() || secret.isBlank()) {
            throw new BadRequestException("Webhooks need a url and a secret");
        }
        try {
            URI.create(url).toURL();
        } catch (Exception e) {
            throw new BadRequestException("Not a valid URL: " + url);
        }
        Settings base = Settings.of(url, secret);
        enable(new Settings(url, secret, body.path("maxBatch").asInt(base.maxBatch()), body.path("maxAttempts").asInt(base.maxAttempts()),
                Duration.ofMillis(body.path("backoffMs").asLong(base.backoff().toMillis())), body.path("concurrency").asInt(base.concurrency()),
                body.path("changeSource").asText(base.changeSource())));
        return SimResponse.json(201, describe());
    }

    private Map<String, Object> describe() {
        Map<String, Object> out = new LinkedHashMap<>();
        Settings current = settings;
        out.put("enabled", current != null);
        if (current != null) {
            out.put("url", current.url());
            out.put("maxBatch", current.maxBatch());
            out.put("maxAttempts", current.maxAttempts());
            out.put("backoffMs", current.backoff().toMillis());
            out.put("concurrency", current.concurrency());
            out.put("changeSource", current.changeSource());
        }
        out.put("portalId", PORTAL_ID);
        out.put("appId", APP_ID);
        out.put("stats", stats());
        return out;
    }

    @Override
    public void close() {
        disable();
    }
}
