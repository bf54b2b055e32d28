package dev.cancellation.actuate;

/**
 * A fleet operation could not be carried out because the fleet cannot be reached (for example its Redis server is
 * down) or an instance that may run the task did not answer in time. Answered with a 503 over HTTP; the message
 * names what was unreachable.
 */
public class FleetUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** An exception with the given message. */
    public FleetUnavailableException(String message) {
        super(message);
    }

    /** An exception with the given message and cause. */
    public FleetUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
