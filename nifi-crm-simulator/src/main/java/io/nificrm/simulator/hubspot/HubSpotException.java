package io.nificrm.simulator.hubspot;

import java.util.List;
import java.util.Map;

/**
 * A request HubSpot refuses as a whole: the persona answers it with {@code status} and HubSpot's error body
 * ({@code {"status":"error","message","correlationId","category","context"}}).
 */
final class HubSpotException extends RuntimeException {
    private final int status;
    private final String category;
    private final Map<String, List<String>> context;

    HubSpotException(int status, String category, String message, Map<String, List<String>> context) {
        super(message, null, false, false);
        this.status = status;
        this.category = category;
        this.context = context == null ? Map.of() : context;
    }

    /** A 400 {@code VALIDATION_ERROR}. */
    static HubSpotException validation(String message) {
        return new HubSpotException(400, "VALIDATION_ERROR", message, null);
    }

    int status() {
        return status;
    }

    String category() {
        return category;
    }

    Map<String, List<String>> context() {
        return context;
    }
}
