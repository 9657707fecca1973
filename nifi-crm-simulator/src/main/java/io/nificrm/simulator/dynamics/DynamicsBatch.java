package io.nificrm.simulator.dynamics;

import io.nificrm.simulator.http.SimRequest;
import io.nificrm.simulator.http.SimResponse;

import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * {@code POST /api/data/v9.2/$batch}: a {@code multipart/mixed} body of {@code application/http} parts, each a full
 * request, and change sets (nested {@code multipart/mixed}) that run as one transaction with {@code Content-ID}
 * references ({@code $1} in a URL or an {@code @odata.bind}).
 * <ul>
 *   <li>Requests run in order. By default the batch stops at the first failure: the answer then has that request's
 *       status and holds only its part. With {@code Prefer: odata.continue-on-error} the answer is 200 with one part
 *       per request (a change set counts as one: its nested responses, or its single failure).</li>
 *   <li>A failed change set is rolled back entirely. {@code GET} is not allowed inside a change set.</li>
 *   <li>At most 1,000 requests. The batch counts once toward the request window; each inner request counts toward the
 *       daily entitlement and asks the fault injector ({@code failRecord("dynamics", "batch")}) whether to fail
 *       transiently with 503.</li>
 * </ul>
 */
final class DynamicsBatch {
    static final int MAX_REQUESTS = 1000;
    private static final Set<String> PASSED_HEADERS = Set.of("content-type", "prefer", "if-match", "if-none-match",
            "odata-version", "odata-maxversion", "accept", "mscrm.suppressduplicatedetection", "mscrm.bypasscustompluginexecution");

    private final DynamicsPersona persona;

    DynamicsBatch(DynamicsPersona persona) {
        this.persona = persona;
    }

    /** One answered request: its response and the Content-ID it had. */
    private record Answer(SimResponse response, String contentId) {
        boolean failed() {
            return response.status() >= 400;
        }
    }

    /** One item of the batch answer: a single response, or a change set's responses. */
    private record Item(List<Answer> answers, boolean changeSet) {
        boolean failed() {
            return answers.stream().anyMatch(Answer::failed);
        }
    }

    SimResponse handle(SimRequest request) throws Exception {
        String boundary = Multipart.boundary(request.header("Content-Type"));
        if (boundary == null) {
            throw DataverseException.badRequest("A $batch request needs 'Content-Type: multipart/mixed;boundary=batch_<id>'.");
        }
        List<Multipart.Part> parts;
        List<List<Multipart.Part>> changeSets = new ArrayList<>();
        int total = 0;
        try {
            parts = Multipart.parse(request.bodyText(), boundary);
            for (Multipart.Part part : parts) {
                String inner = Multipart.boundary(part.header("Content-Type"));
                if (inner != null) {
                    List<Multipart.Part> members = Multipart.parse(part.content(), inner);
                    for (Multipart.Part member : members) {
                        if (Multipart.boundary(member.header("Content-Type")) != null) {
                            throw DataverseException.badRequest("Change sets cannot be nested.");
                        }
                    }
                    changeSets.add(members);
                    total += members.size();
                } else {
                    changeSets.add(null);
                    total++;
                }
            }
        } catch (IllegalArgumentException e) {
            throw DataverseException.badRequest("The $batch body is not valid multipart/mixed: " + e.getMessage());
        }
        if (total > MAX_REQUESTS) {
            throw DataverseException.badRequest("The number of requests in the batch (" + total
                    + ") exceeds the limit of " + MAX_REQUESTS + ".");
        }
        boolean continueOnError = DynamicsPersona.Prefer.of(request).continueOnError();
        String outer = "batchresponse_" + UUID.randomUUID();
        StringBuilder body = new StringBuilder();
        for (int i = 0; i < parts.size(); i++) {
            Item item = changeSets.get(i) == null
                    ? new Item(List.of(run(parts.get(i), WriteContext.single(), false)), false)
                    : runChangeSet(changeSets.get(i));
            if (item.failed() && !continueOnError) {
                Answer failure = item.answers().stream().filter(Answer::failed).findFirst().orElseThrow();
                StringBuilder only = new StringBuilder();
                appendHttpPart(only, outer, failure);
                only.append("--").append(outer).append("--").append(Multipart.CRLF);
                return multipart(failure.response().status(), outer, only);
            }
            if (item.changeSet() && !item.failed()) {
                String inner = "changesetresponse_" + UUID.randomUUID();
                body.append("--").append(outer).append(Multipart.CRLF);
                body.append("Content-Type: multipart/mixed; boundary=").append(inner).append(Multipart.CRLF).append(Multipart.CRLF);
                for (Answer answer : item.answers()) {
                    appendHttpPart(body, inner, answer);
                }
                body.append("--").append(inner).append("--").append(Multipart.CRLF);
            } else {
                Answer shown = item.failed() ? item.answers().stream().filter(Answer::failed).findFirst().orElseThrow()
                        : item.answers().get(0);
                appendHttpPart(body, outer, shown);
            }
        }
        body.append("--").append(outer).append("--").append(Multipart.CRLF);
        SimResponse response = multipart(200, outer, body);
        if (continueOnError) {
            response.header("Preference-Applied", "odata.continue-on-error");
        }
        return response;
    }

    private static SimResponse multipart(int status, String boundary, StringBuilder body) {
        return new SimResponse(status, "multipart/mixed; boundary=" + boundary, body.toString().getBytes(StandardCharsets.UTF_8))
                .header("OData-Version", "4.0");
    }

