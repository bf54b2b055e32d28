package dev.cancellation.actuate;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.util.MimeType;

/**
 * The error answers of the {@code cancellation} endpoint over HTTP, as RFC 9457 problem details
 * ({@code application/problem+json}): {@code type}, {@code title}, {@code status}, {@code detail}, and, for a bad
 * input, {@code field}, the name of the query parameter or body field at fault. The actuator's own answer to an
 * invalid request is a bare 400 whose reason appears only when the application includes messages in its error
 * pages; an operator's script needs to know which field to fix.
 *
 * <p>Thread-safety: stateless.
 */
final class EndpointProblems {

    /** The media type of a problem detail. */
    static final MimeType PROBLEM_JSON = MimeType.valueOf("application/problem+json");

    private EndpointProblems() {
    }

    /** A 400 naming the input at fault. */
    static WebEndpointResponse<Object> badInput(InvalidInputException ex) {
        Map<String, Object> body = problem(WebEndpointResponse.STATUS_BAD_REQUEST, "Bad Request", ex.getReason());
        body.put("field", ex.field());
        return new WebEndpointResponse<>(body, WebEndpointResponse.STATUS_BAD_REQUEST, PROBLEM_JSON);
    }

    /** A 404 for an id that names no live or recent task. */
    static WebEndpointResponse<Object> unknownTask(String id) {
        Map<String, Object> body = problem(WebEndpointResponse.STATUS_NOT_FOUND, "Not Found", "No live or recent task "
                + "has id '" + CancellationEndpoint.abbreviate(id) + "'");
        body.put("field", "id");
        return new WebEndpointResponse<>(body, WebEndpointResponse.STATUS_NOT_FOUND, PROBLEM_JSON);
    }

    /**
     * A 503 for a fleet operation that could not reach the fleet; {@code error} and {@code message} are kept from
     * the answer of earlier versions, for scripts that read them.
     */
    static WebEndpointResponse<Object> fleetUnavailable(String message) {
        Map<String, Object> body = problem(WebEndpointResponse.STATUS_SERVICE_UNAVAILABLE, "Service Unavailable",
                message);
        body.put("error", "Service Unavailable");
        body.put("message", message);
        return new WebEndpointResponse<>(body, WebEndpointResponse.STATUS_SERVICE_UNAVAILABLE, PROBLEM_JSON);
    }

    private static Map<String, Object> problem(int status, String title, String detail) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("type", "about:blank");
        body.put("title", title);
        body.put("status", status);
        body.put("detail", detail);
        return body;
    }
}
