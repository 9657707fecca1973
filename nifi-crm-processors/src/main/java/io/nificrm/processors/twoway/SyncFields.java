package io.nificrm.processors.twoway;

import io.nificrm.api.CrmField;
import io.nificrm.api.CrmObjectSchema;
import io.nificrm.processors.mapping.CompiledMapping;
import io.nificrm.processors.mapping.MappingSpec;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What a pair of mappings (forward: source to target, reverse: target to source) means for a two-way sync of one
 * object: the fields compared on each side, the link fields, and the fields a target lookup must return.
 * <p>
 * Compared fields are the plain (undotted) fields a mapping writes that its side describes, except the side's id and
 * the <em>link fields</em>: a field fed by the other side's id ({@code source_id} ← {@code Id}) identifies the pair
 * rather than holding data, and the ledger keeps the pair. Reference fields by key ({@code Account.External_Id__c},
 * {@code associations.companies}) are written on create but not compared. Both directions of a sync derive the same
 * field lists from the same two mappings, which is what lets them share one ledger.
 */
public final class SyncFields {
    final CrmObjectSchema source;
    final CrmObjectSchema target;
    final CompiledMapping forward;
    final CompiledMapping reverse;
    /** Target fields compared, in the forward mapping's order. */
    final List<String> targetCompared;
    /** Source fields compared, in the reverse mapping's order. */
    final List<String> sourceCompared;
    /** The target field holding the source id (written on create), or null. */
    final String targetLinkField;
    /** The source field holding the target id, or null. */
    final String sourceLinkField;
    /** The fields a lookup of target records returns. */
    final List<String> targetLookupFields;
    private final MappingSpec forwardSpec;

    /**
     * @throws IllegalArgumentException when a mapping does not fit its target, or nothing is left to compare
     */
    public SyncFields(CrmObjectSchema source, CrmObjectSchema target, MappingSpec forwardSpec, MappingSpec reverseSpec,
                      String targetLinkField, String sourceLinkField) {
        this.source = source;
        this.target = target;
        this.forwardSpec = forwardSpec;
        this.forward = CompiledMapping.compile(forwardSpec, target, null);
        this.reverse = CompiledMapping.compile(reverseSpec, source, null);
        this.targetLinkField = targetLinkField != null ? targetLinkField : fedBy(forwardSpec, source.idField());
        this.sourceLinkField = sourceLinkField != null ? sourceLinkField : fedBy(reverseSpec, target.idField());
        if (this.targetLinkField != null && target.field(this.targetLinkField).isEmpty()) {
            throw new IllegalArgumentException("The target object " + target.name() + " has no link field " + this.targetLinkField);
        }
        if (this.sourceLinkField != null && source.field(this.sourceLinkField).isEmpty()) {
            throw new IllegalArgumentException("The source object " + source.name() + " has no link field " + this.sourceLinkField);
        }
        this.targetCompared = compared(forwardSpec, target, source.idField(), this.targetLinkField);
        this.sourceCompared = compared(reverseSpec, source, target.idField(), this.sourceLinkField);
        if (targetCompared.isEmpty() || sourceCompared.isEmpty()) {
            throw new IllegalArgumentException("The mappings leave no field to compare (plain fields each side describes, other than ids and link fields)");
        }
        Set<String> lookup = new LinkedHashSet<>(targetCompared);
        reverse.sourceFields().stream().filter(f -> target.field(f).isPresent()).forEach(lookup::add);
        if (this.targetLinkField != null) {
            lookup.add(this.targetLinkField);
        }
        lookup.remove(target.idField());
        this.targetLookupFields = List.copyOf(lookup);
    }

    /** The field a mapping fills straight from {@code sourceField} (a link field), or null. */
    private static String fedBy(MappingSpec spec, String sourceField) {
        for (MappingSpec.FieldMapping f : spec.fields()) {
            if (sourceField.equals(f.source()) && f.target() != null && f.target().indexOf('.') < 0) {
                return f.target();
            }
        }
        return null;
    }

    private static List<String> compared(MappingSpec spec, CrmObjectSchema side, String otherIdField, String linkField) {
        List<String> fields = new ArrayList<>();
        for (MappingSpec.FieldMapping f : spec.fields()) {
            String name = f.target();
            if (name == null || name.indexOf('.') >= 0 || name.equals(side.idField()) || name.equals(linkField)
                    || otherIdField.equals(f.source()) || "drop".equalsIgnoreCase(f.pii())) {
                continue;
            }
            CrmField described = side.field(name).orElse(null);
            if (described != null && !described.readOnly()) {
                fields.add(name);
            }
        }
        return List.copyOf(fields);
    }

    /**
     * The compared target field a name means: a compared target field itself, or the compared target field the
     * forward mapping fills from that source field. Null when it is neither.
     */
    String targetFieldFor(String name) {
        if (targetCompared.contains(name)) {
            return name;
        }
        for (MappingSpec.FieldMapping f : forwardSpec.fields()) {
            if (name.equals(f.source()) && targetCompared.contains(f.target())) {
                return f.target();
            }
        }
        return null;
    }

    /** Field owners by compared target field, from a map keyed by the field's name on either side. */
    public Map<String, String> ownersByTargetField(Map<String, String> byAnyName) {
        Map<String, String> owners = new java.util.HashMap<>();
        byAnyName.forEach((name, side) -> {
            String field = targetFieldFor(name);
            if (field == null) {
                throw new IllegalArgumentException("Field Owners names '" + name + "', which is no compared field of " + target.name()
                        + " " + targetCompared + " and no source field the mapping fills one of them from");
            }
            owners.put(field, side);
        });
        return owners;
    }

    public String sourceName() {
        return source.name();
    }

    public String targetName() {
        return target.name();
    }

    public String sourceIdField() {
        return source.idField();
    }

    public String targetIdField() {
        return target.idField();
    }

    /** The schema of records the forward mapping makes. */
    public org.apache.nifi.serialization.record.RecordSchema forwardSchema() {
        return forward.outputSchema();
    }

    /** Top-level source fields the forward mapping reads. */
    public Set<String> forwardSourceFields() {
        return forward.sourceFields();
    }

    public List<String> targetLookupFields() {
        return targetLookupFields;
    }

    public List<String> targetCompared() {
        return targetCompared;
    }

    public List<String> sourceCompared() {
        return sourceCompared;
    }

    public String targetLinkField() {
        return targetLinkField;
    }

    public String sourceLinkField() {
        return sourceLinkField;
    }
}
