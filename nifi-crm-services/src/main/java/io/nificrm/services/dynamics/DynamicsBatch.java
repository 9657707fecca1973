package io.nificrm.services.dynamics;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The OData {@code $batch} wire format: a {@code multipart/mixed} body of {@code application/http} parts, each a
 * full request with a {@code Content-ID}, and the parsing of the multipart answer back into one response per
 * part. Change sets are not used (every request stands alone with {@code Prefer: odata.continue-on-error}); nested
 * change-set answers are still read, flattened in order.
 */
final class DynamicsBatch {
    private static final String CRLF = "\r\n";
    private static final Pattern BOUNDARY = Pattern.compile("(?i)boundary\\s*=\\s*(\"([^\"]+)\"|[^;\\s]+)");
    private static final Pattern STATUS_LINE = Pattern.compile("HTTP/\\d(?:\\.\\d)?\\s+(\\d{3})(?:\\s.*)?");

    private DynamicsBatch() {
    }

    /** One request of a batch; {@code body} is JSON or null. */
    record Request(String method, String url, Map<String, String> headers, String body) {
    }

    /** One answered request: its Content-ID (or null), status, headers (lower-case names) and body text. */
    record Response(String contentId, int status, Map<String, String> headers, String body) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** The batch answer could not be read (cut short, no boundary, a part without a status line). */
    static final class MalformedBatch extends Exception {
        MalformedBatch(String message) {
            super(message, null, false, false);
        }
    }

    static String newBoundary() {
        return "batch_" + UUID.randomUUID();
    }

    /** The body of a batch; request {@code i} carries {@code Content-ID: i+1}. */
    static String body(String boundary, List<Request> requests) {
        StringBuilder out = new StringBuilder(requests.size() * 256);
        for (int i = 0; i < requests.size(); i++) {
            Request r = requests.get(i);
            out.append("--").append(boundary).append(CRLF)
                    .append("Content-Type: application/http").append(CRLF)
                    .append("Content-Transfer-Encoding: binary").append(CRLF)
                    .append("Content-ID: ").append(i + 1).append(CRLF)
                    .append(CRLF)
                    .append(r.method()).append(' ').append(r.url()).append(" HTTP/1.1").append(CRLF);
            r.headers().forEach((k, v) -> out.append(k).append(": ").append(v).append(CRLF));
            if (r.body() != null) {
                out.append("Content-Type: application/json;type=entry").append(CRLF).append(CRLF).append(r.body()).append(CRLF);
            } else {
                out.append(CRLF);
            }
        }
        return out.append("--").append(boundary).append("--").append(CRLF).toString();
    }

    /** The boundary parameter of a multipart content type, or null. */
    static String boundary(String contentType) {
        if (contentType == null || !contentType.trim().toLowerCase(Locale.ROOT).startsWith("multipart/")) {
            return null;
        }
        Matcher m = BOUNDARY.matcher(contentType);
        return m.find() ? (m.group(2) != null ? m.group(2) : m.group(1)) : null;
    }

    /** The responses of a batch answer, in order (change-set answers flattened). */
    static List<Response> parse(String contentType, byte[] body) throws MalformedBatch {
        String boundary = boundary(contentType);
        if (boundary == null) {
            throw new MalformedBatch("the answer is not multipart/mixed (Content-Type " + contentType + ")");
        }
        List<Response> out = new ArrayList<>();
        parseInto(new String(body, StandardCharsets.UTF_8), boundary, out);
        return out;
    }

    private static void parseInto(String text, String boundary, List<Response> out) throws MalformedBatch {
        String[] lines = text.replace("\r\n", "\n").split("\n", -1);
        String delimiter = "--" + boundary;
        String close = delimiter + "--";
        List<String> current = null;
        for (String raw : lines) {
            String line = raw.stripTrailing();
            if (line.equals(close)) {
                if (current != null) {
                    part(current, out);
                }
                return;
            }
            if (line.equals(delimiter)) {
                if (current != null) {
                    part(current, out);
                }
                current = new ArrayList<>();
            } else if (current != null) {
                current.add(raw);
            }
        }
        throw new MalformedBatch("the multipart answer ends before its closing boundary");
    }

    private static void part(List<String> lines, List<Response> out) throws MalformedBatch {
        Map<String, String> mime = new LinkedHashMap<>();
        int i = readHeaders(lines, 0, mime);
        List<String> content = lines.subList(i, lines.size());
        String nested = boundary(mime.get("content-type"));
        if (nested != null) {
            parseInto(String.join("\n", content), nested, out);
            return;
        }
        int j = 0;
        while (j < content.size() && content.get(j).isBlank()) {
            j++;
        }
        if (j >= content.size()) {
            throw new MalformedBatch("a part of the answer holds no status line");
        }
        Matcher status = STATUS_LINE.matcher(content.get(j).trim());
        if (!status.matches()) {
            throw new MalformedBatch("a part of the answer has no HTTP status line");
        }
        Map<String, String> headers = new LinkedHashMap<>();
        int k = readHeaders(content, j + 1, headers);
        String body = String.join("\n", content.subList(k, content.size())).strip();
        String contentId = mime.containsKey("content-id") ? mime.get("content-id") : headers.get("content-id");
        out.add(new Response(contentId, Integer.parseInt(status.group(1)), headers, body));
    }

    /** Reads {@code Name: value} lines from {@code start} to the first blank line; returns the index after it. */
    private static int readHeaders(List<String> lines, int start, Map<String, String> into) {
        int i = start;
        for (; i < lines.size(); i++) {
            String line = lines.get(i).stripTrailing();
            if (line.isEmpty()) {
                return i + 1;
            }
            int colon = line.indexOf(':');
            if (colon > 0) {
                into.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
            }
        }
        return i;
    }
}
