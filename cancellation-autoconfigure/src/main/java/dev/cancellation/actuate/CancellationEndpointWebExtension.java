package dev.cancellation.actuate;

import dev.cancellation.actuate.CancellationEndpoint.CancelledTasksDescriptor;
import dev.cancellation.actuate.CancellationEndpoint.TaskDescriptor;
import dev.cancellation.actuate.CancellationEndpoint.TasksDescriptor;
import java.util.LinkedHashMap;
import java.util.Map;
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
 * The HTTP flavour of {@link CancellationEndpoint}: answers a cancel of an unknown task with a 404 (the actuator
 * turns a {@code null} result of a delete into a 204, which would hide a typo in the id), and a fleet operation
 * that cannot reach the fleet ({@link FleetUnavailableException}) with a 503 whose {@code message} says why.
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
        return answer(() -> found(delegate.task(id)));
    }

    /**
     * {@code DELETE /actuator/cancellation/{id}}: cancels the task, see {@link CancellationEndpoint#cancel}.
     *
     * @return 200 with the task's state after the request, 404 for an unknown id, 503 if the fleet is unreachable
     */
    @DeleteOperation
    public WebEndpointResponse<Object> cancel(@Selector String id, SecurityContext securityContext) {
        return answer(() -> found(delegate.cancel(id, securityContext)));
    }

    /** {@code POST /actuator/cancellation}: see {@link CancellationEndpoint#cancelAll}. */
    @WriteOperation
    public WebEndpointResponse<Object> cancelAll(String name, @Nullable Boolean interrupt, @Nullable String scope,
            SecurityContext securityContext) {
        return answer(() -> {
            CancelledTasksDescriptor cancelled = delegate.cancelAll(name, interrupt, scope, securityContext);
            return new WebEndpointResponse<>(cancelled, WebEndpointResponse.STATUS_OK);
        });
    }

    private static WebEndpointResponse<Object> found(@Nullable TaskDescriptor task) {
        return (task != null) ? new WebEndpointResponse<>(task, WebEndpointResponse.STATUS_OK)
                : new WebEndpointResponse<>(WebEndpointResponse.STATUS_NOT_FOUND);
    }

    private static WebEndpointResponse<Object> answer(Supplier<WebEndpointResponse<Object>> operation) {
        try {
            return operation.get();
        } catch (FleetUnavailableException ex) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("status", STATUS_SERVICE_UNAVAILABLE);
            body.put("error", "Service Unavailable");
            body.put("message", ex.getMessage());
            return new WebEndpointResponse<>(body, STATUS_SERVICE_UNAVAILABLE);
        }
    }
}
