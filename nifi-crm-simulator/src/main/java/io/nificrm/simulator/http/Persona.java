package io.nificrm.simulator.http;

import java.util.List;

/** One simulated system: its routes and the shape of its error bodies. */
public interface Persona {

    /** {@code salesforce}, {@code hubspot} or {@code dynamics}. */
    String system();

    List<Route> routes();

    /** An error answer in this system's own wire format. */
    SimResponse error(int status, String code, String message);

    /** A throttling answer (429 or the system's equivalent) telling the client to wait {@code retryAfterSeconds}. */
    SimResponse throttled(long retryAfterSeconds, String policy);
}
