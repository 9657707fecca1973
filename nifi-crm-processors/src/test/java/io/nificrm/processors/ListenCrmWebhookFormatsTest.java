package io.nificrm.processors;

import com.fasterxml.jackson.databind.JsonNode;
import io.nificrm.processors.common.CrmProperties;
import org.apache.nifi.util.MockFlowFile;
import org.apache.nifi.util.TestRunner;
import org.apache.nifi.util.TestRunners;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.nificrm.processors.ListenCrmWebhookTestSupport.CLIENT;
import static io.nificrm.processors.ListenCrmWebhookTestSupport.PATH;
import static io.nificrm.processors.ListenCrmWebhookTestSupport.freePort;
import static io.nificrm.processors.ListenCrmWebhookTestSupport.successRecords;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Dataverse webhooks (shared key) and Salesforce outbound messages (organization id, SOAP Ack). */
class ListenCrmWebhookFormatsTest {
    private static final String KEY = "dv-4f1c8a0e9b7d";
    private static final String ORG = "00D5g000004XyZaEAK";
    private TestRunner runner;

    @AfterEach
    void tearDown() {
        if (runner != null) {
            runner.stop();
        }
    }

    private String start(String format, String... properties) throws Exception {
        runner = TestRunners.newTestRunner(ListenCrmWebhook.class);
        TestServices.json(runner);
        runner.setProperty(ListenCrmWebhook.PORT, Integer.toString(freePort()));
        runner.setProperty(ListenCrmWebhook.PATH, PATH);
        runner.setProperty(ListenCrmWebhook.FORMAT, format);
        runner.setProperty(CrmProperties.RECORD_WRITER, TestServices.WRITER);
        for (int i = 0; i < properties.length; i += 2) {
            runner.setProperty(properties[i], properties[i + 1]);
        }
        runner.run(1, false, true);
        return ListenCrmWebhookTestSupport.url(runner);
    }

