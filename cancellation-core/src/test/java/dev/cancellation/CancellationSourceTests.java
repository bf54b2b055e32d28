package dev.cancellation;

import static dev.cancellation.Internals.listSize;
import static dev.cancellation.TestSupport.awaitCollected;
import static dev.cancellation.TestSupport.awaitTimerPassed;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class CancellationSourceTests extends TrackedSources {

    @Nested
    class Cancel {

        @Test
        void isIdempotentAndReportsWhetherThisCallCancelled() {
            CancellationSource source = track(CancellationSource.create());

            assertThat(source.isCancelled()).isFalse();
            assertThat(source.cancel()).isTrue();
            assertThat(source.cancel()).isFalse();
            assertThat(source.cancel(CancellationReason.shutdown("x"))).isFalse();
            assertThat(source.isCancelled()).isTrue();
            assertThat(source.token().reason()).get()
                    .satisfies(r -> assertThat(r.kind()).isEqualTo(CancellationReason.Kind.REQUESTED));
        }

        @Test
        void rejectsNullReason() {
            CancellationSource source = track(CancellationSource.create());

            assertThatThrownBy(() -> source.cancel(null)).isInstanceOf(NullPointerException.class)
                    .hasMessageContaining("reason");
            assertThat(source.isCancelled()).isFalse();
        }

        @Test
        void stillWorksAfterClose() {
            CancellationSource source = CancellationSource.create();
            AtomicInteger runs = new AtomicInteger();
            source.token().onCancel(r -> runs.incrementAndGet());
            source.close();

            assertThat(source.cancel()).isTrue();
            assertThat(runs).hasValue(1);
        }
    }

    @Nested
    class Children {

        @Test
        void cancellingAParentCancelsEveryDescendantWithTheSameReason() {
            CancellationSource root = track(CancellationSource.create());
            CancellationSource child = track(CancellationSource.childOf(root.token()));
            CancellationSource sibling = track(CancellationSource.childOf(root.token()));
            CancellationSource grandchild = track(CancellationSource.childOf(child.token()));
            CancellationReason reason = CancellationReason.shutdown("context closing");

            assertThat(root.cancel(reason)).isTrue();

            for (CancellationSource s : List.of(child, sibling, grandchild)) {
                assertThat(s.token().reason()).containsSame(reason);
            }
            assertThat(child.cancel()).as("already cancelled by the parent").isFalse();
        }

        @Test
        void cancellingAChildNeverTouchesTheParentOrSiblings() {
            CancellationSource root = track(CancellationSource.create());
            CancellationSource child = track(CancellationSource.childOf(root.token()));
            CancellationSource sibling = track(CancellationSource.childOf(root.token()));
            CancellationSource grandchild = track(CancellationSource.childOf(child.token()));
            AtomicInteger rootCallbacks = new AtomicInteger();
            root.token().onCancel(r -> rootCallbacks.incrementAndGet());

            child.cancel();

            assertThat(grandchild.isCancelled()).isTrue();
            assertThat(root.isCancelled()).isFalse();
            assertThat(sibling.isCancelled()).isFalse();
            assertThat(rootCallbacks).hasValue(0);
        }

        @Test
        void aCancelledChildIsDetachedFromItsParent() {
            CancellationSource root = track(CancellationSource.create());
            CancellationSource child = CancellationSource.childOf(root.token());
            child.token().onCancel(r -> { });
            assertThat(listSize(root.token())).isEqualTo(1);

            child.cancel();

            assertThat(listSize(root.token())).isZero();
        }

        @Test
        void childOfACancelledParentIsCancelledAtOnceWithItsReason() {
            CancellationSource root = track(CancellationSource.create());
            CancellationReason reason = CancellationReason.requested("gone");
            root.cancel(reason);

            CancellationSource child = track(CancellationSource.childOf(root.token()));

            assertThat(child.token().reason()).containsSame(reason);
            assertThat(child.cancel()).isFalse();
        }

        @Test
        void childOfNoneIsARoot() {
            CancellationSource child = track(CancellationSource.childOf(CancellationToken.none()));

            assertThat(child.isCancelled()).isFalse();
            assertThat(child.cancel()).isTrue();
        }

        @Test
        void childWithTimeoutTimesOutOnItsOwn() {
            CancellationSource root = track(CancellationSource.create());
            CancellationSource child = track(CancellationSource.childOf(root.token(), Duration.ofMillis(20)));

            await().atMost(PROMPTLY).until(child::isCancelled);

            assertThat(child.token().reason()).get().satisfies(r -> {
                assertThat(r.kind()).isEqualTo(CancellationReason.Kind.TIMEOUT);
                assertThat(r.origin()).isEqualTo("deadline");
            });
            assertThat(root.isCancelled()).isFalse();
        }

        @Test
        void childOfRejectsNull() {
            assertThatThrownBy(() -> CancellationSource.childOf(null)).isInstanceOf(NullPointerException.class);
        }
    }

    @Nested
    class Close {

        @Test
        void detachesWithoutCancelling() {
            CancellationSource root = track(CancellationSource.create());
            CancellationSource child = CancellationSource.childOf(root.token());
            AtomicInteger runs = new AtomicInteger();
            child.token().onCancel(r -> runs.incrementAndGet());
            assertThat(listSize(root.token())).isEqualTo(1);

            child.close();
            child.close(); // idempotent

            assertThat(child.isCancelled()).isFalse();
            assertThat(listSize(root.token())).isZero();
            root.cancel();
            assertThat(child.isCancelled()).as("no longer reached by the parent").isFalse();
            assertThat(runs).hasValue(0);
        }

        @Test
        void releasesTheTimer() {
            CancellationSource source = CancellationSource.withTimeout(Duration.ofMillis(200));
            source.close();
            // true only if this thread was descheduled for the whole timeout before close (a loaded machine)
            boolean firedBeforeClose = source.isCancelled();

            awaitTimerPassed(Duration.ofMillis(400));

            assertThat(source.isCancelled()).isEqualTo(firedBeforeClose);
        }

        @Test
        void aClosedSourceWithALongTimeoutRetainsNothing() {
            CancellationSource source = CancellationSource.withTimeout(Duration.ofHours(1));
            source.token().onCancel(r -> { });
            WeakReference<CancellationSource> sourceRef = new WeakReference<>(source);
            WeakReference<CancellationToken> tokenRef = new WeakReference<>(source.token());
            source.close();
            source = null;

            awaitCollected(sourceRef, tokenRef);
        }

        @Test
        void anUnclosedTimeoutKeepsItsTokenUntilItFires() {
            // the counterpart of the test above, proving that it would catch a retained timer
            CancellationSource source = CancellationSource.withTimeout(Duration.ofHours(1));
            WeakReference<CancellationToken> tokenRef = new WeakReference<>(source.token());
            source = null;

            for (int i = 0; i < 3; i++) {
                System.gc();
            }

            assertThat(tokenRef.get()).isNotNull();
            CancellationSource.childOf(tokenRef.get()).close();
            tokenRef.get().cancel(CancellationReason.requested("test cleanup"));
        }

        @Test
        void aTokenCancelledThroughItsParentReleasesItsTimer() {
            CancellationSource root = track(CancellationSource.create());
            CancellationSource child = CancellationSource.childOf(root.token(), Duration.ofHours(1));
            WeakReference<CancellationToken> tokenRef = new WeakReference<>(child.token());
            child = null;

            root.cancel();

            awaitCollected(tokenRef);
        }
    }

    @Nested
    class Timers {

        @Test
        void withTimeoutCancelsWithATimeoutReason() {
            Instant start = Instant.now();
            CancellationSource source = track(CancellationSource.withTimeout(Duration.ofMillis(50)));

            await().atMost(PROMPTLY).until(source::isCancelled);

            CancellationReason reason = source.token().reason().orElseThrow();
            assertThat(reason.kind()).isEqualTo(CancellationReason.Kind.TIMEOUT);
            assertThat(reason.isTimeout()).isTrue();
            assertThat(reason.origin()).isEqualTo("deadline");
            assertThat(reason.message()).isEqualTo("timed out after 50ms");
            assertThat(reason.at()).isAfterOrEqualTo(start.plusMillis(50));
            assertThatThrownBy(source.token()::throwIfCancelled).isInstanceOf(TaskTimeoutException.class);
        }

        @Test
        void timeoutCallbacksRunOnACallbackThreadNotOnTheTimerThread() {
            CancellationSource source = track(CancellationSource.create());
            AtomicReference<String> thread = new AtomicReference<>();
            source.token().onCancel(r -> thread.set(Thread.currentThread().getName()));
            source.cancelAfter(Duration.ofMillis(10)); // armed after registering: the callback cannot run inline

            await().atMost(PROMPTLY).untilAtomic(thread, org.hamcrest.Matchers.startsWith("cancellation-callback-"));
        }

        @Test
        void zeroTimeoutIsCancelledAtOnce() {
            CancellationSource source = track(CancellationSource.withTimeout(Duration.ZERO));

            assertThat(source.isCancelled()).isTrue();
            assertThat(source.token().reason().orElseThrow().kind()).isEqualTo(CancellationReason.Kind.TIMEOUT);
        }

        @Test
        void deadlineInThePastIsCancelledAtOnce() {
            Instant past = Instant.now().minusSeconds(5);
            CancellationSource source = track(CancellationSource.withDeadline(past));

            assertThat(source.isCancelled()).isTrue();
            assertThat(source.token().reason().orElseThrow().message()).contains(past.toString());
        }

        @Test
        void withDeadlineFires() {
            CancellationSource source = track(CancellationSource.withDeadline(Instant.now().plusMillis(30)));

            await().atMost(PROMPTLY).until(source::isCancelled);

            assertThat(source.token().reason().orElseThrow().isTimeout()).isTrue();
        }

        @Test
        void negativeTimeoutIsRejectedNamingTheValue() {
            assertThatThrownBy(() -> CancellationSource.withTimeout(Duration.ofSeconds(-1)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT-1S");
        }

        @Test
        void hugeTimeoutNeverFiresAndDoesNotOverflow() {
            CancellationSource source = track(CancellationSource.withTimeout(Duration.ofSeconds(Long.MAX_VALUE)));

            assertThat(source.isCancelled()).isFalse();
            assertThat(source.token().deadline()).contains(Instant.MAX);
        }

        @Test
        void cancelAfterReplacesALongerTimer() {
            CancellationSource source = track(CancellationSource.withTimeout(Duration.ofHours(1)));

            source.cancelAfter(Duration.ofMillis(20));

            await().atMost(PROMPTLY).until(source::isCancelled);
        }

        @Test
        void cancelAfterReplacesAShorterTimer() {
            CancellationSource source = track(CancellationSource.withTimeout(Duration.ofMillis(30)));

            source.cancelAfter(Duration.ofHours(1));
            awaitTimerPassed(Duration.ofMillis(100));

            assertThat(source.isCancelled()).as("the 30 ms timer was replaced").isFalse();
        }

        @Test
        void cancelAfterOnACancelledOrClosedSourceDoesNothing() {
            CancellationSource cancelled = track(CancellationSource.create());
            CancellationReason reason = CancellationReason.requested("first");
            cancelled.cancel(reason);
            cancelled.cancelAfter(Duration.ZERO);
            assertThat(cancelled.token().reason()).containsSame(reason);

            CancellationSource closed = CancellationSource.create();
            closed.close();
            closed.cancelAfter(Duration.ZERO);
            assertThat(closed.isCancelled()).isFalse();
        }

        @Test
        void explicitCancelReleasesTheTimer() {
            CancellationSource source = CancellationSource.withTimeout(Duration.ofHours(1));
            source.cancel();
            WeakReference<CancellationToken> tokenRef = new WeakReference<>(source.token());
            source = null;

            awaitCollected(tokenRef);
        }
    }

    @Nested
    class Linked {

        @Test
        void cancelledWhenAnyParentIsWithThatParentsReason() {
            CancellationSource a = track(CancellationSource.create());
            CancellationSource b = track(CancellationSource.create());
            CancellationSource linked = track(CancellationSource.linkedTo(a.token(), b.token()));
            CancellationReason reason = CancellationReason.requested("b went");

            b.cancel(reason);

            assertThat(linked.token().reason()).containsSame(reason);
            assertThat(a.isCancelled()).isFalse();
            assertThat(listSize(a.token())).as("detached from the other parent").isZero();
        }

        @Test
        void alreadyCancelledParentCancelsAtOnce() {
            CancellationSource a = track(CancellationSource.create());
            CancellationSource b = track(CancellationSource.create());
            CancellationReason reason = CancellationReason.requested("b went");
            b.cancel(reason);

            CancellationSource linked = track(CancellationSource.linkedTo(a.token(), b.token()));

            assertThat(linked.token().reason()).containsSame(reason);
            assertThat(listSize(a.token())).isZero();
        }

        @Test
        void cancellingTheLinkedTokenTouchesNoParent() {
            CancellationSource a = track(CancellationSource.create());
            CancellationSource b = track(CancellationSource.create());
            CancellationSource linked = track(CancellationSource.linkedTo(a.token(), b.token()));

            linked.cancel();

            assertThat(a.isCancelled()).isFalse();
            assertThat(b.isCancelled()).isFalse();
            assertThat(listSize(a.token())).isZero();
            assertThat(listSize(b.token())).isZero();
        }

        @Test
        void closeDetachesFromEveryParent() {
            CancellationSource a = track(CancellationSource.create());
            CancellationSource b = track(CancellationSource.create());
            CancellationSource linked = CancellationSource.linkedTo(a.token(), b.token());

            linked.close();
            a.cancel();

            assertThat(linked.isCancelled()).isFalse();
            assertThat(listSize(b.token())).isZero();
        }

        @Test
        void callbacksOfADiamondRunOnce() {
            CancellationSource root = track(CancellationSource.create());
            CancellationSource left = track(CancellationSource.childOf(root.token()));
            CancellationSource right = track(CancellationSource.childOf(root.token()));
            CancellationSource bottom = track(CancellationSource.linkedTo(left.token(), right.token()));
            List<String> ran = new CopyOnWriteArrayList<>();
            bottom.token().onCancel(r -> ran.add("bottom"));

            root.cancel();

            assertThat(ran).containsExactly("bottom");
        }

        @Test
        void noTokensOrOnlyNoneMakesARoot() {
            assertThat(track(CancellationSource.linkedTo()).cancel()).isTrue();
            assertThat(track(CancellationSource.linkedTo(CancellationToken.none())).cancel()).isTrue();
        }

        @Test
        void rejectsNullTokens() {
            assertThatThrownBy(() -> CancellationSource.linkedTo((CancellationToken[]) null))
                    .isInstanceOf(NullPointerException.class);
            assertThatThrownBy(() -> CancellationSource.linkedTo(CancellationToken.none(), null))
                    .isInstanceOf(NullPointerException.class);
        }
    }

    @Nested
    class Reasons {

        @Test
        void factoriesFillEveryField() {
            assertThat(CancellationReason.requested("op")).satisfies(r -> {
                assertThat(r.kind()).isEqualTo(CancellationReason.Kind.REQUESTED);
                assertThat(r.origin()).isEqualTo("op");
                assertThat(r.at()).isNotNull();
            });
            assertThat(CancellationReason.shutdown("ctx").kind()).isEqualTo(CancellationReason.Kind.SHUTDOWN);
            assertThat(CancellationReason.deadlineExceeded(Instant.EPOCH).isTimeout()).isTrue();
            assertThat(new CancellationReason(CancellationReason.Kind.REQUESTED, null, Instant.EPOCH, null))
                    .satisfies(r -> {
                        assertThat(r.message()).isEmpty();
                        assertThat(r.origin()).isEqualTo("unknown");
                    });
            assertThat(CancellationReason.timeout(Duration.ofSeconds(3)).describe())
                    .isEqualTo("TIMEOUT (timed out after 3s) by deadline");
        }

        @Test
        void exceptionTypeFollowsTheKind() {
            assertThat(TaskCancelledException.of(CancellationReason.timeout(Duration.ofSeconds(1))))
                    .isInstanceOf(TaskTimeoutException.class);
            assertThat(TaskCancelledException.of(CancellationReason.shutdown("x"), "Svc.run"))
                    .isExactlyInstanceOf(TaskCancelledException.class)
                    .hasMessageStartingWith("Svc.run: SHUTDOWN");
        }
    }
}