    /** Runs a change set as one transaction: the first failure rolls back what the set wrote. */
    private Item runChangeSet(List<Multipart.Part> members) throws Exception {
        WriteContext context = WriteContext.changeSet();
        List<Answer> answers = new ArrayList<>();
        persona.writeLock.lock();
        try {
            for (Multipart.Part member : members) {
                Answer answer = run(member, context, true);
                if (answer.failed()) {
                    context.rollback();
                    return new Item(List.of(answer), true);
                }
                answers.add(answer);
            }
            return new Item(answers, true);
        } finally {
            persona.writeLock.unlock();
        }
    }

    /** Runs one {@code application/http} part. */
    private Answer run(Multipart.Part part, WriteContext context, boolean inChangeSet) throws Exception {
        String contentId = part.header("Content-ID");
        Multipart.HttpRequest http;
        try {
            http = Multipart.request(part.content());
        } catch (IllegalArgumentException e) {
            return new Answer(persona.error(400, "0x0", e.getMessage()), contentId);
        }
        if (contentId == null) {
            contentId = http.headers().get("content-id");
        }
        String type = part.header("Content-Type");
        if (type != null && !type.toLowerCase(Locale.ROOT).startsWith("application/http")) {
            return new Answer(persona.error(400, "0x0", "Each batch part must be 'Content-Type: application/http', not '" + type + "'."), contentId);
        }
        if (inChangeSet && http.method().equals("GET")) {
            return new Answer(persona.error(400, "0x0", "GET requests are not allowed inside a change set."), contentId);
        }
        URI uri;
        try {
            uri = resolve(http.url(), context);
        } catch (DataverseException e) {
            return new Answer(persona.error(e.status(), e.code(), e.getMessage()), contentId);
        }
        if (persona.faultInjector().failRecord(DynamicsPersona.SYSTEM, "batch")) {
            return new Answer(persona.error(503, "0x80040216",
                    "Simulated transient failure of this request inside the batch: the server is busy. Retry the request."), contentId);
        }
        if (!persona.entitlement().consume()) {
            return new Answer(persona.entitlementExceeded(), contentId);
        }
        Map<String, List<String>> headers = new HashMap<>();
        http.headers().forEach((k, v) -> {
            if (PASSED_HEADERS.contains(k)) {
                headers.put(k, List.of(v));
            }
        });
        SimRequest inner = new SimRequest(http.method(), uri, headers, http.body().getBytes(StandardCharsets.UTF_8));
        context.clearLast();
        SimResponse response = persona.dispatchInner(inner, context);
        if (response.status() < 400 && contentId != null && context.lastEntityPath() != null) {
            context.declare(contentId, context.lastEntityPath());
        }
        return new Answer(response, contentId);
    }

    /** The request URI: absolute, root-relative, relative to the service root, or starting with a {@code $n} reference. */
    private static URI resolve(String url, WriteContext context) {
        String target = url;
        if (target.startsWith("$")) {
            int end = 1;
            while (end < target.length() && Character.isLetterOrDigit(target.charAt(end))) {
                end++;
            }
            String path = context.reference(target.substring(1, end));
            if (path == null) {
                throw DataverseException.badRequest("Content-ID Reference: '" + target.substring(0, end)
                        + "' does not exist in the batch context.");
            }
            target = DynamicsPersona.API_PATH + path + target.substring(end);
        } else if (target.startsWith("http://") || target.startsWith("https://")) {
            URI absolute = toUri(target);
            target = absolute.getRawPath() + (absolute.getRawQuery() == null ? "" : "?" + absolute.getRawQuery());
        } else if (!target.startsWith("/")) {
            target = DynamicsPersona.API_PATH + target;
        }
        return toUri(target);
    }

    private static URI toUri(String text) {
        try {
            return URI.create(text);
        } catch (IllegalArgumentException e) {
            try {
                return URI.create(text.replace(" ", "%20").replace("\"", "%22").replace("<", "%3C").replace(">", "%3E"));
            } catch (IllegalArgumentException again) {
                throw DataverseException.badRequest("The request URL '" + text + "' in the batch is not valid.");
            }
        }
    }

    private static void appendHttpPart(StringBuilder out, String boundary, Answer answer) {
        SimResponse response = answer.response();
        String crlf = Multipart.CRLF;
        out.append("--").append(boundary).append(crlf);
        out.append("Content-Type: application/http").append(crlf);
        out.append("Content-Transfer-Encoding: binary").append(crlf);
        if (answer.contentId() != null) {
            out.append("Content-ID: ").append(answer.contentId()).append(crlf);
        }
        out.append(crlf);
        out.append("HTTP/1.1 ").append(response.status()).append(' ').append(Multipart.reason(response.status())).append(crlf);
        Map<String, String> headers = new java.util.LinkedHashMap<>(response.headers());
        headers.putIfAbsent("OData-Version", "4.0");
        if (headers.containsKey("OData-EntityId") && !headers.containsKey("Location")) {
            headers.put("Location", headers.get("OData-EntityId"));
        }
        headers.forEach((k, v) -> out.append(k).append(": ").append(v).append(crlf));
        out.append(crlf);
        byte[] body = response.body();
        if (body.length > 0) {
            out.append(new String(body, StandardCharsets.UTF_8)).append(crlf);
        }
    }
}
