package io.nificrm.processors.twoway;

import io.nificrm.processors.mapping.MappingSpec;
import io.nificrm.processors.mapping.MappingSpecs;
import io.nificrm.services.hubspot.HubSpotConnectionService;
import io.nificrm.services.salesforce.SalesforceConnectionService;
import io.nificrm.simulator.CrmSimulator;
import io.nificrm.simulator.SimulatorCredentials;
import org.apache.nifi.json.JsonRecordSetWriter;
import org.apache.nifi.json.JsonTreeReader;
import org.apache.nifi.reporting.InitializationException;
import org.apache.nifi.util.TestRunner;

/** Real connection services pointed at the simulator, JSON readers and writers, and the contact presets without references. */
public final class SimServices {
    public static final String SALESFORCE = "salesforce";
    public static final String HUBSPOT = "hubspot";
    public static final String READER = "reader";
    public static final String WRITER = "writer";

    private SimServices() {
    }

    public static SalesforceConnectionService salesforce(TestRunner runner, CrmSimulator sim) throws InitializationException {
        SalesforceConnectionService service = new SalesforceConnectionService();
        runner.addControllerService(SALESFORCE, service);
        runner.setProperty(service, SalesforceConnectionService.LOGIN_URL, sim.baseUrl());
        runner.setProperty(service, SalesforceConnectionService.CLIENT_ID, SimulatorCredentials.SALESFORCE_CLIENT_ID);
        runner.setProperty(service, SalesforceConnectionService.CLIENT_SECRET, SimulatorCredentials.SALESFORCE_CLIENT_SECRET);
        unthrottled(runner, service);
        runner.enableControllerService(service);
        return service;
    }

    public static HubSpotConnectionService hubspot(TestRunner runner, CrmSimulator sim) throws InitializationException {
        HubSpotConnectionService service = new HubSpotConnectionService();
        runner.addControllerService(HUBSPOT, service);
        runner.setProperty(service, HubSpotConnectionService.BASE_URL, sim.baseUrl());
        runner.setProperty(service, HubSpotConnectionService.ACCESS_TOKEN, SimulatorCredentials.HUBSPOT_PRIVATE_APP_TOKEN);
        unthrottled(runner, service);
        runner.enableControllerService(service);
        return service;
    }

    /** The simulator runs unlimited: no client-side request budget either. */
    private static void unthrottled(TestRunner runner, org.apache.nifi.controller.ControllerService service) {
        runner.setProperty(service, "Rate Limit Requests", "0");
        runner.setProperty(service, "Max Concurrent Requests", "0");
    }

    public static void json(TestRunner runner) throws InitializationException {
        JsonTreeReader reader = new JsonTreeReader();
        runner.addControllerService(READER, reader);
        runner.enableControllerService(reader);
        JsonRecordSetWriter writer = new JsonRecordSetWriter();
        runner.addControllerService(WRITER, writer);
        runner.enableControllerService(writer);
    }

    /** A shipped preset without its reference fields (dotted targets), as JSON text. */
    public static String presetWithoutReferences(String name) {
        MappingSpec spec = MappingSpecs.parse(MappingSpecs.preset(name));
        MappingSpec plain = new MappingSpec(spec.name(), spec.description(), spec.source(), spec.target(),
                spec.fields().stream().filter(f -> f.target().indexOf('.') < 0).toList());
        try {
            return new com.fasterxml.jackson.databind.ObjectMapper()
                    .setSerializationInclusion(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
                    .writeValueAsString(plain);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }
}
