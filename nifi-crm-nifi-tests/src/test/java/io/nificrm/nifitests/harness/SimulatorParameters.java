package io.nificrm.nifitests.harness;

import io.nificrm.simulator.SimulatorCredentials;

import java.util.LinkedHashMap;
import java.util.Map;

/** The parameters that point a flow definition's CRM services at the simulator, with its sandbox credentials. */
public final class SimulatorParameters {
    private SimulatorParameters() {
    }

    /** Salesforce as the source: source.login.url, source.client.id, source.client.secret. */
    public static Map<String, String> salesforceSource(String baseUrl) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("source.login.url", baseUrl);
        p.put("source.client.id", SimulatorCredentials.SALESFORCE_CLIENT_ID);
        p.put("source.client.secret", SimulatorCredentials.SALESFORCE_CLIENT_SECRET);
        return p;
    }

    /** HubSpot as the target: target.base.url, target.access.token. */
    public static Map<String, String> hubspotTarget(String baseUrl) {
        Map<String, String> p = new LinkedHashMap<>();
        p.put("target.base.url", baseUrl);
        p.put("target.access.token", SimulatorCredentials.HUBSPOT_PRIVATE_APP_TOKEN);
        return p;
    }

    /** Both, for the Salesforce-to-HubSpot definitions; a fresh map the caller adds its own parameters to. */
    public static Map<String, String> salesforceToHubSpot(String baseUrl) {
        Map<String, String> p = salesforceSource(baseUrl);
        p.putAll(hubspotTarget(baseUrl));
        return p;
    }
}
