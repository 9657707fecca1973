package io.nificrm.processors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.nifi.util.TestRunner;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static io.nificrm.processors.ListenCrmWebhookTestSupport.body;
import static io.nificrm.processors.ListenCrmWebhookTestSupport.event;
import static io.nificrm.processors.ListenCrmWebhookTestSupport.send;
import static io.nificrm.processors.ListenCrmWebhookTestSupport.signed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** 10,000 notifications in a burst: every one comes out exactly once. */
class ListenCrmWebhookBurstTest {

    @Test
    void aBurstOf10kNotificationsLosesAndDuplicatesNothing() throws Exception {
        TestRunner runner = ListenCrmWebhookTestSupport.hubspotRunner();
        // A small queue, so part of the burst is refused with 503 and has to be retried, as HubSpot would.
        runner.setProperty(ListenCrmWebhook.MAX_QUEUED, "10");
        runner.setProperty(ListenCrmWebhook.BATCH_SIZE, "25");
        ListenCrmWebhookTestSupport.start(runner);
        String url = ListenCrmWebhookTestSupport.url(runner);
        int requests = 100;
        int perRequest = 100;
        Set<String> sent = java.util.concurrent.ConcurrentHashMap.newKeySet();
        AtomicInteger retries = new AtomicInteger();
        AtomicInteger resentAfterSuccess = new AtomicInteger();
        try (ListenCrmWebhookTestSupport.Driver ignored = new ListenCrmWebhookTestSupport.Driver(runner);
             ExecutorService senders = Executors.newFixedThreadPool(16)) {
            List<Future<?>> done = new ArrayList<>();
            for (int r = 0; r < requests; r++) {
                int request = r;
                done.add(senders.submit(() -> {
                    List<ObjectNode> events = new ArrayList<>();
                    for (int e = 0; e < perRequest; e++) {
                        ObjectNode event = event(e % 3 == 0 ? "contact.creation" : "company.creation", request * 1000L + e);
                        events.add(event);
                        sent.add(event.get("eventId").asText());
                    }
                    for (int attempt = 0; ; attempt++) {
                        int a = attempt;
                        events.forEach(ev -> ev.put("attemptNumber", a));
                        HttpResponse<String> answer = send(signed(url, body(events)));
                        if (answer.statusCode() == 200) {
                            break;
                        }
                        assertEquals(503, answer.statusCode(), answer.body());
                        retries.incrementAndGet();
                        Thread.sleep(20L * Math.min(attempt + 1, 10));
                    }
                    // Every tenth request is delivered once more, as after a lost answer: acknowledged, not emitted again.
                    if (request % 10 == 0) {
                        events.forEach(ev -> ev.put("attemptNumber", 99));
                        assertEquals(200, send(signed(url, body(events))).statusCode());
                        resentAfterSuccess.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        }
        runner.run(1, false, false);
        List<JsonNode> records = ListenCrmWebhookTestSupport.successRecords(runner);
        Set<String> received = new HashSet<>();
        records.forEach(r -> received.add(r.get("crm_event_id").asText()));
        assertEquals(requests * perRequest, sent.size());
        assertEquals(requests * perRequest, records.size(), "count in = records out");
        assertEquals(sent, received, "every notification exactly once");
        assertEquals(requests * perRequest, runner.getCounterValue("Events Received"));
        assertEquals(resentAfterSuccess.get() * perRequest, runner.getCounterValue("Duplicate Events Dropped"));
        assertTrue(runner.getFlowFilesForRelationship(ListenCrmWebhook.REL_SUCCESS).size() < requests * 2, "requests are batched");
        System.out.printf("Burst: %d notifications in %d requests, %d answered 503 and retried, %d FlowFiles%n", records.size(), requests,
                retries.get(), runner.getFlowFilesForRelationship(ListenCrmWebhook.REL_SUCCESS).size());
        runner.stop();
    }
}
