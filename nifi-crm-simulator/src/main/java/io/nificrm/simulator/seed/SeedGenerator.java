package io.nificrm.simulator.seed;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

/**
 * Deterministic generator of companies, people and deals with realistic dirt and a ground truth.
 * <ul>
 *   <li>People: mixed phone formats everywhere; ~2% malformed e-mails, ~3% without e-mail, ~0.5% without last
 *       name, ~5% with odd case or whitespace; a free-text signup date in mixed formats.</li>
 *   <li>Near-duplicates (the configured share of people, half that share of companies): copies of another record
 *       with typos, case and whitespace changes, re-formatted phones, swapped names, nicknames, a personal
 *       instead of a work e-mail, or no e-mail. Every duplicate shares its original's cluster key.</li>
 * </ul>
 * Times are fixed relative to {@link #BASE_TIME} so the same seed always gives the same data.
 */
public final class SeedGenerator {
    /** Seed records were created and last modified before this instant. */
    public static final Instant BASE_TIME = Instant.parse("2025-06-01T00:00:00Z");

    private static final DateTimeFormatter[] SIGNUP_FORMATS = {
            DateTimeFormatter.ISO_LOCAL_DATE, DateTimeFormatter.ofPattern("MM/dd/yyyy", Locale.ROOT),
            DateTimeFormatter.ofPattern("d MMM yyyy", Locale.ROOT), DateTimeFormatter.ofPattern("dd.MM.yyyy", Locale.ROOT),
            DateTimeFormatter.BASIC_ISO_DATE};

    private final Random random;
    private final SeedConfig config;
    private final Set<String> usedEmails = new HashSet<>();
    private final Set<String> usedDomains = new HashSet<>();
    private final Set<String> usedCompanyNames = new HashSet<>();

    private SeedGenerator(SeedConfig config) {
        this.config = config;
        this.random = new Random(config.randomSeed());
    }

    public static SeedData generate(SeedConfig config) {
        return new SeedGenerator(config).build();
    }

    private SeedData build() {
        List<SeedData.Company> companies = companies();
        List<SeedData.Company> baseCompanies = companies.stream().filter(c -> c.key().equals(c.clusterKey())).toList();
        List<SeedData.Person> people = people(baseCompanies);
        List<SeedData.Deal> deals = deals(baseCompanies, people);
        return new SeedData(companies, people, deals);
    }

    // ---- companies ----

    private List<SeedData.Company> companies() {
        int duplicates = (int) Math.round(config.accounts() * config.duplicateRate() / 2);
        int base = config.accounts() - duplicates;
        List<SeedData.Company> all = new ArrayList<>(config.accounts());
        for (int i = 0; i < base; i++) {
            all.add(company("A" + i));
        }
        for (int i = 0; i < duplicates && base > 0; i++) {
            all.add(companyDuplicate("A" + (base + i), all.get(random.nextInt(base))));
        }
        Collections.shuffle(all, random);
        return all;
    }

    private SeedData.Company company(String key) {
        String name = uniqueCompanyName();
        String domain = uniqueDomain(name);
        NamePools.Place place = pick(NamePools.PLACES);
        Instant created = createdTime();
        return new SeedData.Company(key, key, name, websiteOf(domain), domain, pick(SeedData.INDUSTRIES),
                formatPhone(phoneDigits(place), place), place.city(), place.country(),
                (long) (5 + random.nextInt(20_000)), Math.round(random.nextDouble() * 50_000_000) / 1.0,
                created, modifiedAfter(created));
    }

