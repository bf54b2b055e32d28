package dev.cancellation.bench;

import io.github.resilience4j.timelimiter.annotation.TimeLimiter;
import java.util.concurrent.CompletableFuture;

/**
 * Row 4's Resilience4j bean: the same trivial work as {@link BenchService#future}, behind Resilience4j's
 * {@code @TimeLimiter} annotation, advised by its Spring aspect (what an application using Resilience4j writes).
 * Not final, public method: a class-based proxy can advise it.
 */
public class TimeLimitedService {

    /** Bounded by the {@code bench} time limiter (10 s, never fires during the benchmark). */
    @TimeLimiter(name = "bench")
    public CompletableFuture<Integer> future(int x) {
        return CompletableFuture.completedFuture(x * 31 + 7);
    }
}
