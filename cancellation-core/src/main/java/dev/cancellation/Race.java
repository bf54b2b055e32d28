package dev.cancellation;

import java.util.List;
import java.util.Objects;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The race behind {@link Cancellation#raceAsync}: one lane (a child token of the race, itself a child of the
 * caller's current token) per operation, the first operation to return completes the future, and completion in
 * any way cancels and closes every lane. The semantics are documented on {@link Cancellation#raceAsync}.
 *
 * <p>Thread-safety: {@link #start} may be called from any thread. The lanes run on the given executor; the
 * future is completed by whichever lane (or the parent's cancellation callback) gets there first, and the
 * clean-up runs on the thread that completes it.
 */
final class Race {

    private Race() {
    }

    static <T extends @Nullable Object> CompletableFuture<T> start(Executor executor,
            List<? extends Function<? super CancellationToken, ? extends T>> operations) {
        Objects.requireNonNull(executor, "executor");
        if (operations == null || operations.isEmpty()) {
            throw new IllegalArgumentException("race needs at least one operation");
        }
        CancellationToken parent = CancellationToken.current();
        CompletableFuture<T> winner = new CompletableFuture<>();
        CancellationSource race = CancellationSource.childOf(parent);
        AtomicInteger remaining = new AtomicInteger(operations.size());
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        Registration parentCancel = parent.onCancel(reason -> winner.completeExceptionally(
                TaskCancelledException.of(reason)));
        for (Function<? super CancellationToken, ? extends T> operation : operations) {
            Objects.requireNonNull(operation, "operation");
            CancellationSource lane = CancellationSource.childOf(race.token());
            Runnable run = () -> {
                try (lane) {
                    CancellationToken previous = CancellationToken.boundOrNull();
                    CancellationToken.bind(lane.token()); // current while it runs, as Cancellation.bind would make it
                    try {
                        lane.token().throwIfCancelled();
                        winner.complete(operation.apply(lane.token()));
                    } finally {
                        CancellationToken.bind(previous);
                    }
                } catch (Throwable ex) {
                    failures.add(ex);
                    if (remaining.decrementAndGet() == 0) { // every add happens-before this point
                        winner.completeExceptionally(firstWithSuppressed(failures));
                    }
                }
            };
            try {
                executor.execute(run);
            } catch (RuntimeException rejected) {
                lane.close();
                race.cancel(CancellationReason.requested("race could not start all operations", "race"));
                race.close();
                parentCancel.close();
                throw rejected;
            }
        }
        winner.whenComplete((result, failure) -> {
            parentCancel.close();
            race.cancel(CancellationReason.requested("lost the race", "race"));
            race.close();
        });
        return winner;
    }

    private static Throwable firstWithSuppressed(Queue<Throwable> failures) {
        Throwable first = failures.poll();
        for (Throwable other : failures) {
            if (other != first) {
                first.addSuppressed(other);
            }
        }
        return first;
    }
}
