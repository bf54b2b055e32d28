package dev.cancellation.actuate;

import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;

/**
 * A bad value of one input of the {@code cancellation} endpoint, naming that input: over HTTP a {@code 400}
 * problem detail whose {@code field} and {@code detail} name it ({@link EndpointProblems}); over other
 * technologies the actuator's own handling of an {@link InvalidEndpointRequestException}.
 *
 * <p>Thread-safety: immutable.
 */
final class InvalidInputException extends InvalidEndpointRequestException {

    private final String field;

    /** {@code detail} says what is wrong with {@code field} and what is expected instead. */
    InvalidInputException(String field, String detail) {
        super(detail, detail);
        this.field = field;
    }

    /** The name of the input (query parameter or body field). */
    String field() {
        return field;
    }
}
