package io.nificrm.api;

import java.util.Objects;

/**
 * What happened to one record of a {@link CrmWriteRequest}.
 *
 * @param outcome   created, updated, unchanged, deleted or failed
 * @param targetId  the system's id of the record written, or null when unknown or failed
 * @param errorCode the system's error code of a failure (e.g. {@code DUPLICATE_VALUE}, {@code INVALID_EMAIL}), or null
 * @param message   a readable reason of a failure, naming the field when the system says which; never a secret
 * @param transientFailure true when the same write may succeed later (throttled, timed out, locked)
 */
public record CrmWriteResult(Outcome outcome, String targetId, String errorCode, String message,
                             boolean transientFailure) {

    public enum Outcome { CREATED, UPDATED, UNCHANGED, DELETED, FAILED }

    public CrmWriteResult {
        Objects.requireNonNull(outcome, "outcome");
    }

    public static CrmWriteResult created(String targetId) {
        return new CrmWriteResult(Outcome.CREATED, targetId, null, null, false);
    }

    public static CrmWriteResult updated(String targetId) {
        return new CrmWriteResult(Outcome.UPDATED, targetId, null, null, false);
    }

    public static CrmWriteResult unchanged(String targetId) {
        return new CrmWriteResult(Outcome.UNCHANGED, targetId, null, null, false);
    }

    public static CrmWriteResult deleted(String targetId) {
        return new CrmWriteResult(Outcome.DELETED, targetId, null, null, false);
    }

    /** A rejection that will fail again unless the record changes. */
    public static CrmWriteResult rejected(String errorCode, String message) {
        return new CrmWriteResult(Outcome.FAILED, null, errorCode, message, false);
    }

    /** A failure that may pass when tried again later. */
    public static CrmWriteResult failedTransiently(String errorCode, String message) {
        return new CrmWriteResult(Outcome.FAILED, null, errorCode, message, true);
    }

    public boolean isSuccess() {
        return outcome != Outcome.FAILED;
    }
}
