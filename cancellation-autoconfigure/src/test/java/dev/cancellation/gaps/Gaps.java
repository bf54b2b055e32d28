package dev.cancellation.gaps;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Shared bounds and Java 21+ helpers of the gap tests. The tests are compiled with {@code --release 17}, so
 * virtual threads are reached reflectively and the tests that need them skip (assumption) on older JVMs.
 */
final class Gaps {

    /** Context close overhead on top of the registry's shutdown bound. */
    static final Duration SLACK = Duration.ofSeconds(3);

    private Gaps() {
    }

    /** Skips the calling test below Java 21. */
    static void assumeVirtualThreads() {
        assumeTrue(Runtime.version().feature() >= 21,
                () -> "virtual threads need Java 21+, this JVM is " + Runtime.version()
                        + " (set CANCELLATION_JDK21_HOME to run the virtual-threads suite on one)");
    }

    /** {@code Executors.newVirtualThreadPerTaskExecutor()}; skips the calling test below Java 21. */
    static ExecutorService newVirtualThreadPerTaskExecutor() {
        assumeVirtualThreads();
        try {
            Method factory = Executors.class.getMethod("newVirtualThreadPerTaskExecutor");
            return (ExecutorService) factory.invoke(null);
        } catch (ReflectiveOperationException ex) {
            throw new IllegalStateException("Java " + Runtime.version() + " should have virtual threads", ex);
        }
    }

    /** {@code thread.isVirtual()}, {@code false} below Java 21. */
    static boolean isVirtual(Thread thread) {
        if (Runtime.version().feature() < 21) {
            return false;
        }
        try {
            return (boolean) Thread.class.getMethod("isVirtual").invoke(thread);
        } catch (ReflectiveOperationException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * The exception {@code future} failed with, as stored: {@code get()} and {@code join()} wrap a
     * {@code CancellationException} (such as a {@code TaskCancelledException}) in a new one on Java 23+.
     */
    static Throwable failureOf(CompletableFuture<?> future) throws Exception {
        Throwable failure = future.handle((value, error) -> error).get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
        while (failure instanceof CompletionException && failure.getCause() != null) {
            failure = failure.getCause();
        }
        if (failure == null) {
            throw new AssertionError("expected " + future + " to fail, but it completed normally");
        }
        return failure;
    }

    /** Runs {@code action} and returns how long it took. */
    static Duration time(Runnable action) {
        long start = System.nanoTime();
        action.run();
        return Duration.ofNanos(System.nanoTime() - start);
    }
}
