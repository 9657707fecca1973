package io.nificrm.services.auth;

import io.nificrm.api.CrmException;
import org.apache.nifi.oauth2.AccessToken;
import org.apache.nifi.oauth2.OAuth2AccessTokenProvider;

import java.time.Instant;

/**
 * Tokens from NiFi's own OAuth2 Access Token Provider service (e.g. StandardOauth2AccessTokenProvider), for
 * identity providers and grants this bundle does not implement itself. That service refreshes its token.
 */
public final class NiFiOAuth2TokenSource implements AccessTokenSource {
    private final OAuth2AccessTokenProvider provider;

    public NiFiOAuth2TokenSource(OAuth2AccessTokenProvider provider) {
        this.provider = provider;
    }

    @Override
    public Token token() {
        AccessToken details;
        try {
            details = provider.getAccessDetails();
        } catch (RuntimeException e) {
            throw new CrmException(CrmException.Reason.AUTHENTICATION, null, 0,
                    "The OAuth2 Access Token Provider could not supply a token: " + e.getMessage(), e);
        }
        if (details == null || details.getAccessToken() == null) {
            throw new CrmException(CrmException.Reason.AUTHENTICATION, "The OAuth2 Access Token Provider returned no token");
        }
        return new Token(details.getAccessToken(), Instant.MAX, null);
    }

    @Override
    public void invalidate(Token refused) {
        // The provider renews on expiry; a token refused before that is reported.
    }

    @Override
    public boolean canRenew() {
        return false;
    }
}
