package io.nificrm.processors.upsert;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How a child's reference field finds its parent in the target: the record holds the parent's SOURCE id, which
 * the parent was written with into its external-id field; the writer looks it up there and puts the parent's TARGET
 * id in its place. Configured as a dynamic property {@code <field> = <parentObject>.<keyField>}, e.g.
 * {@code associations.companies = companies.source_id} or {@code account_id = accounts.source_id}.
 *
 * @param field    the child's reference field
 * @param object   the parent object in the target
 * @param keyField the parent's external-id field holding source ids
 */
public record ParentReference(String field, String object, String keyField) {
    private static final Pattern SPEC = Pattern.compile("\\s*([A-Za-z][A-Za-z0-9_]*)\\.([A-Za-z][A-Za-z0-9_]*)\\s*");

    /**
     * @throws IllegalArgumentException with the expected form when the value is not {@code object.keyField}
     */
    public static ParentReference parse(String field, String spec) {
        Matcher m = SPEC.matcher(spec == null ? "" : spec);
        if (!m.matches()) {
            throw new IllegalArgumentException("Reference '" + field + "' must name the parent as <object>.<externalIdField>, e.g. "
                    + "companies.source_id, not '" + spec + "'");
        }
        return new ParentReference(field, m.group(1), m.group(2));
    }
}
