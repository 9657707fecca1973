package io.nificrm.processors.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import io.nificrm.api.CrmField;
import io.nificrm.api.CrmFieldType;
import io.nificrm.api.CrmObjectSchema;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordSchema;

import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * A mapping spec checked and compiled once, applied to every record. Compilation refuses anything ambiguous or
 * unknown (a field with two value sources, an unknown transform, type, zone or date pattern, a target field the
 * target object lacks) with a message naming the field.
 */
public final class CompiledMapping {
    private static final Pattern EMAIL = Pattern.compile("^[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$");
    private static final Pattern PHONE = Pattern.compile("^\\+?[0-9 ().-]{6,20}$");

    private final String name;
    private final List<FieldRule> rules;
    private final RecordSchema outputSchema;
    private final Set<String> sourceFields;
    private final CrmObjectSchema target;
    private final byte[] salt;

    private CompiledMapping(String name, List<FieldRule> rules, Set<String> sourceFields, CrmObjectSchema target, byte[] salt) {
        this.name = name;
        this.rules = rules;
        this.sourceFields = sourceFields;
        this.target = target;
        this.salt = salt;
        List<RecordField> fields = new ArrayList<>();
        for (FieldRule rule : rules) {
            if (rule.pii != PiiProtection.DROP) {
                fields.add(new RecordField(rule.target, rule.pii == null ? rule.type.dataType() : TargetType.STRING.dataType(), true));
            }
        }
        SimpleRecordSchema schema = new SimpleRecordSchema(fields);
        if (target != null) {
            schema.setSchemaName(target.name());
        }
        this.outputSchema = schema;
    }

    /** One reason a record cannot go to the target. */
    public record Violation(String field, String reason) {
    }

    /** A mapped record, or why not. */
    public record Result(Record record, List<Violation> violations) {
        public boolean isValid() {
            return violations.isEmpty();
        }
    }

    /**
     * @param target the target object's describe, or null to skip validation against it
     * @param salt   the secret for {@code "pii": "hash"}, or null when none is configured
     * @throws IllegalArgumentException naming the field and the problem
     */
    public static CompiledMapping compile(MappingSpec spec, CrmObjectSchema target, byte[] salt) {
        if (spec.fields() == null || spec.fields().isEmpty()) {
            throw new IllegalArgumentException("The mapping has no fields");
        }
        List<FieldRule> rules = new ArrayList<>();
        Set<String> targets = new HashSet<>();
        Set<String> sources = new LinkedHashSet<>();
        for (MappingSpec.FieldMapping field : spec.fields()) {
            String t = field.target();
            if (t == null || t.isBlank()) {
                throw new IllegalArgumentException("A field mapping has no target");
            }
            if (!targets.add(t)) {
                throw new IllegalArgumentException("Field '" + t + "' is mapped twice");
            }
            CrmField described = target == null || t.indexOf('.') > 0 ? null : target.field(t).orElseThrow(() ->
                    new IllegalArgumentException("Field '" + t + "': the target object " + target.name() + " has no such field"));
            rules.add(compileField(field, described, salt, sources));
        }
        return new CompiledMapping(spec.name() == null ? "mapping" : spec.name(), rules, sources, target, salt);
    }

