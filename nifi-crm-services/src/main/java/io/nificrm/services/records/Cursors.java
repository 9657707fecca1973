package io.nificrm.services.records;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.nificrm.api.CrmException;
import io.nificrm.services.http.CrmHttpClient;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Query cursors are small JSON objects, base64url-encoded so they pass through NiFi state and attributes as
 * plain text. Each service decides what goes inside (a next-page URL, the last key seen, a phase).
 */
public final class Cursors {
    private Cursors() {
    }

    public static String encode(ObjectNode state) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(state.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** The cursor's content, or null for no cursor. */
    public static ObjectNode decode(String cursor, String system) {
        if (cursor == null || cursor.isBlank()) {
            return null;
        }
        try {
            JsonNode node = CrmHttpClient.JSON.readTree(Base64.getUrlDecoder().decode(cursor));
            if (node instanceof ObjectNode object) {
                return object;
            }
        } catch (Exception e) {
            // fall through to the error below
        }
        throw new CrmException(CrmException.Reason.CONFIGURATION, "The cursor is not a " + system + " cursor of this bundle");
    }

    public static ObjectNode newCursor() {
        return CrmHttpClient.JSON.createObjectNode();
    }
}
