package dev.cancellation.web;

/**
 * A request's deadline header is not a decimal number of milliseconds. Answered with {@code 400 Bad Request}
 * before the handler runs; the message names the header and the value.
 */
public class MalformedDeadlineHeaderException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String header;
    private final String value;

    /** Creates the exception for the header {@code header} whose value is {@code value}. */
    public MalformedDeadlineHeaderException(String header, String value) {
        super("Malformed " + header + " header '" + value + "': expected the remaining time in milliseconds as a "
                + "decimal integer, e.g. '" + header + ": 2500'");
        this.header = header;
        this.value = value;
    }

    /** The header's name. */
    public String header() {
        return header;
    }

    /** The value as received. */
    public String value() {
        return value;
    }
}
