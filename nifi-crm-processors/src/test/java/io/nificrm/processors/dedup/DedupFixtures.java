package io.nificrm.processors.dedup;

/** Features for unit tests. */
final class DedupFixtures {
    private DedupFixtures() {
    }

    static Features person(String id, String email, String phone, String first, String last, String company, String city) {
        return new Features(id, Normalize.email(email), phone == null ? null : new long[]{PhoneKeys.key(phone, "US", "US")},
                Normalize.name(first), Normalize.name(last), Normalize.companyName(company), null, null, Normalize.name(city), "US",
                Features.UNKNOWN_TIME, 5, Byte.MAX_VALUE);
    }

    static Features company(String id, String name, String website, String phone, String city) {
        return new Features(id, null, phone == null ? null : new long[]{PhoneKeys.key(phone, "US", "US")}, null, null,
                Normalize.companyName(name), Normalize.domain(website), null, Normalize.name(city), "US", Features.UNKNOWN_TIME, 5,
                Byte.MAX_VALUE);
    }

    static Features withTime(Features f, long modified, int completeness, int sourceRank) {
        return new Features(f.id, f.email, f.phones, f.first, f.last, f.company, f.domain, f.street, f.city, f.country,
                modified, completeness, sourceRank);
    }
}
