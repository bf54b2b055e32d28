package dev.cancellation.cluster;

import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.util.ClassUtils;

/**
 * The wire's limits, enforced where an operator's input enters the fleet: a task id or name that no peer would
 * accept is refused at once as a bad request (a 400 from the endpoint), not broadcast to peers that drop it and
 * answered, after the request timeout, with a 503.
 *
 * <p>Thread-safety: stateless.
 */
final class FleetLimits {

    /** The actuator is optional: without it (a fleet used without the endpoint) the error is a plain one. */
    private static final boolean ACTUATOR = ClassUtils.isPresent(
            "org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException",
            FleetLimits.class.getClassLoader());

    private FleetLimits() {
    }

    /**
     * @throws RuntimeException an {@code InvalidEndpointRequestException} (a 400 over HTTP) where the actuator is
     *     present, an {@link IllegalArgumentException} otherwise, if {@code value} is blank or longer than
     *     {@link FleetWire#MAX_ID_LENGTH}
     */
    static void requireFits(String what, String value) {
        if (value.isBlank() || value.length() > FleetWire.MAX_ID_LENGTH) {
            String message = "A " + what + " of " + value.length() + " characters ('" + FleetWire.abbreviate(value)
                    + "') cannot be sent to the fleet: it must be non-blank and at most " + FleetWire.MAX_ID_LENGTH
                    + " characters";
            throw ACTUATOR ? ActuatorErrors.badRequest(message) : new IllegalArgumentException(message);
        }
    }

    /** Loaded only where the actuator is present. */
    private static final class ActuatorErrors {

        static RuntimeException badRequest(String message) {
            return new InvalidEndpointRequestException(message, message);
        }
    }
}
