package io.nificrm.services.records;

import io.nificrm.api.CrmException;
import io.nificrm.api.CrmFieldType;
import io.nificrm.api.CrmPartition;

import java.math.BigInteger;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Splits the key space between a smallest and a largest value into even slices, for parallel loads. Numbers split
 * as numbers, instants by time, GUIDs as 128-bit numbers, and other ids (Salesforce's base-62 ids, text keys) as
 * numbers in the base of their alphabet, so the boundaries sort the way the system compares them.
 */
public final class KeySpace {
    private static final Pattern DIGITS = Pattern.compile("\\d+");
    private static final Pattern GUID = Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    /** Characters of ids in ASCII order: Salesforce ids use exactly these. */
    private static final String BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private KeySpace() {
    }

    /**
     * {@code count} partitions of {@code field} from {@code min} to {@code max} (both inclusive, as text); one open
     * partition when the object is empty (min null) or the range cannot be split further.
     */
    public static List<CrmPartition> partitions(String field, CrmFieldType type, String min, String max, int count) {
        if (count < 1) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, "The number of partitions must be at least 1, was " + count);
        }
        List<String> bounds = min == null || max == null || count == 1 ? List.of() : boundaries(type, min, max, count);
        List<CrmPartition> partitions = new ArrayList<>(bounds.size() + 1);
        String lower = null;
        for (String bound : bounds) {
            partitions.add(new CrmPartition(field, lower, bound));
            lower = bound;
        }
        partitions.add(new CrmPartition(field, lower, null));
        return partitions;
    }

    /** The count-1 inner boundaries, strictly increasing, each above min and at most max. */
    static List<String> boundaries(CrmFieldType type, String min, String max, int count) {
        List<String> bounds = new ArrayList<>();
        if (type == CrmFieldType.DATETIME || type == CrmFieldType.DATE) {
            long from = WireValues.parseInstant(min).toEpochMilli();
            long to = WireValues.parseInstant(max).toEpochMilli() + 1;
            for (int i = 1; i < count; i++) {
                bounds.add(Instant.ofEpochMilli(from + (to - from) * i / count).toString());
            }
        } else if (DIGITS.matcher(min).matches() && DIGITS.matcher(max).matches()) {
            BigInteger a = new BigInteger(min);
            BigInteger b = new BigInteger(max).add(BigInteger.ONE);
            for (int i = 1; i < count; i++) {
                bounds.add(interpolate(a, b, i, count).toString());
            }
        } else if (GUID.matcher(min).matches() && GUID.matcher(max).matches()) {
            BigInteger a = new BigInteger(min.replace("-", ""), 16);
            BigInteger b = new BigInteger(max.replace("-", ""), 16).add(BigInteger.ONE);
            for (int i = 1; i < count; i++) {
                String hex = String.format("%032x", interpolate(a, b, i, count));
                bounds.add(hex.substring(0, 8) + "-" + hex.substring(8, 12) + "-" + hex.substring(12, 16) + "-" + hex.substring(16, 20) + "-" + hex.substring(20));
            }
        } else {
            int length = Math.max(min.length(), max.length());
            BigInteger a = base62(pad(min, length));
            BigInteger b = base62(pad(max, length)).add(BigInteger.ONE);
            for (int i = 1; i < count; i++) {
                bounds.add(toBase62(interpolate(a, b, i, count), length));
            }
        }
        return bounds.stream().distinct().filter(bound -> compare(type, bound, min) > 0).toList();
    }

    private static int compare(CrmFieldType type, String a, String b) {
        if (type == CrmFieldType.DATETIME || type == CrmFieldType.DATE) {
            return WireValues.parseInstant(a).compareTo(WireValues.parseInstant(b));
        }
        if (DIGITS.matcher(a).matches() && DIGITS.matcher(b).matches()) {
            return new BigInteger(a).compareTo(new BigInteger(b));
        }
        return a.compareTo(b);
    }

    private static BigInteger interpolate(BigInteger from, BigInteger to, int i, int count) {
        return from.add(to.subtract(from).multiply(BigInteger.valueOf(i)).divide(BigInteger.valueOf(count)));
    }

    private static String pad(String value, int length) {
        return value + "0".repeat(length - value.length());
    }

    private static BigInteger base62(String value) {
        BigInteger n = BigInteger.ZERO;
        BigInteger base = BigInteger.valueOf(62);
        for (char c : value.toCharArray()) {
            int digit = BASE62.indexOf(c);
            n = n.multiply(base).add(BigInteger.valueOf(Math.max(digit, 0)));
        }
        return n;
    }

    private static String toBase62(BigInteger n, int length) {
        char[] out = new char[length];
        BigInteger base = BigInteger.valueOf(62);
        for (int i = length - 1; i >= 0; i--) {
            BigInteger[] qr = n.divideAndRemainder(base);
            out[i] = BASE62.charAt(qr[1].intValue());
            n = qr[0];
        }
        return new String(out);
    }
}
