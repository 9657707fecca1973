package io.nificrm.nifitests.harness.model;

import com.fasterxml.jackson.databind.JsonNode;

/** A NiFi bundle coordinate (a NAR): group, artifact, version. */
public record Bundle(String group, String artifact, String version) {

    static Bundle from(JsonNode bundle) {
        if (bundle == null || bundle.isMissingNode() || bundle.isNull()) {
            return null;
        }
        return new Bundle(bundle.path("group").asText(null), bundle.path("artifact").asText(null),
                bundle.path("version").asText(null));
    }

    @Override
    public String toString() {
        return group + ":" + artifact + ":" + version;
    }
}
