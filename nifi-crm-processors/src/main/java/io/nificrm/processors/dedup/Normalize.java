package io.nificrm.processors.dedup;

import org.apache.commons.lang3.StringUtils;

import java.net.URI;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Normalization of the values deduplication compares: e-mail, person and company names, web domains, street
 * addresses, cities and countries. Every function is null-safe and returns null for a value with nothing left.
 * Phone numbers are normalized by {@link PhoneKeys}.
 */
public final class Normalize {
    private Normalize() {
    }

    /** Mailbox providers whose domain says nothing about the company a person works for. */
    static final Set<String> PERSONAL_MAIL_DOMAINS = Set.of("gmail.com", "googlemail.com", "yahoo.com", "yahoo.co.uk",
            "yahoo.fr", "yahoo.de", "outlook.com", "hotmail.com", "hotmail.co.uk", "hotmail.fr", "live.com", "msn.com",
            "icloud.com", "me.com", "mac.com", "aol.com", "proton.me", "protonmail.com", "gmx.de", "gmx.net", "gmx.com",
            "web.de", "mail.ru", "yandex.ru", "qq.com", "163.com", "orange.fr", "free.fr", "t-online.de", "libero.it",
            "comcast.net", "verizon.net", "att.net", "zoho.com", "fastmail.com");

    /** Shared mailboxes: the local part names a function, not a person. */
    static final Set<String> ROLE_MAILBOXES = Set.of("info", "sales", "admin", "contact", "support", "office", "hello",
            "mail", "noreply", "no-reply", "team", "marketing", "billing", "accounts", "hr", "jobs", "careers", "help",
            "enquiries", "inquiries", "service", "webmaster", "postmaster");

    private static final Set<String> LEGAL_FORMS = Set.of("inc", "incorporated", "llc", "ltd", "limited", "gmbh",
            "corp", "corporation", "co", "company", "plc", "sa", "ag", "bv", "nv", "srl", "spa", "oy", "ab", "as", "pty",
            "kg", "sarl", "sas", "lp", "llp", "pte", "kk", "se", "ug", "mbh", "the");

    private static final Map<String, String> STREET_WORDS = Map.ofEntries(
            Map.entry("street", "st"), Map.entry("avenue", "ave"), Map.entry("av", "ave"), Map.entry("road", "rd"),
            Map.entry("boulevard", "blvd"), Map.entry("drive", "dr"), Map.entry("lane", "ln"), Map.entry("court", "ct"),
            Map.entry("place", "pl"), Map.entry("square", "sq"), Map.entry("highway", "hwy"), Map.entry("parkway", "pkwy"),
            Map.entry("suite", "ste"), Map.entry("apartment", "apt"), Map.entry("floor", "fl"), Map.entry("north", "n"),
            Map.entry("south", "s"), Map.entry("east", "e"), Map.entry("west", "w"), Map.entry("strasse", "str"),
            Map.entry("straße", "str"), Map.entry("number", "no"));

    private static final Map<String, String> COUNTRIES = countries();

    /**
     * An e-mail address for comparison: trimmed, lower case, without a {@code mailto:} prefix or inner white space.
     * Malformed addresses are kept (two records with the same malformed address still share it); see
     * {@link #isValidEmail}.
     */
    public static String email(String raw) {
        if (raw == null) {
            return null;
        }
        String s = raw.strip().toLowerCase(Locale.ROOT);
        if (s.startsWith("mailto:")) {
            s = s.substring(7);
        }
        if (s.indexOf(' ') >= 0 || s.indexOf('\t') >= 0) {
            s = s.replaceAll("\\s+", "");
        }
        return s.length() < 3 ? null : s;
    }

    /** Whether a normalized address has the shape local@domain.tld (one {@code @}, a dot in the domain, a 2+ letter TLD). */
    public static boolean isValidEmail(String normalized) {
        if (normalized == null) {
            return false;
        }
        int at = normalized.indexOf('@');
        if (at <= 0 || at != normalized.lastIndexOf('@')) {
            return false;
        }
        int dot = normalized.lastIndexOf('.');
        if (dot < at + 2 || normalized.length() - dot - 1 < 2) {
            return false;
        }
        for (int i = dot + 1; i < normalized.length(); i++) {
            char c = normalized.charAt(i);
            if (c < 'a' || c > 'z') {
                return false;
            }
        }
        return normalized.indexOf("..") < 0;
    }

    /** The part before the {@code @} of a valid address, or null. */
    public static String emailLocal(String normalized) {
        int at = normalized == null ? -1 : normalized.indexOf('@');
        return at <= 0 ? null : normalized.substring(0, at);
    }

    /** The part after the {@code @} of an address, or null. */
    public static String emailDomain(String normalized) {
        int at = normalized == null ? -1 : normalized.lastIndexOf('@');
        return at < 0 || at == normalized.length() - 1 ? null : normalized.substring(at + 1);
    }

    /**
     * A person's name (or a city): accents removed, lower case, only letters and single spaces; apostrophes and dots
     * dropped ({@code O'Brien} → {@code obrien}), hyphens become spaces.
     */
    public static String name(String raw) {
        String s = unaccented(raw);
        if (s == null) {
            return null;
        }
        StringBuilder out = new StringBuilder(s.length());
        boolean space = false;
        for (int i = 0; i < s.length(); i++) {
            char c = Character.toLowerCase(s.charAt(i));
            if (Character.isLetter(c)) {
                if (space && !out.isEmpty()) {
                    out.append(' ');
                }
                space = false;
                out.append(c);
            } else if (c == ' ' || c == '-' || c == '_' || c == '\t' || c == ',') {
                space = true;
            }
        }
        return out.isEmpty() ? null : out.toString();
    }

