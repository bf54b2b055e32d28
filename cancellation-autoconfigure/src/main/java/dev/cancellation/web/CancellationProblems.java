package dev.cancellation.web;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.task.TaskRejectedException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;

/**
 * The RFC 9457 problem details the web edge answers with, and how a failure maps to them:
 *
 * <table>
 *   <caption>Status by cause</caption>
 *   <tr><th>cause</th><th>status</th></tr>
 *   <tr><td>{@code TaskTimeoutException}, the request's own deadline (its reason is the request token's)</td>
 *       <td>{@code 504 Gateway Timeout}, "Request deadline exceeded"</td></tr>
 *   <tr><td>{@code TaskTimeoutException}, a task's own shorter timeout</td>
 *       <td>{@code 504 Gateway Timeout}, "Task timed out"</td></tr>
 *   <tr><td>reason {@code SHUTDOWN}, or {@code TaskRejectedException}</td><td>{@code 503 Service Unavailable}</td></tr>
 *   <tr><td>reason {@code REQUESTED} (an operator, application code, the client)</td><td>{@code 409 Conflict}</td></tr>
 *   <tr><td>malformed deadline header</td><td>{@code 400 Bad Request}</td></tr>
 *   <tr><td>deadline header of 0 or less</td><td>{@code 504 Gateway Timeout}, handler not run</td></tr>
 * </table>
 *
 * <p>A cancellation's body carries the request's name and the reason's kind and time
 * ({@code "reason": {"kind", "at"}}), nothing internal: never the exception's message (it may name a downstream
 * URI with its query string and user-info) nor the reason's origin (an operator, an instance); the reason's
 * message only on request ({@code cancellation.web.problem-details-include-reason-message}). The full story is in
 * the log ({@code DEBUG} on this class) and the task registry.
 *
 * <p>Thread-safety: stateless; safe from any thread.
 */
public final class CancellationProblems {

    private static final Log logger = LogFactory.getLog(CancellationProblems.class);

    /** The media type of the bodies. */
    public static final String MEDIA_TYPE = "application/problem+json";

    /** The title of a request whose own deadline (the caller's budget, the configured default) ran out. */
    public static final String REQUEST_DEADLINE = "Request deadline exceeded";

    private CancellationProblems() {
    }

    /**
     * The cancellation or rejection in {@code failure} or its causes (a future's {@code CompletionException}, a
     * {@code CancellationException} from {@code get()} on Java 23+); {@code null} if there is none.
     */
    public static @Nullable RuntimeException findCancellation(@Nullable Throwable failure) {
        Throwable current = failure;
        for (int depth = 0; current != null && depth < 16; depth++) {
            if (current instanceof TaskCancelledException || current instanceof TaskRejectedException) {
                return (RuntimeException) current;
            }
            current = current.getCause();
        }
        return null;
    }

    /**
     * The problem for a {@link TaskCancelledException} or {@link TaskRejectedException}, without a name and without
     * the reason's message: {@code forFailure(failure, path, null, false)}.
     */
    public static ProblemDetail forFailure(RuntimeException failure, String path) {
        return forFailure(failure, path, null, false);
    }

    /**
     * The problem for a {@link TaskCancelledException} or {@link TaskRejectedException}, not knowing the request's
     * token: {@code forFailure(failure, path, name, includeReasonMessage, null)}, so a timeout is titled
     * "Task timed out".
     */
    public static ProblemDetail forFailure(RuntimeException failure, String path, @Nullable String name,
            boolean includeReasonMessage) {
        return forFailure(failure, path, name, includeReasonMessage, null);
    }

