package io.nificrm.processors.dedup;

/**
 * The compact, normalized values of one record that matching needs, and nothing else: deduplication keeps these
 * (not the records) for every record of a FlowFile. Fields are null (phones: empty) when the record has no usable
 * value. Frequent values (first and last names, cities, countries, companies) are shared between records through a
 * {@link FeatureExtractor}'s pool, so a record costs roughly its id, its e-mail and a few references.
 */
public final class Features {
    static final long[] NO_PHONES = new long[0];
    /** Modified time when the record has none. */
    public static final long UNKNOWN_TIME = Long.MIN_VALUE;

    final String id;
    /** Normalized e-mail ({@link Normalize#email}); may be malformed, see {@link #emailValid}. */
    final String email;
    final boolean emailValid;
    /** {@link PhoneKeys} of all phone numbers, distinct. */
    final long[] phones;
    final String first;
    final String last;
    /** Person: the company the person works for (account id or name). Company: the normalized company name. */
    final String company;
    final String domain;
    final String street;
    final String city;
    final String country;
    /** Epoch milliseconds, or {@link #UNKNOWN_TIME}. */
    final long modified;
    /** How many fields of the record hold a value. */
    final short completeness;
    /** Position of the record's source in the Source Priority list (0 = highest), or {@link Byte#MAX_VALUE}. */
    final byte sourceRank;

    public Features(String id, String email, long[] phones, String first, String last, String company, String domain,
                    String street, String city, String country, long modified, int completeness, int sourceRank) {
        this.id = id;
        this.email = email;
        this.emailValid = Normalize.isValidEmail(email);
        this.phones = phones == null || phones.length == 0 ? NO_PHONES : phones;
        this.first = first;
        this.last = last;
        this.company = company;
        this.domain = domain;
        this.street = street;
        this.city = city;
        this.country = country;
        this.modified = modified;
        this.completeness = (short) Math.min(Short.MAX_VALUE, completeness);
        this.sourceRank = (byte) Math.min(Byte.MAX_VALUE, Math.max(0, sourceRank));
    }

    public String id() {
        return id;
    }

    public String email() {
        return email;
    }

    public boolean emailValid() {
        return emailValid;
    }

    public long[] phones() {
        return phones;
    }

    public String first() {
        return first;
    }

    public String last() {
        return last;
    }

    public String company() {
        return company;
    }

    public String domain() {
        return domain;
    }

    public String street() {
        return street;
    }

    public String city() {
        return city;
    }

    public String country() {
        return country;
    }

    public long modified() {
        return modified;
    }

    public int completeness() {
        return completeness;
    }

    public int sourceRank() {
        return sourceRank;
    }

    /** Whether the record holds anything to match on (an e-mail, a phone, a name, a company or a domain). */
    boolean hasIdentity() {
        return email != null || phones.length > 0 || last != null || first != null || company != null || domain != null;
    }

    /** A sort key that brings likely duplicates next to each other inside an oversized block. */
    String neighbourhoodKey() {
        StringBuilder b = new StringBuilder(48);
        b.append(last == null ? "" : last).append('|').append(first == null ? "" : first).append('|')
                .append(company == null ? "" : company).append('|').append(city == null ? "" : city);
        return b.toString();
    }

    @Override
    public String toString() {
        return "Features{id=" + id + ", email=" + email + ", phones=" + java.util.Arrays.toString(phones) + ", first=" + first
                + ", last=" + last + ", company=" + company + ", domain=" + domain + ", city=" + city + ", country=" + country + "}";
    }
}
