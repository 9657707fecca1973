package io.nificrm.processors.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonenumber;
import org.apache.commons.lang3.StringUtils;
import org.apache.commons.text.WordUtils;
import org.apache.nifi.serialization.record.Record;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One step that reshapes a value. Text steps leave non-text values unchanged; number steps accept numbers and
 * numeric text. Messages of failures name the field and the rule broken, never the value (it may be personal data).
 */
@FunctionalInterface
public interface ValueTransform {

    /** Names accepted by {@link #compile}, for messages and documentation. */
    String KNOWN = "trim, lowercase, uppercase, titlecase, collapse_spaces, digits, email, domain, null_if_blank, "
            + "country_code, country_name, truncate, replace, multiply, round, e164";

    Object apply(Object value, Record source) throws MappingFailure;

    /**
     * Compiles one transform entry: a name ({@code "trim"}) or a one-key object ({@code {"truncate": 40}}).
     *
     * @throws IllegalArgumentException naming the field and the unknown or malformed transform
     */
    static ValueTransform compile(String target, JsonNode spec) {
        String name;
        JsonNode arg;
        if (spec.isTextual()) {
            name = spec.asText();
            arg = null;
        } else if (spec.isObject() && spec.size() == 1) {
            var entry = spec.fields().next();
            name = entry.getKey();
            arg = entry.getValue();
        } else {
            throw new IllegalArgumentException("Field '" + target + "': a transform is a name or an object with one key, got " + spec);
        }
        return switch (name) {
            case "trim" -> text(StringUtils::trim);
            case "lowercase" -> text(s -> s.toLowerCase(Locale.ROOT));
            case "uppercase" -> text(s -> s.toUpperCase(Locale.ROOT));
            case "titlecase" -> text(s -> WordUtils.capitalizeFully(s.trim(), ' ', '-', '\''));
            case "collapse_spaces" -> text(StringUtils::normalizeSpace);
            case "digits" -> text(ValueTransform::digitsOf);
            case "email" -> text(s -> s.trim().toLowerCase(Locale.ROOT));
            case "domain" -> text(ValueTransform::domainOf);
            case "null_if_blank" -> (v, r) -> v instanceof String s && s.isBlank() ? null : v;
            case "country_code" -> text(s -> {
                String code = Countries.code(s);
                return code == null ? s : code;
            });
            case "country_name" -> text(s -> {
                String country = Countries.name(s);
                return country == null ? s : country;
            });
            case "truncate" -> {
                if (arg == null || !arg.canConvertToInt() || arg.asInt() < 1) {
                    throw new IllegalArgumentException("Field '" + target + "': truncate needs a positive length, e.g. {\"truncate\": 40}");
                }
                int max = arg.asInt();
                yield text(s -> s.length() <= max ? s : s.substring(0, max));
            }
            case "replace" -> {
                if (arg == null || !arg.hasNonNull("pattern")) {
                    throw new IllegalArgumentException("Field '" + target + "': replace needs {\"pattern\": \"regex\", \"with\": \"text\"}");
                }
                try {
                    Pattern pattern = Pattern.compile(arg.get("pattern").asText());
                    String with = arg.path("with").asText("");
                    yield text(s -> pattern.matcher(s).replaceAll(with));
                } catch (PatternSyntaxException e) {
                    throw new IllegalArgumentException("Field '" + target + "': replace pattern is not a valid regular expression: " + e.getDescription());
                }
            }
            case "multiply" -> {
                if (arg == null || !arg.isNumber()) {
                    throw new IllegalArgumentException("Field '" + target + "': multiply needs a number, e.g. {\"multiply\": 100}");
                }
                BigDecimal factor = arg.decimalValue();
                yield number(target, n -> n.multiply(factor));
            }
            case "round" -> {
                if (arg == null || !arg.canConvertToInt() || arg.asInt() < 0) {
                    throw new IllegalArgumentException("Field '" + target + "': round needs the digits to keep, e.g. {\"round\": 2}");
                }
                int digits = arg.asInt();
                yield number(target, n -> n.setScale(digits, RoundingMode.HALF_UP));
            }
            case "e164" -> e164(target, arg);
            default -> throw new IllegalArgumentException("Field '" + target + "': unknown transform '" + name + "' (known: " + KNOWN + ")");
        };
    }

    private static ValueTransform text(java.util.function.UnaryOperator<String> op) {
        return (v, r) -> v instanceof String s ? op.apply(s) : v;
    }

