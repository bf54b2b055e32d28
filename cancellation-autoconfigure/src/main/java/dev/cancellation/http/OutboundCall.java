package dev.cancellation.http;

import dev.cancellation.BudgetFormat;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.Registration;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import java.io.Closeable;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One outbound HTTP exchange made under a token: the budget it leaves with, and the abort of the exchange when the
 * token is cancelled while it is in flight.
 *
 * <p>{@link #start} refuses a call whose token is already cancelled or whose deadline has already passed, before
 * anything is sent. While open, the call holds one callback on the token; {@link #close()} removes it, so a
 * long-lived token keeps nothing per finished call.
 *
 * <p>The blocking parts of the exchange (sending and waiting for the response, each read of the body) run through
 * {@link #run}. When the token is cancelled, the call is aborted at once, in one of two ways:
 * <ul>
 *   <li>through the client library's own abort, if a hook {@linkplain #attachAbort attached} one while the request
 *       was being sent (Apache HttpClient 5: the request's {@code cancel()}; Jetty: {@code Request.abort});</li>
 *   <li>otherwise by interrupting the thread blocked in {@link #run}, for clients that abort the exchange when the
 *       waiting thread is interrupted (Spring's request factories for the JDK client and Reactor Netty cancel the
 *       pending exchange), and by closing the {@linkplain #attachBody response body} once there is one. The
 *       interrupt is delivered only while the thread is inside {@link #run}, and consumed when it leaves, so it
 *       never reaches the caller's code.</li>
 * </ul>
 * A failure of an aborted (or cancelled) call comes out of {@link #run} as a {@link TaskCancelledException}
 * ({@link TaskTimeoutException} for a deadline) naming the request, with the client's I/O error as its cause.
 *
 * <p>Thread-safety: {@link #run} is called by the thread doing the exchange, one section at a time; the abort
 * runs on the thread that cancels the token (for deadlines the shared timer thread) and only calls the library's
 * non-blocking abort or {@link Thread#interrupt}; {@link #close()} may be called from any thread.
 */
public final class OutboundCall implements AutoCloseable {

    /** A blocking step of an exchange. */
    @FunctionalInterface
    public interface IoAction<T> {
        T run() throws IOException;
    }

    private static final ThreadLocal<@Nullable OutboundCall> SENDING = new ThreadLocal<>();

    private static final int OUTSIDE = 0;
    private static final int INSIDE = 1;
    private static final int INTERRUPTING = 2;
    private static final int INTERRUPTED = 3;

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(OutboundCall.class, "state", int.class);
        } catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final CancellationToken token;
    private final String method;
    private final Object uri;
    private final @Nullable Instant deadline;
    private final long budgetMillis;
    private final @Nullable Registration registration;

    private volatile @Nullable CancellationReason abortedBy;
    private volatile @Nullable Consumer<? super IOException> libraryAbort;
    private volatile @Nullable Closeable body;
    private volatile @Nullable Thread sectionThread;
    @SuppressWarnings("unused")
    private volatile int state;
    private volatile boolean interruptDelivered;
    private volatile @Nullable String budgetHeader;
    private volatile Map<String, BudgetFormat> additionalBudgetHeaders = Map.of();
    private volatile long callerAskedMillis = -1;

    private OutboundCall(CancellationToken token, String method, Object uri, @Nullable Instant deadline,
            long budgetMillis, boolean abortOnCancel) {
        this.token = token;
        this.method = method;
        this.uri = uri;
        this.deadline = deadline;
        this.budgetMillis = budgetMillis;
        this.registration = abortOnCancel ? token.onCancel(this::abort) : null;
    }

    /**
     * Starts a call under {@code token} (not {@link CancellationToken#none()}).
     *
     * @param method the request's method, and
     * @param uri its URI: what is called, for messages ({@code "GET http://stock/items"})
     * @param abortOnCancel whether cancelling the token aborts the exchange
     * @throws TaskCancelledException if the token is already cancelled: nothing must be sent
     * @throws TaskTimeoutException if its deadline has passed (less than a millisecond is left)
     */
    public static OutboundCall start(CancellationToken token, String method, Object uri, boolean abortOnCancel) {
        Objects.requireNonNull(token, "token");
        CancellationReason reason = token.reason().orElse(null);
        if (reason != null) {
            throw TaskCancelledException.of(reason, method + " " + uri + " not sent");
        }
        Instant deadline = token.deadline().orElse(null);
        long budget = -1;
        if (deadline != null) {
            budget = millisUntil(deadline);
            if (budget <= 0) {
                throw new TaskTimeoutException(CancellationReason.deadlineExceeded(deadline),
                        method + " " + uri + " not sent");
            }
        }
        return new OutboundCall(token, method, uri, deadline, budget, abortOnCancel);
    }

    /** The call whose request is being sent on this thread, for hooks inside a client library; {@code null} if none. */
    public static @Nullable OutboundCall sending() {
        return SENDING.get();
    }

    /** The token the call was made under. */
    public CancellationToken token() {
        return token;
    }

    /** Whole milliseconds left when the call started, or {@code -1} if the token has no deadline. */
    public long budgetMillis() {
        return budgetMillis;
    }

    /** Whole milliseconds left now (at least 1), or {@code -1} if the token has no deadline. */
    public long remainingMillis() {
        return (deadline == null) ? -1 : Math.max(1, millisUntil(deadline));
    }

    /**
     * Name of the header this call sends its budget in; {@code null} if it sends none (no deadline, propagation
     * off, or a host not among {@code cancellation.http.client.deadline-header-hosts}).
     */
    public @Nullable String budgetHeader() {
        return budgetHeader;
    }

    /**
     * The budget header's value as of now: the whole milliseconds left (rounded down, at least 1), or the smaller
     * value the caller put on the request itself; {@code null} if the call sends no header. Client hooks call it
     * again when the request leaves (after a wait for a pooled connection, the connect and the TLS handshake), so
     * that the downstream is not promised the time spent before.
     */
    public @Nullable String budgetHeaderValue() {
        Instant end = deadline;
        if (budgetHeader == null || end == null) {
            return null;
        }
        long left = Math.max(1, millisUntil(end));
        long asked = callerAskedMillis;
        return Long.toString((asked >= 0 && asked < left) ? asked : left);
    }

    /**
     * The headers besides {@link #budgetHeader()} that carry the budget (a mesh's), each with the budget the request
     * sends in {@link #budgetHeader()}, in its format; empty if the call sends none. Client hooks set them wherever
     * they set the budget header, from the value that header has on the outgoing request then, so that every header
     * tells the same budget.
     *
     * @param sentMillis the budget header's value on the outgoing request; {@code null} if it has none
     */
    public Map<String, String> additionalBudgetHeaders(@Nullable String sentMillis) {
        Map<String, BudgetFormat> headers = additionalBudgetHeaders;
        if (headers.isEmpty() || budgetHeader == null || sentMillis == null) {
            return Map.of();
        }
        long millis;
        try {
            millis = BudgetFormat.MILLISECONDS.toMillis(sentMillis.trim());
        } catch (IllegalArgumentException ex) {
            return Map.of(); // not a budget: nothing to repeat
        }
        Map<String, String> values = new LinkedHashMap<>();
        headers.forEach((name, format) -> values.put(name, format.format(millis)));
        return values;
    }

    /** The call sends its budget in {@code header}, and in {@code additionalHeaders}. */
    void sendBudgetIn(String header, Map<String, BudgetFormat> additionalHeaders) {
        this.budgetHeader = header;
        this.additionalBudgetHeaders = additionalHeaders;
    }

    /** Remembers the value of the budget header that the caller put on the request, if it is a number. */
    void keepCallerValue(@Nullable String existing) {
        if (existing != null) {
            try {
                long asked = Long.parseLong(existing.trim());
                if (asked >= 0) {
                    callerAskedMillis = asked;
                }
            } catch (NumberFormatException ignored) {
                // not ours to keep: replaced by the real budget
            }
        }
    }

    /** Whether the caller asked for less than is left now (its value is then kept). */
    boolean callerAskedLess() {
        long asked = callerAskedMillis;
        return asked >= 0 && deadline != null && asked < Math.max(1, millisUntil(deadline));
    }

    /**
     * Runs one blocking step of the exchange (sending, waiting, reading) so that a cancellation aborts it.
     *
     * @param sending {@code true} for the step that sends the request: hooks may then {@link #attachAbort} to it
     * @throws TaskCancelledException if the call was aborted (also before the step started), with the client's
     *     failure as the cause
     * @throws IOException the client's failure, if the call was not cancelled
     */
    public <T> T run(IoAction<T> action, boolean sending) throws IOException {
        if (registration == null) {
            if (!sending) {
                return action.run();
            }
            // no abort, but hooks still find the call (the budget header set when the request leaves)
            OutboundCall outer = SENDING.get();
            SENDING.set(this);
            try {
                return action.run();
            } finally {
                SENDING.set(outer);
            }
        }
        throwIfAborted(null);
        sectionThread = Thread.currentThread();
        boolean inside = STATE.compareAndSet(this, OUTSIDE, INSIDE);
        OutboundCall outer = sending ? SENDING.get() : null;
        if (sending) {
            SENDING.set(this);
        }
        try {
            throwIfAborted(null);
            T result = action.run();
            // an aborted body may just end (a stream closed under the reader reads as its end): never hand out
            // a truncated body or a response that raced with the abort as if the call had succeeded
            throwIfAborted(null);
            return result;
        } catch (IOException | RuntimeException ex) {
            throwIfAborted(ex);
            throw ex;
        } finally {
            if (sending) {
                SENDING.set(outer); // set(null), not remove(): cheaper, and the entry is reused by the next call
            }
            if (inside) {
                leave();
            }
        }
    }

    /**
     * Attaches the client library's own abort of the exchange being sent: a cancellation then calls it (once,
     * with an {@link ExchangeAbortedException}) instead of interrupting the thread. Called from inside the sending
     * step, by hooks that find the call with {@link #sending()}. If the token is already cancelled, aborts at once.
     */
    public void attachAbort(Consumer<? super IOException> abort) {
        Objects.requireNonNull(abort, "abort");
        libraryAbort = abort;
        CancellationReason reason = abortedBy;
        if (reason != null) {
            abort.accept(new ExchangeAbortedException(reason));
        }
    }

    /**
     * The exception to throw instead of {@code failure} if the token has been cancelled: a
     * {@link TaskCancelledException} naming the request, {@code failure} as its cause; {@code null} if the token is
     * not cancelled (throw {@code failure} itself).
     */
    public @Nullable TaskCancelledException cancellation(Throwable failure) {
        if (failure instanceof TaskCancelledException cancelled) {
            return cancelled;
        }
        CancellationReason reason = reasonIfCancelled();
        return (reason == null) ? null : cancelled(reason, failure);
    }

    /**
     * Attaches the response body, which a cancellation then closes (after the interrupt, for clients without a
     * library abort): some clients' body streams do not wake up on an interrupt but do on a close from another
     * thread (Spring's Reactor Netty response), and closing also gives up the connection when the caller is not
     * blocked at that moment. If the token is already cancelled, closes it at once.
     */
    public void attachBody(Closeable body) {
        this.body = body;
        if (abortedBy != null) {
            closeQuietly(body);
        }
    }

    /**
     * Throws the cancellation naming the request if the token has been cancelled, or its deadline has passed, since
     * the call started: for hooks that run when the request leaves, after a wait for a connection.
     */
    public void throwIfCancelled() {
        throwIfAborted(null);
    }

    /** Whether the call's token has been cancelled (so the exchange is, or is to be, aborted). */
    public boolean isCancelled() {
        return reasonIfCancelled() != null;
    }

    /** Ends the call: its callback leaves the token; a later cancellation no longer aborts anything. Idempotent. */
    @Override
    public void close() {
        if (registration != null) {
            registration.close();
        }
        libraryAbort = null;
        body = null;
    }

    @Override
    public String toString() {
        return "OutboundCall[" + method + " " + uri + ", budget " + budgetMillis + " ms]";
    }

    private void throwIfAborted(@Nullable Throwable failure) {
        CancellationReason reason = reasonIfCancelled();
        if (reason != null) {
            if (failure instanceof TaskCancelledException cancelled) {
                throw cancelled;
            }
            throw cancelled(reason, failure);
        }
    }

    /**
     * The reason the call stops: the token's, or, once its deadline has passed (less than a millisecond left) but
     * its timer has not fired yet, a deadline reason, so that a client timeout that was lowered to the budget and
     * fires first is reported as the timeout it is.
     */
    private @Nullable CancellationReason reasonIfCancelled() {
        CancellationReason reason = abortedBy;
        if (reason == null) {
            reason = token.reason().orElse(null);
        }
        if (reason == null && deadline != null && millisUntil(deadline) <= 0) {
            reason = CancellationReason.deadlineExceeded(deadline);
        }
        return reason;
    }

    private TaskCancelledException cancelled(CancellationReason reason, @Nullable Throwable failure) {
        TaskCancelledException cancelled = TaskCancelledException.of(reason, method + " " + uri);
        if (failure != null) {
            cancelled.initCause(failure);
        }
        return cancelled;
    }

    /** Runs on the cancelling thread. */
    private void abort(CancellationReason reason) {
        abortedBy = reason;
        Consumer<? super IOException> abort = libraryAbort;
        if (abort != null) {
            abort.accept(new ExchangeAbortedException(reason));
            return;
        }
        if (STATE.compareAndSet(this, INSIDE, INTERRUPTING)) {
            try {
                Thread thread = sectionThread;
                if (thread != null && !thread.isInterrupted()) {
                    interruptDelivered = true;
                    thread.interrupt();
                }
            } finally {
                state = INTERRUPTED;
            }
        }
        Closeable open = body;
        if (open != null) {
            closeQuietly(open);
        }
    }

    private static void closeQuietly(Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException | RuntimeException ignored) {
            // aborting: the exchange is given up anyway
        }
    }

    /** Leaves a step; consumes the interrupt that the abort delivered, if it did. */
    private void leave() {
        if (STATE.compareAndSet(this, INSIDE, OUTSIDE)) {
            return;
        }
        while (state == INTERRUPTING) {
            Thread.onSpinWait();
        }
        if (interruptDelivered) {
            interruptDelivered = false;
            Thread.interrupted();
        }
        state = OUTSIDE;
    }

    private static long millisUntil(Instant deadline) {
        Duration left = Duration.between(Instant.now(), deadline);
        if (left.isNegative()) {
            return 0;
        }
        return (left.getSeconds() >= Long.MAX_VALUE / 1000 - 1) ? Long.MAX_VALUE : left.toMillis();
    }
}
