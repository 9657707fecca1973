package io.nificrm.simulator.hubspot;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Record ids as HubSpot hands them out: numeric strings that grow with creation. One counter serves all objects of
 * the portal, so a contact id never equals a company id (a client that mixes them up finds nothing instead of the
 * wrong record). The store orders ids as strings, so every id has the same width: seven digits from 1000001 give
 * room for nearly nine million records, and {@code after} paging walks them in numeric order.
 */
final class HubSpotIds implements Supplier<String> {
    static final long FIRST = 1_000_001L;
    static final long LAST = 9_999_999L;
    private final AtomicLong counter = new AtomicLong(FIRST - 1);

    @Override
    public String get() {
        long next = counter.incrementAndGet();
        if (next > LAST) {
            throw new IllegalStateException("The simulated portal ran out of seven-digit record ids");
        }
        return Long.toString(next);
    }

    /** Whether {@code text} is a well-formed id, i.e. a number (not necessarily one that exists). */
    static boolean isNumeric(String text) {
        return text != null && !text.isEmpty() && text.length() <= 18 && text.chars().allMatch(Character::isDigit);
    }

    /** Compares two numeric id strings by value (ids of other widths than the store's own compare correctly). */
    static int compare(String a, String b) {
        String x = strip(a);
        String y = strip(b);
        return x.length() != y.length() ? Integer.compare(x.length(), y.length()) : x.compareTo(y);
    }

    private static String strip(String id) {
        int i = 0;
        while (i < id.length() - 1 && id.charAt(i) == '0') {
            i++;
        }
        return id.substring(i);
    }
}
