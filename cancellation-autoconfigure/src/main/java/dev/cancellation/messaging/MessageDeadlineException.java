package dev.cancellation.messaging;

/**
 * A message's deadline header holds something that is not a deadline. The message is not processed (nothing can
 * tell how long its sender waits): the listener edges hand it to the container's error handling as not retryable.
 *
 * <p>Thread-safety: immutable.
 */
public class MessageDeadlineException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String header;
    private final String value;

    /**
     * @param header the header's name
     * @param value the value found (cut to 64 characters)
     * @param destination where the message came from (topic, queue), for the message
     */
    public MessageDeadlineException(String header, String value, String destination) {
        super("Message from '" + destination + "' has a malformed deadline header '" + header + "': '"
                + value + "' (expected epoch milliseconds, e.g. 1796000000000)");
        this.header = header;
        this.value = value;
    }

    /** The header's name. */
    public String header() {
        return header;
    }

    /** The value found in it. */
    public String value() {
        return value;
    }
}
