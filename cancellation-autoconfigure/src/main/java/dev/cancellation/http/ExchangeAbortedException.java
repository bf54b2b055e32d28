package dev.cancellation.http;

import dev.cancellation.CancellationReason;
import java.io.IOException;
import java.util.Objects;

/**
 * The I/O failure with which an in-flight HTTP exchange is aborted when the token it was made under is cancelled:
 * handed to the client library's own abort ({@code Request.abort} of Jetty) so that the blocked caller wakes up
 * with it. Callers never see it at the top: it is the cause of the {@code TaskCancelledException} thrown instead.
 */
public class ExchangeAbortedException extends IOException {

    private static final long serialVersionUID = 1L;

    private final transient CancellationReason reason;

    /** An abort for the given cancellation. */
    public ExchangeAbortedException(CancellationReason reason) {
        super("HTTP exchange aborted: " + Objects.requireNonNull(reason, "reason").describe());
        this.reason = reason;
    }

    /** Why the exchange was aborted. */
    public CancellationReason reason() {
        return reason;
    }
}
