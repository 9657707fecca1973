package io.nificrm.simulator.seed;

/**
 * How much seed data to generate and how dirty.
 *
 * @param accounts      companies
 * @param contacts      people, near-duplicates included
 * @param opportunities deals
 * @param duplicateRate share of contacts that are near-duplicates of another contact (accounts get half of it)
 * @param randomSeed    the same seed gives the same data
 */
public record SeedConfig(int accounts, int contacts, int opportunities, double duplicateRate, long randomSeed) {

    public SeedConfig {
        if (accounts < 0 || contacts < 0 || opportunities < 0) {
            throw new IllegalArgumentException("Seed sizes cannot be negative");
        }
        if (duplicateRate < 0 || duplicateRate >= 0.5) {
            throw new IllegalArgumentException("Duplicate rate must be in [0, 0.5)");
        }
        if (opportunities > 0 && accounts == 0) {
            throw new IllegalArgumentException("Opportunities need accounts");
        }
    }

    /** {@code contacts} people with one account per ten and one opportunity per five people, 10% duplicates. */
    public static SeedConfig ofContacts(int contacts) {
        int accounts = Math.max(contacts > 0 ? 1 : 0, contacts / 10);
        return new SeedConfig(accounts, contacts, contacts / 5, 0.10, 42L);
    }

    public SeedConfig withRandomSeed(long seed) {
        return new SeedConfig(accounts, contacts, opportunities, duplicateRate, seed);
    }

    public SeedConfig withDuplicateRate(double rate) {
        return new SeedConfig(accounts, contacts, opportunities, rate, randomSeed);
    }
}
