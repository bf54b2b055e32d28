package dev.cancellation.cluster;

/**
 * Another live instance of the fleet has this instance's id: two instances under one id would answer for each
 * other's tasks and overwrite each other's heartbeat. The message names the id and the property to set.
 *
 * <p>Thread-safety: immutable.
 */
public final class DuplicateInstanceException extends IllegalStateException {

    private static final long serialVersionUID = 1L;

    DuplicateInstanceException(String message) {
        super(message);
    }
}
