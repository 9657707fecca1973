package io.nificrm.simulator.webhooks;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.HexFormat;

/**
 * HubSpot's request signatures as its webhooks send them. v3: Base64(HMAC-SHA256(client secret,
 * method + full request URI + raw body + timestamp)), sent in {@code X-HubSpot-Signature-v3} with the timestamp (epoch
 * milliseconds) in {@code X-HubSpot-Request-Timestamp}. v1 (still sent, legacy): hex(SHA-256(client secret + body)) in
 * {@code X-HubSpot-Signature} with {@code X-HubSpot-Signature-Version: v1}.
 */
public final class HubSpotSignature {
    public static final String V3_HEADER = "X-HubSpot-Signature-v3";
    public static final String TIMESTAMP_HEADER = "X-HubSpot-Request-Timestamp";
    public static final String V1_HEADER = "X-HubSpot-Signature";
    public static final String VERSION_HEADER = "X-HubSpot-Signature-Version";

    private HubSpotSignature() {
    }

    /** The v3 signature of one request. */
    public static String v3(String secret, String method, String uri, byte[] body, long timestampMillis) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            mac.update((method + uri).getBytes(StandardCharsets.UTF_8));
            mac.update(body);
            mac.update(Long.toString(timestampMillis).getBytes(StandardCharsets.UTF_8));
            return Base64.getEncoder().encodeToString(mac.doFinal());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 is not available", e);
        }
    }

    /** The legacy v1 signature of one request body. */
    public static String v1(String secret, byte[] body) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update(secret.getBytes(StandardCharsets.UTF_8));
            digest.update(body);
            return HexFormat.of().formatHex(digest.digest());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }
}