    private SeedData.Company companyDuplicate(String key, SeedData.Company original) {
        String name = switch (random.nextInt(4)) {
            case 0 -> original.name().toUpperCase(Locale.ROOT);
            case 1 -> original.name().replaceAll(" (Inc\\.|LLC|Ltd|GmbH|Corp\\.|Co\\.|Group)$", ", $1");
            case 2 -> typo(original.name());
            default -> original.name().replaceAll(" (Inc\\.|LLC|Ltd|GmbH|Corp\\.|Co\\.|Group)$", "");
        };
        String website = switch (random.nextInt(3)) {
            case 0 -> original.domain();
            case 1 -> "http://" + original.domain() + "/about";
            default -> "https://www." + original.domain() + "/";
        };
        Instant created = createdTime();
        NamePools.Place place = NamePools.PLACES.stream().filter(p -> p.city().equals(original.city())).findFirst().orElseThrow();
        String phone = random.nextInt(4) == 0 ? null : reformatPhone(original.phone(), place);
        return new SeedData.Company(key, original.clusterKey(), name, website, original.domain(), original.industry(),
                phone, original.city(), original.country(), original.employees(), original.annualRevenue(),
                created, modifiedAfter(created));
    }

    private String uniqueCompanyName() {
        for (int attempt = 0; ; attempt++) {
            String name = pick(NamePools.COMPANY_WORDS)
                    + (random.nextBoolean() ? " " + pick(NamePools.COMPANY_WORDS) : "")
                    + " " + pick(NamePools.COMPANY_NOUNS);
            String suffix = pick(NamePools.COMPANY_SUFFIXES);
            String full = (attempt > 8 ? name + " " + attempt : name) + (suffix.isEmpty() ? "" : " " + suffix);
            if (usedCompanyNames.add(full.replaceAll(" (Inc\\.|LLC|Ltd|GmbH|Corp\\.|Co\\.|Group)$", "").toLowerCase(Locale.ROOT))) {
                return full;
            }
        }
    }

    private String uniqueDomain(String companyName) {
        String stem = companyName.replaceAll(" (Inc\\.|LLC|Ltd|GmbH|Corp\\.|Co\\.|Group)$", "")
                .toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("(^-|-$)", "");
        String tld = pick(List.of("com", "com", "com", "io", "net", "co.uk", "de"));
        String domain = stem + "." + tld;
        for (int n = 2; !usedDomains.add(domain); n++) {
            domain = stem + n + "." + tld;
        }
        return domain;
    }

    private String websiteOf(String domain) {
        return switch (random.nextInt(4)) {
            case 0 -> "https://www." + domain;
            case 1 -> "http://" + domain;
            case 2 -> "www." + domain;
            default -> "https://" + domain + "/";
        };
    }

    // ---- people ----

    private List<SeedData.Person> people(List<SeedData.Company> companies) {
        int duplicates = (int) Math.round(config.contacts() * config.duplicateRate());
        int base = config.contacts() - duplicates;
        List<SeedData.Person> all = new ArrayList<>(config.contacts());
        for (int i = 0; i < base; i++) {
            all.add(person("P" + i, companies.isEmpty() ? null : pick(companies)));
        }
        for (int i = 0; i < duplicates && base > 0; i++) {
            all.add(personDuplicate("P" + (base + i), all.get(random.nextInt(base)), companies));
        }
        Collections.shuffle(all, random);
        return all;
    }

    private SeedData.Person person(String key, SeedData.Company company) {
        String first = pick(NamePools.FIRST_NAMES);
        String last = pick(NamePools.LAST_NAMES);
        NamePools.Place place = company != null && random.nextInt(4) > 0
                ? NamePools.PLACES.stream().filter(p -> p.city().equals(company.city())).findFirst().orElseThrow()
                : pick(NamePools.PLACES);
        String email = uniqueEmail(first, last, company != null && random.nextInt(10) < 7 ? company.domain() : pick(NamePools.PERSONAL_MAIL_DOMAINS));
        int dirt = random.nextInt(1000);
        if (dirt < 20) {
            email = malformedEmail(email);
        } else if (dirt < 50) {
            email = null;
        }
        if (random.nextInt(1000) < 5) {
            last = null;
        }
        if (random.nextInt(100) < 5) {
            first = caseOrSpaceNoise(first);
            last = last == null ? null : caseOrSpaceNoise(last);
        }
        String mobile = random.nextInt(3) == 0 ? formatPhone(phoneDigits(place), place) : null;
        Instant created = createdTime();
        LocalDate birthdate = random.nextInt(10) < 7 ? LocalDate.of(1950 + random.nextInt(50), 1 + random.nextInt(12), 1 + random.nextInt(28)) : null;
        LocalDate signup = LocalDate.of(2015 + random.nextInt(10), 1 + random.nextInt(12), 1 + random.nextInt(28));
        String signupText = random.nextInt(20) == 0 ? signup + "T" + String.format("%02d:%02d:00Z", random.nextInt(24), random.nextInt(60))
                : signup.format(pick(List.of(SIGNUP_FORMATS)));
        return new SeedData.Person(key, key, company == null ? null : company.key(), first, last, email,
                formatPhone(phoneDigits(place), place), mobile, pick(NamePools.TITLES), place.city(), place.country(),
                pick(SeedData.LEAD_SOURCES), birthdate, signupText, created, modifiedAfter(created));
    }

