package io.nificrm.simulator.store;

import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * Time as one simulated system records it: Salesforce and Dataverse audit fields have whole seconds, HubSpot has
 * milliseconds. Coarse precision is what makes many records share one modified time, as in the real systems.
 */
public final class SimClock {
    private final ChronoUnit precision;

    public SimClock(ChronoUnit precision) {
        this.precision = precision;
    }

    public Instant now() {
        return Instant.now().truncatedTo(precision);
    }

    public Instant truncate(Instant instant) {
        return instant.truncatedTo(precision);
    }
}
