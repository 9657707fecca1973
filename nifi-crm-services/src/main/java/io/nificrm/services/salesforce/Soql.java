package io.nificrm.services.salesforce;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * Builds SOQL text safely. Identifiers are checked against describe before they get here; literal values go
 * through {@link #quote}, which applies SOQL's backslash escapes, so a value can never end its string early.
 */
public final class Soql {
    private static final DateTimeFormatter DATETIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    private Soql() {
    }

    /** A string literal: {@code O'Brien} becomes {@code 'O\'Brien'}. */
    public static String quote(String value) {
        StringBuilder sb = new StringBuilder(value.length() + 2).append('\'');
        for (char c : value.toCharArray()) {
            switch (c) {
                case '\'' -> sb.append("\\'");
                case '\\' -> sb.append("\\\\");
                case '"' -> sb.append("\\\"");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> sb.append(c);
            }
        }
        return sb.append('\'').toString();
    }

    /** A dateTime literal (unquoted in SOQL). */
    public static String dateTime(Instant instant) {
        return DATETIME.format(instant);
    }
}
