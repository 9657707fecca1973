package io.nificrm.api;

import java.util.List;
import java.util.Objects;

/**
 * One field of a {@link CrmObjectSchema}.
 *
 * @param name           API name, as the system spells it
 * @param label          human label (may equal the name)
 * @param type           normalized type
 * @param required       a value is needed to create a record
 * @param unique         values are unique across the object
 * @param externalId     the field can be the key of an upsert (Salesforce external id, HubSpot unique property,
 *                       Dataverse alternate key, database unique key)
 * @param readOnly       the system computes it; writes are refused or ignored
 * @param length         maximum length of text values, or 0 when not limited or not text
 * @param picklistValues allowed values of a picklist, empty otherwise
 * @param referenceTo    the object a {@link CrmFieldType#REFERENCE} points to, or null
 */
public record CrmField(String name, String label, CrmFieldType type, boolean required, boolean unique,
                       boolean externalId, boolean readOnly, int length, List<String> picklistValues,
                       String referenceTo) {

    public CrmField {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        label = label == null ? name : label;
        picklistValues = picklistValues == null ? List.of() : List.copyOf(picklistValues);
    }

    /** A plain optional, writable field without limits. */
    public static CrmField of(String name, CrmFieldType type) {
        return new CrmField(name, name, type, false, false, false, false, 0, List.of(), null);
    }
}
