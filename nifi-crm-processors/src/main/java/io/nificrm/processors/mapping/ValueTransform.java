package io.nificrm.processors.mapping;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.i18n.phonenumbers.NumberParseException;
import com.google.i18n.phonenumbers.PhoneNumberUtil;
import com.google.i18n.phonenumbers.Phonenumber;
import org.apache.commons.lang3.StringUtils;
import org.apache.commons.text.WordUtils;
import org.apache.nifi.serialization.record.Record;

import java.net.URI;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/** One step that reshapes a text value. Non-text values pass through the text steps unchanged. */
@FunctionalInterface
public interface ValueTransform {

    Object apply(Object value, Record source) throws MappingFailure;

    /**
     * Compiles one transform entry: a name ({@code "trim"}) or a one-key object ({@code {"truncate": 40}}).
     *
     * @throws IllegalArgumentException naming the unknown or malformed transform
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
            case "collapse_spaces" -> text(s -> StringUtils.normalizeSpace(s));
            case "digits" -> text(s -> s.replaceAll("\\D", ""));
            case "email" -> text(s -> s.trim().toLowerCase(Locale.ROOT));
            case "domain" -> text(ValueTransform::domainOf);
            case "null_if_blank" -> (v, r) -> v instanceof String s && s.isBlank() ? null : v;
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
            case "e164" -> e164(target, arg);
            default -> throw new IllegalArgumentException("Field '" + target + "': unknown transform '" + name
                    + "' (known: trim, lowercase, uppercase, titlecase, collapse_spaces, digits, email, domain, "
                    + "null_if_blank, truncate, replace, e164)");
        };
    }

    private static ValueTransform text(java.util.function.UnaryOperator<String> op) {
        return (v, r) -> v instanceof String s ? op.apply(s) : v;
    }

    /** The bare host of a web address: {@code https://www.Acme.com/about} → {@code acme.com}. */
    static String domainOf(String url) {
        String s = url.trim().toLowerCase(Locale.ROOT);
        if (s.isEmpty()) {
            return s;
        }
        try {
            String host = URI.create(s.contains("://") ? s : "http://" + s).getHost();
            s = host == null ? s : host;
        } catch (IllegalArgumentException e) {
            s = s.replaceFirst("^[a-z]+://", "").replaceFirst("[/?#].*$", "");
        }
        return s.startsWith("www.") ? s.substring(4) : s;
    }

    /**
     * Phone numbers to E.164 ({@code +14155550134}) with libphonenumber. Numbers without a country code are read in
     * the region of {@code regionField} (an ISO country code or a common country name in the record) or
     * {@code defaultRegion}. A number that is not valid there is a mapping failure.
     */
    private static ValueTransform e164(String target, JsonNode arg) {
        String defaultRegion = arg == null ? "US" : arg.path("defaultRegion").asText("US").toUpperCase(Locale.ROOT);
        String regionField = arg == null ? null : arg.path("regionField").asText(null);
        PhoneNumberUtil util = PhoneNumberUtil.getInstance();
        if (!util.getSupportedRegions().contains(defaultRegion)) {
            throw new IllegalArgumentException("Field '" + target + "': e164 defaultRegion '" + defaultRegion + "' is not an ISO country code");
        }
        return (value, record) -> {
            if (!(value instanceof String text) || text.isBlank()) {
                return value;
            }
            String region = regionOf(record, regionField, defaultRegion, util);
            String cleaned = text.trim().startsWith("00") ? "+" + text.trim().substring(2) : text.trim();
            try {
                Phonenumber.PhoneNumber number = util.parse(cleaned, region);
                if (!util.isValidNumber(number)) {
                    throw new MappingFailure(target, "not a valid phone number for region " + region);
                }
                return util.format(number, PhoneNumberUtil.PhoneNumberFormat.E164);
            } catch (NumberParseException e) {
                throw new MappingFailure(target, "not a phone number (" + e.getErrorType() + ")");
            }
        };
    }

    private static String regionOf(Record record, String regionField, String defaultRegion, PhoneNumberUtil util) {
        if (regionField == null || record == null) {
            return defaultRegion;
        }
        Object value = record.getValue(regionField);
        if (value == null || value.toString().isBlank()) {
            return defaultRegion;
        }
        String country = value.toString().trim().toUpperCase(Locale.ROOT);
        if (util.getSupportedRegions().contains(country)) {
            return country;
        }
        return COUNTRY_NAMES.getOrDefault(country, defaultRegion);
    }

    /** Common country names people type instead of ISO codes. */
    Map<String, String> COUNTRY_NAMES = Map.ofEntries(
            Map.entry("UNITED STATES", "US"), Map.entry("USA", "US"), Map.entry("U.S.", "US"), Map.entry("AMERICA", "US"),
            Map.entry("UNITED KINGDOM", "GB"), Map.entry("UK", "GB"), Map.entry("GREAT BRITAIN", "GB"), Map.entry("ENGLAND", "GB"),
            Map.entry("GERMANY", "DE"), Map.entry("DEUTSCHLAND", "DE"), Map.entry("FRANCE", "FR"), Map.entry("SPAIN", "ES"),
            Map.entry("ITALY", "IT"), Map.entry("NETHERLANDS", "NL"), Map.entry("SWEDEN", "SE"), Map.entry("CANADA", "CA"),
            Map.entry("AUSTRALIA", "AU"), Map.entry("JAPAN", "JP"), Map.entry("SINGAPORE", "SG"), Map.entry("IRELAND", "IE"),
            Map.entry("INDIA", "IN"), Map.entry("BRAZIL", "BR"), Map.entry("MEXICO", "MX"), Map.entry("CHINA", "CN"));
}
