package io.nificrm.simulator.salesforce;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * 18-character record ids with the object's key prefix ({@code 001} Account, {@code 003} Contact, {@code 006}
 * Opportunity). The counter is written in base 62 with digits ordered as in ASCII, so ids sort by creation.
 * The last three characters are Salesforce's case-safe suffix: they encode which of the first 15 characters are
 * upper case, so two ids never differ only in case (systems that compare ids case-insensitively depend on it).
 */
final class SalesforceIds implements Supplier<String> {
    private static final String DIGITS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    private final String prefix;
    private final AtomicLong counter = new AtomicLong();

    SalesforceIds(String prefix) {
        this.prefix = prefix;
    }

    @Override
    public String get() {
        long n = counter.incrementAndGet();
        char[] body = new char[12];
        for (int i = body.length - 1; i >= 0; i--) {
            body[i] = DIGITS.charAt((int) (n % 62));
            n /= 62;
        }
        String id15 = prefix + "5g" + new String(body, 2, 10);
        return id15 + caseSafeSuffix(id15);
    }

    static String caseSafeSuffix(String id15) {
        String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345";
        StringBuilder suffix = new StringBuilder(3);
        for (int chunk = 0; chunk < 3; chunk++) {
            int bits = 0;
            for (int i = 0; i < 5; i++) {
                char c = id15.charAt(chunk * 5 + i);
                if (c >= 'A' && c <= 'Z') {
                    bits |= 1 << i;
                }
            }
            suffix.append(alphabet.charAt(bits));
        }
        return suffix.toString();
    }
}