    private SeedData.Person personDuplicate(String key, SeedData.Person original, List<SeedData.Company> companies) {
        String first = original.firstName() == null ? null : original.firstName().trim();
        String last = original.lastName() == null ? null : original.lastName().trim();
        String email = original.email();
        NamePools.Place place = NamePools.PLACES.stream().filter(p -> p.city().equals(original.city())).findFirst().orElseThrow();
        String phone = reformatPhone(original.phone(), place);
        switch (random.nextInt(6)) {
            case 0 -> email = email == null ? null : caseOrSpaceNoise(email);
            case 1 -> {
                if (random.nextBoolean() || last == null) {
                    first = typo(first);
                } else {
                    last = typo(last);
                }
            }
            case 2 -> {
                email = uniqueEmail(first, last == null ? "x" : last, pick(NamePools.PERSONAL_MAIL_DOMAINS));
                first = NamePools.NICKNAMES.getOrDefault(first, first);
            }
            case 3 -> {
                email = null;
                if (last != null && last.length() > 4) {
                    last = typo(last);
                }
            }
            case 4 -> {
                String swap = first;
                first = last;
                last = swap;
            }
            default -> {
                first = caseOrSpaceNoise(first);
                email = email == null ? null : email.toUpperCase(Locale.ROOT);
            }
        }
        Instant created = createdTime();
        return new SeedData.Person(key, original.clusterKey(), original.companyKey(), first, last, email, phone,
                random.nextBoolean() ? original.mobile() : null, original.title(), original.city(), original.country(),
                pick(SeedData.LEAD_SOURCES), original.birthdate(), original.signupDateText(), created, modifiedAfter(created));
    }