    private HttpResponse<String> deliver(HttpRequest request) throws Exception {
        runner.run(1, false, false);  // a processor that NiFi triggers, as it would be when running
        CompletableFuture<HttpResponse<String>> answer = CLIENT.sendAsync(request, HttpResponse.BodyHandlers.ofString());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!answer.isDone() && System.nanoTime() < deadline) {
            runner.run(1, false, false);
        }
        return answer.get(1, TimeUnit.SECONDS);
    }

    private static HttpRequest post(String url, String body, String... headers) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(url)).POST(HttpRequest.BodyPublishers.ofString(body));
        for (int i = 0; i < headers.length; i += 2) {
            builder.header(headers[i], headers[i + 1]);
        }
        return builder.build();
    }

    static String dataverseContext(String message, String requestId, String contactId) {
        String target = message.equals("Delete")
                ? "{\"__type\":\"EntityReference:http://schemas.microsoft.com/xrm/2011/Contracts\",\"Id\":\"" + contactId + "\",\"LogicalName\":\"contact\",\"Name\":null}"
                : "{\"__type\":\"Entity:http://schemas.microsoft.com/xrm/2011/Contracts\",\"Attributes\":["
                + "{\"key\":\"firstname\",\"value\":\"Jim\"},"
                + "{\"key\":\"emailaddress1\",\"value\":\"jim@example.com\"},"
                + "{\"key\":\"parentcustomerid\",\"value\":{\"__type\":\"EntityReference:http://schemas.microsoft.com/xrm/2011/Contracts\",\"Id\":\"a1b2c3d4-0000-0000-0000-000000000001\",\"LogicalName\":\"account\",\"Name\":\"Contoso\"}},"
                + "{\"key\":\"preferredcontactmethodcode\",\"value\":{\"__type\":\"OptionSetValue:http://schemas.microsoft.com/xrm/2011/Contracts\",\"Value\":2}},"
                + "{\"key\":\"birthdate\",\"value\":\"\\/Date(946684800000)\\/\"},"
                + "{\"key\":\"contactid\",\"value\":\"" + contactId + "\"}],"
                + "\"EntityState\":null,\"FormattedValues\":[],\"Id\":\"" + contactId + "\",\"KeyAttributes\":[],\"LogicalName\":\"contact\",\"RelatedEntities\":[],\"RowVersion\":null}";
        return "{\"BusinessUnitId\":\"5b1e2a3c-0000-0000-0000-000000000000\",\"CorrelationId\":\"c0ffee00-0000-0000-0000-000000000000\",\"Depth\":1,"
                + "\"InitiatingUserId\":\"75c2dd4a-0000-0000-0000-000000000000\",\"InputParameters\":[{\"key\":\"Target\",\"value\":" + target + "}],"
                + "\"IsExecutingOffline\":false,\"IsInTransaction\":false,\"IsOfflinePlayback\":false,\"IsolationMode\":1,\"MessageName\":\"" + message + "\","
                + "\"Mode\":1,\"OperationCreatedOn\":\"\\/Date(1716300000000)\\/\",\"OperationId\":\"00000000-0000-0000-0000-000000000000\","
                + "\"OrganizationId\":\"e8f5c2d1-0000-0000-0000-000000000000\",\"OrganizationName\":\"org1234\",\"OutputParameters\":[],"
                + "\"OwningExtension\":{\"Id\":\"1d2c3b4a-0000-0000-0000-000000000000\",\"LogicalName\":\"sdkmessageprocessingstep\",\"Name\":\"webhook: Update of contact\"},"
                + "\"ParentContext\":null,\"PostEntityImages\":[],\"PreEntityImages\":[],\"PrimaryEntityId\":\"" + contactId + "\",\"PrimaryEntityName\":\"contact\","
                + "\"RequestId\":\"" + requestId + "\",\"SecondaryEntityName\":\"none\",\"SharedVariables\":[],\"Stage\":40,\"UserId\":\"75c2dd4a-0000-0000-0000-000000000000\"}";
    }

    @Test
    void dataverseHeaderKeyIsCheckedAndTheContextBecomesAChangeRecord() throws Exception {
        String url = start(ListenCrmWebhook.DATAVERSE.getValue(), ListenCrmWebhook.DATAVERSE_KEY_VALUE.getName(), KEY);
        String contact = "9a8b7c6d-1111-2222-3333-444455556666";
        String update = dataverseContext("Update", "r-0001", contact);
        assertEquals(401, deliver(post(url, update)).statusCode(), "no key");
        assertEquals(401, deliver(post(url, update, "x-nificrm-key", "wrong")).statusCode(), "wrong key");
        assertEquals(200, deliver(post(url, update, "x-nificrm-key", KEY)).statusCode());
        assertEquals(200, deliver(post(url, update, "x-nificrm-key", KEY)).statusCode(), "a re-delivery is acknowledged");
        assertEquals(200, deliver(post(url, dataverseContext("Delete", "r-0002", contact), "x-nificrm-key", KEY)).statusCode());
        assertEquals(400, deliver(post(url, "{\"MessageName\":\"Update\"}", "x-nificrm-key", KEY)).statusCode());

        List<JsonNode> records = successRecords(runner);
        assertEquals(2, records.size(), "the re-delivery is not emitted again");
        JsonNode changed = records.get(0);
        assertEquals("update", changed.get("crm_operation").asText());
        assertEquals("contact", changed.get("crm_object").asText());
        assertEquals(contact, changed.get("crm_key").asText());
        assertEquals("dynamics", changed.get("crm_system").asText());
        assertEquals("dynamics/org1234", changed.get("crm_origin").asText());
        assertEquals("r-0001", changed.get("crm_event_id").asText());
        assertEquals("Jim", changed.get("firstname").asText());
        assertEquals("a1b2c3d4-0000-0000-0000-000000000001", changed.get("parentcustomerid").asText());
        assertEquals("2", changed.get("preferredcontactmethodcode").asText());
        assertEquals("2000-01-01T00:00:00Z", changed.get("birthdate").asText());
        List<String> changedFields = new java.util.ArrayList<>();
        changed.get("crm_changed_fields").forEach(n -> changedFields.add(n.asText()));
        assertEquals(List.of("firstname", "emailaddress1", "parentcustomerid", "preferredcontactmethodcode", "birthdate"), changedFields);
        assertEquals("delete", records.get(1).get("crm_operation").asText());
        MockFlowFile flowFile = runner.getFlowFilesForRelationship(ListenCrmWebhook.REL_SUCCESS).get(0);
        flowFile.assertAttributeEquals("crm.system", "dynamics");
        flowFile.assertAttributeEquals("crm.object", "contact");
    }

    @Test
    void dataverseWebhookKeyArrivesAsTheCodeParameterAndIsNeverInProvenance() throws Exception {
        String url = start(ListenCrmWebhook.DATAVERSE.getValue(), ListenCrmWebhook.DATAVERSE_KEY_VALUE.getName(), KEY,
                ListenCrmWebhook.DATAVERSE_KEY_LOCATION.getName(), ListenCrmWebhook.KEY_WEBHOOK.getValue());
        String context = dataverseContext("Create", "r-0100", "0d0d0d0d-1111-2222-3333-444455556666");
        assertEquals(401, deliver(post(url + "?code=nope", context)).statusCode());
        assertEquals(200, deliver(post(url + "?code=" + KEY, context)).statusCode());
        assertEquals("create", successRecords(runner).get(0).get("crm_operation").asText());
        assertTrue(runner.getProvenanceEvents().stream().noneMatch(p -> p.getTransitUri().contains(KEY)), "the key stays out of provenance");
    }

    static String outboundMessage(String org, String... contactIds) {
        StringBuilder notifications = new StringBuilder();
        int n = 0;
        for (String id : contactIds) {
            notifications.append("<Notification><Id>04l5g00000AbCd").append(n++).append("AAA</Id>")
                    .append("<sObject xsi:type=\"sf:Contact\" xmlns:sf=\"urn:sobject.enterprise.soap.sforce.com\">")
                    .append("<sf:Id>").append(id).append("</sf:Id>")
                    .append("<sf:Email>c").append(n).append("@example.com</sf:Email>")
                    .append("<sf:FirstName xsi:nil=\"true\"/>")
                    .append("<sf:LastModifiedDate>2024-05-21T10:15:30.000Z</sf:LastModifiedDate>")
                    .append("</sObject></Notification>");
        }
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>"
                + "<soapenv:Envelope xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\" xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\""
                + " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"><soapenv:Body>"
                + "<notifications xmlns=\"http://soap.sforce.com/2005/09/outbound\">"
                + "<OrganizationId>" + org + "</OrganizationId><ActionId>04k5g000000AbCdAAK</ActionId>"
                + "<SessionId>00D!AQ0AQ-this-is-a-session-id</SessionId>"
                + "<EnterpriseUrl>https://example.my.salesforce.com/services/Soap/c/60.0/00D5g000004XyZa</EnterpriseUrl>"
                + "<PartnerUrl>https://example.my.salesforce.com/services/Soap/u/60.0/00D5g000004XyZa</PartnerUrl>"
                + notifications + "</notifications></soapenv:Body></soapenv:Envelope>";
    }

    @Test
    void salesforceOutboundMessagesAreParsedAndAcknowledgedWithASoapAck() throws Exception {
        String url = start(ListenCrmWebhook.SALESFORCE.getValue(), ListenCrmWebhook.SALESFORCE_ORG_ID.getName(), ORG.substring(0, 15));
        HttpResponse<String> answer = deliver(post(url, outboundMessage(ORG, "0035g00000AAAAAAA1", "0035g00000AAAAAAA2"),
                "Content-Type", "text/xml; charset=utf-8", "SOAPAction", "\"\""));
        assertEquals(200, answer.statusCode());
        assertTrue(answer.body().contains("<Ack>true</Ack>"), answer.body());
        assertTrue(answer.headers().firstValue("Content-Type").orElse("").startsWith("text/xml"));

        List<JsonNode> records = successRecords(runner);
        assertEquals(2, records.size());
        JsonNode first = records.get(0);
        assertEquals("upsert", first.get("crm_operation").asText());
        assertEquals("Contact", first.get("crm_object").asText());
        assertEquals("0035g00000AAAAAAA1", first.get("crm_key").asText());
        assertEquals("salesforce/" + ORG, first.get("crm_origin").asText());
        assertEquals("c1@example.com", first.get("Email").asText());
        assertTrue(first.get("FirstName").isNull());
        assertTrue(first.get("crm_changed_fields").isNull());
        assertTrue(runner.getFlowFilesForRelationship(ListenCrmWebhook.REL_SUCCESS).get(0).getContent().indexOf("session-id") < 0,
                "the SessionId is never emitted");

        // Salesforce resends until acknowledged: a resend is acknowledged again, not emitted again.
        assertEquals(200, deliver(post(url, outboundMessage(ORG, "0035g00000AAAAAAA1", "0035g00000AAAAAAA2"))).statusCode());
        assertEquals(2, successRecords(runner).size());
    }

    @Test
    void salesforceMessagesOfAnotherOrganizationOrMalformedOnesAreRefusedWithASoapFault() throws Exception {
        String url = start(ListenCrmWebhook.SALESFORCE.getValue(), ListenCrmWebhook.SALESFORCE_ORG_ID.getName(), ORG);
        HttpResponse<String> other = deliver(post(url, outboundMessage("00D5g000009ZzZzEAK", "0035g00000AAAAAAA1")));
        assertEquals(403, other.statusCode());
        assertTrue(other.body().contains("soapenv:Fault"));
        assertEquals(400, deliver(post(url, "<notifications>")).statusCode());
        String xxe = "<?xml version=\"1.0\"?><!DOCTYPE r [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><r>&x;</r>";
        assertEquals(400, deliver(post(url, xxe)).statusCode(), "document type declarations are refused");
        runner.assertTransferCount(ListenCrmWebhook.REL_SUCCESS, 0);
    }
}
