package io.nificrm.simulator.auth;

import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Access tokens issued by one simulated system. Tokens expire after a configurable time, and
 * {@link #expireAll()} ends every session at once (the "token expired mid-run" fault).
 */
public final class TokenRegistry {
    private final SecureRandom random = new SecureRandom();
    private final Map<String, Instant> tokens = new ConcurrentHashMap<>();
    private volatile Duration ttl;

    public TokenRegistry(Duration ttl) {
        this.ttl = ttl;
    }

    public String issue(String prefix) {
        byte[] bytes = new byte[24];
        random.nextBytes(bytes);
        String token = prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
        tokens.put(token, Instant.now().plus(ttl));
        return token;
    }

    /** Registers a long-lived token (a private-app token) that never expires unless {@link #expireAll()}. */
    public void registerStatic(String token) {
        tokens.put(token, Instant.MAX);
    }

    public boolean isValid(String token) {
        if (token == null) {
            return false;
        }
        Instant expiry = tokens.get(token);
        return expiry != null && Instant.now().isBefore(expiry);
    }

    public long ttlSeconds() {
        return ttl.toSeconds();
    }

    public void setTtl(Duration newTtl) {
        this.ttl = newTtl;
    }

    /** Ends every issued session; static tokens stay valid. */
    public void expireAll() {
        tokens.replaceAll((t, expiry) -> expiry.equals(Instant.MAX) ? expiry : Instant.EPOCH);
    }

    /** The bearer token of an Authorization header, or null. */
    public static String bearer(String authorizationHeader) {
        if (authorizationHeader == null || !authorizationHeader.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        return authorizationHeader.substring(7).trim();
    }
}
