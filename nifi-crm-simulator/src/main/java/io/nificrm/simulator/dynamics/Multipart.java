package io.nificrm.simulator.dynamics;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Just enough MIME {@code multipart/mixed} for OData {@code $batch}: splitting a body into parts (headers and
 * content), reading an embedded HTTP request, and writing response parts. Line ends may be CRLF or LF on input;
 * output uses CRLF.
 */
final class Multipart {
    private static final Pattern BOUNDARY = Pattern.compile("(?i)boundary\\s*=\\s*(\"([^\"]+)\"|[^;\\s]+)");
    static final String CRLF = "\r\n";

    private Multipart() {
    }

    /** One MIME part: headers with lower-case names, and the content after the blank line. */
    record Part(Map<String, String> headers, String content) {
        String header(String name) {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    /** An HTTP request embedded in an {@code application/http} part. */
    record HttpRequest(String method, String url, Map<String, String> headers, String body) {
    }

    /** The boundary parameter of a multipart content type, or null. */
    static String boundary(String contentType) {
        if (contentType == null || !contentType.toLowerCase(Locale.ROOT).startsWith("multipart/")) {
            return null;
        }
        Matcher m = BOUNDARY.matcher(contentType);
        return m.find() ? (m.group(2) != null ? m.group(2) : m.group(1)) : null;
    }

    /**
     * The parts between {@code --boundary} lines up to {@code --boundary--}.
     *
     * @throws IllegalArgumentException when the body has no delimiter at all or is not closed
     */
    static List<Part> parse(String body, String boundary) {
        String[] lines = body.replace("\r\n", "\n").split("\n", -1);
        String delimiter = "--" + boundary;
        String close = delimiter + "--";
        List<Part> parts = new ArrayList<>();
        List<String> current = null;
        boolean closed = false;
        for (String raw : lines) {
            String line = stripTrailing(raw);
            if (line.equals(close)) {
                if (current != null) {
                    parts.add(part(current));
                }
                closed = true;
                break;
            }
            if (line.equals(delimiter)) {
                if (current != null) {
                    parts.add(part(current));
                }
                current = new ArrayList<>();
            } else if (current != null) {
                current.add(raw);
            }
        }
        if (!closed) {
            throw new IllegalArgumentException("The multipart body is not closed by '" + close + "'.");
        }
        return parts;
    }

    private static Part part(List<String> lines) {
        Map<String, String> headers = new LinkedHashMap<>();
        int i = 0;
        for (; i < lines.size(); i++) {
            String line = stripTrailing(lines.get(i));
            if (line.isEmpty()) {
                i++;
                break;
            }
            int colon = line.indexOf(':');
            if (colon > 0) {
                headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
            }
        }
        return new Part(headers, String.join("\n", lines.subList(Math.min(i, lines.size()), lines.size())));
    }

    /**
     * Reads {@code METHOD URL HTTP/1.1}, headers, a blank line and the body. A {@code Content-ID} header found
     * among the request's own headers is returned with them.
     */
    static HttpRequest request(String content) {
        String[] lines = content.split("\n", -1);
        int i = 0;
        while (i < lines.length && lines[i].isBlank()) {
            i++;
        }
        if (i >= lines.length) {
            throw new IllegalArgumentException("A batch part holds no request line.");
        }
        String[] words = lines[i].trim().split("\\s+");
        if (words.length < 2) {
            throw new IllegalArgumentException("Invalid request line in a batch part: '" + lines[i].trim() + "'.");
        }
        String method = words[0].toUpperCase(Locale.ROOT);
        int urlEnd = words[words.length - 1].toUpperCase(Locale.ROOT).startsWith("HTTP/") ? words.length - 1 : words.length;
        String url = String.join(" ", java.util.Arrays.copyOfRange(words, 1, Math.max(2, urlEnd)));
        Map<String, String> headers = new LinkedHashMap<>();
        i++;
        for (; i < lines.length; i++) {
            String line = stripTrailing(lines[i]);
            if (line.isEmpty()) {
                i++;
                break;
            }
            int colon = line.indexOf(':');
            if (colon > 0) {
                headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
            }
        }
        StringBuilder body = new StringBuilder();
        for (; i < lines.length; i++) {
            body.append(lines[i]).append('\n');
        }
        return new HttpRequest(method, url, headers, body.toString().strip());
    }

    private static String stripTrailing(String s) {
        int end = s.length();
        while (end > 0 && (s.charAt(end - 1) == '\r' || s.charAt(end - 1) == ' ' || s.charAt(end - 1) == '\t')) {
            end--;
        }
        return s.substring(0, end);
    }

    /** The reason phrase of a status code, as Dataverse writes it in batch responses. */
    static String reason(int status) {
        return switch (status) {
            case 200 -> "OK";
            case 201 -> "Created";
            case 204 -> "No Content";
            case 400 -> "Bad Request";
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            case 404 -> "Not Found";
            case 405 -> "Method Not Allowed";
            case 412 -> "Precondition Failed";
            case 413 -> "Payload Too Large";
            case 429 -> "Too Many Requests";
            case 500 -> "Internal Server Error";
            case 503 -> "Service Unavailable";
            default -> "Status " + status;
        };
    }
}
