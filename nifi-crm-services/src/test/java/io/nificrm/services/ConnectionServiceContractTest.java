package io.nificrm.services;

import io.nificrm.api.CrmConnectionService;
import io.nificrm.api.CrmException;
import io.nificrm.api.CrmObjectSchema;
import io.nificrm.api.CrmPage;
import io.nificrm.api.CrmQuery;
import io.nificrm.api.CrmWriteRequest;
import io.nificrm.api.CrmWriteResult;
import io.nificrm.api.WriteOperation;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorConfig;
import io.nificrm.simulator.fault.FaultRule;
import io.nificrm.simulator.http.AbstractPersona;
import io.nificrm.simulator.seed.SeedConfig;
import org.apache.nifi.controller.ControllerService;
import org.apache.nifi.reporting.InitializationException;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.util.NoOpProcessor;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.Future;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every HTTP connection service must do, checked over real HTTP against the simulator: paging to the end,
 * resuming from a stored cursor, and finishing exact under token expiry, 429 storms, 5xx bursts, timeouts and
 * malformed bodies. Each system's test supplies its names and how to build records.
 */
public abstract class ConnectionServiceContractTest {
    protected static final int SEEDED = 5_000;
    protected CrmSimulator sim;
    protected TestRunner runner;
    protected AbstractCrmConnectionService service;

    /** The system's name in the simulator. */
    protected abstract String system();

    /** The contacts object as the system names it. */
    protected abstract String contactObject();

    /** A new, unconfigured service of the system. */
    protected abstract AbstractCrmConnectionService newService();

    /** Points the service at the simulator with valid credentials. */
    protected abstract void configure(TestRunner runner, ControllerService service, CrmSimulator sim);

    /** The field an upsert of contacts is keyed on (an external id). */
    protected abstract String upsertKey();

    /** A contact record to upsert: valid, or with a malformed e-mail the target refuses. */
    protected abstract Record contact(String key, String lastName, String email);

    /** Page size that splits the seeded contacts into several pages. */
    protected int pageSize() {
        return 1_000;
    }

    @BeforeEach
    void start() throws InitializationException {
        sim = CrmSimulator.start(SimulatorConfig.defaults().unlimited().seed(system(), SeedConfig.ofContacts(SEEDED)));
        runner = TestRunners.newTestRunner(NoOpProcessor.class);
        service = enable(newService());
    }

    protected AbstractCrmConnectionService enable(AbstractCrmConnectionService fresh) throws InitializationException {
        runner.addControllerService(system() + "-" + System.nanoTime(), fresh);
        configure(runner, fresh, sim);
        runner.setProperty(fresh, CommonProperties.REQUEST_TIMEOUT, "2 secs");
        runner.enableControllerService(fresh);
        return fresh;
    }

    @AfterEach
    void stop() {
        sim.close();
    }

    protected AbstractPersona persona() {
        return sim.system(system());
    }

    /** Reads the whole object, page by page; returns ids in order of arrival. */
    protected List<String> readAll(CrmConnectionService connection, CrmQuery query) {
        List<String> ids = new ArrayList<>();
        String idField = connection.describe(query.object()).idField();
        String cursor = null;
        do {
            CrmPage page = connection.query(query.withCursor(cursor));
            page.records().forEach(r -> ids.add(r.getAsString(idField)));
            cursor = page.nextCursor();
        } while (cursor != null);
        return ids;
    }

    protected CrmQuery contacts() {
        return CrmQuery.of(contactObject()).withPageSize(pageSize());
    }

    private static void assertExactlyOnce(List<String> ids, long expected) {
        Set<String> distinct = new HashSet<>(ids);
        assertEquals(ids.size(), distinct.size(), "no record twice");
        assertEquals(expected, distinct.size(), "every record once");
    }

    @Test
    void pagesToTheEndAcrossSeveralPages() {
        int[] pages = {0};
        String cursor = null;
        List<String> ids = new ArrayList<>();
        String idField = service.describe(contactObject()).idField();
        do {
            CrmPage page = service.query(contacts().withCursor(cursor));
            assertTrue(page.records().size() <= pageSize());
            page.records().forEach(r -> ids.add(r.getAsString(idField)));
            cursor = page.nextCursor();
            pages[0]++;
        } while (cursor != null);
        assertTrue(pages[0] >= 3, "read in " + pages[0] + " pages");
        assertExactlyOnce(ids, SEEDED);
    }

    @Test
    void aStoredCursorResumesInANewServiceInstance() throws Exception {
        CrmPage first = service.query(contacts());
        CrmPage second = service.query(contacts().withCursor(first.nextCursor()));
        String stored = second.nextCursor();
        AbstractCrmConnectionService restarted = enable(newService());
        List<String> ids = new ArrayList<>();
        String idField = service.describe(contactObject()).idField();
        first.records().forEach(r -> ids.add(r.getAsString(idField)));
        second.records().forEach(r -> ids.add(r.getAsString(idField)));
        String cursor = stored;
        while (cursor != null) {
            CrmPage page = restarted.query(contacts().withCursor(cursor));
            page.records().forEach(r -> ids.add(r.getAsString(idField)));
            cursor = page.nextCursor();
        }
        assertExactlyOnce(ids, SEEDED);
    }

    @Test
    void tokenExpiryMidRunIsRenewedAndNothingIsLost() {
        List<String> ids = new ArrayList<>();
        String idField = service.describe(contactObject()).idField();
        String cursor = null;
        int page = 0;
        do {
            if (page++ == 2) {
                persona().tokens().expireAll();
            }
            CrmPage current = service.query(contacts().withCursor(cursor));
            current.records().forEach(r -> ids.add(r.getAsString(idField)));
            cursor = current.nextCursor();
        } while (cursor != null);
        assertExactlyOnce(ids, SEEDED);
    }

