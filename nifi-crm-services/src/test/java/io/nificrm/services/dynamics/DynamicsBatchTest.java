package io.nificrm.services.dynamics;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The $batch wire format, including answers with LF line ends, nested change sets and truncated bodies. */
class DynamicsBatchTest {

    @Test
    void buildsOnePartPerRequestWithContentIds() {
        String body = DynamicsBatch.body("batch_X", List.of(
                new DynamicsBatch.Request("PATCH", "https://org/api/data/v9.2/contacts(nificrm_sourceid='A')?$select=contactid",
                        Map.of("Prefer", "return=representation"), "{\"lastname\":\"A\"}"),
                new DynamicsBatch.Request("DELETE", "https://org/api/data/v9.2/contacts(5f0c1a2b-0000-4000-8000-00000000000a)", Map.of(), null)));
        assertTrue(body.startsWith("--batch_X\r\nContent-Type: application/http\r\nContent-Transfer-Encoding: binary\r\nContent-ID: 1\r\n\r\n"
                + "PATCH https://org/api/data/v9.2/contacts(nificrm_sourceid='A')?$select=contactid HTTP/1.1\r\nPrefer: return=representation\r\n"
                + "Content-Type: application/json;type=entry\r\n\r\n{\"lastname\":\"A\"}\r\n"), body);
        assertTrue(body.contains("Content-ID: 2\r\n\r\nDELETE https://org/api/data/v9.2/contacts(5f0c1a2b-0000-4000-8000-00000000000a) HTTP/1.1\r\n\r\n"));
        assertTrue(body.endsWith("--batch_X--\r\n"));
    }

    @Test
    void parsesAnswersInOrderWithStatusHeadersAndBodies() throws Exception {
        String answer = "--batchresponse_1\n"
                + "Content-Type: application/http\nContent-Transfer-Encoding: binary\nContent-ID: 1\n\n"
                + "HTTP/1.1 201 Created\nETag: W/\"5\"\nOData-EntityId: https://org/api/data/v9.2/contacts(nificrm_sourceid='A')\n\n"
                + "{\"contactid\":\"5f0c1a2b-0000-4000-8000-00000000000a\"}\n"
                + "--batchresponse_1\n"
                + "Content-Type: multipart/mixed; boundary=changesetresponse_2\n\n"
                + "--changesetresponse_2\nContent-Type: application/http\nContent-ID: 2\n\nHTTP/1.1 204 No Content\n\n\n"
                + "--changesetresponse_2--\n"
                + "--batchresponse_1\r\n"
                + "Content-Type: application/http\r\n\r\n"
                + "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n\r\n{\"error\":{\"code\":\"0x80040203\",\"message\":\"lastname\"}}\r\n"
                + "--batchresponse_1--\r\n";
        List<DynamicsBatch.Response> parts = DynamicsBatch.parse("multipart/mixed; boundary=batchresponse_1",
                answer.getBytes(StandardCharsets.UTF_8));
        assertEquals(3, parts.size());
        assertEquals("1", parts.get(0).contentId());
        assertEquals(201, parts.get(0).status());
        assertEquals("W/\"5\"", parts.get(0).header("ETag"));
        assertEquals("{\"contactid\":\"5f0c1a2b-0000-4000-8000-00000000000a\"}", parts.get(0).body());
        assertEquals("2", parts.get(1).contentId());
        assertEquals(204, parts.get(1).status());
        assertNull(parts.get(2).contentId());
        assertEquals(400, parts.get(2).status());
        assertTrue(parts.get(2).body().contains("0x80040203"));
    }

    @Test
    void truncatedOrNonMultipartAnswersAreMalformed() {
        String cut = "--b\nContent-Type: application/http\n\nHTTP/1.1 204 No Content\n\n--b\nContent-Type: appli";
        assertThrows(DynamicsBatch.MalformedBatch.class, () -> DynamicsBatch.parse("multipart/mixed;boundary=b", cut.getBytes(StandardCharsets.UTF_8)));
        assertThrows(DynamicsBatch.MalformedBatch.class, () -> DynamicsBatch.parse("application/json", "{\"x\":".getBytes(StandardCharsets.UTF_8)));
        assertThrows(DynamicsBatch.MalformedBatch.class, () -> DynamicsBatch.parse("multipart/mixed;boundary=b",
                "--b\nContent-Type: application/http\n\nnot a status line\n--b--\n".getBytes(StandardCharsets.UTF_8)));
        assertEquals("q", DynamicsBatch.boundary("multipart/mixed; boundary=\"q\""));
    }
}
