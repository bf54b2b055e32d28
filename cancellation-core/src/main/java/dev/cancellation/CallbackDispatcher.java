package dev.cancellation;

import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs the callbacks of tokens cancelled by a deadline, so that no user code (callbacks, the listeners and future
 * completions they trigger) runs on the shared timer thread and delays other deadlines.
 *
 * <p>A pool of at most {@link #THREADS} daemon threads named {@code cancellation-callback-N}, created on first use
 * and ended after 30 s without work. Each fired deadline is one job (its callbacks in their usual order), so a
 * callback that blocks holds one thread and delays only the later callbacks of its own cancellation; jobs beyond
 * {@link #THREADS} busy threads wait in an unbounded queue, so none is ever lost. The timer still cancels
 * inline, without this pool, a token that has no callbacks, which is what an ordinary timeout nobody listens to
 * costs.
 *
 * <p>Thread-safety: {@link #execute} may be called from any thread.
 */
final class CallbackDispatcher {

    /** At most this many callback threads: twice the processors, at least 4, at most 64. */
    static final int THREADS = Math.min(64, Math.max(4, 2 * Runtime.getRuntime().availableProcessors()));

    private CallbackDispatcher() {
    }

    /** Created on first use: an application whose deadlines have no callbacks never starts a thread here. */
    private static final class Pool {
        static final ThreadPoolExecutor EXECUTOR = create();

        private static ThreadPoolExecutor create() {
            AtomicInteger number = new AtomicInteger();
            ThreadPoolExecutor executor = new ThreadPoolExecutor(THREADS, THREADS, 30, TimeUnit.SECONDS,
                    new LinkedBlockingQueue<>(), runnable -> {
                        Thread thread = new Thread(runnable, "cancellation-callback-" + number.incrementAndGet());
                        thread.setDaemon(true);
                        return thread;
                    });
            executor.allowCoreThreadTimeOut(true);
            return executor;
        }
    }

    /** Runs {@code job} on a callback thread; if no thread can be had at all, on a thread of its own. */
    static void execute(Runnable job) {
        Runnable guarded = () -> {
            try {
                job.run();
            } finally {
                Thread.interrupted(); // a callback must not leave a pooled thread interrupted for the next one
            }
        };
        try {
            Pool.EXECUTOR.execute(guarded);
        } catch (RejectedExecutionException | OutOfMemoryError ex) {
            Thread thread = new Thread(guarded, "cancellation-callback-overflow");
            thread.setDaemon(true);
            thread.start();
        }
    }
}