    private static FieldRule compileField(MappingSpec.FieldMapping f, CrmField described, byte[] salt, Set<String> sources) {
        String t = f.target();
        int valueSources = (f.source() != null ? 1 : 0) + (f.sources() != null ? 1 : 0) + (f.constant() != null ? 1 : 0);
        if (valueSources > 1) {
            throw new IllegalArgumentException("Field '" + t + "': give only one of source, sources, constant");
        }
        if (valueSources == 0 && f.defaultValue() == null) {
            throw new IllegalArgumentException("Field '" + t + "': needs a source, sources, constant or default");
        }
        FieldRule.ValueSource source = valueSource(f, sources);
        List<ValueTransform> transforms = new ArrayList<>();
        if (f.transforms() != null) {
            f.transforms().forEach(spec -> transforms.add(ValueTransform.compile(t, spec)));
        }
        Map<String, String> valueMap = null;
        if (f.valueMap() != null) {
            valueMap = new LinkedHashMap<>();
            for (var e : f.valueMap().entrySet()) {
                valueMap.put(e.getKey().trim().toLowerCase(Locale.ROOT), e.getValue());
            }
        }
        FieldRule.Unmapped unmapped;
        try {
            unmapped = f.unmappedValues() == null ? FieldRule.Unmapped.KEEP : FieldRule.Unmapped.valueOf(f.unmappedValues().trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Field '" + t + "': unmappedValues is keep, null, default or error, not '" + f.unmappedValues() + "'");
        }
        TargetType type = f.type() != null ? TargetType.parse(t, f.type()) : described != null ? TargetType.of(described.type()) : TargetType.STRING;
        List<DateTimeFormatter> formats = new ArrayList<>();
        if (f.formats() != null) {
            for (String pattern : f.formats()) {
                try {
                    formats.add(DateTimeFormatter.ofPattern(pattern, Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("Field '" + t + "': '" + pattern + "' is not a valid date pattern: " + e.getMessage());
                }
            }
        }
        ZoneId zone = TargetType.zone(t, f.zone());
        Object defaultValue = f.defaultValue() == null || f.defaultValue().isNull() ? null : scalar(f.defaultValue());
        PiiProtection pii = f.pii() == null ? null : PiiProtection.parse(t, f.pii());
        if (pii == PiiProtection.HASH && (salt == null || salt.length == 0)) {
            throw new IllegalArgumentException("Field '" + t + "': hashing needs a PII Hash Salt (a sensitive property)");
        }
        boolean required = Boolean.TRUE.equals(f.required()) || (described != null && described.required());
        return new FieldRule(t, type, required, source, transforms, valueMap, unmapped, formats, zone, defaultValue, pii);
    }

    private static FieldRule.ValueSource valueSource(MappingSpec.FieldMapping f, Set<String> sources) {
        String t = f.target();
        if (f.constant() != null) {
            Object constant = scalar(f.constant());
            return record -> constant;
        }
        if (f.sources() != null) {
            if (f.sources().isEmpty()) {
                throw new IllegalArgumentException("Field '" + t + "': sources is empty");
            }
            f.sources().forEach(s -> sources.add(topLevel(s)));
            String separator = f.separator() == null ? " " : f.separator();
            List<String> paths = List.copyOf(f.sources());
            return record -> {
                StringBuilder joined = new StringBuilder();
                for (String path : paths) {
                    Object v = read(record, path);
                    if (v != null && !v.toString().isBlank()) {
                        if (!joined.isEmpty()) {
                            joined.append(separator);
                        }
                        joined.append(v.toString().trim());
                    }
                }
                return joined.isEmpty() ? null : joined.toString();
            };
        }
        if (f.source() == null) {
            return record -> null;
        }
        sources.add(topLevel(f.source()));
        String path = f.source();
        if (f.split() != null) {
            String part = f.split().getOrDefault("part", "");
            if (!part.equals("first") && !part.equals("last")) {
                throw new IllegalArgumentException("Field '" + t + "': split needs {\"part\": \"first\"} or {\"part\": \"last\"}");
            }
            boolean first = part.equals("first");
            return record -> {
                Object v = read(record, path);
                return v == null ? null : NameSplitter.part(v.toString(), first);
            };
        }
        return record -> read(record, path);
    }

    /** A field value by name, or by a dotted path into nested records and maps. */
    private static Object read(Record record, String path) {
        Object current = record;
        for (String part : path.split("\\.")) {
            current = switch (current) {
                case Record r -> r.getValue(part);
                case Map<?, ?> m -> m.get(part);
                case null, default -> null;
            };
            if (current == null) {
                return null;
            }
        }
        return current;
    }

    private static String topLevel(String path) {
        int dot = path.indexOf('.');
        return dot < 0 ? path : path.substring(0, dot);
    }

    private static Object scalar(JsonNode node) {
        if (node.isBoolean()) {
            return node.booleanValue();
        }
        if (node.isIntegralNumber()) {
            return node.longValue();
        }
        if (node.isNumber()) {
            return node.doubleValue();
        }
        return node.asText();
    }

    public String name() {
        return name;
    }

    public RecordSchema outputSchema() {
        return outputSchema;
    }

    /** Top-level source fields the mapping reads; an input schema must have them all. */
    public Set<String> sourceFields() {
        return sourceFields;
    }

    /** Target fields the target requires on create that no rule gives a value. */
    public List<String> unmappedRequiredTargets() {
        if (target == null) {
            return List.of();
        }
        Set<String> mapped = new HashSet<>();
        rules.forEach(r -> mapped.add(r.target));
        return target.fields().stream().filter(f -> f.required() && !f.readOnly() && !mapped.contains(f.name()))
                .map(CrmField::name).toList();
    }

    /** Maps one record; failures of every field are collected, not just the first. */
    public Result apply(Record source) {
        Map<String, Object> values = new LinkedHashMap<>();
        List<Violation> violations = new ArrayList<>();
        for (FieldRule rule : rules) {
            Object value;
            try {
                value = rule.map(source);
            } catch (MappingFailure e) {
                violations.add(new Violation(e.field(), e.getMessage()));
                continue;
            }
            String problem = check(rule, value);
            if (problem != null) {
                violations.add(new Violation(rule.target, problem));
                continue;
            }
            if (rule.pii != PiiProtection.DROP) {
                values.put(rule.target, rule.pii == null ? value : rule.pii.apply(value, salt));
            }
        }
        return new Result(violations.isEmpty() ? new MapRecord(outputSchema, values) : null, violations);
    }

    /** Checks a value against the target: required, length, picklist, e-mail and phone format. */
    private String check(FieldRule rule, Object value) {
        boolean blank = value == null || value.toString().isBlank();
        if (blank) {
            return rule.required ? "required by the target but has no value" : null;
        }
        CrmField field = target == null ? null : target.field(rule.target).orElse(null);
        if (field == null) {
            return null;
        }
        String text = value.toString();
        if (field.type().isText() && field.length() > 0 && text.length() > field.length()) {
            return "longer than the target's " + field.length() + " characters";
        }
        if (field.type() == CrmFieldType.PICKLIST && !field.picklistValues().isEmpty() && !field.picklistValues().contains(text)) {
            return "not one of the target's picklist values";
        }
        if (field.type() == CrmFieldType.EMAIL && !EMAIL.matcher(text).matches()) {
            return "not a valid e-mail address";
        }
        if (field.type() == CrmFieldType.PHONE && !PHONE.matcher(text).matches()) {
            return "not a valid phone number";
        }
        return null;
    }
}
