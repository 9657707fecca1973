package io.nificrm.processors.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import io.nificrm.api.CrmField;
import io.nificrm.api.CrmFieldType;
import io.nificrm.api.CrmObjectSchema;
import org.apache.nifi.record.path.FieldValue;
import org.apache.nifi.record.path.RecordPath;
import org.apache.nifi.record.path.exception.RecordPathException;
import org.apache.nifi.serialization.SimpleRecordSchema;
import org.apache.nifi.serialization.record.MapRecord;
import org.apache.nifi.serialization.record.Record;
import org.apache.nifi.serialization.record.RecordField;
import org.apache.nifi.serialization.record.RecordSchema;

import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A mapping spec checked and compiled once, applied to every record. Compilation refuses anything ambiguous or
 * unknown (a field with two value sources, an unknown transform, type, zone, date pattern or RecordPath, a target
 * field the target object lacks) with a message naming the field.
 * <p>
 * Applying never throws for a bad value: every field's problem becomes a {@link Violation} naming the field and the
 * rule it breaks. Violations never quote the value, since it may be personal data.
 */
public final class CompiledMapping {
    /** Top-level field names a RecordPath reads: {@code /Name} at the start, or after {@code (}, {@code ,} or a blank. */
    private static final Pattern RECORD_PATH_FIELD = Pattern.compile("(?:^|[(,\\s])/([A-Za-z_][A-Za-z0-9_]*)");

    private final String name;
    private final FieldRule[] rules;
    private final RecordSchema outputSchema;
    private final Set<String> sourceFields;
    private final CrmObjectSchema target;
    private final byte[] salt;