    private String uniqueEmail(String first, String last, String domain) {
        String local = (first + "." + last).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9.]", "");
        String email = local + "@" + domain;
        for (int n = 2; !usedEmails.add(email); n++) {
            email = local + n + "@" + domain;
        }
        return email;
    }

    private String malformedEmail(String email) {
        return switch (random.nextInt(4)) {
            case 0 -> email.replace("@", "");
            case 1 -> email.substring(0, email.lastIndexOf('.'));
            case 2 -> email.replace("@", "@@");
            default -> email.replace(".", " ");
        };
    }

    // ---- deals ----

    private List<SeedData.Deal> deals(List<SeedData.Company> companies, List<SeedData.Person> people) {
        java.util.Map<String, List<SeedData.Person>> peopleByCompany = new java.util.HashMap<>();
        for (SeedData.Person p : people) {
            if (p.companyKey() != null && p.key().equals(p.clusterKey())) {
                peopleByCompany.computeIfAbsent(p.companyKey(), k -> new ArrayList<>()).add(p);
            }
        }
        List<SeedData.Deal> deals = new ArrayList<>(config.opportunities());
        for (int i = 0; i < config.opportunities() && !companies.isEmpty(); i++) {
            SeedData.Company company = pick(companies);
            List<SeedData.Person> contacts = peopleByCompany.getOrDefault(company.key(), List.of());
            String personKey = !contacts.isEmpty() && random.nextInt(10) < 7 ? pick(contacts).key() : null;
            String stage = pick(SeedData.STAGES);
            Instant created = createdTime();
            double probability = switch (stage) {
                case "Closed Won" -> 100;
                case "Closed Lost" -> 0;
                default -> 10 + 20 * SeedData.STAGES.indexOf(stage);
            };
            deals.add(new SeedData.Deal("D" + i, company.key(), personKey,
                    company.name().replaceAll(" (Inc\\.|LLC|Ltd|GmbH|Corp\\.|Co\\.|Group)$", "") + " - " + pick(List.of("Renewal", "Expansion", "New Business", "Upgrade", "Pilot")),
                    stage, Math.round(1000 + random.nextDouble() * 250_000) / 1.0,
                    LocalDate.of(2024 + random.nextInt(3), 1 + random.nextInt(12), 1 + random.nextInt(28)),
                    probability, created, modifiedAfter(created)));
        }
        return deals;
    }

    // ---- helpers ----

    private String phoneDigits(NamePools.Place place) {
        StringBuilder national = new StringBuilder();
        national.append(2 + random.nextInt(8));
        int length = place.dialCode().equals("1") ? 10 : 9 + random.nextInt(2);
        while (national.length() < length) {
            national.append(random.nextInt(10));
        }
        return national.toString();
    }

    /** A national number written the way people type it: with or without country code, spaces, dashes, dots. */
    private String formatPhone(String national, NamePools.Place place) {
        if (place.dialCode().equals("1")) {
            String a = national.substring(0, 3), b = national.substring(3, 6), c = national.substring(6);
            return switch (random.nextInt(6)) {
                case 0 -> "(" + a + ") " + b + "-" + c;
                case 1 -> a + "-" + b + "-" + c;
                case 2 -> a + "." + b + "." + c;
                case 3 -> "+1 " + a + " " + b + " " + c;
                case 4 -> national;
                default -> "+1" + national;
            };
        }
        String head = national.substring(0, 2), rest = national.substring(2);
        return switch (random.nextInt(4)) {
            case 0 -> "+" + place.dialCode() + " " + head + " " + rest;
            case 1 -> "+" + place.dialCode() + national;
            case 2 -> "0" + head + " " + rest;
            default -> "00" + place.dialCode() + " " + national;
        };
    }

    private String reformatPhone(String phone, NamePools.Place place) {
        if (phone == null) {
            return null;
        }
        String digits = phone.replaceAll("\\D", "");
        String national;
        if (phone.startsWith("+")) {
            national = digits.substring(place.dialCode().length());
        } else if (phone.startsWith("00")) {
            national = digits.substring(2 + place.dialCode().length());
        } else if (phone.startsWith("0")) {
            national = digits.substring(1);
        } else {
            national = digits;
        }
        return formatPhone(national, place);
    }

    private String typo(String word) {
        if (word == null || word.length() < 3) {
            return word;
        }
        int i = 1 + random.nextInt(word.length() - 2);
        return switch (random.nextInt(3)) {
            case 0 -> word.substring(0, i) + word.charAt(i + 1) + word.charAt(i) + word.substring(i + 2);
            case 1 -> word.substring(0, i) + word.substring(i + 1);
            default -> word.substring(0, i) + word.charAt(i) + word.substring(i);
        };
    }

    private String caseOrSpaceNoise(String value) {
        if (value == null) {
            return null;
        }
        return switch (random.nextInt(3)) {
            case 0 -> value.toUpperCase(Locale.ROOT);
            case 1 -> "  " + value + " ";
            default -> value.toLowerCase(Locale.ROOT);
        };
    }

    private Instant createdTime() {
        return BASE_TIME.minus(Duration.ofSeconds(1 + random.nextInt(3 * 365 * 24 * 3600)));
    }

    private Instant modifiedAfter(Instant created) {
        long span = Duration.between(created, BASE_TIME).toSeconds();
        return created.plusSeconds(span <= 1 ? 0 : random.nextInt((int) Math.min(span, Integer.MAX_VALUE)));
    }

    private <T> T pick(List<T> values) {
        return values.get(random.nextInt(values.size()));
    }
}
