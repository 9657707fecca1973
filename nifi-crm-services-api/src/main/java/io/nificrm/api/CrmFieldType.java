package io.nificrm.api;

import org.apache.nifi.serialization.record.DataType;
import org.apache.nifi.serialization.record.RecordFieldType;

/**
 * The field types every system is mapped to, with the NiFi record type and the Java type of values in records.
 */
public enum CrmFieldType {
    /** The record's own identifier. Value: String. */
    ID(RecordFieldType.STRING),
    /** Free text of any length. Value: String. */
    STRING(RecordFieldType.STRING),
    /** An e-mail address. Value: String. */
    EMAIL(RecordFieldType.STRING),
    /** A phone number. Value: String. */
    PHONE(RecordFieldType.STRING),
    /** A web address. Value: String. */
    URL(RecordFieldType.STRING),
    /** One value out of {@link CrmField#picklistValues()}. Value: String (Dataverse choice numbers as text). */
    PICKLIST(RecordFieldType.STRING),
    /** Several picklist values separated by {@code ;}. Value: String. */
    MULTI_PICKLIST(RecordFieldType.STRING),
    /** The id of a record of {@link CrmField#referenceTo()}. Value: String. */
    REFERENCE(RecordFieldType.STRING),
    /** Value: Boolean. */
    BOOLEAN(RecordFieldType.BOOLEAN),
    /** A whole number. Value: Long. */
    INTEGER(RecordFieldType.LONG),
    /** A number with a fraction, money, percent. Value: Double. */
    DECIMAL(RecordFieldType.DOUBLE),
    /** A calendar date. Value: java.sql.Date. */
    DATE(RecordFieldType.DATE),
    /** An instant. Value: java.sql.Timestamp. */
    DATETIME(RecordFieldType.TIMESTAMP);

    private final RecordFieldType recordFieldType;

    CrmFieldType(RecordFieldType recordFieldType) {
        this.recordFieldType = recordFieldType;
    }

    /** The NiFi record type of this field type. */
    public DataType dataType() {
        return recordFieldType.getDataType();
    }

    /** True for types whose values are text in records. */
    public boolean isText() {
        return recordFieldType == RecordFieldType.STRING;
    }
}