    /**
     * The problem for a {@link TaskCancelledException} or {@link TaskRejectedException}, as a client may see it:
     * the request's name and the reason's kind, nothing internal. The exception's message is never used (for a
     * call made outside a {@code @Cancellable} method it names the downstream URI, query string and user-info
     * included), nor the reason's origin (an operator's name, an instance id); the reason's message only when
     * {@code includeReasonMessage} (it is free text, written by whoever cancelled). The whole story, exception
     * message and origin included, is logged at {@code DEBUG} here and is in the task registry and the task log.
     *
     * @param failure the cancellation or rejection
     * @param path the request's path, the problem's {@code instance}
     * @param name the request's name (its method and route, see {@link RequestNames}), {@code null} if unknown
     * @param includeReasonMessage whether the reason's message goes into {@code detail} and {@code reason.message}
     * @param requestToken the request's own token, {@code null} if unknown: a timeout whose reason is this token's
     *        (the caller's budget or {@code cancellation.web.request-timeout} ran out) is titled
     *        "Request deadline exceeded", any other timeout (a task's own shorter one) "Task timed out"
     */
    public static ProblemDetail forFailure(RuntimeException failure, String path, @Nullable String name,
            boolean includeReasonMessage, @Nullable CancellationToken requestToken) {
        String subject = (name != null) ? name + ": " : "";
        ProblemDetail problem;
        if (failure instanceof TaskCancelledException cancelled && cancelled.reason() != null) {
            CancellationReason reason = cancelled.reason();
            HttpStatus status = statusOf(reason);
            problem = ProblemDetail.forStatusAndDetail(status, subject + reason.kind().name()
                    + (includeReasonMessage ? " (" + reason.message() + ")" : ""));
            problem.setTitle(switch (reason.kind()) {
                case TIMEOUT -> isRequestDeadline(reason, requestToken) ? REQUEST_DEADLINE : "Task timed out";
                case SHUTDOWN -> "Service shutting down";
                case REQUESTED -> "Task cancelled";
            });
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("kind", reason.kind().name());
            if (includeReasonMessage) {
                body.put("message", reason.message());
            }
            body.put("at", reason.at().toString());
            problem.setProperty("reason", body);
        } else {
            problem = ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE,
                    subject + "the service is shutting down and admits no new work");
            problem.setTitle("Service shutting down");
        }
        setInstance(problem, path);
        if (logger.isDebugEnabled()) {
            logger.debug("Answered " + problem.getStatus() + " for " + ((name != null) ? name : path) + ": "
                    + failure);
        }
        return problem;
    }

    /**
     * Whether a timeout is the request's own deadline: the request token carries this very reason (a child inherits
     * its parent's reason instance: a plain handler's wait, a statement, an outbound call, a {@code @Cancellable}
     * call without a shorter timeout), or the request token timed out too (both deadlines fired together).
     */
    static boolean isRequestDeadline(CancellationReason reason, @Nullable CancellationToken requestToken) {
        if (requestToken == null || !reason.isTimeout()) {
            return false;
        }
        CancellationReason requestReason = requestToken.reason().orElse(null);
        return requestReason != null && (requestReason == reason || requestReason.isTimeout());
    }

    /** The status for a reason: 504 timeout, 503 shutdown, 409 requested. */
    public static HttpStatus statusOf(CancellationReason reason) {
        return switch (reason.kind()) {
            case TIMEOUT -> HttpStatus.GATEWAY_TIMEOUT;
            case SHUTDOWN -> HttpStatus.SERVICE_UNAVAILABLE;
            case REQUESTED -> HttpStatus.CONFLICT;
        };
    }

    /** {@code 400}: the deadline header is malformed; names the header and the value. */
    public static ProblemDetail malformedHeader(MalformedDeadlineHeaderException ex, String path) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, ex.getMessage());
        problem.setTitle("Malformed deadline header");
        problem.setProperty("header", ex.header());
        problem.setProperty("value", ex.value());
        setInstance(problem, path);
        return problem;
    }

    /** {@code 504}: the caller's budget was spent before the request arrived. */
    public static ProblemDetail budgetSpent(String header, String value, String path) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.GATEWAY_TIMEOUT,
                "The caller's time budget is spent (" + header + ": " + value + "): the request was not processed");
        problem.setTitle("Deadline exceeded");
        problem.setProperty("header", header);
        problem.setProperty("value", value);
        setInstance(problem, path);
        return problem;
    }

    private static void setInstance(ProblemDetail problem, String path) {
        if (path != null) {
            try {
                problem.setInstance(new URI(null, null, path, null));
            } catch (java.net.URISyntaxException ignored) {
                // no instance then
            }
        }
    }

    /** The problem as UTF-8 JSON: {@code type} (unless {@code about:blank}), title, status, detail, instance, properties. */
    public static byte[] toJson(ProblemDetail problem) {
        Map<String, @Nullable Object> fields = new LinkedHashMap<>();
        if (problem.getType() != null && !"about:blank".equals(problem.getType().toString())) {
            fields.put("type", problem.getType().toString());
        }
        fields.put("title", problem.getTitle());
        fields.put("status", problem.getStatus());
        fields.put("detail", problem.getDetail());
        fields.put("instance", (problem.getInstance() != null) ? problem.getInstance().toString() : null);
        if (problem.getProperties() != null) {
            fields.putAll(problem.getProperties());
        }
        StringBuilder json = new StringBuilder(256);
        write(json, fields);
        return json.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static void write(StringBuilder json, Object value) {
        if (value instanceof Map<?, ?> map) {
            json.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                if (entry.getValue() == null) {
                    continue;
                }
                if (!first) {
                    json.append(',');
                }
                first = false;
                writeString(json, String.valueOf(entry.getKey()));
                json.append(':');
                write(json, entry.getValue());
            }
            json.append('}');
        } else if (value instanceof Number || value instanceof Boolean) {
            json.append(value);
        } else {
            writeString(json, String.valueOf(value));
        }
    }

    private static void writeString(StringBuilder json, String text) {
        json.append('"');
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                case '\n' -> json.append("\\n");
                case '\r' -> json.append("\\r");
                case '\t' -> json.append("\\t");
                default -> {
                    if (c < 0x20) {
                        json.append(String.format("\\u%04x", (int) c));
                    } else {
                        json.append(c);
                    }
                }
            }
        }
        json.append('"');
    }
}
