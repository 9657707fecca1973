package io.nificrm.processors;

import io.nificrm.services.dynamics.DynamicsConnectionService;
import io.nificrm.services.hubspot.HubSpotConnectionService;
import io.nificrm.services.salesforce.SalesforceConnectionService;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorCredentials;
import org.apache.nifi.json.JsonRecordSetWriter;
import org.apache.nifi.json.JsonTreeReader;
import org.apache.nifi.reporting.InitializationException;
import org.apache.nifi.util.TestRunner;

/** Wires real connection services (pointed at the simulator) and JSON readers/writers into a TestRunner. */
final class TestServices {
    static final String SALESFORCE = "salesforce";
    static final String HUBSPOT = "hubspot";
    static final String DYNAMICS = "dynamics";
    static final String READER = "reader";
    static final String WRITER = "writer";

    private TestServices() {
    }

    static SalesforceConnectionService salesforce(TestRunner runner, CrmSimulator sim) throws InitializationException {
        SalesforceConnectionService service = new SalesforceConnectionService();
        runner.addControllerService(SALESFORCE, service);
        runner.setProperty(service, SalesforceConnectionService.LOGIN_URL, sim.baseUrl());
        runner.setProperty(service, SalesforceConnectionService.CLIENT_ID, SimulatorCredentials.SALESFORCE_CLIENT_ID);
        runner.setProperty(service, SalesforceConnectionService.CLIENT_SECRET, SimulatorCredentials.SALESFORCE_CLIENT_SECRET);
        runner.enableControllerService(service);
        return service;
    }

    static HubSpotConnectionService hubspot(TestRunner runner, CrmSimulator sim) throws InitializationException {
        HubSpotConnectionService service = new HubSpotConnectionService();
        runner.addControllerService(HUBSPOT, service);
        runner.setProperty(service, HubSpotConnectionService.BASE_URL, sim.baseUrl());
        runner.setProperty(service, HubSpotConnectionService.ACCESS_TOKEN, SimulatorCredentials.HUBSPOT_PRIVATE_APP_TOKEN);
        runner.enableControllerService(service);
        return service;
    }

    static DynamicsConnectionService dynamics(TestRunner runner, CrmSimulator sim) throws InitializationException {
        DynamicsConnectionService service = new DynamicsConnectionService();
        runner.addControllerService(DYNAMICS, service);
        runner.setProperty(service, DynamicsConnectionService.ENVIRONMENT_URL, sim.baseUrl());
        runner.setProperty(service, DynamicsConnectionService.TENANT_ID, SimulatorCredentials.DYNAMICS_TENANT_ID);
        runner.setProperty(service, DynamicsConnectionService.CLIENT_ID, SimulatorCredentials.DYNAMICS_CLIENT_ID);
        runner.setProperty(service, DynamicsConnectionService.CLIENT_SECRET, SimulatorCredentials.DYNAMICS_CLIENT_SECRET);
        runner.setProperty(service, DynamicsConnectionService.TOKEN_URL, sim.baseUrl() + "/{tenant}/oauth2/v2.0/token");
        runner.enableControllerService(service);
        return service;
    }

    /** A JSON reader that infers the schema and a JSON writer that inherits the record schema. */
    static void json(TestRunner runner) throws InitializationException {
        JsonTreeReader reader = new JsonTreeReader();
        runner.addControllerService(READER, reader);
        runner.enableControllerService(reader);
        JsonRecordSetWriter writer = new JsonRecordSetWriter();
        runner.addControllerService(WRITER, writer);
        runner.enableControllerService(writer);
    }
}
