package dev.cancellation.bench;

import dev.cancellation.annotation.Cancellable;
import java.util.concurrent.CompletableFuture;

/**
 * The bean of row 4: the same trivial work behind each kind of method, so that what is measured is the advice.
 * Not final, public methods: a class-based proxy can advise it.
 */
public class BenchService {

    /** No annotation. */
    public int plain(int x) {
        return x * 31 + 7;
    }

    /** {@code @Cancellable} with no timeout (the configured default, none). */
    @Cancellable(name = "bench.noTimeout")
    public int cancellableNoTimeout(int x) {
        return x * 31 + 7;
    }

    /** {@code @Cancellable} with a timeout that never fires during the benchmark. */
    @Cancellable(name = "bench.timeout", timeout = "10s")
    public int cancellableTimeout(int x) {
        return x * 31 + 7;
    }

    /** No annotation, asynchronous signature: what Resilience4j's TimeLimiter decorates. */
    public CompletableFuture<Integer> future(int x) {
        return CompletableFuture.completedFuture(x * 31 + 7);
    }

    /** {@code @Cancellable} with a timeout on an asynchronous signature. */
    @Cancellable(name = "bench.futureTimeout", timeout = "10s")
    public CompletableFuture<Integer> cancellableFutureTimeout(int x) {
        return CompletableFuture.completedFuture(x * 31 + 7);
    }
}
