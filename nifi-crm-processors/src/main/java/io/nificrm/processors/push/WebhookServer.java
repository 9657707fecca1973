package io.nificrm.processors.push;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import org.apache.nifi.logging.ComponentLog;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLPeerUnverifiedException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Pattern;

/**
 * The embedded HTTP(S) server of ListenCrmWebhook. Each request is checked in this order: path (404), method (405),
 * client certificate subject (403), size (413), authentication and parsing by the {@link WebhookFormat} (401, 403, 400),
 * byte-identical replay (409), then duplicates: events already committed are dropped (a request of duplicates only is
 * answered 2xx at once). What remains is queued for the processor, and the HTTP thread waits until the processor has
 * committed the FlowFile holding it (2xx) or could not (503), at most the acknowledgement timeout (503). A full queue,
 * back-pressure or stopping answer 503 at once, so the sender retries. Nothing secret or personal is logged.
 */
public final class WebhookServer implements AutoCloseable {

    /**
     * @param port           the port to listen on (0: any free port)
     * @param path           the one path that is served, e.g. {@code /webhooks/hubspot}
     * @param ssl            TLS context, or null for plain HTTP
     * @param needClientAuth require a client certificate trusted by the SSL context
     * @param clientSubject  when set, a client certificate's subject DN must match it
     * @param signedUrlBase  scheme://host[:port] the sender calls, when a proxy sits in front (else from the Host header)
     */
    public record Settings(int port, String path, WebhookFormat format, SSLContext ssl, boolean needClientAuth, Pattern clientSubject,
                           int maxBodyBytes, long ackTimeoutMillis, int queueCapacity, String signedUrlBase) {
    }

    private final Settings settings;
    private final ReplayCache signatures;
    private final ReplayCache events;
    private final WebhookCounters counters;
    private final ComponentLog log;
    private final BlockingQueue<PendingRequest> queue;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final AtomicLong sequence = new AtomicLong();
    private final Map<String, Long> lastWarned = new ConcurrentHashMap<>();
    private final Map<String, AtomicLong> sinceWarned = new ConcurrentHashMap<>();
    private HttpServer server;
    private volatile boolean stopping;
    private volatile boolean backPressured;
    private volatile long lastTrigger = System.nanoTime();
    /** No trigger for this long (NiFi does not trigger a back-pressured processor): new requests are answered 503 at once. */
    private static final long STALLED_NANOS = TimeUnit.SECONDS.toNanos(2);

    public WebhookServer(Settings settings, ReplayCache signatures, ReplayCache events, WebhookCounters counters, ComponentLog log) {
        this.settings = settings;
        this.signatures = signatures;
        this.events = events;
        this.counters = counters;
        this.log = log;
        this.queue = new ArrayBlockingQueue<>(settings.queueCapacity());
    }

    public void start() throws IOException {
        InetSocketAddress address = new InetSocketAddress(settings.port());
        if (settings.ssl() != null) {
            HttpsServer https = HttpsServer.create(address, 1024);
            boolean need = settings.needClientAuth();
            https.setHttpsConfigurator(new HttpsConfigurator(settings.ssl()) {
                @Override
                public void configure(HttpsParameters params) {
                    SSLParameters parameters = getSSLContext().getDefaultSSLParameters();
                    parameters.setNeedClientAuth(need);
                    params.setSSLParameters(parameters);
                }
            });
            server = https;
        } else {
            server = HttpServer.create(address, 1024);
        }
        server.setExecutor(executor);
        server.createContext("/", this::handle);
        server.start();
    }

    /** The bound port. */
    public int port() {
        return server.getAddress().getPort();
    }

    public String scheme() {
        return settings.ssl() == null ? "http" : "https";
    }

    public PendingRequest poll(long timeout, TimeUnit unit) throws InterruptedException {
        return queue.poll(timeout, unit);
    }

    public int drainTo(List<PendingRequest> into, int max) {
        return queue.drainTo(into, max);
    }

    public int queued() {
        return queue.size();
    }

    /** Called at every trigger: the processor is draining the queue. */
    public void triggered() {
        lastTrigger = System.nanoTime();
    }

    /** Set when the processor's output is full: new requests are answered 503 until it clears. */
    public void setBackPressured(boolean value) {
        backPressured = value;
    }

    /** The requests' FlowFiles are committed: remember their keys and answer 2xx. */
    public void committed(List<PendingRequest> requests) {
        List<String> keys = new ArrayList<>();
        List<String> signatureKeys = new ArrayList<>();
        for (PendingRequest request : requests) {
            for (String key : request.keys()) {
                (key.startsWith(SIGNATURE_PREFIX) ? signatureKeys : keys).add(key);
            }
        }
        events.commit(keys);
        signatures.commit(signatureKeys);
        requests.forEach(r -> r.complete(true));
    }

