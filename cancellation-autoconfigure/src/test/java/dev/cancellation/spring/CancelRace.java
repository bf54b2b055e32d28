package dev.cancellation.spring;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.CancellationToken;
import java.time.Duration;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Runs {@code n} calls at once, each on its own virtual thread and under a parent token of its own, while about
 * half the parents are cancelled from other virtual threads after a random number of yields, so cancels race
 * the calls' start, their checkpoints and their completion. Thread-safe results; one race per instance.
 */
final class CancelRace {

    /** The call under test: runs with the parent token current. */
    @FunctionalInterface
    interface Call {
        Object run(int index) throws Throwable;
    }

    /** The reason every racing cancel uses, so a call can tell it from any other. */
    static final String MESSAGE = "racing cancel";

    final int n;
    final long seed;
    final boolean[] cancelRequested;
    final AtomicReferenceArray<Object> outcomes;
    final AtomicInteger onVirtualThreads = new AtomicInteger();

    CancelRace(int n, long seed) {
        this.n = n;
        this.seed = seed;
        this.cancelRequested = new boolean[n];
        this.outcomes = new AtomicReferenceArray<>(n);
    }

    /** Runs the race and waits (bounded) for every call and every canceller to end. */
    CancelRace run(Call call) throws InterruptedException {
        ExecutorService threads = CancellableTestSupport.newVirtualThreadPerTaskExecutor();
        SplittableRandom random = new SplittableRandom(seed);
        CountDownLatch gate = new CountDownLatch(1);
        try {
            for (int i = 0; i < n; i++) {
                int index = i;
                CancellationSource parent = CancellationSource.create();
                boolean cancel = random.nextBoolean();
                int yields = random.nextInt(64);
                cancelRequested[i] = cancel;
                threads.execute(() -> {
                    try {
                        gate.await();
                        if (CancellableTestSupport.isVirtual(Thread.currentThread())) {
                            onVirtualThreads.incrementAndGet();
                        }
                        try (Cancellation.Scope ignored = Cancellation.enter(parent.token())) {
                            outcomes.set(index, call.run(index));
                        }
                    } catch (Throwable ex) {
                        outcomes.set(index, ex);
                    }
                });
                if (cancel) {
                    threads.execute(() -> {
                        try {
                            gate.await();
                        } catch (InterruptedException ex) {
                            return;
                        }
                        for (int k = 0; k < yields; k++) {
                            Thread.yield();
                        }
                        parent.cancel(CancellationReason.requested(MESSAGE, "race"));
                    });
                }
            }
            gate.countDown(); // all at once: every call and canceller is parked on the gate until here
        } finally {
            threads.shutdown();
        }
        assertThat(threads.awaitTermination(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS))
                .as("all calls and cancellers ended (seed %d)", seed).isTrue();
        return this;
    }

    /**
     * A body that checks its token between steps (some of them parking, so a virtual thread unmounts while it
     * holds a registration on the token) and returns its index.
     */
    static int work(int index, CancellationToken token) throws InterruptedException {
        int steps = index % 32;
        for (int k = 0; k < steps; k++) {
            token.throwIfCancelled();
            if (k % 8 == 7) {
                Cancellation.sleep(Duration.ofNanos(100_000), token);
            } else {
                Thread.yield();
            }
        }
        return index;
    }
}
