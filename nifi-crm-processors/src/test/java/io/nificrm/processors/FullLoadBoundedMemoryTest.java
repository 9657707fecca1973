package io.nificrm.processors;

import io.nificrm.processors.common.CrmProperties;
import org.apache.nifi.csv.CSVRecordSetWriter;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A full load of 100,000 contacts streams with bounded memory: this test runs in its own JVM with a 256 MB heap
 * (see the 'bounded-memory' surefire execution), with the simulator in a separate process so only the processor's
 * memory counts. Holding the load in memory would not fit.
 */
class FullLoadBoundedMemoryTest {
    private static final int CONTACTS = 100_000;
    private static Process simulator;
    private static String baseUrl;

    @BeforeAll
    static void startSimulatorProcess() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        simulator = new ProcessBuilder(java, "-Xmx1g", "-cp", System.getProperty("java.class.path"),
                "io.nificrm.simulator.CrmSimulatorMain", "--port", "0", "--unlimited", "--seed", "salesforce=" + CONTACTS)
                .redirectErrorStream(true).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(simulator.getInputStream(), StandardCharsets.UTF_8));
        Pattern listening = Pattern.compile("listening on (http://\\S+)");
        for (String line = out.readLine(); line != null; line = out.readLine()) {
            Matcher m = listening.matcher(line);
            if (m.find()) {
                baseUrl = m.group(1);
                break;
            }
        }
        assertTrue(baseUrl != null, "the simulator process started");
        Thread drain = new Thread(() -> out.lines().forEach(l -> { }));
        drain.setDaemon(true);
        drain.start();
    }

    @AfterAll
    static void stopSimulatorProcess() throws Exception {
        simulator.destroy();
        simulator.waitFor(10, TimeUnit.SECONDS);
    }

    @Test
    void hundredThousandContactsStreamUnderASmallHeapWithAnExactCount() throws Exception {
        long maxHeap = Runtime.getRuntime().maxMemory();
        assertTrue(maxHeap <= 300L * 1024 * 1024, "this test must run with a small heap, it has " + maxHeap / (1024 * 1024) + " MB");
        TestRunner runner = TestRunners.newTestRunner(QueryCrmEntities.class);
        var service = new io.nificrm.services.salesforce.SalesforceConnectionService();
        runner.addControllerService(TestServices.SALESFORCE, service);
        runner.setProperty(service, io.nificrm.services.salesforce.SalesforceConnectionService.LOGIN_URL, baseUrl);
        runner.setProperty(service, io.nificrm.services.salesforce.SalesforceConnectionService.CLIENT_ID, io.nificrm.simulator.SimulatorCredentials.SALESFORCE_CLIENT_ID);
        runner.setProperty(service, io.nificrm.services.salesforce.SalesforceConnectionService.CLIENT_SECRET, io.nificrm.simulator.SimulatorCredentials.SALESFORCE_CLIENT_SECRET);
        runner.enableControllerService(service);
        CSVRecordSetWriter writer = new CSVRecordSetWriter();
        runner.addControllerService(TestServices.WRITER, writer);
        runner.enableControllerService(writer);
        runner.setProperty(CrmProperties.CONNECTION_SERVICE, TestServices.SALESFORCE);
        runner.setProperty(QueryCrmEntities.OBJECT, "Contact");
        runner.setProperty(QueryCrmEntities.FIELDS, "Email");
        runner.setProperty(QueryCrmEntities.MAX_RECORDS_PER_FLOWFILE, "10000");
        runner.setProperty(CrmProperties.RECORD_WRITER, TestServices.WRITER);
        runner.run();
        assertEquals(CONTACTS, FirstSliceTest.records(runner, QueryCrmEntities.REL_SUCCESS), "exact record count");
        assertEquals(10, runner.getFlowFilesForRelationship(QueryCrmEntities.REL_SUCCESS).size());
        System.out.printf("Full load of %,d contacts: peak heap used %d MB of %d MB%n", CONTACTS, peakHeapMb(), maxHeap / (1024 * 1024));
    }

    private static long peakHeapMb() {
        List<MemoryPoolMXBean> pools = ManagementFactory.getMemoryPoolMXBeans();
        return pools.stream().filter(p -> p.getType() == MemoryType.HEAP).mapToLong(p -> p.getPeakUsage().getUsed()).sum() / (1024 * 1024);
    }
}
