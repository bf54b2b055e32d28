package dev.cancellation.cluster;

import dev.cancellation.actuate.FleetUnavailableException;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;
import org.springframework.data.redis.core.StringRedisTemplate;

/**
 * Runs the fleet's Redis commands with a bounded wait. A Redis client may hold a command for its own (often long)
 * timeout while it reconnects; the fleet answers within {@code timeout} instead, with a
 * {@link FleetUnavailableException} naming Redis. Commands run on a small pool of daemon threads
 * ({@code cancellation-fleet-redis-N}); a command that is still stuck in the client when its caller gave up
 * finishes (or fails) there later.
 *
 * <p>Thread-safety: safe from any thread. A caller that is interrupted while waiting gets a
 * {@link FleetUnavailableException} and keeps its interrupt flag.
 */
final class FleetRedis implements AutoCloseable {

    private static final int THREADS = 4;

    private static final int QUEUE = 256;

    private final StringRedisTemplate template;

    private final Duration timeout;

    private final String description;

    private final ThreadPoolExecutor executor;

    /**
     * @param description how messages name the server, e.g. {@code Redis at 127.0.0.1:6379}
     */
    FleetRedis(StringRedisTemplate template, Duration timeout, String description) {
        this.template = template;
        this.timeout = timeout;
        this.description = description;
        this.executor = new ThreadPoolExecutor(THREADS, THREADS, 30, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(QUEUE), daemonThreads("cancellation-fleet-redis-"));
        this.executor.allowCoreThreadTimeOut(true);
    }

    /** How messages name the Redis server. */
    String description() {
        return description;
    }

    Duration timeout() {
        return timeout;
    }

    /**
     * The result of {@code command} on the template, waited for at most the timeout.
     *
     * @param what what the command is for, for the error message (e.g. {@code list the fleet})
     * @throws FleetUnavailableException if Redis fails, does not answer in time, or too many commands wait
     */
    <T extends @Nullable Object> T call(String what, Function<StringRedisTemplate, T> command) {
        Future<T> future;
        try {
            future = executor.submit(() -> command.apply(template));
        } catch (RejectedExecutionException ex) {
            throw new FleetUnavailableException("Could not " + what + ": too many fleet commands wait for "
                    + description, ex);
        }
        try {
            return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException ex) {
            future.cancel(true);
            throw new FleetUnavailableException("Could not " + what + ": " + description + " did not answer within "
                    + timeout.toMillis() + " ms", ex);
        } catch (ExecutionException ex) {
            Throwable cause = (ex.getCause() != null) ? ex.getCause() : ex;
            throw new FleetUnavailableException("Could not " + what + ": " + description + " failed: "
                    + rootMessage(cause), cause);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            future.cancel(true);
            throw new FleetUnavailableException("Could not " + what + ": interrupted while waiting for "
                    + description, ex);
        }
    }

    /** The message of the innermost cause, which names the actual failure (connection refused, NOAUTH, ...). */
    static String rootMessage(Throwable failure) {
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String message = root.getMessage();
        return root.getClass().getSimpleName() + ((message != null) ? ": " + message : "");
    }

    static ThreadFactory daemonThreads(String prefix) {
        AtomicInteger count = new AtomicInteger();
        return runnable -> {
            Thread thread = new Thread(runnable, prefix + count.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        };
    }

    @Override
    public void close() {
        executor.shutdownNow();
    }
}
