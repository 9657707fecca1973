package io.nificrm.simulator.http;

import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@code POST /sim/outage}: connections are refused for the outage, then the same port answers with the same data. */
class OutageTest {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @Test
    void refusesConnectionsForTheOutageThenListensAgainOnTheSamePortWithItsData() throws Exception {
        try (CrmSimulator sim = CrmSimulator.start(SimulatorConfig.defaults().port(0).unlimited())) {
            String base = sim.baseUrl();
            post(base + "/sim/salesforce/Account/records", "{\"fields\":{\"Name\":\"Kept Ltd\"}}");
            HttpResponse<String> accepted = post(base + "/sim/outage", "{\"seconds\":2,\"delayMs\":100}");
            assertEquals(202, accepted.statusCode());
            Thread.sleep(500);
            assertThrows(ConnectException.class, () -> get(base + "/sim/health"), "refused during the outage");
            long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
            HttpResponse<String> count = null;
            while (System.nanoTime() < deadline) {
                try {
                    count = get(base + "/sim/salesforce/Account/count");
                    break;
                } catch (ConnectException e) {
                    Thread.sleep(100);
                }
            }
            assertTrue(count != null && count.statusCode() == 200, "listens again on the same port");
            assertEquals("{\"count\":1}", count.body().replace(" ", ""), "the data survived the outage");
            assertEquals(400, post(base + "/sim/outage", "{\"seconds\":0}").statusCode(), "a zero outage is refused");
        }
    }

    private HttpResponse<String> get(String url) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> post(String url, String body) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
