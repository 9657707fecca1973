package io.nificrm.api;

/** What a {@link CrmWriteRequest} does with each record. */
public enum WriteOperation {
    /** Create new records. */
    INSERT,
    /** Change existing records found by the key field (the system id when no key field is given). */
    UPDATE,
    /** Update the record whose key field matches, or create it when none does. Repeating it creates nothing new. */
    UPSERT,
    /** Delete records found by the key field (the system id when no key field is given). */
    DELETE
}
