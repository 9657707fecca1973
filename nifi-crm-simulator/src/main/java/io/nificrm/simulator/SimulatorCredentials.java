package io.nificrm.simulator;

/**
 * The credentials the simulator accepts. They are sandbox values, documented in the README, and protect nothing.
 */
public final class SimulatorCredentials {
    private SimulatorCredentials() {
    }

    /** Salesforce connected app (client credentials and JWT bearer {@code iss}). */
    public static final String SALESFORCE_CLIENT_ID = "sim-salesforce-client";
    public static final String SALESFORCE_CLIENT_SECRET = "sim-salesforce-secret";

    /** HubSpot private-app token, and the OAuth app for the refresh-token grant. */
    public static final String HUBSPOT_PRIVATE_APP_TOKEN = "pat-sim-hubspot-0000";
    public static final String HUBSPOT_CLIENT_ID = "sim-hubspot-client";
    public static final String HUBSPOT_CLIENT_SECRET = "sim-hubspot-secret";
    public static final String HUBSPOT_REFRESH_TOKEN = "sim-hubspot-refresh";

    /** Entra ID app registration for Dataverse (client credentials). */
    public static final String DYNAMICS_TENANT_ID = "sim-tenant";
    public static final String DYNAMICS_CLIENT_ID = "sim-dynamics-client";
    public static final String DYNAMICS_CLIENT_SECRET = "sim-dynamics-secret";
}
