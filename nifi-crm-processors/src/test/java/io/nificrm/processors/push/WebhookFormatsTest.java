package io.nificrm.processors.push;

import io.nificrm.simulator.webhooks.HubSpotSignature;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class WebhookFormatsTest {
    private static final long NOW = 1_716_300_000_000L;

    private static InboundRequest hubspot(String base, String pathAndQuery, String body, String signature, long timestamp) {
        return new InboundRequest("POST", URI.create(pathAndQuery), base, Map.of(
                "x-hubspot-signature-v3", List.of(signature), "x-hubspot-request-timestamp", List.of(Long.toString(timestamp))),
                body.getBytes(StandardCharsets.UTF_8), "10.0.0.1");
    }

    @Test
    void hubSpotSignatureOverTheDecodedUriIsAcceptedAsHubSpotsSampleDoes() throws Exception {
        HubSpotWebhookFormat format = new HubSpotWebhookFormat("s3cret", () -> NOW);
        String body = "[{\"eventId\":1,\"subscriptionType\":\"object.creation\",\"objectTypeId\":\"0-5\",\"objectId\":42,\"portalId\":9}]";
        String signedOverDecoded = HubSpotSignature.v3("s3cret", "POST", "https://hooks.example.com/crm/webhook?a=b:c", body.getBytes(StandardCharsets.UTF_8), NOW);
        WebhookFormat.Parsed parsed = format.parse(hubspot("https://hooks.example.com", "/crm/webhook?a=b%3Ac", body, signedOverDecoded, NOW));
        ChangeEvent event = parsed.events().get(0);
        assertEquals("tickets", event.object());
        assertEquals("create", event.operation());
        assertEquals("42", event.key());
        assertEquals("hubspot:9:1", event.dedupKey());
        Rejected wrongHost = assertThrows(Rejected.class,
                () -> format.parse(hubspot("https://other.example.com", "/crm/webhook?a=b%3Ac", body, signedOverDecoded, NOW)));
        assertEquals(401, wrongHost.status());
    }

    @Test
    void hubSpotEventTypesMapToOperations() throws Exception {
        HubSpotWebhookFormat format = new HubSpotWebhookFormat("s3cret", () -> NOW);
        String body = "[{\"eventId\":1,\"subscriptionType\":\"deal.deletion\",\"objectId\":1},"
                + "{\"eventId\":2,\"subscriptionType\":\"company.propertyChange\",\"objectId\":2,\"propertyName\":\"name\",\"propertyValue\":\"Acme\"},"
                + "{\"eventId\":3,\"subscriptionType\":\"contact.restore\",\"objectId\":3},"
                + "{\"eventId\":4,\"subscriptionType\":\"contact.privacyDeletion\",\"objectId\":4},"
                + "{\"subscriptionType\":\"contact.creation\",\"objectId\":5}]";
        String signature = HubSpotSignature.v3("s3cret", "POST", "http://h/p", body.getBytes(StandardCharsets.UTF_8), NOW);
        WebhookFormat.Parsed parsed = format.parse(hubspot("http://h", "/p", body, signature, NOW));
        assertEquals(List.of("delete", "update", "create", "delete"), parsed.events().stream().map(ChangeEvent::operation).toList());
        assertEquals(List.of("deals", "companies", "contacts", "contacts"), parsed.events().stream().map(ChangeEvent::object).toList());
        assertEquals(1, parsed.skipped(), "an event without an id is skipped");
        assertEquals("Acme", parsed.events().get(1).fields().get("name"));
    }

    @Test
    void salesforceOrganizationIdsCompareOnTheir15CharacterForm() {
        assertTrue(SalesforceOutboundFormat.sameOrganization("00D5g000004XyZa", "00D5g000004XyZaEAK"));
        assertTrue(SalesforceOutboundFormat.sameOrganization("00D5g000004XyZaEAK", "00D5g000004XyZa"));
        assertFalse(SalesforceOutboundFormat.sameOrganization("00D5g000004XyZa", "00D5g000004XYZaEAK"), "case-sensitive");
        assertFalse(SalesforceOutboundFormat.sameOrganization("00D5g000004XyZaEAK", "00D5g000004XyZaXXX"));
    }

    @Test
    void dataverseValuesAreFlattened() throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        assertEquals("12.5", DataverseWebhookFormat.value(json.readTree("{\"__type\":\"Money:x\",\"Value\":12.5}")));
        assertEquals("2017-05-17T22:39:22Z", DataverseWebhookFormat.value(json.readTree("\"\\/Date(1495060762000)\\/\"")));
        assertEquals("true", DataverseWebhookFormat.value(json.readTree("true")));
    }
}
