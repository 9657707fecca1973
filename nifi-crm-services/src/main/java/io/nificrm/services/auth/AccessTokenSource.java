package io.nificrm.services.auth;

import java.time.Instant;
import java.util.Map;

/**
 * Where a connection gets its bearer token. Implementations cache the token and fetch a new one when it is
 * missing, about to expire, or was reported as refused with {@link #invalidate}.
 */
public interface AccessTokenSource {

    /** A bearer token and what came with it (e.g. Salesforce's {@code instance_url}). */
    record Token(String value, Instant expiresAt, Map<String, String> extras) {
        public Token {
            extras = extras == null ? Map.of() : Map.copyOf(extras);
        }

        public String extra(String name) {
            return extras.get(name);
        }

        /** Never print the token itself. */
        @Override
        public String toString() {
            return "Token[expiresAt=" + expiresAt + ", extras=" + extras.keySet() + "]";
        }
    }

    /** A valid token, fetched if needed. Thread-safe. */
    Token token();

    /** The server refused this token: forget it so the next {@link #token()} fetches a fresh one. */
    void invalidate(Token refused);

    /** Whether {@link #invalidate} can lead to a different token (a static token cannot be renewed). */
    default boolean canRenew() {
        return true;
    }
}
