package io.nificrm.simulator.seed;

import java.time.Instant;
import java.time.LocalDate;
import java.util.List;

/**
 * Generated data in a system-neutral shape; each persona loads it under its own field names.
 * {@code clusterKey} is the ground truth: records with the same cluster key are the same real-world entity.
 */
public record SeedData(List<Company> companies, List<Person> people, List<Deal> deals) {

    /** A company. {@code website} may carry a scheme, {@code www.} and a path; {@code domain} is the bare host. */
    public record Company(String key, String clusterKey, String name, String website, String domain, String industry,
                          String phone, String city, String country, Long employees, Double annualRevenue,
                          Instant createdAt, Instant modifiedAt) {
    }

    /** A person. Values are as dirty as generated: blank, malformed, oddly cased or formatted. */
    public record Person(String key, String clusterKey, String companyKey, String firstName, String lastName,
                         String email, String phone, String mobile, String title, String city, String country,
                         String leadSource, LocalDate birthdate, String signupDateText, Instant createdAt,
                         Instant modifiedAt) {
    }

    /** A deal of a company, maybe with a contact person. */
    public record Deal(String key, String companyKey, String personKey, String name, String stage, Double amount,
                       LocalDate closeDate, Double probability, Instant createdAt, Instant modifiedAt) {
    }

    /** Industry values every persona maps to its own picklist. */
    public static final List<String> INDUSTRIES = List.of("Technology", "Finance", "Healthcare", "Retail",
            "Manufacturing", "Education", "Energy", "Media");

    public static final List<String> LEAD_SOURCES = List.of("Web", "Phone Inquiry", "Partner Referral", "Trade Show", "Other");

    public static final List<String> STAGES = List.of("Prospecting", "Qualification", "Proposal", "Negotiation",
            "Closed Won", "Closed Lost");
}
