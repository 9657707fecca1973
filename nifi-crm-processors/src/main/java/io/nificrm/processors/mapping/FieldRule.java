package io.nificrm.processors.mapping;

import org.apache.nifi.serialization.record.Record;

import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Map;

/**
 * One compiled field mapping: reads its value from a source record and shapes it, in the order documented on
 * {@link MappingSpec.FieldMapping}.
 */
final class FieldRule {
    enum Unmapped { KEEP, NULL, DEFAULT, ERROR }

    final String target;
    final TargetType type;
    final boolean required;
    private final ValueSource source;
    private final List<ValueTransform> transforms;
    private final Map<String, String> valueMap;
    private final Unmapped unmapped;
    private final List<DateTimeFormatter> formats;
    private final ZoneId zone;
    private final Object defaultValue;
    final PiiProtection pii;

    /** Where a rule's raw value comes from. */
    @FunctionalInterface
    interface ValueSource {
        Object read(Record record) throws MappingFailure;
    }

    FieldRule(String target, TargetType type, boolean required, ValueSource source, List<ValueTransform> transforms,
              Map<String, String> valueMap, Unmapped unmapped, List<DateTimeFormatter> formats, ZoneId zone,
              Object defaultValue, PiiProtection pii) {
        this.target = target;
        this.type = type;
        this.required = required;
        this.source = source;
        this.transforms = transforms;
        this.valueMap = valueMap;
        this.unmapped = unmapped;
        this.formats = formats;
        this.zone = zone;
        this.defaultValue = defaultValue;
        this.pii = pii;
    }

    /** The target value, before PII protection (validation must see the real value). */
    Object map(Record record) throws MappingFailure {
        Object value = source.read(record);
        for (ValueTransform transform : transforms) {
            value = transform.apply(value, record);
        }
        if (valueMap != null && value != null && !value.toString().isBlank()) {
            String mapped = valueMap.get(value.toString().trim().toLowerCase(java.util.Locale.ROOT));
            if (mapped != null) {
                value = mapped;
            } else {
                value = switch (unmapped) {
                    case KEEP -> value;
                    case NULL -> null;
                    case DEFAULT -> defaultValue;
                    case ERROR -> throw new MappingFailure(target, "value is not in the value map");
                };
            }
        }
        value = type.convert(target, value, formats, zone);
        if (defaultValue != null && (value == null || value.toString().isBlank())) {
            value = type.convert(target, defaultValue, formats, zone);
        }
        return value;
    }
}
