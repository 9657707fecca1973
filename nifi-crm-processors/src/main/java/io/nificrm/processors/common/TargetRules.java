package io.nificrm.processors.common;

import io.nificrm.api.CrmField;
import io.nificrm.api.CrmFieldType;

import java.util.regex.Pattern;

/**
 * The checks a target applies to one field value, so records can be refused before they are sent: required,
 * length, picklist membership, e-mail and phone format. Messages never quote the value (it may be personal data).
 */
public final class TargetRules {
    private static final Pattern EMAIL = Pattern.compile("^[A-Za-z0-9._%+'-]+@[A-Za-z0-9.-]+\\.[A-Za-z]{2,}$");
    private static final Pattern PHONE = Pattern.compile("^\\+?[0-9 ().-]{6,20}$");

    private TargetRules() {
    }

    /**
     * @param required whether the value is needed (the field's own flag, or more: e.g. only when creating)
     * @return why the value does not fit the field, or null when it does
     */
    public static String problem(CrmField field, Object value, boolean required) {
        boolean blank = value == null || value.toString().isBlank();
        if (blank) {
            return required ? "required by the target but has no value" : null;
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
