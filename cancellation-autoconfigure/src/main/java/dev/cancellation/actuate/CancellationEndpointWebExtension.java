package dev.cancellation.actuate;

import dev.cancellation.actuate.CancellationEndpoint.CancelledTasksDescriptor;
import dev.cancellation.actuate.CancellationEndpoint.TaskDescriptor;
import dev.cancellation.actuate.CancellationEndpoint.TasksDescriptor;
import java.util.Objects;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.actuate.endpoint.web.annotation.EndpointWebExtension;

/**
 * The HTTP flavour of {@link CancellationEndpoint}: every error is a problem detail (RFC 9457,
 * {@code application/problem+json}, see {@link EndpointProblems}) that says what is wrong: a bad input (a missing or
 * blank {@code name}, an {@code interrupt} that is not {@code true} or {@code false}, an unknown {@code state} or
 * {@code scope}) is a 400 whose {@code field} names it; an unknown id is a 404 (the actuator would turn a
 * {@code null} result of a delete into a 204, which would hide a typo in the id); a fleet operation that cannot
 * reach the fleet ({@link FleetUnavailableException}) is a 503 whose {@code detail} says why.
 *
 * <p>The inputs the actuator would check itself ({@code name} required, {@code interrupt} a boolean) are taken as
 * optional text and checked here: the actuator's own answer would be a bare 400 that names nothing.
 *
 * <p>Thread-safety: stateless; delegates to the thread-safe endpoint.
 */
@EndpointWebExtension(endpoint = CancellationEndpoint.class)
public class CancellationEndpointWebExtension {

    /** The HTTP status of an answer that needed the fleet and could not reach it. */
    static final int STATUS_SERVICE_UNAVAILABLE = 503;

    private final CancellationEndpoint delegate;

    /** An extension of {@code delegate}. */
    public CancellationEndpointWebExtension(CancellationEndpoint delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /** {@code GET /actuator/cancellation}: see {@link CancellationEndpoint#tasks(String, String, String)}. */
    @ReadOperation
    public WebEndpointResponse<Object> tasks(@Nullable String name, @Nullable String state, @Nullable String scope) {
        return answer(() -> {
            TasksDescriptor tasks = delegate.tasks(name, state, scope);
            return new WebEndpointResponse<>(tasks, WebEndpointResponse.STATUS_OK);
        });
    }

    /** {@code GET /actuator/cancellation/{id}}: see {@link CancellationEndpoint#task(String)}; 404 if unknown. */
    @ReadOperation
    public WebEndpointResponse<Object> task(@Selector String id) {
        return answer(() -> found(id, delegate.task(id)));
    }

    /**
     * {@code DELETE /actuator/cancellation/{id}}: cancels the task, see {@link CancellationEndpoint#cancel}.
     *
     * @return 200 with the task's state after the request, 404 for an unknown id, 503 if the fleet is unreachable
     */
    @DeleteOperation
    public WebEndpointResponse<Object> cancel(@Selector String id, SecurityContext securityContext) {
        return answer(() -> found(id, delegate.cancel(id, securityContext)));
    }

    /**
     * {@code POST /actuator/cancellation}: see {@link CancellationEndpoint#cancelAll}; {@code name} and
     * {@code interrupt} are checked here, so that a missing name or a malformed flag is a 400 naming the field.
     */
    @WriteOperation
    public WebEndpointResponse<Object> cancelAll(@Nullable String name, @Nullable String interrupt,
            @Nullable String scope, SecurityContext securityContext) {
        return answer(() -> {
            Boolean interruptNow = parseInterrupt(interrupt);
            CancelledTasksDescriptor cancelled = delegate.cancelAll(name, interruptNow, scope, securityContext);
            return new WebEndpointResponse<>(cancelled, WebEndpointResponse.STATUS_OK);
        });
    }

    /** {@code true} or {@code false} (any case, blank for absent), as JSON booleans arrive as their text. */
    private static @Nullable Boolean parseInterrupt(@Nullable String interrupt) {
        if (interrupt == null || interrupt.isBlank()) {
            return null;
        }
        String value = interrupt.trim();
        if ("true".equalsIgnoreCase(value) || "false".equalsIgnoreCase(value)) {
            return Boolean.valueOf(value);
        }
        throw new InvalidInputException("interrupt", "Field 'interrupt' must be true or false, but was '"
                + CancellationEndpoint.abbreviate(interrupt) + "'");
    }

    private static WebEndpointResponse<Object> found(String id, @Nullable TaskDescriptor task) {
        return (task != null) ? new WebEndpointResponse<>(task, WebEndpointResponse.STATUS_OK)
                : EndpointProblems.unknownTask(id);
    }

    private static WebEndpointResponse<Object> answer(Supplier<WebEndpointResponse<Object>> operation) {
        try {
            return operation.get();
        } catch (InvalidInputException ex) {
            return EndpointProblems.badInput(ex);
        } catch (FleetUnavailableException ex) {
            return EndpointProblems.fleetUnavailable(String.valueOf(ex.getMessage()));
        }
    }
}
