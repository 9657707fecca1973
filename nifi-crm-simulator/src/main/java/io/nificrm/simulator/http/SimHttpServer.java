package io.nificrm.simulator.http;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.nificrm.simulator.fault.FaultDecision;
import io.nificrm.simulator.fault.FaultInjector;
import io.nificrm.simulator.fault.RequestStats;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;

/**
 * The simulator's HTTP front: the JDK's HTTP server with a virtual thread per request, routing to the personas,
 * with fault injection applied before (latency, timeouts, error statuses) and after (malformed bodies) each handler.
 */
public final class SimHttpServer implements AutoCloseable {
    private volatile HttpServer server;
    private final InetSocketAddress address;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final List<Route> routes = new ArrayList<>();
    private final Map<String, Persona> personas;
    private final FaultInjector faults;
    private final RequestStats stats;

    public SimHttpServer(String host, int port, Map<String, Persona> personas, List<Route> adminRoutes,
                         FaultInjector faults, RequestStats stats) throws IOException {
        this.personas = personas;
        this.faults = faults;
        this.stats = stats;
        personas.values().forEach(p -> routes.addAll(p.routes()));
        routes.addAll(adminRoutes);
        server = bind(new InetSocketAddress(host, port));
        address = server.getAddress();
    }

    private HttpServer bind(InetSocketAddress at) throws IOException {
        HttpServer created = HttpServer.create(at, 256);
        created.setExecutor(executor);
        created.createContext("/", this::handle);
        return created;
    }

    /**
     * An outage as a crashed or restarting CRM gives it: after {@code delay} the listening socket is closed (new
     * connections are refused, open ones are cut) and after {@code duration} the server listens again on the same
     * address, with all its data. Returns at once.
     */
    public void outage(java.time.Duration delay, java.time.Duration duration) {
        Thread.ofVirtual().name("sim-outage").start(() -> {
            try {
                Thread.sleep(delay.toMillis());
                server.stop(0);
                Thread.sleep(duration.toMillis());
                IOException last = null;
                for (int attempt = 0; attempt < 100; attempt++) {
                    try {
                        HttpServer restarted = bind(address);
                        restarted.start();
                        server = restarted;
                        return;
                    } catch (IOException e) {
                        last = e;
                        Thread.sleep(100);
                    }
                }
                System.err.println("The simulator could not listen again on " + address + ": " + last);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
    }

    public void start() {
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        try {
            executor.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            byte[] body;
            try (InputStream in = exchange.getRequestBody()) {
                body = in.readAllBytes();
            }
            Map<String, List<String>> headers = new java.util.HashMap<>();
            exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(), v));
            SimRequest request = new SimRequest(exchange.getRequestMethod(), exchange.getRequestURI(), headers, body);
            send(exchange, dispatch(request));
        } catch (ConnectionDropped dropped) {
            // The fault injector asked us to hang up without answering: closing the exchange does that.
        }
    }

    private SimResponse dispatch(SimRequest request) {
        String rawPath = request.rawPath();
        for (Route route : routes) {
            Matcher m = route.match(request.method(), rawPath);
            if (m == null) {
                continue;
            }
            request.setPathMatch(m);
            Persona persona = personas.get(route.system());
            stats.record(route.system(), route.name());
            FaultDecision fault = persona == null ? FaultDecision.NONE : faults.decide(route.system(), route.name(), request.method());
            if (fault.latencyMs() > 0) {
                stats.recordInjected(route.system(), fault.dropConnection() ? "timeout-or-drop" : "slow");
            } else if (fault.dropConnection()) {
                stats.recordInjected(route.system(), "timeout-or-drop");
            }
            if (fault.status() > 0) {
                stats.recordInjected(route.system(), "status-" + fault.status());
            }
            if (fault.malformedBody()) {
                stats.recordInjected(route.system(), "malformed");
            }
            fault.delay();
            if (fault.dropConnection()) {
                throw new ConnectionDropped();
            }
            if (fault.status() == 429) {
                stats.recordThrottled(route.system());
                return persona.throttled(fault.retryAfterSeconds(), "INJECTED");
            }
            if (fault.status() > 0) {
                return persona.error(fault.status(), "INJECTED_FAULT", "Injected fault: HTTP " + fault.status());
            }
            SimResponse response = invoke(route, persona, request);
            if (response.status() == 429) {
                stats.recordThrottled(route.system());
            }
            return fault.malformedBody() ? malformed(response) : response;
        }
        return SimResponse.json(404, Map.of("message", "No simulated endpoint for " + request.method() + " " + rawPath));
    }

    private static SimResponse invoke(Route route, Persona persona, SimRequest request) {
        try {
            return route.handler().handle(request);
        } catch (BadRequestException | IllegalArgumentException e) {
            return persona == null ? SimResponse.json(400, Map.of("message", e.getMessage()))
                    : persona.error(400, "BAD_REQUEST", e.getMessage());
        } catch (Exception e) {
            String message = "Simulator error: " + e;
            return persona == null ? SimResponse.json(500, Map.of("message", message)) : persona.error(500, "SERVER_ERROR", message);
        }
    }

    /** The same status and headers with a body cut in half, as a broken proxy or a truncated transfer would give. */
    private static SimResponse malformed(SimResponse response) {
        byte[] body = response.body();
        byte[] cut = body.length > 2 ? java.util.Arrays.copyOf(body, body.length / 2) : "{\"broken".getBytes(StandardCharsets.UTF_8);
        SimResponse broken = new SimResponse(response.status(), "application/json;charset=UTF-8", cut);
        response.headers().forEach((k, v) -> {
            if (!k.equalsIgnoreCase("Content-Type")) {
                broken.header(k, v);
            }
        });
        return broken;
    }

    private static void send(HttpExchange exchange, SimResponse response) throws IOException {
        response.headers().forEach((k, v) -> exchange.getResponseHeaders().set(k, v));
        byte[] body = response.body();
        boolean noBody = body.length == 0 || response.status() == 204 || "HEAD".equals(exchange.getRequestMethod());
        exchange.sendResponseHeaders(response.status(), noBody ? -1 : body.length);
        if (!noBody) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    private static final class ConnectionDropped extends RuntimeException {
        ConnectionDropped() {
            super(null, null, false, false);
        }
    }
}
