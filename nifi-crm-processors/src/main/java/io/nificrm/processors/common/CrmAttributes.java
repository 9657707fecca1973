package io.nificrm.processors.common;

/** FlowFile attribute names written by the bundle's processors. */
public final class CrmAttributes {
    private CrmAttributes() {
    }

    public static final String SYSTEM = "crm.system";
    public static final String OBJECT = "crm.object";
    public static final String RECORD_COUNT = "record.count";
    public static final String LOAD_MODE = "crm.load.mode";
    public static final String LOAD_ID = "crm.load.id";
    public static final String LOAD_RECORDS = "crm.load.records";
    public static final String LOAD_INDEX = "crm.load.flowfile.index";
    public static final String WATERMARK = "crm.watermark";
    /** Which processor role produced a FlowFile: read, map, dedup, upsert. */
    public static final String STAGE = "crm.stage";
    /** The relationship a FlowFile was routed to by that processor. */
    public static final String RELATIONSHIP = "crm.relationship";
    /** Per-outcome counts on the 'success' output of an upsert: crm.records.created, .updated, .unchanged, .deleted. */
    public static final String OUTCOME_COUNT_PREFIX = "crm.records.";
    public static final String ERROR_CODE = "crm.error.code";
    public static final String ERROR_MESSAGE = "crm.error.message";
}