    @Test
    void aThrottlingStormIsWaitedOutAndTheReadIsExact() {
        sim.faults().add(FaultRule.on(system(), "*").withThrottling(0.4, 1));
        assertExactlyOnce(readAll(service, contacts()), SEEDED);
        assertTrue(sim.stats().throttled(system()) > 0, "the storm happened");
        assertTrue(service.stats().throttled.sum() > 0);
    }

    @Test
    void serverErrorBurstsAndTimeoutsAreRetried() {
        sim.faults().add(FaultRule.on(system(), "*").withErrors(0.3, 503));
        sim.faults().add(FaultRule.on(system(), "*").withTimeouts(0.1, 2_500));
        assertExactlyOnce(readAll(service, contacts()), SEEDED);
        assertTrue(service.stats().retries.sum() > 0);
    }

    @Test
    void malformedBodiesAreRetriedAndAPersistentOneIsAClearError() {
        sim.faults().add(FaultRule.on(system(), "*").withMalformedBodies(0.2));
        assertExactlyOnce(readAll(service, contacts()), SEEDED);
        sim.faults().clear();
        service.describe(contactObject());
        sim.faults().add(FaultRule.on(system(), "*").withMalformedBodies(1.0));
        CrmException e = assertThrows(CrmException.class, () -> service.query(contacts()));
        assertEquals(CrmException.Reason.MALFORMED_RESPONSE, e.reason());
        assertTrue(e.getMessage().contains("not valid JSON"), e.getMessage());
    }

    @Test
    void upsertResultsMapToTheirInputsEvenWithRejectsAndTransientFailures() {
        sim.faults().add(FaultRule.on(system(), "*").withPartialFailures(0.2));
        List<Record> batch = new ArrayList<>();
        int max = Math.min(200, service.capabilities().maxBatchSize());
        for (int i = 0; i < max; i++) {
            batch.add(contact("K-" + i, "Last" + i, i % 10 == 3 ? "broken.address" : "person" + i + "@example.com"));
        }
        List<CrmWriteResult> results = service.write(new CrmWriteRequest(contactObject(), WriteOperation.UPSERT, upsertKey(), batch));
        assertEquals(max, results.size());
        int transientFailures = 0;
        for (int i = 0; i < max; i++) {
            CrmWriteResult result = results.get(i);
            if (i % 10 == 3) {
                assertEquals(CrmWriteResult.Outcome.FAILED, result.outcome(), "record " + i + " has a bad e-mail");
                assertTrue(!result.transientFailure() || result.errorCode() != null);
            }
            if (result.outcome() == CrmWriteResult.Outcome.FAILED && result.transientFailure()) {
                transientFailures++;
            }
            if (result.isSuccess()) {
                assertEquals(CrmWriteResult.Outcome.CREATED, result.outcome(), "record " + i);
            }
        }
        assertTrue(transientFailures > 0, "some records failed transiently");
        long created = results.stream().filter(CrmWriteResult::isSuccess).count();
        sim.faults().clear();
        List<CrmWriteResult> again = service.write(new CrmWriteRequest(contactObject(), WriteOperation.UPSERT, upsertKey(), batch));
        assertEquals(created, again.stream().filter(r -> r.outcome() == CrmWriteResult.Outcome.UPDATED).count(),
                "a repeated upsert updates what the first one created");
        assertEquals(max / 10, again.stream().filter(r -> !r.isSuccess()).count(), "only the bad e-mails still fail");
        Map<String, String> keyToId = new java.util.HashMap<>();
        for (int i = 0; i < max; i++) {
            if (again.get(i).isSuccess()) {
                assertTrue(keyToId.put(again.get(i).targetId(), "K-" + i) == null, "each input has its own target record");
            }
        }
    }

    @Test
    void describeGivesTypesAndTheUpsertKeyIsAnExternalId() {
        CrmObjectSchema schema = service.describe(contactObject());
        assertTrue(schema.field(upsertKey()).orElseThrow().externalId());
        assertTrue(schema.fields().size() > 8);
        CrmException unknown = assertThrows(CrmException.class, () -> service.describe("NoSuchObject"));
        assertEquals(CrmException.Reason.NOT_FOUND, unknown.reason(), unknown.getMessage());
    }

    @Test
    void concurrentDescribesOfOneObjectCostOneRemoteDescribe() throws Exception {
        long before = sim.stats().requests(system(), "*");
        enable(newService()).describe(contactObject());
        long oneDescribe = sim.stats().requests(system(), "*") - before;

        AbstractCrmConnectionService fresh = enable(newService());
        long start = sim.stats().requests(system(), "*");
        List<CrmObjectSchema> schemas = new ArrayList<>();
        try (ExecutorService tasks = Executors.newFixedThreadPool(8)) {
            List<Future<CrmObjectSchema>> running = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                running.add(tasks.submit(() -> fresh.describe(contactObject())));
            }
            for (Future<CrmObjectSchema> f : running) {
                schemas.add(f.get());
            }
        }
        assertEquals(oneDescribe, sim.stats().requests(system(), "*") - start, "8 concurrent describes, one remote describe");
        assertTrue(schemas.stream().allMatch(schema -> schema == schemas.get(0)));
    }

    @Test
    void hostileLookupValuesMatchNothingAndBreakNothing() {
        List<Record> found = service.lookup(contactObject(), upsertKey(), List.of("x' OR Name != 'y", "\" OR 1=1 --", "a\\'b"), List.of());
        assertEquals(0, found.size());
    }
}
