package dev.cancellation.actuate;

import dev.cancellation.actuate.CancellationEndpoint.TaskDescriptor;
import java.util.Objects;
import org.springframework.boot.actuate.endpoint.SecurityContext;
import org.springframework.boot.actuate.endpoint.annotation.DeleteOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.actuate.endpoint.web.annotation.EndpointWebExtension;

/**
 * The HTTP flavour of {@link CancellationEndpoint}: answers a cancel of an unknown task with a 404 (the actuator
 * turns a {@code null} result of a delete into a 204, which would hide a typo in the id).
 *
 * <p>Thread-safety: stateless; delegates to the thread-safe endpoint.
 */
@EndpointWebExtension(endpoint = CancellationEndpoint.class)
public class CancellationEndpointWebExtension {

    private final CancellationEndpoint delegate;

    /** An extension of {@code delegate}. */
    public CancellationEndpointWebExtension(CancellationEndpoint delegate) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
    }

    /**
     * {@code DELETE /actuator/cancellation/{id}}: cancels the task, see {@link CancellationEndpoint#cancel}.
     *
     * @return 200 with the task's state after the request, or 404 for an unknown id
     */
    @DeleteOperation
    public WebEndpointResponse<TaskDescriptor> cancel(@Selector String id, SecurityContext securityContext) {
        TaskDescriptor task = delegate.cancel(id, securityContext);
        return (task != null) ? new WebEndpointResponse<>(task, WebEndpointResponse.STATUS_OK)
                : new WebEndpointResponse<>(WebEndpointResponse.STATUS_NOT_FOUND);
    }
}