    /**
     * A company name: like {@link #name} but keeping digits, {@code &} read as "and", and legal forms (Inc., LLC,
     * GmbH, Ltd, Corp., Co. ...) removed wherever they stand.
     */
    public static String companyName(String raw) {
        String s = unaccented(raw);
        if (s == null) {
            return null;
        }
        s = s.toLowerCase(Locale.ROOT).replace("&", " and ");
        StringBuilder out = new StringBuilder(s.length());
        for (String token : s.split("[^\\p{L}\\p{N}]+")) {
            if (token.isEmpty() || LEGAL_FORMS.contains(token)) {
                continue;
            }
            if (!out.isEmpty()) {
                out.append(' ');
            }
            out.append(token);
        }
        if (out.isEmpty()) {
            // A name made only of legal-form words ("The Company"): keep it rather than lose it.
            String plain = s.replaceAll("[^\\p{L}\\p{N}]+", " ").trim();
            return plain.isEmpty() ? null : plain;
        }
        return out.toString();
    }

    /** The bare host of a web address: {@code https://www.Acme.com:443/about} → {@code acme.com}. */
    public static String domain(String raw) {
        if (raw == null) {
            return null;
        }
        String s = raw.strip().toLowerCase(Locale.ROOT);
        if (s.isEmpty()) {
            return null;
        }
        int at = s.indexOf('@');
        if (at >= 0 && !s.contains("://")) {
            s = s.substring(at + 1);
        }
        String host;
        try {
            host = URI.create(s.contains("://") ? s : "http://" + s).getHost();
        } catch (IllegalArgumentException e) {
            host = null;
        }
        if (host == null) {
            host = s.replaceFirst("^[a-z]+://", "").replaceFirst("[/?#:].*$", "");
        }
        while (host.startsWith("www.") || host.startsWith("www2.")) {
            host = host.substring(host.indexOf('.') + 1);
        }
        if (host.endsWith(".")) {
            host = host.substring(0, host.length() - 1);
        }
        return host.indexOf('.') < 1 ? null : host;
    }

    /** A company domain from an e-mail address, or null for personal mailbox providers. */
    public static String companyDomainOfEmail(String normalizedEmail) {
        String domain = isValidEmail(normalizedEmail) ? emailDomain(normalizedEmail) : null;
        return domain == null || PERSONAL_MAIL_DOMAINS.contains(domain) ? null : domain;
    }

    /** A street address: like {@link #name} but keeping digits, with common words abbreviated (Street → st). */
    public static String street(String raw) {
        String s = unaccented(raw);
        if (s == null) {
            return null;
        }
        StringBuilder out = new StringBuilder(s.length());
        for (String token : s.toLowerCase(Locale.ROOT).split("[^\\p{L}\\p{N}]+")) {
            if (token.isEmpty()) {
                continue;
            }
            if (!out.isEmpty()) {
                out.append(' ');
            }
            out.append(STREET_WORDS.getOrDefault(token, token));
        }
        return out.isEmpty() ? null : out.toString();
    }

    /** An ISO 3166 alpha-2 code from a code (alpha-2 or alpha-3) or an English country name; else the name, normalized. */
    public static String country(String raw) {
        if (raw == null) {
            return null;
        }
        String s = raw.strip();
        if (s.isEmpty()) {
            return null;
        }
        String key = s.toLowerCase(Locale.ROOT).replace(".", "").replaceAll("\\s+", " ");
        String code = COUNTRIES.get(key);
        return code != null ? code : name(s);
    }

    private static Map<String, String> countries() {
        Map<String, String> map = new HashMap<>();
        for (String code : Locale.getISOCountries()) {
            Locale locale = Locale.of("", code);
            map.put(code.toLowerCase(Locale.ROOT), code);
            try {
                map.put(locale.getISO3Country().toLowerCase(Locale.ROOT), code);
            } catch (java.util.MissingResourceException ignored) {
                // No alpha-3 code known for this one.
            }
            map.put(locale.getDisplayCountry(Locale.ENGLISH).toLowerCase(Locale.ROOT), code);
        }
        map.put("usa", "US");
        map.put("united states of america", "US");
        map.put("america", "US");
        map.put("uk", "GB");
        map.put("great britain", "GB");
        map.put("england", "GB");
        map.put("scotland", "GB");
        map.put("wales", "GB");
        map.put("deutschland", "DE");
        map.put("holland", "NL");
        map.put("the netherlands", "NL");
        map.put("españa", "ES");
        map.put("italia", "IT");
        map.put("schweiz", "CH");
        map.put("suisse", "CH");
        map.put("österreich", "AT");
        return Map.copyOf(map);
    }

    /** The value stripped and without accents; null when null or blank. */
    private static String unaccented(String raw) {
        String s = raw == null ? "" : raw.strip();
        if (s.isEmpty()) {
            return null;
        }
        return isAscii(s) ? s : StringUtils.stripAccents(s);
    }

    static boolean isAscii(String s) {
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) > 127) {
                return false;
            }
        }
        return true;
    }
}
