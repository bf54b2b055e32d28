package dev.cancellation;

import static dev.cancellation.Internals.listSize;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class CancellationTokenTests extends TrackedSources {

    @Nested
    class Observing {

        @Test
        void liveTokenReportsNothing() {
            CancellationToken token = track(CancellationSource.create()).token();

            assertThat(token.isCancelled()).isFalse();
            assertThat(token.reason()).isEmpty();
            assertThatCode(token::throwIfCancelled).doesNotThrowAnyException();
            assertThat(token.isNone()).isFalse();
            assertThat(token.toString()).contains("live");
        }

        @Test
        void cancelledTokenReportsItsReasonForever() {
            CancellationSource source = track(CancellationSource.create());
            CancellationReason reason = CancellationReason.requested("stop", "operator alice");

            assertThat(source.cancel(reason)).isTrue();

            CancellationToken token = source.token();
            assertThat(token.isCancelled()).isTrue();
            assertThat(token.reason()).containsSame(reason);
            assertThat(source.cancel(CancellationReason.requested("again"))).isFalse();
            assertThat(token.reason()).containsSame(reason);
            assertThat(token.toString()).contains("cancelled").contains("operator alice");
        }

        @Test
        void throwIfCancelledCarriesTheReason() {
            CancellationSource source = track(CancellationSource.create());
            CancellationReason reason = CancellationReason.requested("stop", "op");
            source.cancel(reason);

            assertThatThrownBy(source.token()::throwIfCancelled)
                    .isExactlyInstanceOf(TaskCancelledException.class)
                    .isInstanceOf(java.util.concurrent.CancellationException.class)
                    .satisfies(ex -> assertThat(((TaskCancelledException) ex).reason()).isSameAs(reason))
                    .hasMessageContaining("stop").hasMessageContaining("op");
        }

        @Test
        void timeoutIsDistinguishableByType() {
            CancellationSource source = track(CancellationSource.create());
            source.cancel(CancellationReason.timeout(Duration.ofMillis(500)));

            assertThatThrownBy(source.token()::throwIfCancelled)
                    .isInstanceOf(TaskTimeoutException.class)
                    .hasMessageContaining("timed out after 500ms");
        }

        @Test
        void noneIsNeverCancelledAndRetainsNothing() {
            CancellationToken none = CancellationToken.none();
            AtomicInteger runs = new AtomicInteger();

            Registration registration = none.onCancel(r -> runs.incrementAndGet());

            assertThat(none.isNone()).isTrue();
            assertThat(none.isCancelled()).isFalse();
            assertThat(none.reason()).isEmpty();
            assertThat(none.deadline()).isEmpty();
            assertThat(listSize(none)).isZero();
            assertThat(registration.unregister()).isFalse();
            assertThat(none.whenCancelled().toCompletableFuture()).isNotDone();
            assertThat(CancellationToken.none()).isSameAs(none);
            assertThat(runs).hasValue(0);
        }

        @Test
        void currentIsNoneWhenNothingIsBound() {
            assertThat(CancellationToken.current()).isSameAs(CancellationToken.none());
        }
    }

    @Nested
    class Callbacks {

        @Test
        void runOnceOnTheCancellingThreadInRegistrationOrder() {
            CancellationSource source = track(CancellationSource.create());
            List<String> order = new CopyOnWriteArrayList<>();
            List<Thread> threads = new CopyOnWriteArrayList<>();
            for (int i = 0; i < 5; i++) {
                int n = i;
                source.token().onCancel(r -> {
                    order.add("cb" + n);
                    threads.add(Thread.currentThread());
                });
            }

            source.cancel();
            source.cancel();

            assertThat(order).containsExactly("cb0", "cb1", "cb2", "cb3", "cb4");
            assertThat(threads).containsOnly(Thread.currentThread());
        }

        @Test
        void receiveTheReason() {
            CancellationSource source = track(CancellationSource.create());
            AtomicReference<CancellationReason> seen = new AtomicReference<>();
            source.token().onCancel(seen::set);
            CancellationReason reason = CancellationReason.shutdown("context");

            source.cancel(reason);

            assertThat(seen).hasValue(reason);
        }

        @Test
        void runAtOnceOnTheRegisteringThreadIfAlreadyCancelled() {
            CancellationSource source = track(CancellationSource.create());
            source.cancel();
            AtomicReference<Thread> ranOn = new AtomicReference<>();

            Registration registration = source.token().onCancel(r -> ranOn.set(Thread.currentThread()));

            assertThat(ranOn).hasValue(Thread.currentThread());
            assertThat(registration.unregister()).as("already spent").isFalse();
            assertThat(listSize(source.token())).isZero();
        }

        @Test
        void unregisterPreventsTheCallbackAndReportsIt() {
            CancellationSource source = track(CancellationSource.create());
            AtomicInteger runs = new AtomicInteger();
            Registration first = source.token().onCancel(r -> runs.incrementAndGet());
            Registration second = source.token().onCancel(r -> runs.addAndGet(10));

            assertThat(first.unregister()).isTrue();
            assertThat(first.unregister()).isFalse();
            first.close(); // idempotent, never throws
            source.cancel();

            assertThat(runs).hasValue(10);
            assertThat(second.unregister()).as("already ran").isFalse();
            second.close();
        }

        @Test
        void unregisterReleasesTheNodeInTheList() {
            CancellationSource source = track(CancellationSource.create());
            List<Registration> registrations = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                registrations.add(source.token().onCancel(r -> { }));
            }
            assertThat(listSize(source.token())).isEqualTo(100);

            // remove from the middle, the ends, in any order: the list stays consistent
            registrations.get(50).close();
            registrations.get(0).close();
            registrations.get(99).close();
            assertThat(listSize(source.token())).isEqualTo(97);
            registrations.forEach(Registration::close);

            assertThat(listSize(source.token())).isZero();
        }

        @Test
        void remainingCallbacksStillRunInOrderAfterRemovals() {
            CancellationSource source = track(CancellationSource.create());
            List<Integer> ran = new CopyOnWriteArrayList<>();
            List<Registration> registrations = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                int n = i;
                registrations.add(source.token().onCancel(r -> ran.add(n)));
            }
            for (int i = 0; i < 10; i += 3) {
                registrations.get(i).close();
            }

            source.cancel();

            assertThat(ran).containsExactly(1, 2, 4, 5, 7, 8);
        }

        @Test
        void failingCallbacksDoNotStopOthersAndAreReported() {
            try (TestSupport.FailureCollector failures = new TestSupport.FailureCollector()) {
                CancellationSource source = track(CancellationSource.create());
                List<String> ran = new CopyOnWriteArrayList<>();
                IllegalStateException boom1 = new IllegalStateException("boom1");
                AssertionError boom2 = new AssertionError("boom2");
                source.token().onCancel(r -> ran.add("a"));
                source.token().onCancel(r -> {
                    throw boom1;
                });
                source.token().onCancel(r -> ran.add("b"));
                source.token().onCancel(r -> {
                    throw boom2;
                });
                source.token().onCancel(r -> ran.add("c"));
                CancellationReason reason = CancellationReason.requested("test");

                assertThatCode(() -> source.cancel(reason)).doesNotThrowAnyException();

                assertThat(ran).containsExactly("a", "b", "c");
                assertThat(failures.reports).singleElement().satisfies(report -> {
                    assertThat(report.reason()).isSameAs(reason);
                    assertThat(report.getSuppressed()).containsExactly(boom1, boom2);
                    assertThat(report.getMessage()).contains("2 cancellation callback(s) failed");
                });
            }
        }

        @Test
        void failureOfACallbackRunAtOnceIsReportedNotThrown() {
            try (TestSupport.FailureCollector failures = new TestSupport.FailureCollector()) {
                CancellationSource source = track(CancellationSource.create());
                source.cancel();
                RuntimeException boom = new RuntimeException("late boom");

                assertThatCode(() -> source.token().onCancel(r -> {
                    throw boom;
                })).doesNotThrowAnyException();

                assertThat(failures.reports).singleElement()
                        .satisfies(report -> assertThat(report.getSuppressed()).containsExactly(boom));
            }
        }

        @Test
        void aFailingHandlerDoesNotBreakCancel() {
            Cancellation.setCallbackFailureHandler(report -> {
                throw new IllegalStateException("handler broke");
            });
            try {
                CancellationSource source = track(CancellationSource.create());
                AtomicInteger after = new AtomicInteger();
                source.token().onCancel(r -> {
                    throw new RuntimeException("callback broke");
                });
                source.token().onCancel(r -> after.incrementAndGet());

                assertThatCode(source::cancel).doesNotThrowAnyException();
                assertThat(after).hasValue(1);
            } finally {
                Cancellation.setCallbackFailureHandler(null);
            }
        }

        @Test
        void callbacksMayRegisterUnregisterAndCancelReentrantly() {
            CancellationSource source = track(CancellationSource.create());
            CancellationSource other = track(CancellationSource.create());
            List<String> ran = new CopyOnWriteArrayList<>();
            AtomicReference<Registration> later = new AtomicReference<>();
            source.token().onCancel(r -> {
                ran.add("first");
                assertThat(later.get().unregister()).as("already claimed by the canceller").isFalse();
                source.token().onCancel(r2 -> ran.add("nested")); // runs at once
                other.cancel();
            });
            later.set(source.token().onCancel(r -> ran.add("second")));

            source.cancel();

            assertThat(ran).containsExactly("first", "nested", "second");
            assertThat(other.isCancelled()).isTrue();
        }

        @Test
        void onCancelRejectsNull() {
            CancellationToken token = track(CancellationSource.create()).token();

            assertThatThrownBy(() -> token.onCancel(null)).isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("callback");
        }

        @Test
        void parentCallbacksRunBeforeChildCallbacksAndAfterTheWholeTreeIsMarked() {
            CancellationSource parent = track(CancellationSource.create());
            CancellationSource child = track(CancellationSource.childOf(parent.token()));
            CancellationSource grandchild = track(CancellationSource.childOf(child.token()));
            List<String> ran = new CopyOnWriteArrayList<>();
            grandchild.token().onCancel(r -> ran.add("grandchild"));
            child.token().onCancel(r -> {
                assertThat(grandchild.isCancelled()).isTrue();
                ran.add("child");
            });
            parent.token().onCancel(r -> {
                assertThat(child.isCancelled()).isTrue();
                assertThat(grandchild.isCancelled()).isTrue();
                ran.add("parent");
            });

            parent.cancel();

            assertThat(ran).containsExactly("parent", "child", "grandchild");
        }
    }

    @Nested
    class WhenCancelled {

        @Test
        void completesWithTheReasonOnCancel() throws Exception {
            CancellationSource source = track(CancellationSource.create());
            CompletionStage<CancellationReason> stage = source.token().whenCancelled();
            assertThat(stage.toCompletableFuture()).isNotDone();
            CancellationReason reason = CancellationReason.requested("x");

            source.cancel(reason);

            assertThat(stage.toCompletableFuture().get(1, TimeUnit.SECONDS)).isSameAs(reason);
            assertThat((Object) source.token().whenCancelled()).as("the same stage every call").isSameAs(stage);
        }

        @Test
        void isAlreadyCompleteForACancelledToken() {
            CancellationSource source = track(CancellationSource.create());
            source.cancel();

            assertThat(source.token().whenCancelled().toCompletableFuture()).isCompleted();
        }

        @Test
        void cannotBeCompletedOrCancelledByCallers() {
            CancellationSource source = track(CancellationSource.create());
            CompletionStage<CancellationReason> stage = source.token().whenCancelled();

            if (stage instanceof CompletableFuture<?> future) {
                assertThatThrownBy(() -> ((CompletableFuture<CancellationReason>) future)
                        .complete(CancellationReason.requested("forged")))
                        .isInstanceOf(UnsupportedOperationException.class);
            }
            CompletableFuture<CancellationReason> copy = stage.toCompletableFuture();
            copy.complete(CancellationReason.requested("forged"));
            copy.cancel(true);
            CompletableFuture<CancellationReason> fresh = stage.toCompletableFuture();

            assertThat(fresh).isNotDone();
            assertThat(source.isCancelled()).isFalse();
            source.cancel();
            assertThat(fresh.join().origin()).isEqualTo("CancellationSource.cancel()");
        }

        @Test
        void dependentActionsRunOnTheCancellingThread() {
            CancellationSource source = track(CancellationSource.create());
            AtomicReference<Thread> ranOn = new AtomicReference<>();
            source.token().whenCancelled().thenRun(() -> ranOn.set(Thread.currentThread()));

            source.cancel();

            assertThat(ranOn).hasValue(Thread.currentThread());
        }
    }

    @Nested
    class Deadlines {

        @Test
        void rootWithoutTimerHasNone() {
            assertThat(track(CancellationSource.create()).token().deadline()).isEmpty();
        }

        @Test
        void ownDeadline() {
            Instant before = Instant.now();
            CancellationSource source = track(CancellationSource.withTimeout(Duration.ofHours(1)));
            Instant after = Instant.now();

            // The deadline is kept on the monotonic clock and converted to the wall clock when first asked for:
            // the two clocks agree to well under a microsecond, not to the nanosecond.
            Duration slack = Duration.ofMillis(1);
            assertThat(source.token().deadline()).get()
                    .satisfies(d -> assertThat(d).isBetween(before.plus(Duration.ofHours(1)).minus(slack),
                            after.plus(Duration.ofHours(1)).plus(slack)));
            assertThat(source.token().deadline()).as("the same instant on every call")
                    .isEqualTo(source.token().deadline());
        }

        @Test
        void earliestOfSelfAndAncestors() {
            Instant in1h = Instant.now().plus(Duration.ofHours(1));
            CancellationSource grandparent = track(CancellationSource.withDeadline(in1h));
            CancellationSource parent = track(CancellationSource.childOf(grandparent.token(), Duration.ofHours(2)));
            CancellationSource child = track(CancellationSource.childOf(parent.token()));
            CancellationSource tighter = track(CancellationSource.childOf(child.token(), Duration.ofMinutes(5)));

            assertThat(parent.token().deadline()).contains(in1h);
            assertThat(child.token().deadline()).contains(in1h);
            assertThat(tighter.token().deadline()).get()
                    .satisfies(d -> assertThat(d).isBefore(Instant.now().plus(Duration.ofMinutes(6))));
        }

        @Test
        void linkedTokenHasTheEarliestOfAllItsParents() {
            Instant in1h = Instant.now().plus(Duration.ofHours(1));
            Instant in30m = Instant.now().plus(Duration.ofMinutes(30));
            CancellationSource a = track(CancellationSource.withDeadline(in1h));
            CancellationSource b = track(CancellationSource.withDeadline(in30m));
            CancellationSource c = track(CancellationSource.create());

            CancellationSource linked = track(CancellationSource.linkedTo(a.token(), c.token(), b.token()));

            assertThat(linked.token().deadline()).contains(in30m);
        }

        @Test
        void cancelAfterReplacesTheOwnDeadline() {
            CancellationSource source = track(CancellationSource.withTimeout(Duration.ofMinutes(1)));
            Instant first = source.token().deadline().orElseThrow();

            source.cancelAfter(Duration.ofHours(3));

            assertThat(source.token().deadline()).get().satisfies(d -> assertThat(d).isAfter(first));
        }
    }
}
