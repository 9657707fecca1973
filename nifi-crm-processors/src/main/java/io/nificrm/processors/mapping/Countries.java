package io.nificrm.processors.mapping;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Countries by ISO 3166 code and English name, from the JDK's locale data, plus the names people commonly type
 * instead ("USA", "UK", "Deutschland"...). Lookups ignore case and surrounding blanks.
 */
final class Countries {
    /** Lower-case ISO-2, ISO-3, English name or alias → ISO-2. */
    private static final Map<String, String> CODES = new HashMap<>();
    /** ISO-2 → English name. */
    private static final Map<String, String> NAMES = new HashMap<>();

    static {
        for (String code : Locale.getISOCountries()) {
            Locale locale = new Locale.Builder().setRegion(code).build();
            String name = locale.getDisplayCountry(Locale.ENGLISH);
            NAMES.put(code, name);
            CODES.put(code.toLowerCase(Locale.ROOT), code);
            CODES.put(name.toLowerCase(Locale.ROOT), code);
            try {
                CODES.putIfAbsent(locale.getISO3Country().toLowerCase(Locale.ROOT), code);
            } catch (java.util.MissingResourceException e) {
                // no ISO-3 code known for this region
            }
        }
        String[][] aliases = {
                {"united states of america", "US"}, {"u.s.", "US"}, {"u.s.a.", "US"}, {"america", "US"}, {"us", "US"},
                {"uk", "GB"}, {"great britain", "GB"}, {"england", "GB"}, {"scotland", "GB"}, {"wales", "GB"},
                {"deutschland", "DE"}, {"españa", "ES"}, {"espana", "ES"}, {"italia", "IT"}, {"holland", "NL"},
                {"the netherlands", "NL"}, {"nederland", "NL"}, {"sverige", "SE"}, {"schweiz", "CH"}, {"suisse", "CH"},
                {"österreich", "AT"}, {"osterreich", "AT"}, {"south korea", "KR"}, {"korea", "KR"}, {"czech republic", "CZ"},
                {"russia", "RU"}, {"uae", "AE"}, {"viet nam", "VN"}, {"türkiye", "TR"}, {"turkey", "TR"}};
        for (String[] alias : aliases) {
            CODES.putIfAbsent(alias[0], alias[1]);
        }
    }

    private Countries() {
    }

    /** The ISO-2 code of a code, name or alias, or null when unknown. */
    static String code(String text) {
        if (text == null) {
            return null;
        }
        String key = text.trim().toLowerCase(Locale.ROOT);
        return key.isEmpty() ? null : CODES.get(key);
    }

    /** The English name of a code, name or alias ({@code de} → Germany), or null when unknown. */
    static String name(String text) {
        String code = code(text);
        return code == null ? null : NAMES.get(code);
    }
}
