package dev.cancellation.web;

import dev.cancellation.BudgetFormat;

/**
 * A request's deadline header is not in its format (a decimal number of milliseconds for {@code X-Request-Timeout}).
 * Answered with {@code 400 Bad Request} before the handler runs; the message names the header and the value.
 */
public class MalformedDeadlineHeaderException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String header;
    private final String value;

    /** Creates the exception for the milliseconds header {@code header} whose value is {@code value}. */
    public MalformedDeadlineHeaderException(String header, String value) {
        this(header, value, BudgetFormat.MILLISECONDS);
    }

    /** Creates the exception for the header {@code header} in {@code format} whose value is {@code value}. */
    public MalformedDeadlineHeaderException(String header, String value, BudgetFormat format) {
        super("Malformed " + header + " header '" + value + "': expected " + format.expected());
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
