package io.nificrm.simulator.salesforce;

import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * 18-character record ids with the object's key prefix ({@code 001} Account, {@code 003} Contact, {@code 006}
 * Opportunity). The counter is written in base 62 with digits ordered as in ASCII, so ids sort by creation.
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
        return prefix + "5g" + new String(body, 2, 10) + "AAA";
    }
}
