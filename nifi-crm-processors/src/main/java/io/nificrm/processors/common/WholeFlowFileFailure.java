package io.nificrm.processors.common;

import org.apache.nifi.flowfile.FlowFile;
import org.apache.nifi.logging.ComponentLog;
import org.apache.nifi.processor.ProcessSession;
import org.apache.nifi.processor.Relationship;

import java.util.Map;

/**
 * Routes an input FlowFile as a whole (its records could not be read, or the settings cannot work for it) with a
 * machine-readable code, a reason, and where it ended, so trackers and reviewers see it like any routed output.
 */
public final class WholeFlowFileFailure {
    private WholeFlowFileFailure() {
    }

    public static void route(ProcessSession session, FlowFile flowFile, Relationship relationship, String stage, String code,
                             String message, ComponentLog log) {
        log.error("Routing {} to {}: {}", flowFile, relationship.getName(), message);
        session.transfer(session.putAllAttributes(flowFile, Map.of(CrmAttributes.ERROR_CODE, code, CrmAttributes.ERROR_MESSAGE, message,
                CrmAttributes.STAGE, stage, CrmAttributes.RELATIONSHIP, relationship.getName())), relationship);
    }
}
