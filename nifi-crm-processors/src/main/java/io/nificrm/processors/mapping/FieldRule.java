package io.nificrm.processors.mapping;

import org.apache.nifi.serialization.record.Record;

import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * One compiled field mapping: reads its value from a source record and shapes it, in the order documented on
 * {@link MappingSpec.FieldMapping}, then checks it against what the target accepts. Everything that does not
 * depend on the record (parsers, the target's limits, the converted default) is worked out once, at compile time.
 */
final class FieldRule {
    enum Unmapped { KEEP, NULL, DEFAULT, ERROR }

    /** A form a value must have, from the target's describe (EMAIL, PHONE) or the spec's {@code format}. */
    enum Format {
        EMAIL("not a valid e-mail address", Pattern.compile("^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\\.[A-Za-z0-9-]+)*\\.[A-Za-z]{2,}$")),
        PHONE("not a valid phone number", Pattern.compile("^\\+?[0-9 ().-]{6,20}$"));

        final String problem;
        final Pattern pattern;

        Format(String problem, Pattern pattern) {
            this.problem = problem;
            this.pattern = pattern;
        }
    }

    final String target;
    final TargetType type;
    final boolean required;
    final PiiProtection pii;
    private final ValueSource source;
    private final ValueTransform[] transforms;
    private final Map<String, String> valueMap;
    private final Unmapped unmapped;
    private final List<DateTimeFormatter> parsers;
    private final ZoneId zone;
    private final Object rawDefault;
    private final Object convertedDefault;
    private final int maxLength;
    private final Set<String> picklist;
    private final Format format;

    /** Where a rule's raw value comes from. */
    @FunctionalInterface
    interface ValueSource {
        Object read(Record record) throws MappingFailure;
    }

    /** What the target accepts for this field: maximum text length (0: any), picklist values (null: any), form. */
    record Limits(int maxLength, Set<String> picklist, Format format) {
        static final Limits NONE = new Limits(0, null, null);
    }

    FieldRule(String target, TargetType type, boolean required, ValueSource source, List<ValueTransform> transforms,
              Map<String, String> valueMap, Unmapped unmapped, List<DateTimeFormatter> formats, ZoneId zone,
              Object defaultValue, PiiProtection pii, Limits limits) {
        this.target = target;
        this.type = type;
        this.required = required;
        this.source = source;
        this.transforms = transforms.toArray(ValueTransform[]::new);
        this.valueMap = valueMap;
        this.unmapped = unmapped;
        this.parsers = TargetType.parsers(formats);
        this.zone = zone;
        this.rawDefault = defaultValue;
        this.pii = pii;
        this.maxLength = limits.maxLength();
        this.picklist = limits.picklist();
        this.format = limits.format();
        try {
            this.convertedDefault = type.convert(target, defaultValue, parsers, zone);
        } catch (MappingFailure e) {
            throw new IllegalArgumentException("Field '" + target + "': the default is " + e.getMessage());
        }
    }

    /** The target value, before PII protection (checks must see the real value). */
    Object map(Record record) throws MappingFailure {
        Object value = source.read(record);
        for (ValueTransform transform : transforms) {
            value = transform.apply(value, record);
        }
        if (valueMap != null && !isBlank(value)) {
            String mapped = valueMap.get(value.toString().trim().toLowerCase(Locale.ROOT));
            if (mapped != null) {
                value = mapped;
            } else {
                value = switch (unmapped) {
                    case KEEP -> value;
                    case NULL -> null;
                    case DEFAULT -> rawDefault;
                    case ERROR -> throw new MappingFailure(target, "value is not in the value map");
                };
            }
        }
        value = type.convert(target, value, parsers, zone);
        if (convertedDefault != null && isBlank(value)) {
            value = convertedDefault;
        }
        return value;
    }

    /** Why the target would refuse this (unprotected) value, or null when it accepts it. */
    String problem(Object value) {
        if (isBlank(value)) {
            return required ? "required by the target but has no value" : null;
        }
        if (picklist == null && format == null) {
            return null;
        }
        String text = value.toString();
        if (picklist != null && !picklist.contains(text)) {
            return "not one of the target's picklist values";
        }
        if (format != null && !format.pattern.matcher(text).matches()) {
            return format.problem;
        }
        return null;
    }

    /** Why the target would refuse the value as written (after PII protection), or null. */
    String lengthProblem(Object written) {
        if (maxLength > 0 && written instanceof String s && s.length() > maxLength) {
            return "longer than the target's " + maxLength + " characters";
        }
        return null;
    }

    static boolean isBlank(Object value) {
        return value == null || value instanceof String s && s.isBlank();
    }
}
