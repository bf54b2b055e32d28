package dev.cancellation;

import java.util.List;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * Where failures of cancellation callbacks go: the JVM-wide handler set by
 * {@link Cancellation#setCallbackFailureHandler}, by default a {@code WARNING} through {@link System.Logger}.
 * A report never escapes: if the handler throws, its failure is attached to the report and the report is logged.
 *
 * <p>Thread-safety: {@link #setHandler} and {@link #report} may be called from any thread; the handler is a
 * volatile reference, so a report uses the handler set last (or one set concurrently), and runs on the
 * reporting thread.
 */
final class CallbackFailures {

    private static volatile Consumer<? super CancellationCallbackException> handler = CallbackFailures::log;

    private CallbackFailures() {
    }

    /** Installs {@code newHandler}, or with {@code null} the default logging one. */
    static void setHandler(@Nullable Consumer<? super CancellationCallbackException> newHandler) {
        handler = (newHandler == null) ? CallbackFailures::log : newHandler;
    }

    /** Hands the handler one report of {@code failures}, the callbacks that threw when a token got {@code reason}. */
    static void report(CancellationReason reason, List<Throwable> failures) {
        CancellationCallbackException report = new CancellationCallbackException(reason, failures);
        try {
            handler.accept(report);
        } catch (Throwable handlerFailure) {
            report.addSuppressed(handlerFailure);
            log(report);
        }
    }

    private static void log(CancellationCallbackException report) {
        CancellationLog.LOGGER.log(System.Logger.Level.WARNING, report.getMessage(), report);
    }
}
