package io.nificrm.processors.mapping;

import org.apache.commons.codec.digest.DigestUtils;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * What happens to a personal-data field on its way to the target: masked for display, hashed with a secret salt
 * (SHA-256, so equal values still match after hashing), or dropped.
 */
public enum PiiProtection {
    MASK, HASH, DROP;

    public static PiiProtection parse(String target, String name) {
        try {
            return valueOf(name.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Field '" + target + "': unknown pii protection '" + name + "' (known: mask, hash, drop)");
        }
    }

    /**
     * @param salt secret prefix for hashes (from a sensitive property); hashing without one is refused at compile time
     */
    public Object apply(Object value, byte[] salt) {
        if (value == null) {
            return null;
        }
        String text = value.toString();
        return switch (this) {
            case DROP -> null;
            case HASH -> {
                byte[] input = text.trim().toLowerCase(Locale.ROOT).getBytes(StandardCharsets.UTF_8);
                byte[] salted = new byte[salt.length + input.length];
                System.arraycopy(salt, 0, salted, 0, salt.length);
                System.arraycopy(input, 0, salted, salt.length, input.length);
                yield DigestUtils.sha256Hex(salted);
            }
            case MASK -> mask(text);
        };
    }

    /** {@code john.smith@acme.com} → {@code j********h@acme.com}; {@code +14155550134} → {@code +*********34}. */
    static String mask(String text) {
        int at = text.indexOf('@');
        if (at > 0) {
            return maskMiddle(text.substring(0, at), 1, 1) + text.substring(at);
        }
        return maskMiddle(text, 1, 2);
    }

    private static String maskMiddle(String s, int keepStart, int keepEnd) {
        if (s.length() <= keepStart + keepEnd) {
            return "*".repeat(s.length());
        }
        return s.substring(0, keepStart) + "*".repeat(s.length() - keepStart - keepEnd) + s.substring(s.length() - keepEnd);
    }
}