    /** Arithmetic on numbers and numeric text (exact, in BigDecimal); the result is a double. */
    private static ValueTransform number(String target, java.util.function.UnaryOperator<BigDecimal> op) {
        return (v, r) -> {
            BigDecimal n;
            switch (v) {
                case null -> {
                    return null;
                }
                case Double d -> n = BigDecimal.valueOf(d);
                case Float f -> n = BigDecimal.valueOf(f.doubleValue());
                case Number other -> n = new BigDecimal(other.toString());
                case String s when s.isBlank() -> {
                    return null;
                }
                default -> {
                    try {
                        n = new BigDecimal(v.toString().trim().replace(",", ""));
                    } catch (NumberFormatException e) {
                        throw new MappingFailure(target, "not a number");
                    }
                }
            }
            return op.apply(n).doubleValue();
        };
    }

    private static String digitsOf(String s) {
        StringBuilder digits = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') {
                digits.append(c);
            }
        }
        return digits.toString();
    }

    /**
     * The bare host of a web address or e-mail address: {@code https://www.Acme.com:443/about} and
     * {@code Ada@ACME.com} → {@code acme.com}. Scheme, user info, port, path, query and a leading {@code www.} go.
     */
    static String domainOf(String text) {
        String s = text.trim().toLowerCase(Locale.ROOT);
        int scheme = s.indexOf("://");
        int start = scheme >= 0 ? scheme + 3 : 0;
        int end = s.length();
        for (int i = start; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '/' || c == '?' || c == '#') {
                end = i;
                break;
            }
        }
        int at = s.lastIndexOf('@', end - 1);
        if (at >= start) {
            start = at + 1;
        }
        int colon = s.indexOf(':', start);
        if (colon >= 0 && colon < end) {
            end = colon;
        }
        String host = s.substring(start, end);
        return host.startsWith("www.") ? host.substring(4) : host;
    }

    /**
     * Phone numbers to E.164 ({@code +14155550134}) with libphonenumber. Numbers without a country code are read in
     * the region of {@code regionField} (an ISO code or a country name in the record) or {@code defaultRegion}.
     * {@code validate}: "valid" (default; the number exists in the region's numbering plan) or "possible" (its
     * length fits the region). {@code onInvalid}: "error" (default; a mapping failure), "keep" (the text as it was)
     * or "null".
     */
    private static ValueTransform e164(String target, JsonNode arg) {
        String defaultRegion = arg == null ? "US" : arg.path("defaultRegion").asText("US").toUpperCase(Locale.ROOT);
        String regionField = arg == null ? null : arg.path("regionField").asText(null);
        String validate = arg == null ? "valid" : arg.path("validate").asText("valid");
        String onInvalid = arg == null ? "error" : arg.path("onInvalid").asText("error");
        PhoneNumberUtil util = PhoneNumberUtil.getInstance();
        Set<String> regions = util.getSupportedRegions();
        if (!regions.contains(defaultRegion)) {
            throw new IllegalArgumentException("Field '" + target + "': e164 defaultRegion '" + defaultRegion + "' is not an ISO country code");
        }
        if (!validate.equals("valid") && !validate.equals("possible")) {
            throw new IllegalArgumentException("Field '" + target + "': e164 validate is 'valid' or 'possible', not '" + validate + "'");
        }
        if (!onInvalid.equals("error") && !onInvalid.equals("keep") && !onInvalid.equals("null")) {
            throw new IllegalArgumentException("Field '" + target + "': e164 onInvalid is 'error', 'keep' or 'null', not '" + onInvalid + "'");
        }
        boolean strict = validate.equals("valid");
        return (value, record) -> {
            if (!(value instanceof String text) || text.isBlank()) {
                return value;
            }
            String region = regionOf(record, regionField, defaultRegion, regions);
            String trimmed = text.trim();
            String cleaned = trimmed.startsWith("00") ? "+" + trimmed.substring(2) : trimmed;
            String problem;
            try {
                Phonenumber.PhoneNumber number = util.parse(cleaned, region);
                if (strict ? util.isValidNumber(number) : util.isPossibleNumber(number)) {
                    return util.format(number, PhoneNumberUtil.PhoneNumberFormat.E164);
                }
                problem = "not a " + validate + " phone number for region " + region;
            } catch (NumberParseException e) {
                problem = "not a phone number (" + e.getErrorType() + ")";
            }
            return switch (onInvalid) {
                case "keep" -> value;
                case "null" -> null;
                default -> throw new MappingFailure(target, problem);
            };
        };
    }

    private static String regionOf(Record record, String regionField, String defaultRegion, Set<String> regions) {
        if (regionField == null || record == null) {
            return defaultRegion;
        }
        Object value = CompiledMapping.read(record, regionField);
        if (value == null || value.toString().isBlank()) {
            return defaultRegion;
        }
        String code = Countries.code(value.toString());
        return code != null && regions.contains(code) ? code : defaultRegion;
    }
}
