package dev.cancellation;

import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Binding tokens to running code, and the helpers for the patterns reached for first: run with a timeout, race,
 * cancellable sleep and await, shielded cleanup, opt-in interrupts.
 *
 * <h2>Binding</h2>
 * {@link #bind(CancellationToken, Runnable)} and {@link #enter(CancellationToken)} make a token
 * {@link CancellationToken#current()} for the calling thread until the call returns or the scope closes, then
 * restore the previous one; binds nest. The binding is a thread-local: it is not inherited by threads started
 * from the bound code; wrap tasks with {@link #wrap(CancellationToken, Runnable)} or use context propagation.
 *
 * <h2>Helpers</h2>
 * <ul>
 *   <li>{@link #withTimeout}: run with a child token that times out (tokio's {@code timeout}, Go's
 *       {@code WithTimeout});</li>
 *   <li>{@link #raceAsync} / {@link #race}: first successful result wins, the others are cancelled (tokio's
 *       {@code select!});</li>
 *   <li>{@link #sleep} and {@link #await}: waits that return early with {@link TaskCancelledException} when the
 *       current token is cancelled;</li>
 *   <li>{@link #shielded}: cleanup with a fresh token and its own time bound, even inside a cancelled scope
 *       (Kotlin's {@code NonCancellable}, Go's {@code WithoutCancel});</li>
 *   <li>{@link #interruptOnCancel}: opt-in interrupts for code blocked in interruptible calls.</li>
 * </ul>
 *
 * <p>All methods are static and safe to call from any thread.
 */
public final class Cancellation {

    private Cancellation() {
    }

    // ------------------------------------------------------------------------------------------- binding
    // The thread-local itself is the token's (CancellationToken.current() reads it); these are its writers.

    /** Throws if the current token is cancelled: a checkpoint for loops. Same as {@code current().throwIfCancelled()}. */
    public static void checkpoint() {
        CancellationToken token = CancellationToken.boundOrNull();
        if (token != null) {
            token.throwIfCancelled();
        }
    }

    /**
     * Makes {@code token} current on this thread until the returned scope is closed, which restores the token
     * that was current before (nothing, if none was). Close scopes in reverse order, on the same thread (use
     * try-with-resources); closing a scope twice does nothing.
     */
    public static Scope enter(CancellationToken token) {
        Objects.requireNonNull(token, "token");
        CancellationToken previous = CancellationToken.boundOrNull();
        CancellationToken.bind(token);
        return new Scope(previous);
    }

    /** Runs {@code action} with {@code token} as the current token, restoring the previous one afterwards. */
    public static void bind(CancellationToken token, Runnable action) {
        try (Scope ignored = enter(token)) {
            action.run();
        }
    }

    /** Calls {@code action} with {@code token} as the current token, restoring the previous one afterwards. */
    public static <T extends @Nullable Object> T bind(CancellationToken token, Callable<T> action) throws Exception {
        try (Scope ignored = enter(token)) {
            return action.call();
        }
    }

    /** A runnable that runs {@code action} with {@code token} bound, on whatever thread runs it. */
    public static Runnable wrap(CancellationToken token, Runnable action) {
        Objects.requireNonNull(token, "token");
        Objects.requireNonNull(action, "action");
        return () -> bind(token, action);
    }

    /**
     * The token bound to this thread, {@code null} if none: the raw value for context-propagation integrations,
     * which must restore it with {@link #restore(CancellationToken)}.
     */
    public static @Nullable CancellationToken boundTokenOrNull() {
        return CancellationToken.boundOrNull();
    }

    /**
     * Sets (or with {@code null}, clears) the token bound to this thread without a scope. Meant for
     * context-propagation integrations that save and restore thread-local values themselves; application code
     * should use {@link #enter} or {@link #bind}.
     */
    public static void restore(@Nullable CancellationToken token) {
        CancellationToken.bind(token);
    }

    /** A binding made by {@link #enter}; closing it restores the previous token. */
    public static final class Scope implements AutoCloseable {

        private final @Nullable CancellationToken previous;
        private boolean closed;

        private Scope(@Nullable CancellationToken previous) {
            this.previous = previous;
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            restore(previous);
        }
    }

    // ------------------------------------------------------------------------------------------- helpers

    /**
     * Runs {@code operation} on this thread with a child of the current token that times out after
     * {@code timeout}, bound as the current token (Rust's {@code tokio::time::timeout}, Go's
     * {@code context.WithTimeout}). The child's source is closed when the operation returns, so nothing is left
     * behind in the current token or the timer.
     *
     * <p>The operation must cooperate: Java cannot stop it from outside. If it completes normally, its result is
     * returned even if the timeout passed meanwhile. If it throws after its token was cancelled (typically a
     * {@link TaskCancelledException} from a checkpoint), a {@link TaskCancelledException} of the matching type is
     * thrown with the reason, the original exception as its cause.
     *
     * @throws TaskTimeoutException if the operation stopped because the timeout passed
     * @throws TaskCancelledException if it stopped because an enclosing token was cancelled
     * @throws IllegalArgumentException if {@code timeout} is negative
     */
    public static <T extends @Nullable Object> T withTimeout(Duration timeout,
            Function<? super CancellationToken, ? extends T> operation) {
        Objects.requireNonNull(timeout, "timeout");
        Objects.requireNonNull(operation, "operation");
        return callBound(CancellationSource.childOf(CancellationToken.current(), timeout), operation);
    }

    /**
     * Calls {@code operation} with the token of {@code source} bound, then closes the source; a failure after the
     * token was cancelled is {@linkplain #translate translated}.
     */
    private static <T extends @Nullable Object> T callBound(CancellationSource source,
            Function<? super CancellationToken, ? extends T> operation) {
        try (source; Scope ignored = enter(source.token())) {
            try {
                return operation.apply(source.token());
            } catch (RuntimeException ex) {
                throw translate(source.token(), ex);
            }
        }
    }

    /** The failure to throw: a {@link TaskCancelledException} with the reason if the token was cancelled. */
    static RuntimeException translate(CancellationToken token, RuntimeException failure) {
        CancellationReason reason = token.reason().orElse(null);
        if (reason == null
                || (failure instanceof TaskCancelledException cancelled && cancelled.reason() == reason)) {
            return failure;
        }
        TaskCancelledException translated = TaskCancelledException.of(reason);
        translated.initCause(failure);
        return translated;
    }

    /**
     * Runs the operations concurrently on {@code executor} and completes with the first result that succeeds, like
     * Rust's {@code select!}.
     *
     * <ul>
     *   <li>Each operation gets its own token, a descendant of the current token, passed to it and bound as
     *       current while it runs.</li>
     *   <li>The first operation to <em>return</em> wins, even with {@code null}; one that throws does not win
     *       while another may still succeed.</li>
     *   <li>As soon as the future completes, the tokens of all operations are cancelled (reason
     *       {@code REQUESTED}, origin {@code "race"}). Losers are not waited for: they may still be running
     *       (cooperatively stopping) when the future completes.</li>
     *   <li>If every operation fails, the future fails with the first failure, the others attached as
     *       suppressed.</li>
     *   <li>If the current token is (or becomes) cancelled first, every operation is cancelled with its reason
     *       and the future fails with a {@link TaskCancelledException} carrying it.</li>
     * </ul>
     *
     * @throws IllegalArgumentException if {@code operations} is empty
     * @throws java.util.concurrent.RejectedExecutionException if the executor rejects an operation; those already
     *     started are cancelled
     */
    public static <T extends @Nullable Object> CompletableFuture<T> raceAsync(Executor executor,
            List<? extends Function<? super CancellationToken, ? extends T>> operations) {
        return Race.start(executor, operations);
    }

    /**
     * {@link #raceAsync} on the calling thread's behalf: waits for the winner (cancellably, see {@link #await})
     * and returns its result.
     *
     * @throws CompletionException wrapping the first failure if every operation failed
     * @throws TaskCancelledException if the current token is cancelled first
     * @throws InterruptedException if the thread is interrupted while waiting
     */
    public static <T extends @Nullable Object> T race(Executor executor,
            List<? extends Function<? super CancellationToken, ? extends T>> operations) throws InterruptedException {
        return await(raceAsync(executor, operations));
    }

    /**
     * Sleeps for {@code duration}, returning early with a {@link TaskCancelledException} as soon as the current
     * token is cancelled (at once if it already is), like tokio's {@code select!} over {@code sleep} and
     * {@code cancelled()}. A drop-in for {@link Thread#sleep}; a zero or negative duration only checks the token.
     * Parks the thread (a virtual thread unmounts) and holds a callback on the token only while sleeping.
     *
     * @throws TaskCancelledException if the current token is (or becomes) cancelled
     * @throws InterruptedException if the thread is interrupted
     */
    public static void sleep(Duration duration) throws InterruptedException {
        sleep(duration, CancellationToken.current());
    }

    /** Like {@link #sleep(Duration)}, observing the given token. */
    public static void sleep(Duration duration, CancellationToken token) throws InterruptedException {
        CancellableWaits.sleep(duration, token);
    }

    /**
     * Waits for {@code future} and returns its result, returning early with a {@link TaskCancelledException} as
     * soon as the current token is cancelled. The future itself is not cancelled: cancel it if its work should
     * stop too. A plain {@link Future} offers no completion callback, so it is polled every 10 ms; prefer
     * {@link #await(CompletableFuture)} or {@link #await(CompletionStage)} where possible.
     *
     * @throws TaskCancelledException if the current token is (or becomes) cancelled first
     * @throws CompletionException wrapping the future's failure
     * @throws CancellationException if the future itself was cancelled
     * @throws InterruptedException if the thread is interrupted
     */
    public static <T extends @Nullable Object> T await(Future<T> future) throws InterruptedException {
        return await(future, CancellationToken.current());
    }

    /**
     * Waits for {@code future} and returns its result, returning early with a {@link TaskCancelledException} as
     * soon as the current token is cancelled; like {@code future.join()}, but cancellable. The future itself is
     * not cancelled. Each call adds a small completion action to the future, kept until the future completes.
     *
     * @throws TaskCancelledException if the current token is (or becomes) cancelled first
     * @throws CompletionException wrapping the future's failure
     * @throws CancellationException if the future itself was cancelled
     * @throws InterruptedException if the thread is interrupted
     */
    public static <T extends @Nullable Object> T await(CompletableFuture<T> future) throws InterruptedException {
        return await(future, CancellationToken.current());
    }

    /**
     * Waits for {@code stage} and returns its result, returning early with a {@link TaskCancelledException} as
     * soon as the current token is cancelled. See {@link #await(CompletableFuture)}.
     */
    public static <T extends @Nullable Object> T await(CompletionStage<T> stage) throws InterruptedException {
        return await(stage, CancellationToken.current());
    }

    /** Like {@link #await(Future)}, observing the given token. */
    public static <T extends @Nullable Object> T await(Future<T> future, CancellationToken token)
            throws InterruptedException {
        return CancellableWaits.await(future, token);
    }

    /** Like {@link #await(CompletableFuture)}, observing the given token. */
    public static <T extends @Nullable Object> T await(CompletableFuture<T> future, CancellationToken token)
            throws InterruptedException {
        return CancellableWaits.await(future, token);
    }

    /** Like {@link #await(CompletionStage)}, observing the given token. */
    public static <T extends @Nullable Object> T await(CompletionStage<T> stage, CancellationToken token)
            throws InterruptedException {
        return CancellableWaits.await(stage, token);
    }

    /**
     * Runs cleanup code that must not be cut short by the cancellation it is cleaning up after: the operation
     * gets a fresh root token (not a child of the current one) that times out after {@code bound}, bound as the
     * current token, so it can call cancellable code (Kotlin's {@code withContext(NonCancellable)}, Go's
     * {@code context.WithoutCancel} plus a timeout). The previous token is current again afterwards. Only the
     * bound can cancel the shielded token; the operation must still cooperate with it.
     *
     * @throws TaskTimeoutException if the operation stopped because {@code bound} passed
     * @throws IllegalArgumentException if {@code bound} is negative
     */
    public static <T extends @Nullable Object> T shielded(Duration bound,
            Function<? super CancellationToken, ? extends T> operation) {
        Objects.requireNonNull(bound, "bound");
        Objects.requireNonNull(operation, "operation");
        return callBound(CancellationSource.withTimeout(bound), operation);
    }

    /** {@link #shielded(Duration, Function)} for cleanup that returns nothing. */
    public static void shielded(Duration bound, Consumer<? super CancellationToken> operation) {
        Objects.requireNonNull(operation, "operation");
        shielded(bound, token -> {
            operation.accept(token);
            return null;
        });
    }

    /**
     * Opts in to interrupts: when {@code token} is cancelled (or at once, if it already is), the calling thread
     * is interrupted, so that code blocked in interruptible I/O or a blocking queue wakes up. Cooperative
     * cancellation stays the default; this is the escalation path. Close the scope on the same thread
     * (try-with-resources); an interrupt this scope delivered is then consumed, so a pooled thread is not left
     * interrupted, while an interrupt someone else delivered before is preserved. See {@link InterruptScope}.
     */
    public static InterruptScope interruptOnCancel(CancellationToken token) {
        return new InterruptScope(token, Duration.ZERO);
    }

    /**
     * Like {@link #interruptOnCancel(CancellationToken)}, but interrupts only if the scope is still open
     * {@code grace} after the cancellation (timed by the shared timer): code that honours the token in time is
     * never interrupted.
     *
     * @throws IllegalArgumentException if {@code grace} is negative
     */
    public static InterruptScope interruptOnCancel(CancellationToken token, Duration grace) {
        return new InterruptScope(token, grace);
    }

    // ------------------------------------------------------------------------------------------- failures

    /**
     * Replaces the JVM-wide handler that receives failures of cancellation callbacks: one
     * {@link CancellationCallbackException} per cancellation, each failure attached as suppressed, after all the
     * callbacks of that cancellation have run. The default logs them at {@code WARNING} through
     * {@link System.Logger}; {@code null} restores it. The handler runs on the cancelling thread; if it throws,
     * the report is logged instead and {@code cancel} still does not throw.
     */
    public static void setCallbackFailureHandler(@Nullable Consumer<? super CancellationCallbackException> handler) {
        CallbackFailures.setHandler(handler);
    }
}
