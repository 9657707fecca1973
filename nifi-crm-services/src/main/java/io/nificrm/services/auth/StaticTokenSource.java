package io.nificrm.services.auth;

import java.time.Instant;

/** A long-lived token configured by the user, such as a HubSpot private-app token. It cannot be renewed. */
public final class StaticTokenSource implements AccessTokenSource {
    private final Token token;

    public StaticTokenSource(String value) {
        this.token = new Token(value, Instant.MAX, null);
    }

    @Override
    public Token token() {
        return token;
    }

    @Override
    public void invalidate(Token refused) {
        // Nothing to renew: the next call fails with the same token and the error is reported.
    }

    @Override
    public boolean canRenew() {
        return false;
    }
}
