package dev.cancellation.bench.messaging;

import dev.cancellation.CancellationToken;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The throughput rows' operation: {@value #BATCH} messages sent from outside the application, and the wait until
 * the listener has taken them all. The listener counts each message ({@link #count}).
 *
 * <p>Thread-safety: {@link #received} is released by the listener's thread and acquired by the benchmark's.
 */
public final class Throughput {

    /** Messages per benchmark invocation (the benchmarks' {@code @OperationsPerInvocation}). */
    public static final int BATCH = 100;

    /** A permit per message the listener has taken. */
    private final Semaphore received = new Semaphore(0);

    /** The listener's body: reads its token, as a body that checks it would, and counts the message. */
    public void count() {
        CancellationToken.current().throwIfCancelled();
        received.release();
    }

    /** Sends {@value #BATCH} messages and waits until the listener has taken them all (at most 30 s). */
    public void sendAndAwait(ListenerApplication application) throws Exception {
        for (int i = 0; i < BATCH; i++) {
            application.send("order");
        }
        application.flush();
        if (!received.tryAcquire(BATCH, 30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("The listener took " + received.availablePermits() + " of " + BATCH
                    + " messages in 30 s");
        }
    }
}
