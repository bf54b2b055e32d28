package dev.cancellation;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import org.jspecify.annotations.Nullable;

/**
 * The waits behind {@link Cancellation#sleep} and {@link Cancellation#await}: they park the calling thread (a
 * virtual thread unmounts) until the awaited condition holds, and return early with a
 * {@link TaskCancelledException} as soon as the observed token is cancelled, or with an
 * {@link InterruptedException} when the thread is interrupted. The token holds a callback that unparks the
 * waiter only while it waits; a future holds only a small holder that no longer refers to the thread once the
 * wait is over.
 *
 * <p>Thread-safety: every method may be called from any thread, and waits on the calling thread only.
 */
final class CancellableWaits {

    /** A plain {@link Future} offers no completion callback: it is polled this often. */
    private static final long POLL_MILLIS = 10;

    private CancellableWaits() {
    }

    static void sleep(Duration duration, CancellationToken token) throws InterruptedException {
        Objects.requireNonNull(duration, "duration");
        Objects.requireNonNull(token, "token");
        long deadline = System.nanoTime() + saturatedNanos(duration);
        waitUntil(token, () -> System.nanoTime() - deadline >= 0, deadline);
    }

    static <T extends @Nullable Object> T await(Future<T> future, CancellationToken token) throws InterruptedException {
        Objects.requireNonNull(future, "future");
        Objects.requireNonNull(token, "token");
        if (future instanceof CompletableFuture<T> completable) {
            return await(completable, token);
        }
        while (true) {
            token.throwIfCancelled();
            try {
                return future.get(POLL_MILLIS, TimeUnit.MILLISECONDS);
            } catch (TimeoutException notYet) {
                // loop
            } catch (ExecutionException failed) {
                throw new CompletionException(failed.getCause());
            }
        }
    }

    static <T extends @Nullable Object> T await(CompletableFuture<T> future, CancellationToken token)
            throws InterruptedException {
        Objects.requireNonNull(future, "future");
        Objects.requireNonNull(token, "token");
        if (!future.isDone()) {
            // The completion action refers to a holder, not the thread, so a future that outlives this wait
            // neither keeps the thread reachable nor unparks it later.
            Waiter waiter = new Waiter(Thread.currentThread());
            future.whenComplete((result, failure) -> waiter.wake());
            try {
                waitUntil(token, future::isDone, Long.MIN_VALUE);
            } finally {
                waiter.thread = null;
            }
        } else {
            token.throwIfCancelled();
        }
        return future.join();
    }

    static <T extends @Nullable Object> T await(CompletionStage<T> stage, CancellationToken token)
            throws InterruptedException {
        Objects.requireNonNull(stage, "stage");
        CompletableFuture<T> future;
        try {
            future = stage.toCompletableFuture(); // itself for a CompletableFuture; a live copy for a minimal stage
        } catch (UnsupportedOperationException optional) {
            future = null; // the method is optional for other implementations
        }
        if (future != null) {
            return await(future, token);
        }
        CompletableFuture<T> copy = new CompletableFuture<>();
        stage.whenComplete((result, failure) -> {
            if (failure != null) {
                copy.completeExceptionally(failure);
            } else {
                copy.complete(result);
            }
        });
        return await(copy, token);
    }

    /** What a future's completion action refers to instead of the waiting thread. */
    private static final class Waiter {
        volatile @Nullable Thread thread;

        Waiter(Thread thread) {
            this.thread = thread;
        }

        void wake() {
            Thread waiting = thread;
            if (waiting != null) {
                LockSupport.unpark(waiting);
            }
        }
    }

    private interface Condition {
        boolean done();
    }

    /** Parks until {@code done}, the deadline ({@code Long.MIN_VALUE} for none), cancellation or interrupt. */
    private static void waitUntil(CancellationToken token, Condition done, long deadlineNanos)
            throws InterruptedException {
        token.throwIfCancelled();
        Thread waiter = Thread.currentThread();
        try (Registration ignored = token.onCancel(reason -> LockSupport.unpark(waiter))) {
            while (true) {
                token.throwIfCancelled();
                if (Thread.interrupted()) {
                    throw new InterruptedException();
                }
                if (done.done()) {
                    return;
                }
                if (deadlineNanos == Long.MIN_VALUE) {
                    LockSupport.park(token);
                } else {
                    long remaining = deadlineNanos - System.nanoTime();
                    if (remaining <= 0) {
                        return;
                    }
                    LockSupport.parkNanos(token, remaining);
                }
            }
        }
    }

    /** {@code duration} in nanoseconds: 0 if negative, capped so that adding it to {@code nanoTime()} is safe. */
    private static long saturatedNanos(Duration duration) {
        if (duration.isNegative()) {
            return 0;
        }
        try {
            return Math.min(duration.toNanos(), Long.MAX_VALUE / 4);
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE / 4;
        }
    }
}