    /** The requests could not be committed: forget their claims (the sender's retry is welcome) and answer 503. */
    public void failed(List<PendingRequest> requests) {
        for (PendingRequest request : requests) {
            release(request.keys());
            request.complete(false);
        }
    }

    private static final String SIGNATURE_PREFIX = "signature|";

    private void release(List<String> keys) {
        List<String> eventKeys = new ArrayList<>();
        List<String> signatureKeys = new ArrayList<>();
        for (String key : keys) {
            (key.startsWith(SIGNATURE_PREFIX) ? signatureKeys : eventKeys).add(key);
        }
        events.release(eventKeys);
        signatures.release(signatureKeys);
    }

    private void handle(HttpExchange exchange) {
        try (exchange) {
            String id = Long.toString(sequence.incrementAndGet());
            WebhookFormat.Answer answer;
            try {
                answer = process(exchange, id);
            } catch (Rejected r) {
                answer = refuse(id, r.status(), r.reason(), r.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                answer = refuse(id, 503, "stopping", "The listener is stopping; retry later");
            } catch (RuntimeException e) {
                log.error("Webhook request {} failed unexpectedly", id, e);
                answer = refuse(id, 503, "internal error", "The request could not be processed; retry later");
            }
            send(exchange, answer);
        } catch (IOException e) {
            log.debug("Could not answer a webhook request: {}", e.getMessage());
        }
    }

    private WebhookFormat.Answer process(HttpExchange exchange, String id) throws Rejected, InterruptedException, IOException {
        if (stopping) {
            throw new Rejected(503, "stopping", "The listener is stopping; retry later");
        }
        URI uri = exchange.getRequestURI();
        String path = uri.getRawPath() == null ? "/" : uri.getRawPath();
        if (!normalize(path).equals(normalize(settings.path()))) {
            throw new Rejected(404, "wrong path", "Nothing is served at this path");
        }
        if (!"POST".equalsIgnoreCase(exchange.getRequestMethod())) {
            throw new Rejected(405, "wrong method", "Only POST is accepted");
        }
        checkClientSubject(exchange);
        String length = exchange.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.trim()) > settings.maxBodyBytes()) {
                    throw new Rejected(413, "too large", "The body is larger than " + settings.maxBodyBytes() + " bytes");
                }
            } catch (NumberFormatException e) {
                throw new Rejected(400, "malformed", "Content-Length is not a number");
            }
        }
        byte[] body;
        try (InputStream in = exchange.getRequestBody()) {
            body = in.readNBytes(settings.maxBodyBytes() + 1);
        }
        if (body.length > settings.maxBodyBytes()) {
            throw new Rejected(413, "too large", "The body is larger than " + settings.maxBodyBytes() + " bytes");
        }
        Map<String, List<String>> headers = new HashMap<>();
        exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), v));
        String remote = exchange.getRemoteAddress() == null ? "" : exchange.getRemoteAddress().getAddress().getHostAddress();
        String base = settings.signedUrlBase() != null ? settings.signedUrlBase() : scheme() + "://" + host(exchange);
        InboundRequest request = new InboundRequest(exchange.getRequestMethod().toUpperCase(Locale.ROOT), uri, base, headers, body, remote);

        WebhookFormat.Parsed parsed = settings.format().parse(request);
        if (parsed.skipped() > 0) {
            counters.add("Events Skipped", parsed.skipped());
        }
        List<String> claimed = new ArrayList<>();
        if (parsed.replayKey() != null) {
            String key = SIGNATURE_PREFIX + parsed.replayKey();
            if (signatures.claim(key) != ReplayCache.Claim.NEW) {
                throw new Rejected(409, "replayed", "This exact request was received before");
            }
            claimed.add(key);
        }
        List<ChangeEvent> fresh = new ArrayList<>(parsed.events().size());
        Set<String> seen = new HashSet<>();
        int duplicates = 0;
        for (ChangeEvent event : parsed.events()) {
            if (!seen.add(event.dedupKey())) {
                duplicates++;
                continue;
            }
            switch (events.claim(event.dedupKey())) {
                case NEW -> {
                    claimed.add(event.dedupKey());
                    fresh.add(event);
                }
                case COMMITTED -> duplicates++;
                case PENDING -> {
                    release(claimed);
                    throw new Rejected(503, "in progress", "Some of these events are being received in another request; retry later");
                }
            }
        }
        counters.add("Duplicate Events Dropped", duplicates);
        if (fresh.isEmpty()) {
            // Duplicates only (a re-delivery of committed events): acknowledged, nothing emitted again.
            signatures.commit(claimed);
            counters.add("Requests Accepted", 1);
            return settings.format().accepted();
        }
        if (backPressured || System.nanoTime() - lastTrigger > STALLED_NANOS) {
            release(claimed);
            throw new Rejected(503, "back pressure", "The flow is back-pressured; retry later");
        }
        PendingRequest pending = new PendingRequest(id, fresh, claimed, remote, scheme() + "://" + host(exchange) + path);
        if (!queue.offer(pending)) {
            release(claimed);
            throw new Rejected(503, "queue full", "Too many requests are waiting; retry later");
        }
        boolean committed;
        try {
            committed = pending.await(settings.ackTimeoutMillis());
        } catch (TimeoutException e) {
            if (pending.cancel()) {
                release(claimed);
            }
            // Else it is being written: its commit or failure settles the claims; a retry is then a duplicate or welcome.
            throw new Rejected(503, "timeout", "The notification was not committed in time; retry later");
        } catch (InterruptedException e) {
            if (pending.cancel()) {
                release(claimed);
            }
            throw e;
        }
        if (!committed) {
            throw new Rejected(503, "not committed", "The notification could not be committed; retry later");
        }
        counters.add("Requests Accepted", 1);
        return settings.format().accepted();
    }

    private void checkClientSubject(HttpExchange exchange) throws Rejected {
        if (settings.clientSubject() == null || !(exchange instanceof HttpsExchange https)) {
            return;
        }
        try {
            String subject = https.getSSLSession().getPeerPrincipal().getName();
            if (!settings.clientSubject().matcher(subject).matches()) {
                throw new Rejected(403, "client certificate", "The client certificate is not accepted");
            }
        } catch (SSLPeerUnverifiedException e) {
            throw new Rejected(403, "client certificate", "A client certificate is required");
        }
    }

    private static String host(HttpExchange exchange) {
        String host = exchange.getRequestHeaders().getFirst("Host");
        if (host != null && !host.isBlank()) {
            return host.trim();
        }
        InetSocketAddress local = exchange.getLocalAddress();
        return local.getHostString() + ":" + local.getPort();
    }

    private static String normalize(String path) {
        return path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
    }

    private WebhookFormat.Answer refuse(String id, int status, String reason, String message) {
        String counter = (status >= 500 ? "Requests Not Acknowledged - " : "Requests Rejected - ") + reason + " (" + status + ")";
        counters.add(counter, 1);
        log.debug("Webhook request {} answered {}: {}", id, status, reason);
        warnSometimes(reason, status, id);
        return settings.format().refused(status, reason, message);
    }

    /** One warning per reason and minute at most, so a flood of forged requests cannot flood the bulletins. */
    private void warnSometimes(String reason, int status, String id) {
        if (status == 404 || status == 405 || "stopping".equals(reason)) {
            return;
        }
        AtomicLong count = sinceWarned.computeIfAbsent(reason, k -> new AtomicLong());
        count.incrementAndGet();
        long now = System.nanoTime();
        Long last = lastWarned.get(reason);
        if (last == null || now - last > TimeUnit.MINUTES.toNanos(1)) {
            lastWarned.put(reason, now);
            long n = count.getAndSet(0);
            log.warn("{} webhook request(s) answered {} ({}) since the last warning; latest request {}", n, status, reason, id);
        }
    }

    private static void send(HttpExchange exchange, WebhookFormat.Answer answer) throws IOException {
        if (answer.contentType() != null) {
            exchange.getResponseHeaders().set("Content-Type", answer.contentType());
        }
        if (answer.status() == 405) {
            exchange.getResponseHeaders().set("Allow", "POST");
        }
        if (answer.status() == 503) {
            exchange.getResponseHeaders().set("Retry-After", "1");
        }
        byte[] body = answer.body();
        exchange.sendResponseHeaders(answer.status(), body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    /** Stops listening: queued requests are answered 503 (nothing of them was written), then the server closes. */
    @Override
    public void close() {
        stopping = true;
        List<PendingRequest> left = new ArrayList<>();
        queue.drainTo(left);
        List<PendingRequest> withdrawn = new ArrayList<>();
        for (PendingRequest request : left) {
            if (request.take()) {
                withdrawn.add(request);
            }
        }
        failed(withdrawn);
        if (server != null) {
            server.stop(1);
        }
        executor.shutdownNow();
    }
}
