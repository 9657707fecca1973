package io.nificrm.simulator.http;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A handler for one method and path pattern of one simulated system.
 *
 * @param system  the system the route belongs to ({@code salesforce}, {@code hubspot}, {@code dynamics}, {@code admin})
 * @param method  HTTP method, or {@code *} for any
 * @param pattern the full path, as a regular expression over the raw (still encoded) path
 * @param name    a short endpoint name used by fault rules and request statistics (e.g. {@code query}, {@code upsert})
 * @param handler the code that answers
 */
public record Route(String system, String method, Pattern pattern, String name, Handler handler) {

    @FunctionalInterface
    public interface Handler {
        SimResponse handle(SimRequest request) throws Exception;
    }

    public static Route of(String system, String method, String regex, String name, Handler handler) {
        return new Route(system, method, Pattern.compile(regex), name, handler);
    }

    Matcher match(String requestMethod, String rawPath) {
        if (!method.equals("*") && !method.equalsIgnoreCase(requestMethod)) {
            return null;
        }
        Matcher m = pattern.matcher(rawPath);
        return m.matches() ? m : null;
    }
}
