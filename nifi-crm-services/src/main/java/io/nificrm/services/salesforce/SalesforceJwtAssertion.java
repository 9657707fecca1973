package io.nificrm.services.salesforce;

import io.nificrm.api.CrmException;

import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

/** Signs the RS256 JWT of Salesforce's JWT bearer flow: iss = consumer key, sub = user, aud = login host, exp = 3 min. */
final class SalesforceJwtAssertion {
    private static final Base64.Encoder URL = Base64.getUrlEncoder().withoutPadding();
    private final String issuer;
    private final String subject;
    private final String audience;
    private final PrivateKey key;

    SalesforceJwtAssertion(String issuer, String subject, String audience, String pemPrivateKey) {
        this.issuer = issuer;
        this.subject = subject;
        this.audience = audience;
        this.key = parse(pemPrivateKey);
    }

    String sign() {
        String header = URL.encodeToString("{\"alg\":\"RS256\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
        long exp = System.currentTimeMillis() / 1000 + 180;
        String claims = URL.encodeToString(("{\"iss\":" + jsonString(issuer) + ",\"sub\":" + jsonString(subject)
                + ",\"aud\":" + jsonString(audience) + ",\"exp\":" + exp + "}").getBytes(StandardCharsets.UTF_8));
        try {
            Signature signature = Signature.getInstance("SHA256withRSA");
            signature.initSign(key);
            signature.update((header + "." + claims).getBytes(StandardCharsets.US_ASCII));
            return header + "." + claims + "." + URL.encodeToString(signature.sign());
        } catch (Exception e) {
            throw new CrmException(CrmException.Reason.CONFIGURATION, null, 0, "Cannot sign the Salesforce JWT: " + e.getMessage(), e);
        }
    }

    private static PrivateKey parse(String pem) {
        String body = pem.replaceAll("-----(BEGIN|END) PRIVATE KEY-----", "").replaceAll("\\s", "");
        try {
            return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(body)));
        } catch (Exception e) {
            throw new CrmException(CrmException.Reason.CONFIGURATION,
                    "Private Key is not a PEM-encoded PKCS#8 RSA key (-----BEGIN PRIVATE KEY-----)");
        }
    }

    private static String jsonString(String value) {
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
