package io.nificrm.simulator.store;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Checks a written record against its object's schema, as the real systems do: unknown and read-only fields,
 * required values on create, value types, e-mail format, picklist membership and text length.
 */
public final class RecordValidator {
    private static final Pattern EMAIL = Pattern.compile("^[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$");

    private RecordValidator() {
    }

    /** The typed values when valid, else the violations. */
    public record Result(Map<String, Object> values, List<Violation> violations) {
        public boolean isValid() {
            return violations.isEmpty();
        }
    }

    /**
     * @param schema   the object's schema
     * @param wire     field values as received
     * @param creating true for a create (required fields must be present)
     * @param ignored  field names to skip silently (e.g. the upsert key or type annotations)
     */
    public static Result validate(SimSchema schema, Map<String, Object> wire, boolean creating, List<String> ignored) {
        Map<String, Object> values = new LinkedHashMap<>();
        List<Violation> violations = new ArrayList<>();
        for (var entry : wire.entrySet()) {
            String name = entry.getKey();
            if (ignored.contains(name)) {
                continue;
            }
            SimField field = schema.field(name).orElse(null);
            if (field == null) {
                violations.add(new Violation(name, Violation.Kind.UNKNOWN_FIELD, "No such field: " + name));
                continue;
            }
            if (field.readOnly()) {
                violations.add(new Violation(name, Violation.Kind.READ_ONLY, "Field is read-only: " + name));
                continue;
            }
            try {
                Object value = ValueCoercion.coerce(field.type(), entry.getValue());
                checkValue(field, value).ifPresent(violations::add);
                values.put(name, value);
            } catch (IllegalArgumentException e) {
                violations.add(new Violation(name, Violation.Kind.INVALID_VALUE, name + ": " + e.getMessage()));
            }
        }
        if (creating) {
            for (SimField field : schema.fields()) {
                if (field.required() && isBlank(values.get(field.name())) && !ignored.contains(field.name())) {
                    violations.add(new Violation(field.name(), Violation.Kind.REQUIRED, "Required field missing: " + field.name()));
                }
            }
        }
        return new Result(values, violations);
    }

    private static java.util.Optional<Violation> checkValue(SimField field, Object value) {
        if (value == null) {
            return java.util.Optional.empty();
        }
        String text = value.toString();
        if (field.type() == SimType.EMAIL && !text.isEmpty() && !EMAIL.matcher(text).matches()) {
            return java.util.Optional.of(new Violation(field.name(), Violation.Kind.INVALID_EMAIL,
                    "Invalid email address in " + field.name()));
        }
        if (field.type() == SimType.PICKLIST && !field.picklist().isEmpty() && !text.isEmpty() && !field.picklist().contains(text)) {
            return java.util.Optional.of(new Violation(field.name(), Violation.Kind.INVALID_PICKLIST,
                    "Value not in the picklist of " + field.name() + ": " + text));
        }
        if (field.type().isText() && field.length() > 0 && text.length() > field.length()) {
            return java.util.Optional.of(new Violation(field.name(), Violation.Kind.TOO_LONG,
                    field.name() + " is longer than " + field.length() + " characters"));
        }
        return java.util.Optional.empty();
    }

    private static boolean isBlank(Object value) {
        return value == null || value.toString().isBlank();
    }
}
