package io.nificrm.services.dynamics;

import io.nificrm.api.CrmFieldType;
import io.nificrm.services.records.WireValues;

import java.math.BigDecimal;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * OData literals for Dataverse {@code $filter} expressions and key segments, and the URL encoding around them.
 * <p>
 * Every value that reaches a query is either <b>escaped</b> (text: wrapped in single quotes, each quote doubled, so
 * {@code x' or 1 eq 1 or name eq '} stays one harmless string) or <b>formatted by us</b> from a parsed value (GUIDs
 * validated and lower-cased, date-times re-printed in UTC, numbers and booleans re-printed). Text that does not parse
 * as the field's type is refused with {@link IllegalArgumentException}; it never reaches the query as typed.
 * The result is then percent-encoded for the URL with {@link #queryValue} or {@link #pathSegment}.
 */
public final class ODataLiteral {
    static final Pattern GUID = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private ODataLiteral() {
    }

    /** A text literal: {@code 'O''Brien'}. */
    public static String string(String value) {
        if (value == null) {
            throw new IllegalArgumentException("a text literal needs a value");
        }
        return "'" + value.replace("'", "''") + "'";
    }

    /** A GUID literal (unquoted, lower case); braces around it are accepted. */
    public static String guid(String value) {
        String text = value == null ? "" : value.trim();
        if (text.startsWith("{") && text.endsWith("}")) {
            text = text.substring(1, text.length() - 1);
        }
        if (!GUID.matcher(text).matches()) {
            throw new IllegalArgumentException("not a GUID");
        }
        return text.toLowerCase(Locale.ROOT);
    }

    /** Whether the text is a GUID (with or without braces). */
    public static boolean isGuid(String value) {
        try {
            guid(value);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** A date-time literal in UTC: {@code 2024-01-31T10:15:00Z} (fractions only when present). */
    public static String dateTime(Instant instant) {
        return DateTimeFormatter.ISO_INSTANT.format(instant);
    }

    /** A date literal: {@code 2024-01-31}. */
    public static String date(LocalDate date) {
        return date.toString();
    }

    /** A literal for {@code text} as a value of a field of {@code type}, parsed and re-printed (never pasted). */
    public static String of(CrmFieldType type, String text) {
        if (text == null) {
            return "null";
        }
        String t = text.trim();
        try {
            return switch (type) {
                case ID, REFERENCE -> guid(t);
                case INTEGER, PICKLIST -> Long.toString(new BigDecimal(t).longValueExact());
                case DECIMAL -> new BigDecimal(t).toPlainString();
                case BOOLEAN -> {
                    if (!t.equalsIgnoreCase("true") && !t.equalsIgnoreCase("false")) {
                        throw new IllegalArgumentException("not a boolean");
                    }
                    yield t.toLowerCase(Locale.ROOT);
                }
                case DATETIME -> dateTime(WireValues.parseInstant(t));
                case DATE -> date(WireValues.parseDate(t));
                default -> string(text);
            };
        } catch (ArithmeticException | NumberFormatException | DateTimeParseException e) {
            throw new IllegalArgumentException("not a valid " + type.name().toLowerCase(Locale.ROOT));
        }
    }

    /** A query-option value, percent-encoded (spaces as {@code %20}, never {@code +}). */
    public static String queryValue(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * Percent-encodes text for a URL path (a key segment such as {@code (nificrm_sourceid='A/1')}): everything but
     * unreserved characters and the OData punctuation {@code ' ( ) = ,} is encoded, so a value cannot add path
     * segments, a query or a fragment.
     */
    public static String pathSegment(String value) {
        StringBuilder out = new StringBuilder(value.length() + 16);
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~'()=,".indexOf(c) >= 0) {
                out.append(c);
            } else {
                out.append('%').append(Character.toUpperCase(Character.forDigit((b >> 4) & 0xf, 16)))
                        .append(Character.toUpperCase(Character.forDigit(b & 0xf, 16)));
            }
        }
        return out.toString();
    }

    /**
     * The key of one record in a URL, without the parentheses: a GUID ({@code 5f0c...}) when {@code attribute} is the
     * primary id, else an alternate key ({@code nificrm_sourceid='O''Brien%2F1'}), percent-encoded for a path.
     * Parentheses, {@code =} and {@code ,} inside the value are encoded as well, so the segment always closes where we
     * close it.
     */
    public static String keySegment(String attribute, String value, boolean primaryId) {
        if (primaryId) {
            return guid(value);
        }
        String quoted = string(value);
        return attribute + "=" + encodeKeyValue(quoted);
    }

    private static String encodeKeyValue(String quoted) {
        // Inside the value, parentheses, '=' and ',' are data: encode them so the server's key parser cannot split there.
        String inner = quoted.substring(1, quoted.length() - 1);
        String encoded = pathSegment(inner).replace("(", "%28").replace(")", "%29").replace("=", "%3D").replace(",", "%2C");
        return "'" + encoded + "'";
    }
}
