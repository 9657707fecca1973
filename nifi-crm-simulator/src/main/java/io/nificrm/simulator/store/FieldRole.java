package io.nificrm.simulator.store;

/** Fields whose values the store keeps itself rather than in the record's field map. */
public enum FieldRole {
    /** An ordinary stored field. */
    DATA,
    /** The record id. */
    ID,
    /** The creation instant. */
    CREATED,
    /** The last-modified instant. */
    MODIFIED,
    /** True once the record is (soft-)deleted. */
    DELETED_FLAG
}
