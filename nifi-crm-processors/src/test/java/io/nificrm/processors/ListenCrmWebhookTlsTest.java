package io.nificrm.processors;

import io.nificrm.processors.common.CrmProperties;
import org.apache.nifi.controller.AbstractControllerService;
import org.apache.nifi.ssl.SSLContextProvider;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.nificrm.processors.ListenCrmWebhookTestSupport.PATH;
import static io.nificrm.processors.ListenCrmWebhookTestSupport.body;
import static io.nificrm.processors.ListenCrmWebhookTestSupport.event;
import static io.nificrm.processors.ListenCrmWebhookTestSupport.signed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** HTTPS from an SSLContextProvider, with and without a required client certificate. */
class ListenCrmWebhookTlsTest {
    private static final char[] PASSWORD = "changeit".toCharArray();
    private static KeyStore keyStore;

    @TempDir
    static Path dir;

    private TestRunner runner;

    @BeforeAll
    static void createCertificate() throws Exception {
        Path file = dir.resolve("localhost.p12");
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-alias", "localhost", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=localhost, O=nifi-crm test",
                "-ext", "san=ip:127.0.0.1,dns:localhost", "-validity", "2", "-storetype", "PKCS12", "-keystore", file.toString(),
                "-storepass", new String(PASSWORD)).redirectErrorStream(true).start();
        String output = new String(keytool.getInputStream().readAllBytes());
        assertEquals(0, keytool.waitFor(), output);
        keyStore = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            keyStore.load(in, PASSWORD);
        }
    }

    /** An SSL context with the test key (or none) that trusts the test certificate. */
    static SSLContext context(boolean withKey) throws Exception {
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(keyStore);
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(keyStore, PASSWORD);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(withKey ? keys.getKeyManagers() : null, trust.getTrustManagers(), null);
        return context;
    }

    /** The SSL Context Service NiFi would provide. */
    static final class TestSslContextProvider extends AbstractControllerService implements SSLContextProvider {
        @Override
        public SSLContext createContext() {
            try {
                return context(true);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public Optional<X509ExtendedKeyManager> createKeyManager() {
            return Optional.empty();
        }

        @Override
        public X509TrustManager createTrustManager() {
            throw new UnsupportedOperationException();
        }
    }

    @AfterEach
    void tearDown() {
        if (runner != null) {
            runner.stop();
        }
    }

    private String start(String clientAuth, String subject) throws Exception {
        runner = TestRunners.newTestRunner(ListenCrmWebhook.class);
        TestServices.json(runner);
        TestSslContextProvider ssl = new TestSslContextProvider();
        runner.addControllerService("ssl", ssl);
        runner.enableControllerService(ssl);
        runner.setProperty(ListenCrmWebhook.PORT, Integer.toString(ListenCrmWebhookTestSupport.freePort()));
        runner.setProperty(ListenCrmWebhook.PATH, PATH);
        runner.setProperty(ListenCrmWebhook.HUBSPOT_SECRET, ListenCrmWebhookTestSupport.SECRET);
        runner.setProperty(CrmProperties.RECORD_WRITER, TestServices.WRITER);
        runner.setProperty(ListenCrmWebhook.SSL_CONTEXT, "ssl");
        runner.setProperty(ListenCrmWebhook.CLIENT_AUTH, clientAuth);
        if (subject != null) {
            runner.setProperty(ListenCrmWebhook.CLIENT_SUBJECT, subject);
        }
        runner.run(1, false, true);
        return "https://127.0.0.1:" + ((ListenCrmWebhook) runner.getProcessor()).listeningPort() + PATH;
    }

    private int deliver(HttpClient client, HttpRequest request) throws Exception {
        runner.run(1, false, false);  // a processor that NiFi triggers, as it would be when running
        CompletableFuture<HttpResponse<String>> answer = client.sendAsync(request, HttpResponse.BodyHandlers.ofString());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!answer.isDone() && System.nanoTime() < deadline) {
            runner.run(1, false, false);
        }
        try {
            return answer.get(1, TimeUnit.SECONDS).statusCode();
        } catch (java.util.concurrent.ExecutionException e) {
            throw e.getCause() instanceof IOException io ? io : e;
        }
    }

    private static HttpClient client(boolean withKey) throws Exception {
        return HttpClient.newBuilder().sslContext(context(withKey)).connectTimeout(Duration.ofSeconds(5)).build();
    }

    @Test
    void servesHttpsAndTheSignatureCoversTheHttpsUrl() throws Exception {
        String url = start("NONE", null);
        assertEquals(200, deliver(client(false), signed(url, body(List.of(event("contact.creation", 1))))));
        assertEquals(1, ListenCrmWebhookTestSupport.successRecords(runner).size());
        HttpRequest overHttp = signed(url.replace("https:", "http:"), body(List.of(event("contact.creation", 2))));
        HttpRequest.Builder sentOverHttps = HttpRequest.newBuilder(java.net.URI.create(url))
                .POST(overHttp.bodyPublisher().orElseThrow());
        overHttp.headers().map().forEach((name, values) -> values.forEach(v -> sentOverHttps.header(name, v)));
        assertEquals(401, deliver(client(false), sentOverHttps.build()), "a signature over another URL does not verify");
    }

    @Test
    void aRequiredClientCertificateIsEnforcedByTheHandshakeAndItsSubjectChecked() throws Exception {
        String url = start("REQUIRED", ".*CN=localhost.*");
        assertThrows(IOException.class, () -> deliver(client(false), signed(url, body(List.of(event("contact.creation", 3))))));
        assertEquals(200, deliver(client(true), signed(url, body(List.of(event("contact.creation", 4))))));
        runner.stop();

        String strict = start("REQUIRED", ".*CN=proxy\\.salesforce\\.com.*");
        assertEquals(403, deliver(client(true), signed(strict, body(List.of(event("contact.creation", 5))))));
        runner.assertTransferCount(ListenCrmWebhook.REL_SUCCESS, 0);
    }
}
