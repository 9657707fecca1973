package io.nificrm.api;

/**
 * The change-record format every sync mode shares (push, pull, queue, two-way): a NiFi record holding the changed
 * object's fields under their own names, plus these bookkeeping fields. A producer fills what it knows; a consumer
 * treats absent values as unknown.
 */
public final class ChangeRecords {
    private ChangeRecords() {
    }

    /** {@code create}, {@code update}, {@code delete} or {@code upsert} (created or updated, not known which). */
    public static final String OPERATION = "crm_operation";
    /** The object as the source system names it. */
    public static final String OBJECT = "crm_object";
    /** The record's id in the source system. */
    public static final String KEY = "crm_key";
    /** Names of the fields that changed, when the source says (an array of strings). */
    public static final String CHANGED_FIELDS = "crm_changed_fields";
    /** When the change happened at the source (a timestamp). */
    public static final String SOURCE_TIMESTAMP = "crm_source_timestamp";
    /**
     * Who made the change: the source system and instance, plus {@code /nifi-crm} when this bundle wrote it, so a
     * two-way sync recognises its own writes coming back and does not echo them.
     */
    public static final String ORIGIN = "crm_origin";
    /** The system that reported the change (salesforce, hubspot, dynamics, jdbc). */
    public static final String SYSTEM = "crm_system";
}