    private CompiledMapping(String name, List<FieldRule> rules, Set<String> sourceFields, CrmObjectSchema target, byte[] salt) {
        this.name = name;
        this.rules = rules.toArray(FieldRule[]::new);
        this.sourceFields = java.util.Collections.unmodifiableSet(new LinkedHashSet<>(sourceFields));
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
            CrmField described = target == null ? null : describedField(target, t);
            rules.add(compileField(field, described, salt, sources));
        }
        return new CompiledMapping(spec.name() == null ? "mapping" : spec.name(), rules, sources, target, salt);
    }

    /**
     * The described target field, or null for a reference by key ({@code Account.External_Id__c},
     * {@code parentcustomerid.nificrm_sourceid}, {@code associations.companies}), whose prefix must name a reference.
     */
    private static CrmField describedField(CrmObjectSchema target, String t) {
        int dot = t.indexOf('.');
        if (dot < 0) {
            return target.field(t).orElseThrow(() ->
                    new IllegalArgumentException("Field '" + t + "': the target object " + target.name() + " has no such field"));
        }
        String prefix = t.substring(0, dot);
        if (prefix.equals("associations") && dot < t.length() - 1) {
            return null;
        }
        boolean reference = Optional.of(prefix).flatMap(target::field).or(() -> target.field(prefix + "Id"))
                .filter(f -> f.type() == CrmFieldType.REFERENCE).isPresent();
        if (!reference || dot == t.length() - 1) {
            throw new IllegalArgumentException("Field '" + t + "': the target object " + target.name() + " has no reference "
                    + prefix + " (or " + prefix + "Id) to address by key");
        }
        return null;
    }

    private static FieldRule compileField(MappingSpec.FieldMapping f, CrmField described, byte[] salt, Set<String> sources) {
        String t = f.target();
        int valueSources = (f.source() != null ? 1 : 0) + (f.sources() != null ? 1 : 0) + (f.constant() != null ? 1 : 0)
                + (f.recordPath() != null ? 1 : 0);
        if (valueSources > 1) {
            throw new IllegalArgumentException("Field '" + t + "': give only one of source, sources, recordPath, constant");
        }
        if (valueSources == 0 && f.defaultValue() == null) {
            throw new IllegalArgumentException("Field '" + t + "': needs a source, sources, recordPath, constant or default");
        }
        if (described != null && described.readOnly()) {
            throw new IllegalArgumentException("Field '" + t + "': the target computes it (read-only), so it cannot be written");
        }
        FieldRule.ValueSource source = valueSource(f, sources);
        List<ValueTransform> transforms = new ArrayList<>();
        if (f.transforms() != null) {
            f.transforms().forEach(spec -> transforms.add(ValueTransform.compile(t, spec)));
        }
        Map<String, String> valueMap = null;
        if (f.valueMap() != null) {
            valueMap = new HashMap<>();
            for (var e : f.valueMap().entrySet()) {
                if (valueMap.put(e.getKey().trim().toLowerCase(Locale.ROOT), e.getValue()) != null) {
                    throw new IllegalArgumentException("Field '" + t + "': the value map has '" + e.getKey() + "' twice (keys ignore case)");
                }
            }
        }
        FieldRule.Unmapped unmapped;
        try {
            unmapped = f.unmappedValues() == null ? FieldRule.Unmapped.KEEP : FieldRule.Unmapped.valueOf(f.unmappedValues().trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Field '" + t + "': unmappedValues is keep, null, default or error, not '" + f.unmappedValues() + "'");
        }
        if (f.unmappedValues() != null && valueMap == null) {
            throw new IllegalArgumentException("Field '" + t + "': unmappedValues needs a valueMap");
        }
        TargetType type = f.type() != null ? TargetType.parse(t, f.type()) : described != null ? TargetType.of(described.type()) : TargetType.STRING;
        List<DateTimeFormatter> formats = new ArrayList<>();
        if (f.formats() != null) {
            for (String pattern : f.formats()) {
                try {
                    formats.add(TargetType.pattern(pattern));
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
        FieldRule rule = new FieldRule(t, type, required, source, transforms, valueMap, unmapped, formats, zone, defaultValue, pii,
                limits(t, f.format(), described));
        if (unmapped == FieldRule.Unmapped.DEFAULT && defaultValue == null) {
            throw new IllegalArgumentException("Field '" + t + "': unmappedValues 'default' needs a default");
        }
        return rule;
    }

    private static FieldRule.Limits limits(String t, String format, CrmField described) {
        FieldRule.Format form = null;
        if (format != null) {
            try {
                form = FieldRule.Format.valueOf(format.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Field '" + t + "': format is email or phone, not '" + format + "'");
            }
        }
        if (described == null) {
            return form == null ? FieldRule.Limits.NONE : new FieldRule.Limits(0, null, form);
        }
        if (form == null) {
            form = described.type() == CrmFieldType.EMAIL ? FieldRule.Format.EMAIL
                    : described.type() == CrmFieldType.PHONE ? FieldRule.Format.PHONE : null;
        }
        int length = described.type().isText() ? described.length() : 0;
        Set<String> picklist = described.type() == CrmFieldType.PICKLIST && !described.picklistValues().isEmpty()
                ? Set.copyOf(described.picklistValues()) : null;
        return new FieldRule.Limits(length, picklist, form);
    }

    private static FieldRule.ValueSource valueSource(MappingSpec.FieldMapping f, Set<String> sources) {
        String t = f.target();
        if (f.constant() != null) {
            Object constant = f.constant().isNull() ? null : scalar(f.constant());
            return record -> constant;
        }
        if (f.recordPath() != null) {
            return recordPath(t, f.recordPath(), sources);
        }
        if (f.sources() != null) {
            if (f.sources().isEmpty()) {
                throw new IllegalArgumentException("Field '" + t + "': sources is empty");
            }
            List<FieldRule.ValueSource> readers = new ArrayList<>();
            for (String path : f.sources()) {
                sources.add(topLevel(t, path));
                readers.add(reader(path));
            }
            String separator = f.separator() == null ? " " : f.separator();
            FieldRule.ValueSource[] parts = readers.toArray(FieldRule.ValueSource[]::new);
            return record -> {
                StringBuilder joined = new StringBuilder();
                for (FieldRule.ValueSource part : parts) {
                    Object v = part.read(record);
                    if (v != null) {
                        String text = v.toString().trim();
                        if (!text.isEmpty()) {
                            if (!joined.isEmpty()) {
                                joined.append(separator);
                            }
                            joined.append(text);
                        }
                    }
                }
                return joined.isEmpty() ? null : joined.toString();
            };
        }
        if (f.source() == null) {
            if (f.split() != null || f.separator() != null) {
                throw new IllegalArgumentException("Field '" + t + "': split and separator need a source");
            }
            return record -> null;
        }
        sources.add(topLevel(t, f.source()));
        FieldRule.ValueSource read = reader(f.source());
        if (f.split() != null) {
            String part = f.split().getOrDefault("part", "");
            if (!part.equals("first") && !part.equals("last")) {
                throw new IllegalArgumentException("Field '" + t + "': split needs {\"part\": \"first\"} or {\"part\": \"last\"}");
            }
            boolean first = part.equals("first");
            return record -> {
                Object v = read.read(record);
                return v == null ? null : NameSplitter.part(v.toString(), first);
            };
        }
        return read;
    }

    /** A RecordPath source: the first value it selects. The top-level fields it names must be in the input. */
    private static FieldRule.ValueSource recordPath(String t, String path, Set<String> sources) {
        RecordPath compiled;
        try {
            compiled = RecordPath.compile(path);
        } catch (RecordPathException e) {
            throw new IllegalArgumentException("Field '" + t + "': recordPath is not a valid RecordPath: " + e.getMessage());
        }
        Matcher fields = RECORD_PATH_FIELD.matcher(path);
        while (fields.find()) {
            sources.add(fields.group(1));
        }
        return record -> {
            try {
                return compiled.evaluate(record).getSelectedFields().findFirst().map(FieldValue::getValue).orElse(null);
            } catch (RecordPathException e) {
                throw new MappingFailure(t, "the recordPath could not be evaluated on this record");
            }
        };
    }

    /** Reads a field by name, or by a dotted path into nested records and maps. */
    private static FieldRule.ValueSource reader(String path) {
        if (path.indexOf('.') < 0) {
            return record -> record.getValue(path);
        }
        return record -> read(record, path);
    }

    /** A field value by name, or by a dotted path into nested records and maps. */
    static Object read(Record record, String path) {
        Object current = record;
        int start = 0;
        while (current != null) {
            int dot = path.indexOf('.', start);
            String part = dot < 0 ? path.substring(start) : path.substring(start, dot);
            current = switch (current) {
                case Record r -> r.getValue(part);
                case Map<?, ?> m -> m.get(part);
                default -> null;
            };
            if (dot < 0) {
                return current;
            }
            start = dot + 1;
        }
        return null;
    }

    private static String topLevel(String t, String path) {
        if (path.isBlank() || path.startsWith(".") || path.endsWith(".")) {
            throw new IllegalArgumentException("Field '" + t + "': '" + path + "' is not a field name or a dotted path");
        }
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
        if (node.isContainerNode()) {
            throw new IllegalArgumentException("A constant or default is a string, number or boolean, not " + node);
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

    /** Target fields the mapping writes, in order. */
    public List<String> targetFields() {
        List<String> names = new ArrayList<>(rules.length);
        for (FieldRule rule : rules) {
            names.add(rule.target);
        }
        return names;
    }

    /** Target fields the target requires on create that no rule gives a value. */
    public List<String> unmappedRequiredTargets() {
        if (target == null) {
            return List.of();
        }
        Set<String> mapped = new HashSet<>(targetFields());
        return target.fields().stream().filter(f -> f.required() && !f.readOnly() && !mapped.contains(f.name()))
                .map(CrmField::name).toList();
    }

    /** Maps one record; the problems of every field are collected, not just the first. */
    public Result apply(Record source) {
        Map<String, Object> values = new HashMap<>(rules.length * 2);
        List<Violation> violations = null;
        for (FieldRule rule : rules) {
            String problem;
            Object written = null;
            try {
                Object value = rule.map(source);
                problem = rule.problem(value);
                if (problem == null) {
                    written = rule.pii == null ? value : rule.pii.apply(value, salt);
                    problem = rule.lengthProblem(written);
                }
            } catch (MappingFailure e) {
                problem = e.getMessage();
            } catch (RuntimeException e) {
                problem = "could not be mapped (" + e.getClass().getSimpleName() + ")";
            }
            if (problem != null) {
                if (violations == null) {
                    violations = new ArrayList<>(2);
                }
                violations.add(new Violation(rule.target, problem));
            } else if (rule.pii != PiiProtection.DROP) {
                values.put(rule.target, written);
            }
        }
        return violations == null ? new Result(new MapRecord(outputSchema, values), List.of()) : new Result(null, violations);
    }
}
