package dev.cancellation.web;

import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The name of a request as the web edge shows it (its task name when requests are registered, the subject of a
 * problem's {@code detail}): its method and matched route pattern, e.g. {@code GET /api/reports/{id}}. Nothing in
 * it is chosen by the client, so task names, and the meter tags made from them, stay bounded by the
 * application's routes:
 *
 * <ul>
 *   <li>a method outside the standard set ({@code GET HEAD POST PUT PATCH DELETE OPTIONS TRACE}) becomes
 *       {@value #UNKNOWN}, as Spring's own {@code DefaultServerRequestObservationConvention} tags it;</li>
 *   <li>a request that matched no route is {@value #UNKNOWN} altogether, the value Spring's observations use for
 *       the {@code uri} of such a request (the method would only multiply one meaningless name).</li>
 * </ul>
 *
 * <p>Thread-safety: stateless; safe from any thread.
 */
public final class RequestNames {

    /** What stands for a non-standard method and for a request that matched no route. */
    public static final String UNKNOWN = "UNKNOWN";

    // Spring's HttpMethod.values(): the methods Spring's observation conventions keep as they are.
    private static final Set<String> STANDARD_METHODS =
            Set.of("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE");

    private RequestNames() {
    }

    /** The method as named in task names: itself when standard (case-sensitive, as HTTP is), else {@value #UNKNOWN}. */
    public static String method(@Nullable String method) {
        return (method != null && STANDARD_METHODS.contains(method)) ? method : UNKNOWN;
    }

    /**
     * The name of a request.
     *
     * @param method the request's method as the client sent it
     * @param pattern the matched route pattern, {@code null} when the request matched none
     * @return {@code "<method> <pattern>"} with the method normalised, or {@value #UNKNOWN} without a pattern
     */
    public static String of(@Nullable String method, @Nullable Object pattern) {
        if (pattern == null) {
            return UNKNOWN;
        }
        return method(method) + " " + pattern;
    }
}
