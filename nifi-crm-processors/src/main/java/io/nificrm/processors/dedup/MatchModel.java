package io.nificrm.processors.dedup;

import com.fasterxml.jackson.databind.JsonNode;
import io.nificrm.processors.common.JsonSettings;
import org.apache.commons.text.similarity.IntersectionResult;
import org.apache.commons.text.similarity.IntersectionSimilarity;
import org.apache.commons.text.similarity.JaroWinklerSimilarity;
import org.apache.commons.text.similarity.LevenshteinDistance;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Pairwise scoring in the Fellegi–Sunter style. Each field comparison lands on one agreement level (exact, similar,
 * nickname, differ ... or nothing when a side is blank) and adds that level's weight: the log2 likelihood ratio
 * log2(m/u), where m is how often the level occurs between two records of one entity and u how often between two
 * different entities. The sum W is turned into a match probability with a prior: p = 1 / (1 + 2^(prior − W)),
 * so {@code prior} is the total weight at which a pair is as likely a match as not.
 * <p>
 * String similarity comes from Apache Commons Text (Jaro-Winkler for names and cities, Levenshtein for e-mail typos,
 * token-set intersection for company names) and phonetics from Commons Codec (Double Metaphone). The defaults are
 * in {@link #DEFAULT_WEIGHTS}; any of them can be overridden by name. Immutable and thread-safe.
 */
public final class MatchModel {

    /** Default weights in bits. Levels missing on either side add 0. */
    public static final Map<String, Double> DEFAULT_WEIGHTS = defaults();

    private static Map<String, Double> defaults() {
        Map<String, Double> w = new LinkedHashMap<>();
        w.put("prior", 20.0);
        w.put("email.exact", 26.0);
        w.put("email.typo", 8.0);
        w.put("email.local", 2.0);
        w.put("email.differ", -2.5);
        w.put("phone.exact", 16.5);
        w.put("phone.national", 7.5);
        w.put("phone.differ", -3.5);
        w.put("first.exact", 6.5);
        w.put("first.nickname", 5.0);
        w.put("first.similar", 3.5);
        w.put("first.initial", 1.0);
        w.put("first.differ", -7.0);
        w.put("last.exact", 7.5);
        w.put("last.similar", 4.5);
        w.put("last.differ", -5.5);
        w.put("names.swapped", -1.0);
        w.put("names.conflict", -8.0);
        w.put("company.exact", 9.5);
        w.put("company.similar", 6.0);
        w.put("company.partial", 3.0);
        w.put("company.differ", -2.0);
        w.put("name.exact", 16.0);
        w.put("name.similar", 11.0);
        w.put("name.partial", 4.5);
        w.put("name.differ", -5.5);
        w.put("domain.exact", 20.0);
        w.put("domain.differ", -4.5);
        w.put("street.exact", 8.0);
        w.put("street.similar", 4.0);
        w.put("street.differ", -2.0);
        w.put("city.exact", 4.0);
        w.put("city.similar", 2.5);
        w.put("city.differ", -4.0);
        w.put("country.exact", 1.5);
        w.put("country.differ", -5.0);
        return Map.copyOf(w);
    }

    private static final JaroWinklerSimilarity JARO_WINKLER = new JaroWinklerSimilarity();
    private static final LevenshteinDistance LEVENSHTEIN_1 = new LevenshteinDistance(1);
    private static final IntersectionSimilarity<String> TOKENS = new IntersectionSimilarity<>(MatchModel::tokens);

    private final EntityType entity;
    private final double prior;
    private final double emailExact;
    private final double emailTypo;
    private final double emailLocal;
    private final double emailDiffer;
    private final double phoneExact;
    private final double phoneNational;
    private final double phoneDiffer;
    private final double firstExact;
    private final double firstNickname;
    private final double firstSimilar;
    private final double firstInitial;
    private final double firstDiffer;
    private final double lastExact;
    private final double lastSimilar;
    private final double lastDiffer;
    private final double swapped;
    private final double conflict;
    private final double companyExact;
    private final double companySimilar;
    private final double companyPartial;
    private final double companyDiffer;
    private final double nameExact;
    private final double nameSimilar;
    private final double namePartial;
    private final double nameDiffer;
    private final double domainExact;
    private final double domainDiffer;
    private final double streetExact;
    private final double streetSimilar;
    private final double streetDiffer;
    private final double cityExact;
    private final double citySimilar;
    private final double cityDiffer;
    private final double countryExact;
    private final double countryDiffer;
    /** The best level of a field, for the bound that skips name comparisons. */
    private final double firstMax;
    private final double lastMax;
    private final double nameMax;
    private final double streetMax;

    public MatchModel(EntityType entity, Map<String, Double> overrides) {
        this.entity = entity;
        Map<String, Double> w = new LinkedHashMap<>(DEFAULT_WEIGHTS);
        w.putAll(overrides);
        prior = w.get("prior");
        emailExact = w.get("email.exact");
        emailTypo = w.get("email.typo");
        emailLocal = w.get("email.local");
        emailDiffer = w.get("email.differ");
        phoneExact = w.get("phone.exact");
        phoneNational = w.get("phone.national");
        phoneDiffer = w.get("phone.differ");
        firstExact = w.get("first.exact");
        firstNickname = w.get("first.nickname");
        firstSimilar = w.get("first.similar");
        firstInitial = w.get("first.initial");
        firstDiffer = w.get("first.differ");
        lastExact = w.get("last.exact");
        lastSimilar = w.get("last.similar");
        lastDiffer = w.get("last.differ");
        swapped = w.get("names.swapped");
        conflict = w.get("names.conflict");
        companyExact = w.get("company.exact");
        companySimilar = w.get("company.similar");
        companyPartial = w.get("company.partial");
        companyDiffer = w.get("company.differ");
        nameExact = w.get("name.exact");
        nameSimilar = w.get("name.similar");
        namePartial = w.get("name.partial");
        nameDiffer = w.get("name.differ");
        domainExact = w.get("domain.exact");
        domainDiffer = w.get("domain.differ");
        streetExact = w.get("street.exact");
        streetSimilar = w.get("street.similar");
        streetDiffer = w.get("street.differ");
        cityExact = w.get("city.exact");
        citySimilar = w.get("city.similar");
        cityDiffer = w.get("city.differ");
        countryExact = w.get("country.exact");
        countryDiffer = w.get("country.differ");
        firstMax = Math.max(Math.max(firstExact, firstNickname), Math.max(firstSimilar, firstInitial));
        lastMax = Math.max(lastExact, lastSimilar);
        nameMax = Math.max(nameExact, Math.max(nameSimilar, namePartial));
        streetMax = Math.max(streetExact, streetSimilar);
    }

    /**
     * Parses weight overrides: a JSON object of weight name → number, e.g. {@code {"phone.exact": 14, "prior": 22}}.
     *
     * @throws IllegalArgumentException on invalid JSON, unknown names or non-numbers
     */
    public static Map<String, Double> parseOverrides(String json) {
        Map<String, Double> overrides = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : JsonSettings.entries(json, "weight name to number").entrySet()) {
            if (!DEFAULT_WEIGHTS.containsKey(e.getKey())) {
                throw new IllegalArgumentException("unknown weight '" + e.getKey() + "'; known: " + String.join(", ",
                        new java.util.TreeSet<>(DEFAULT_WEIGHTS.keySet())));
            }
            if (!e.getValue().isNumber()) {
                throw new IllegalArgumentException("weight '" + e.getKey() + "' must be a number");
            }
            overrides.put(e.getKey(), e.getValue().asDouble());
        }
        return overrides;
    }

    /** The match probability of a total weight. */
    public double probability(double weight) {
        return 1.0 / (1.0 + Math.pow(2.0, prior - weight));
    }

    /** The total weight at which the probability reaches {@code p} (0 < p < 1). */
    public double weightAt(double p) {
        if (p >= 1.0) {
            return Double.POSITIVE_INFINITY;
        }
        if (p <= 0.0) {
            return Double.NEGATIVE_INFINITY;
        }
        return prior - Math.log(1.0 / p - 1.0) / Math.log(2.0);
    }

    /** The match probability of two records. */
    public double score(Features a, Features b) {
        return probability(weight(a, b, Double.NEGATIVE_INFINITY));
    }

    /**
     * The total weight of a pair. When the cheap comparisons already show that the pair cannot reach
     * {@code floor}, the (expensive) name comparisons are skipped and a value below {@code floor} is returned.
     */
    public double weight(Features a, Features b, double floor) {
        // Cheap comparisons first (equality, mostly of pooled strings); then, unless the pair can no longer reach
        // the floor, the string similarities.
        double w = phones(a, b) + country(a, b);
        boolean emailPending = false;
        if (a.email != null && b.email != null) {
            if (a.email.equals(b.email)) {
                w += emailExact;
            } else {
                emailPending = true;
            }
        }
        boolean cityPending = false;
        if (a.city != null && b.city != null) {
            if (a.city.equals(b.city)) {
                w += cityExact;
            } else {
                cityPending = true;
            }
        }
        double pending = (emailPending ? Math.max(emailTypo, Math.max(emailLocal, emailDiffer)) : 0)
                + (cityPending ? Math.max(citySimilar, cityDiffer) : 0) + maxStreet(a, b);
        if (entity == EntityType.PERSON) {
            w += company(a.company, b.company);
            if (w + pending + maxNames(a, b) < floor) {
                return w + pending + maxNames(a, b);
            }
            w += names(a, b);
        } else {
            w += domain(a, b);
            double best = w + pending + (a.company != null && b.company != null ? nameMax : 0);
            if (best < floor) {
                return best;
            }
            w += companyName(a.company, b.company);
        }
        if (emailPending) {
            w += differentEmails(a, b);
        }
        if (cityPending) {
            w += differentCities(a.city, b.city);
        }
        return w + street(a, b);
    }

    /** Two different e-mail addresses: a one-letter typo, the same person's other mailbox, or another person's. */
    private double differentEmails(Features a, Features b) {
        if (a.emailValid && b.emailValid) {
            if (a.email.length() >= 6 && Math.abs(a.email.length() - b.email.length()) <= 1
                    && LEVENSHTEIN_1.apply(a.email, b.email) >= 0 && digits(a.email).equals(digits(b.email))) {
                // One letter off; a different number (john.smith2 vs john.smith) is another mailbox, not a typo.
                return emailTypo;
            }
            if (samePersonalPart(a.email, b.email)) {
                return emailLocal;
            }
        }
        return emailDiffer;
    }

    /** Whether the local parts agree without their trailing digits (3+ letters, not a role mailbox like info@). */
    static boolean samePersonalPart(String a, String b) {
        int ea = personalEnd(a);
        int eb = personalEnd(b);
        return ea >= 3 && ea == eb && a.regionMatches(0, b, 0, ea) && !Normalize.ROLE_MAILBOXES.contains(a.substring(0, ea));
    }

    private static int personalEnd(String email) {
        int end = email.indexOf('@');
        while (end > 0 && Character.isDigit(email.charAt(end - 1))) {
            end--;
        }
        return end;
    }

    private static String digits(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length(); i++) {
            if (Character.isDigit(s.charAt(i))) {
                b.append(s.charAt(i));
            }
        }
        return b.toString();
    }

    private double phones(Features a, Features b) {
        if (a.phones.length == 0 || b.phones.length == 0) {
            return 0;
        }
        boolean national = false;
        for (long pa : a.phones) {
            for (long pb : b.phones) {
                if (pa == pb) {
                    return phoneExact;
                }
                long na = PhoneKeys.nationalPart(pa);
                national |= na >= 1_000_000 && na == PhoneKeys.nationalPart(pb);
            }
        }
        return national ? phoneNational : phoneDiffer;
    }

    private double maxNames(Features a, Features b) {
        return (a.first != null && b.first != null ? firstMax : 0) + (a.last != null && b.last != null ? lastMax : 0);
    }

    /**
     * First and last names, in the better of the two orientations (swapped costs {@code names.swapped}). When both
     * names disagree in both orientations, {@code names.conflict} is added: the two name comparisons are not
     * independent, and a complete name conflict is stronger evidence of two people than their sum says.
     */
    private double names(Features a, Features b) {
        double first = first(a.first, b.first);
        double last = last(a.last, b.last);
        double straight = first + last;
        if (a.first == null || a.last == null || b.first == null || b.last == null || straight >= firstExact + lastExact) {
            return straight;
        }
        double crossedFirst = first(a.first, b.last);
        double crossedLast = last(a.last, b.first);
        double best = Math.max(straight, crossedFirst + crossedLast + swapped);
        boolean conflicting = first == firstDiffer && last == lastDiffer && crossedFirst == firstDiffer && crossedLast == lastDiffer;
        return conflicting ? best + conflict : best;
    }

    private double first(String a, String b) {
        if (a == null || b == null) {
            return 0;
        }
        if (a.equals(b)) {
            return firstExact;
        }
        if (Nicknames.equivalent(a, b)) {
            return firstNickname;
        }
        if ((a.length() == 1 || b.length() == 1) && a.charAt(0) == b.charAt(0)) {
            return firstInitial;
        }
        return JARO_WINKLER.apply(a, b) >= 0.9 || transposed(a, b) ? firstSimilar : firstDiffer;
    }

    /** Two adjacent letters swapped (Amy, Aym): a typo Jaro-Winkler scores low on short names. */
    static boolean transposed(String a, String b) {
        if (a.length() != b.length() || a.length() < 3) {
            return false;
        }
        int first = -1;
        for (int i = 0; i < a.length(); i++) {
            if (a.charAt(i) != b.charAt(i)) {
                if (first < 0) {
                    first = i;
                } else {
                    return i == first + 1 && a.charAt(first) == b.charAt(i) && a.charAt(i) == b.charAt(first)
                            && a.regionMatches(i + 1, b, i + 1, a.length() - i - 1);
                }
            }
        }
        return false;
    }

    private double last(String a, String b) {
        if (a == null || b == null) {
            return 0;
        }
        if (a.equals(b)) {
            return lastExact;
        }
        if (JARO_WINKLER.apply(a, b) >= 0.9 || transposed(a, b)) {
            return lastSimilar;
        }
        return BlockingKey.phonetic(a).equals(BlockingKey.phonetic(b)) ? lastSimilar : lastDiffer;
    }

    private double company(String a, String b) {
        if (a == null || b == null) {
            return 0;
        }
        if (a.equals(b)) {
            return companyExact;
        }
        if (isIdLike(a) || isIdLike(b)) {
            // Account ids (001A6219, 30012) agree or not; their similarity means nothing.
            return companyDiffer;
        }
        return switch (nameLevel(a, b)) {
            case 2 -> companySimilar;
            case 1 -> companyPartial;
            default -> companyDiffer;
        };
    }

    /** A single token with a digit: an id rather than a name. */
    static boolean isIdLike(String s) {
        if (s.indexOf(' ') >= 0) {
            return false;
        }
        for (int i = 0; i < s.length(); i++) {
            if (Character.isDigit(s.charAt(i))) {
                return true;
            }
        }
        return false;
    }

    private double companyName(String a, String b) {
        if (a == null || b == null) {
            return 0;
        }
        if (a.equals(b)) {
            return nameExact;
        }
        return switch (nameLevel(a, b)) {
            case 2 -> nameSimilar;
            case 1 -> namePartial;
            default -> nameDiffer;
        };
    }

    /**
     * 2: same words in another order, or a typo (Jaro-Winkler ≥ 0.93); 1: one name's words all in the other
     * (Acme vs Acme Systems), or Jaro-Winkler ≥ 0.85; 0: different.
     */
    static int nameLevel(String a, String b) {
        double jw = JARO_WINKLER.apply(a, b);
        if (jw >= 0.93) {
            return 2;
        }
        IntersectionResult tokens = TOKENS.apply(a, b);
        int common = tokens.getIntersection();
        if (common > 0 && common == tokens.getSizeA() && common == tokens.getSizeB()) {
            return 2;
        }
        if (common > 0 && common == Math.min(tokens.getSizeA(), tokens.getSizeB())) {
            return 1;
        }
        return jw >= 0.85 ? 1 : 0;
    }

    private static Set<String> tokens(CharSequence s) {
        Set<String> set = new HashSet<>();
        for (String t : s.toString().split(" ")) {
            if (!t.isEmpty()) {
                set.add(t);
            }
        }
        return set;
    }

    private double domain(Features a, Features b) {
        if (a.domain == null || b.domain == null) {
            return 0;
        }
        return a.domain.equals(b.domain) ? domainExact : domainDiffer;
    }

    private double maxStreet(Features a, Features b) {
        return a.street != null && b.street != null ? streetMax : 0;
    }

    private double street(Features a, Features b) {
        if (a.street == null || b.street == null) {
            return 0;
        }
        if (a.street.equals(b.street)) {
            return streetExact;
        }
        return JARO_WINKLER.apply(a.street, b.street) >= 0.9 ? streetSimilar : streetDiffer;
    }

    private double differentCities(String a, String b) {
        // A typo rarely hits the first letter; other cities are not worth a Jaro-Winkler.
        if (a.charAt(0) == b.charAt(0) && Math.abs(a.length() - b.length()) <= 2 && JARO_WINKLER.apply(a, b) >= 0.92) {
            return citySimilar;
        }
        return cityDiffer;
    }

    private double country(Features a, Features b) {
        if (a.country == null || b.country == null) {
            return 0;
        }
        return a.country.equals(b.country) ? countryExact : countryDiffer;
    }
}
