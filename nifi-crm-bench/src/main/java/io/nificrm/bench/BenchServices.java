package io.nificrm.bench;

import io.nificrm.services.AbstractCrmConnectionService;
import io.nificrm.services.dynamics.DynamicsConnectionService;
import io.nificrm.services.hubspot.HubSpotConnectionService;
import io.nificrm.services.salesforce.SalesforceConnectionService;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorCredentials;
import org.apache.nifi.json.JsonRecordSetWriter;
import org.apache.nifi.json.JsonTreeReader;
import org.apache.nifi.processor.Processor;
import org.apache.nifi.util.NoOpProcessor;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;

import java.util.Map;

/** Connection services pointed at the simulator, hosted in nifi-mock runners, for benchmarks. */
public final class BenchServices {
    public static final String READER = "reader";
    public static final String WRITER = "writer";

    private BenchServices() {
    }

    /** A runner for {@code processor} with the system's service registered under the system's name. */
    public static TestRunner runner(Class<? extends Processor> processor, String system, CrmSimulator sim, Map<String, String> properties)
            throws Exception {
        TestRunner runner = TestRunners.newTestRunner(processor);
        add(runner, system, sim, properties);
        return runner;
    }

    /** A runner that only hosts the service (for driving the service directly). */
    public static AbstractCrmConnectionService service(String system, CrmSimulator sim, Map<String, String> properties) throws Exception {
        TestRunner runner = TestRunners.newTestRunner(NoOpProcessor.class);
        return add(runner, system, sim, properties);
    }

    public static AbstractCrmConnectionService add(TestRunner runner, String system, CrmSimulator sim, Map<String, String> properties)
            throws Exception {
        AbstractCrmConnectionService service = switch (system) {
            case "salesforce" -> new SalesforceConnectionService();
            case "hubspot" -> new HubSpotConnectionService();
            case "dynamics" -> new DynamicsConnectionService();
            default -> throw new IllegalArgumentException("Unknown system " + system);
        };
        runner.addControllerService(system, service);
        switch (system) {
            case "salesforce" -> {
                runner.setProperty(service, SalesforceConnectionService.LOGIN_URL, sim.baseUrl());
                runner.setProperty(service, SalesforceConnectionService.CLIENT_ID, SimulatorCredentials.SALESFORCE_CLIENT_ID);
                runner.setProperty(service, SalesforceConnectionService.CLIENT_SECRET, SimulatorCredentials.SALESFORCE_CLIENT_SECRET);
            }
            case "hubspot" -> {
                runner.setProperty(service, HubSpotConnectionService.BASE_URL, sim.baseUrl());
                runner.setProperty(service, HubSpotConnectionService.ACCESS_TOKEN, SimulatorCredentials.HUBSPOT_PRIVATE_APP_TOKEN);
            }
            default -> {
                runner.setProperty(service, DynamicsConnectionService.ENVIRONMENT_URL, sim.baseUrl());
                runner.setProperty(service, DynamicsConnectionService.TENANT_ID, SimulatorCredentials.DYNAMICS_TENANT_ID);
                runner.setProperty(service, DynamicsConnectionService.CLIENT_ID, SimulatorCredentials.DYNAMICS_CLIENT_ID);
                runner.setProperty(service, DynamicsConnectionService.CLIENT_SECRET, SimulatorCredentials.DYNAMICS_CLIENT_SECRET);
                runner.setProperty(service, DynamicsConnectionService.TOKEN_URL, sim.baseUrl() + "/{tenant}/oauth2/v2.0/token");
            }
        }
        properties.forEach((name, value) -> runner.setProperty(service, name, value));
        runner.enableControllerService(service);
        return service;
    }

    /** Registers a JSON reader (inferring schemas) and a JSON writer under READER and WRITER. */
    public static void json(TestRunner runner) throws Exception {
        JsonTreeReader reader = new JsonTreeReader();
        runner.addControllerService(READER, reader);
        runner.enableControllerService(reader);
        JsonRecordSetWriter writer = new JsonRecordSetWriter();
        runner.addControllerService(WRITER, writer);
        runner.enableControllerService(writer);
    }
}
