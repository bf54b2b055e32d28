package dev.cancellation;

import static dev.cancellation.Internals.listSize;
import static dev.cancellation.TestSupport.awaitTimerPassed;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class CancellationHelpersTests {

    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final List<CancellationSource> sources = new ArrayList<>();

    @AfterEach
    void cleanUp() throws InterruptedException {
        sources.forEach(CancellationSource::cancel); // wake anything still parked
        executor.shutdownNow();
        assertThat(executor.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
        assertThat(Cancellation.boundTokenOrNull()).as("test leaked a binding").isNull();
        assertThat(Thread.interrupted()).as("test leaked an interrupt").isFalse();
    }

    private CancellationSource track(CancellationSource source) {
        sources.add(source);
        return source;
    }

    /** Runs {@code action} on another thread with {@code token} bound and returns its outcome. */
    private <T> CompletableFuture<T> runBound(CancellationToken token, java.util.concurrent.Callable<T> action) {
        CompletableFuture<T> outcome = new CompletableFuture<>();
        executor.execute(() -> {
            try {
                outcome.complete(Cancellation.bind(token, action));
            } catch (Throwable ex) {
                outcome.completeExceptionally(ex);
            }
        });
        return outcome;
    }

    private static Throwable failureOf(CompletableFuture<?> future) {
        await().atMost(PROMPTLY).until(future::isDone);
        try {
            future.join();
            throw new AssertionError("expected a failure, got " + future.join());
        } catch (CompletionException ex) {
            return ex.getCause();
        } catch (java.util.concurrent.CancellationException ex) {
            // Java 23+ join() throws a new CancellationException caused by the stored one
            return TaskCancelledException.find(ex).<Throwable>map(cancelled -> cancelled).orElse(ex);
        }
    }

    @Nested
    class Binding {

        @Test
        void bindMakesTheTokenCurrentAndRestoresThePreviousOne() throws Exception {
            CancellationToken outer = track(CancellationSource.create()).token();
            CancellationToken inner = track(CancellationSource.create()).token();
            List<CancellationToken> seen = new ArrayList<>();

            Cancellation.bind(outer, () -> {
                seen.add(CancellationToken.current());
                Cancellation.bind(inner, (Runnable) () -> seen.add(CancellationToken.current()));
                seen.add(CancellationToken.current());
            });
            String value = Cancellation.bind(inner, () -> CancellationToken.current() == inner ? "inner" : "wrong");

            assertThat(seen).containsExactly(outer, inner, outer);
            assertThat(value).isEqualTo("inner");
            assertThat(CancellationToken.current()).isSameAs(CancellationToken.none());
        }

        @Test
        void bindRestoresEvenWhenTheActionThrows() {
            CancellationToken token = track(CancellationSource.create()).token();

            assertThatThrownBy(() -> Cancellation.bind(token, (Runnable) () -> {
                throw new IllegalStateException("boom");
            })).hasMessage("boom");

            assertThat(CancellationToken.current()).isSameAs(CancellationToken.none());
        }

        @Test
        void enterNestsAndCloseIsIdempotent() {
            CancellationToken a = track(CancellationSource.create()).token();
            CancellationToken b = track(CancellationSource.create()).token();

            try (Cancellation.Scope outer = Cancellation.enter(a)) {
                try (Cancellation.Scope inner = Cancellation.enter(b)) {
                    assertThat(CancellationToken.current()).isSameAs(b);
                    inner.close();
                    assertThat(CancellationToken.current()).isSameAs(a);
                }
                assertThat(CancellationToken.current()).as("second close is a no-op").isSameAs(a);
            }
            assertThat(Cancellation.boundTokenOrNull()).isNull();
        }

        @Test
        void bindingIsPerThreadAndWrapCarriesIt() throws Exception {
            CancellationToken token = track(CancellationSource.create()).token();
            AtomicReference<CancellationToken> plain = new AtomicReference<>();
            AtomicReference<CancellationToken> wrapped = new AtomicReference<>();

            Cancellation.bind(token, () -> {
                try {
                    executor.submit(() -> plain.set(CancellationToken.current())).get();
                    executor.submit(Cancellation.wrap(token, () -> wrapped.set(CancellationToken.current()))).get();
                } catch (Exception ex) {
                    throw new AssertionError(ex);
                }
            });

            assertThat(plain).hasValue(CancellationToken.none());
            assertThat(wrapped).hasValue(token);
        }

        @Test
        void checkpointThrowsOnlyWhenTheCurrentTokenIsCancelled() {
            CancellationSource source = track(CancellationSource.create());
            assertThatCode(Cancellation::checkpoint).doesNotThrowAnyException();

            Cancellation.bind(source.token(), () -> {
                Cancellation.checkpoint();
                source.cancel();
                assertThatThrownBy(Cancellation::checkpoint).isInstanceOf(TaskCancelledException.class);
            });
        }

        @Test
        void restoreSetsAndClearsTheRawBinding() {
            CancellationToken token = track(CancellationSource.create()).token();

            Cancellation.restore(token);
            assertThat(Cancellation.boundTokenOrNull()).isSameAs(token);
            Cancellation.restore(null);

            assertThat(Cancellation.boundTokenOrNull()).isNull();
        }
    }

    @Nested
    class WithTimeout {

        @Test
        void returnsTheResultWithAChildTokenBound() throws Exception {
            CancellationSource outer = track(CancellationSource.create());

            String result = Cancellation.bind(outer.token(), () -> Cancellation.withTimeout(Duration.ofMinutes(1),
                    token -> {
                        assertThat(CancellationToken.current()).isSameAs(token);
                        assertThat(token.deadline()).isPresent();
                        assertThat(listSize(outer.token())).as("a child of the current token").isEqualTo(1);
                        return "done";
                    }));

            assertThat(result).isEqualTo("done");
            assertThat(listSize(outer.token())).as("its source was closed").isZero();
        }

        @Test
        void throwsTaskTimeoutExceptionWhenTheOperationStopsBecauseOfTheTimeout() {
            IllegalStateException cause = new IllegalStateException("stopped");

            assertThatThrownBy(() -> Cancellation.withTimeout(Duration.ofMillis(20), token -> {
                await().atMost(PROMPTLY).until(token::isCancelled);
                throw cause;
            })).isInstanceOf(TaskTimeoutException.class).hasCause(cause);
        }

        @Test
        void cooperativeOperationTimesOutViaSleep() {
            assertThatThrownBy(() -> Cancellation.withTimeout(Duration.ofMillis(20), token -> {
                try {
                    Cancellation.sleep(Duration.ofHours(1));
                    return "slept";
                } catch (InterruptedException ex) {
                    throw new AssertionError(ex);
                }
            })).isInstanceOf(TaskTimeoutException.class)
                    .satisfies(ex -> assertThat(((TaskTimeoutException) ex).reason().message())
                            .isEqualTo("timed out after 20ms"));
        }

        @Test
        void enclosingCancellationIsNotReportedAsATimeout() {
            CancellationSource outer = track(CancellationSource.create());
            CancellationReason reason = CancellationReason.requested("operator");

            assertThatThrownBy(() -> Cancellation.bind(outer.token(), () -> Cancellation.withTimeout(
                    Duration.ofHours(1), token -> {
                        outer.cancel(reason);
                        token.throwIfCancelled();
                        return null;
                    }))).isExactlyInstanceOf(TaskCancelledException.class)
                    .satisfies(ex -> assertThat(((TaskCancelledException) ex).reason()).isSameAs(reason));
        }

        @Test
        void aResultProducedAfterTheTimeoutIsStillReturned() {
            String result = Cancellation.withTimeout(Duration.ofMillis(10), token -> {
                await().atMost(PROMPTLY).until(token::isCancelled);
                return "late but done";
            });

            assertThat(result).isEqualTo("late but done");
        }

        @Test
        void unrelatedFailuresPassThrough() {
            IllegalArgumentException failure = new IllegalArgumentException("bad");

            assertThatThrownBy(() -> Cancellation.withTimeout(Duration.ofHours(1), token -> {
                throw failure;
            })).isSameAs(failure);
        }
    }

    @Nested
    class SleepAndAwait {

        @Test
        void sleepReturnsNormallyWhenNotCancelled() throws InterruptedException {
            long start = System.nanoTime();
            Cancellation.sleep(Duration.ofMillis(20));
            Cancellation.sleep(Duration.ZERO);
            Cancellation.sleep(Duration.ofMillis(-5));

            assertThat(System.nanoTime() - start).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(20));
        }

        @Test
        void sleepReturnsEarlyWhenTheCurrentTokenIsCancelled() {
            CancellationSource source = track(CancellationSource.create());
            CountDownLatch sleeping = new CountDownLatch(1);
            CompletableFuture<Object> outcome = runBound(source.token(), () -> {
                source.token().onCancel(r -> { }); // just to have a registration before ours
                sleeping.countDown();
                Cancellation.sleep(Duration.ofHours(1));
                return "slept an hour";
            });
            await().atMost(PROMPTLY).until(() -> sleeping.getCount() == 0);
            await().atMost(PROMPTLY).until(() -> listSize(source.token()) == 2); // the sleeper is parked

            source.cancel();

            assertThat(failureOf(outcome)).isExactlyInstanceOf(TaskCancelledException.class);
        }

        @Test
        void sleepOnACancelledTokenThrowsAtOnce() {
            CancellationSource source = track(CancellationSource.create());
            source.cancel();

            assertThatThrownBy(() -> Cancellation.sleep(Duration.ofHours(1), source.token()))
                    .isInstanceOf(TaskCancelledException.class);
            assertThat(listSize(source.token())).isZero();
        }

        @Test
        void sleepIsInterruptible() {
            Thread.currentThread().interrupt();

            assertThatThrownBy(() -> Cancellation.sleep(Duration.ofHours(1)))
                    .isInstanceOf(InterruptedException.class);
            assertThat(Thread.currentThread().isInterrupted()).isFalse();
        }

        @Test
        void sleepDeregistersItsCallback() throws InterruptedException {
            CancellationSource source = track(CancellationSource.create());

            Cancellation.sleep(Duration.ofMillis(1), source.token());

            assertThat(listSize(source.token())).isZero();
        }

        @Test
        void awaitReturnsTheResultOrTheFailure() throws InterruptedException {
            CompletableFuture<String> done = CompletableFuture.completedFuture("ok");
            CompletableFuture<String> later = new CompletableFuture<>();
            executor.execute(() -> later.complete("later"));
            IllegalStateException boom = new IllegalStateException("boom");

            assertThat(Cancellation.await(done)).isEqualTo("ok");
            assertThat(Cancellation.await(later)).isEqualTo("later");
            assertThat(Cancellation.await(later.minimalCompletionStage())).isEqualTo("later");
            assertThatThrownBy(() -> Cancellation.await(CompletableFuture.failedFuture(boom)))
                    .isInstanceOf(CompletionException.class).hasCause(boom);
        }

        @Test
        void awaitReturnsEarlyWhenTheCurrentTokenIsCancelled() {
            CancellationSource source = track(CancellationSource.create());
            CompletableFuture<String> never = new CompletableFuture<>();
            CompletableFuture<Object> outcome = runBound(source.token(), () -> Cancellation.await(never));
            await().atMost(PROMPTLY).until(() -> listSize(source.token()) == 1);

            source.cancel(CancellationReason.timeout(Duration.ofSeconds(1)));

            assertThat(failureOf(outcome)).isInstanceOf(TaskTimeoutException.class);
            assertThat(never).as("the future itself is left alone").isNotDone();
        }

        @Test
        void awaitOnAStageReturnsEarlyToo() {
            CancellationSource source = track(CancellationSource.create());
            CompletableFuture<String> never = new CompletableFuture<>();
            CompletableFuture<Object> outcome =
                    runBound(source.token(), () -> Cancellation.await(never.minimalCompletionStage()));
            await().atMost(PROMPTLY).until(() -> listSize(source.token()) == 1);

            source.cancel();

            assertThat(failureOf(outcome)).isInstanceOf(TaskCancelledException.class);
        }

        @Test
        void awaitOnAPlainFuture() throws Exception {
            FutureTask<String> task = new FutureTask<>(() -> "plain");
            executor.execute(task);
            assertThat(Cancellation.await((Future<String>) task)).isEqualTo("plain");

            CancellationSource source = track(CancellationSource.create());
            FutureTask<String> never = new FutureTask<>(() -> "never");
            CompletableFuture<Object> outcome = runBound(source.token(), () -> Cancellation.await((Future<String>) never));
            source.cancel();
            assertThat(failureOf(outcome)).isInstanceOf(TaskCancelledException.class);

            FutureTask<String> failing = new FutureTask<>(() -> {
                throw new IllegalStateException("inner");
            });
            failing.run();
            assertThatThrownBy(() -> Cancellation.await((Future<String>) failing))
                    .isInstanceOf(CompletionException.class).hasRootCauseMessage("inner");
        }

        @Test
        void awaitIsInterruptible() {
            Thread.currentThread().interrupt();

            assertThatThrownBy(() -> Cancellation.await(new CompletableFuture<>()))
                    .isInstanceOf(InterruptedException.class);
        }
    }

    @Nested
    class Race {

        @Test
        void firstResultWinsAndTheLosersAreCancelled() throws Exception {
            AtomicReference<CancellationReason> loserSaw = new AtomicReference<>();
            CountDownLatch loserStarted = new CountDownLatch(1);
            Function<CancellationToken, String> slow = token -> {
                loserStarted.countDown();
                try {
                    Cancellation.sleep(Duration.ofHours(1));
                    return "slow";
                } catch (TaskCancelledException ex) {
                    loserSaw.set(ex.reason());
                    throw ex;
                } catch (InterruptedException ex) {
                    throw new AssertionError(ex);
                }
            };
            Function<CancellationToken, String> fast = token -> {
                try {
                    loserStarted.await();
                } catch (InterruptedException ex) {
                    throw new AssertionError(ex);
                }
                assertThat(CancellationToken.current()).isSameAs(token);
                return "fast";
            };

            String winner = Cancellation.race(executor, List.of(slow, fast));

            assertThat(winner).isEqualTo("fast");
            await().atMost(PROMPTLY).untilAtomic(loserSaw, org.hamcrest.Matchers.notNullValue());
            assertThat(loserSaw.get().origin()).isEqualTo("race");
            assertThat(loserSaw.get().kind()).isEqualTo(CancellationReason.Kind.REQUESTED);
        }

        @Test
        void aFailureDoesNotWinWhileAnotherCanSucceed() throws Exception {
            CountDownLatch failed = new CountDownLatch(1);
            Function<CancellationToken, String> failing = token -> {
                failed.countDown();
                throw new IllegalStateException("first to finish, but failed");
            };
            Function<CancellationToken, String> succeeding = token -> {
                try {
                    failed.await();
                } catch (InterruptedException ex) {
                    throw new AssertionError(ex);
                }
                return "second";
            };

            assertThat(Cancellation.raceAsync(executor, List.of(failing, succeeding)).get(10, TimeUnit.SECONDS))
                    .isEqualTo("second");
        }

        @Test
        void whenAllFailTheFirstFailureIsReportedWithTheOthersSuppressed() {
            CountDownLatch firstFailed = new CountDownLatch(1);
            IllegalStateException first = new IllegalStateException("first");
            IllegalArgumentException second = new IllegalArgumentException("second");
            Function<CancellationToken, String> a = token -> {
                firstFailed.countDown();
                throw first;
            };
            Function<CancellationToken, String> b = token -> {
                try {
                    firstFailed.await();
                } catch (InterruptedException ex) {
                    throw new AssertionError(ex);
                }
                throw second;
            };

            CompletableFuture<String> race = Cancellation.raceAsync(executor, List.of(a, b));

            assertThat(failureOf(race)).isSameAs(first);
            assertThat(first.getSuppressed()).containsExactly(second);
        }

        @Test
        void cancellingTheCurrentTokenCancelsTheRace() throws Exception {
            CancellationSource parent = track(CancellationSource.create());
            CountDownLatch started = new CountDownLatch(2);
            List<CancellationReason> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
            Function<CancellationToken, String> sleeper = token -> {
                started.countDown();
                try {
                    Cancellation.sleep(Duration.ofHours(1));
                    return "slept";
                } catch (TaskCancelledException ex) {
                    seen.add(ex.reason());
                    throw ex;
                } catch (InterruptedException ex) {
                    throw new AssertionError(ex);
                }
            };
            CompletableFuture<String> race = Cancellation.bind(parent.token(),
                    () -> Cancellation.raceAsync(executor, List.of(sleeper, sleeper)));
            await().atMost(PROMPTLY).until(() -> started.getCount() == 0);
            CancellationReason reason = CancellationReason.shutdown("test");

            parent.cancel(reason);

            assertThat(failureOf(race)).isInstanceOf(TaskCancelledException.class)
                    .satisfies(ex -> assertThat(((TaskCancelledException) ex).reason()).isSameAs(reason));
            await().atMost(PROMPTLY).until(() -> seen.size() == 2);
            assertThat(seen).containsOnly(reason);
            assertThat(listSize(parent.token())).as("the race left nothing on the parent").isZero();
        }

        @Test
        void raceUnderACancelledTokenFailsAtOnce() throws Exception {
            CancellationSource parent = track(CancellationSource.create());
            parent.cancel();

            CompletableFuture<String> race = Cancellation.bind(parent.token(),
                    () -> Cancellation.raceAsync(executor, List.of(token -> "never counted")));

            assertThat(failureOf(race)).isInstanceOf(TaskCancelledException.class);
        }

        @Test
        void rejectsAnEmptyRaceAndReportsRejectedExecution() {
            assertThatThrownBy(() -> Cancellation.raceAsync(executor, List.<Function<CancellationToken, String>>of()))
                    .isInstanceOf(IllegalArgumentException.class);
            CancellationSource parent = track(CancellationSource.create());
            assertThatThrownBy(() -> Cancellation.bind(parent.token(), () -> Cancellation.raceAsync(
                    command -> {
                        throw new RejectedExecutionException("full");
                    }, List.of(token -> "x"))))
                    .isInstanceOf(RejectedExecutionException.class);
            assertThat(listSize(parent.token())).isZero();
        }
    }

    @Nested
    class Shielded {

        @Test
        void runsWithAFreshTokenInsideACancelledScope() throws Exception {
            CancellationSource outer = track(CancellationSource.create());
            outer.cancel();

            String result = Cancellation.bind(outer.token(), () -> Cancellation.shielded(Duration.ofMinutes(1),
                    token -> {
                        assertThat(token.isCancelled()).isFalse();
                        assertThat(CancellationToken.current()).isSameAs(token);
                        try {
                            Cancellation.sleep(Duration.ofMillis(1)); // cancellable calls work
                        } catch (InterruptedException ex) {
                            throw new AssertionError(ex);
                        }
                        return "cleaned up";
                    }));

            assertThat(result).isEqualTo("cleaned up");
        }

        @Test
        void isNotReachedByTheSurroundingCancellation() {
            CancellationSource outer = track(CancellationSource.create());

            Cancellation.bind(outer.token(), () -> Cancellation.shielded(Duration.ofMinutes(1), token -> {
                outer.cancel();
                assertThat(token.isCancelled()).isFalse();
            }));

            assertThat(listSize(outer.token())).isZero();
        }

        @Test
        void hasItsOwnBound() {
            CancellationSource outer = track(CancellationSource.create());
            outer.cancel();

            assertThatThrownBy(() -> Cancellation.bind(outer.token(), () -> Cancellation.shielded(
                    Duration.ofMillis(20), token -> {
                        try {
                            Cancellation.sleep(Duration.ofHours(1));
                        } catch (InterruptedException ex) {
                            throw new AssertionError(ex);
                        }
                    }))).isInstanceOf(TaskTimeoutException.class);
            assertThat(CancellationToken.current()).isSameAs(CancellationToken.none());
        }

        @Test
        void restoresTheSurroundingToken() {
            CancellationSource outer = track(CancellationSource.create());

            Cancellation.bind(outer.token(), () -> {
                Cancellation.shielded(Duration.ofSeconds(5), token -> { });
                assertThat(CancellationToken.current()).isSameAs(outer.token());
            });
        }
    }

    @Nested
    class InterruptOnCancel {

        @Test
        void interruptsTheThreadBlockedInInterruptibleCode() {
            CancellationSource source = track(CancellationSource.create());
            BlockingQueue<String> queue = new LinkedBlockingQueue<>();
            CountDownLatch entered = new CountDownLatch(1);
            AtomicReference<InterruptScope> scopeRef = new AtomicReference<>();
            CompletableFuture<Object> outcome = new CompletableFuture<>();
            executor.execute(() -> {
                try (InterruptScope scope = Cancellation.interruptOnCancel(source.token())) {
                    scopeRef.set(scope);
                    entered.countDown();
                    outcome.complete(queue.take());
                } catch (Throwable ex) {
                    outcome.completeExceptionally(ex);
                }
            });
            await().atMost(PROMPTLY).until(() -> entered.getCount() == 0);

            source.cancel();

            assertThat(failureOf(outcome)).isInstanceOf(InterruptedException.class);
            assertThat(scopeRef.get().interruptDelivered()).isTrue();
        }

        @Test
        void anInterruptItDeliveredIsConsumedOnClose() {
            CancellationSource source = track(CancellationSource.create());
            InterruptScope scope = Cancellation.interruptOnCancel(source.token());

            source.cancel(); // callbacks run on this thread: it interrupts itself

            assertThat(Thread.currentThread().isInterrupted()).isTrue();
            assertThat(scope.interruptDelivered()).isTrue();
            scope.close();
            assertThat(Thread.currentThread().isInterrupted()).isFalse();
            scope.close(); // idempotent
        }

        @Test
        void aForeignInterruptIsPreserved() {
            CancellationSource source = track(CancellationSource.create());
            InterruptScope scope = Cancellation.interruptOnCancel(source.token());
            Thread.currentThread().interrupt();

            source.cancel();
            scope.close();

            assertThat(scope.interruptDelivered()).isFalse();
            assertThat(Thread.interrupted()).as("someone else's interrupt survives").isTrue();
        }

        @Test
        void closedBeforeCancelNeverInterrupts() {
            CancellationSource source = track(CancellationSource.create());
            InterruptScope scope = Cancellation.interruptOnCancel(source.token());
            scope.close();

            source.cancel();

            assertThat(Thread.currentThread().isInterrupted()).isFalse();
            assertThat(listSize(source.token())).isZero();
        }

        @Test
        void anAlreadyCancelledTokenInterruptsAtOnce() {
            CancellationSource source = track(CancellationSource.create());
            source.cancel();

            try (InterruptScope scope = Cancellation.interruptOnCancel(source.token())) {
                assertThat(Thread.currentThread().isInterrupted()).isTrue();
            }
            assertThat(Thread.currentThread().isInterrupted()).isFalse();
        }

        @Test
        void withGraceInterruptsOnlyAfterTheGracePeriod() {
            CancellationSource source = track(CancellationSource.create());
            BlockingQueue<String> queue = new LinkedBlockingQueue<>();
            CountDownLatch entered = new CountDownLatch(1);
            AtomicReference<Long> cancelledAt = new AtomicReference<>();
            CompletableFuture<Long> interruptedAfter = new CompletableFuture<>();
            executor.execute(() -> {
                try (InterruptScope scope = Cancellation.interruptOnCancel(source.token(), Duration.ofMillis(300))) {
                    entered.countDown();
                    queue.take();
                    interruptedAfter.completeExceptionally(new AssertionError("not interrupted"));
                } catch (InterruptedException ex) {
                    interruptedAfter.complete(System.nanoTime() - cancelledAt.get());
                }
            });
            await().atMost(PROMPTLY).until(() -> entered.getCount() == 0);

            cancelledAt.set(System.nanoTime());
            source.cancel();

            await().atMost(PROMPTLY).until(interruptedAfter::isDone);
            assertThat(interruptedAfter.join()).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(300));
        }

        @Test
        void withGraceCodeThatStopsInTimeIsNeverInterrupted() {
            CancellationSource source = track(CancellationSource.create());
            InterruptScope scope = Cancellation.interruptOnCancel(source.token(), Duration.ofMillis(30));

            source.cancel();
            assertThat(Thread.currentThread().isInterrupted()).isFalse();
            scope.close(); // the code noticed the token in time
            awaitTimerPassed(Duration.ofMillis(100));

            assertThat(Thread.currentThread().isInterrupted()).isFalse();
            assertThat(scope.interruptDelivered()).isFalse();
        }

        @Test
        void rejectsNegativeGrace() {
            CancellationToken token = track(CancellationSource.create()).token();

            assertThatThrownBy(() -> Cancellation.interruptOnCancel(token, Duration.ofMillis(-1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT-0.001S");
        }
    }
}
