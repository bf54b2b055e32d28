package dev.cancellation;

import static dev.cancellation.Internals.heldEntries;
import static dev.cancellation.Internals.isObserved;
import static dev.cancellation.Internals.listSize;
import static dev.cancellation.TestSupport.awaitCollected;
import static dev.cancellation.TestSupport.usedHeapAfterGc;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * Memory: a long-lived parent must not accumulate its short-lived children, whether they are closed, cancelled,
 * or simply dropped. Surefire runs with {@code -Xmx512m}: a leak of even a few dozen bytes per child would exhaust
 * it long before 10 million children, and the bound asserted after GC catches much smaller ones.
 */
class TokenLeakTests {

    private static final int CHILDREN = 10_000_000;
    private static final long HEAP_BOUND = 8L * 1024 * 1024;
    private static final Consumer<CancellationReason> NOTHING = r -> { };

    /** One short-lived child, in one of the ways real code ends a child's life. */
    private static void shortLivedChild(CancellationToken parent, int i) {
        switch (i & 7) {
            case 0, 1 -> { // the recommended way: try-with-resources
                try (CancellationSource child = CancellationSource.childOf(parent)) {
                    child.token().throwIfCancelled();
                }
            }
            case 2 -> CancellationSource.childOf(parent); // dropped, never looked at
            case 3 -> { // dropped after a callback that was deregistered (e.g. after Cancellation.sleep)
                CancellationSource child = CancellationSource.childOf(parent);
                child.token().onCancel(NOTHING).close();
            }
            case 4 -> CancellationSource.childOf(parent).cancel(); // cancelled, never closed
            case 5 -> { // dropped with a dropped grandchild that had a deregistered callback
                CancellationSource child = CancellationSource.childOf(parent);
                CancellationSource.childOf(child.token()).token().onCancel(NOTHING).close();
            }
            case 6 -> { // closed while it still had a callback
                CancellationSource child = CancellationSource.childOf(parent);
                child.token().onCancel(NOTHING);
                child.close();
            }
            default -> { // closed with a timeout pending
                try (CancellationSource child = CancellationSource.childOf(parent, Duration.ofHours(1))) {
                    child.token().throwIfCancelled();
                }
            }
        }
    }

    /** Lets the parent expunge the links of collected children (done on each registration). */
    private static void awaitOnlyLiveEntries(CancellationToken parent, int expected) {
        await("the parent to hold only its " + expected + " live entries").atMost(PROMPTLY)
                .pollInterval(Duration.ofMillis(20)).until(() -> {
            System.gc();
            for (int i = 0; i < 10_000 && listSize(parent) > expected; i++) {
                CancellationSource.childOf(parent).close();
            }
            return listSize(parent) == expected;
        });
    }

    @Test
    void tenMillionShortLivedChildrenLeaveALongLivedParentFlat() {
        CancellationSource parent = CancellationSource.create();
        AtomicInteger parentCallback = new AtomicInteger();
        parent.token().onCancel(r -> parentCallback.incrementAndGet()); // the parent's own, long-lived entry
        for (int i = 0; i < 200_000; i++) { // warm up, so that JIT and class loading are in the baseline
            shortLivedChild(parent.token(), i);
        }
        awaitOnlyLiveEntries(parent.token(), 1);
        int timersBefore = heldEntries(Timer.SHARED);
        long baseline = usedHeapAfterGc();

        for (int i = 0; i < CHILDREN; i++) {
            shortLivedChild(parent.token(), i);
        }

        awaitOnlyLiveEntries(parent.token(), 1);
        long growth = usedHeapAfterGc() - baseline;
        assertThat(growth).as("heap growth after %,d children: %,d bytes", CHILDREN, growth)
                .isLessThan(HEAP_BOUND);
        assertThat(heldEntries(Timer.SHARED)).as("closed children leave no timer behind").isLessThanOrEqualTo(timersBefore);
        parent.cancel();
        assertThat(parentCallback).hasValue(1);
    }

    @Test
    void anAbandonedChildIsCollectedWhileItsParentLives() {
        CancellationSource parent = CancellationSource.create();
        CancellationSource child = CancellationSource.childOf(parent.token());
        CancellationSource grandchild = CancellationSource.childOf(child.token());
        child.token().onCancel(NOTHING).close();
        WeakReference<CancellationToken> childRef = new WeakReference<>(child.token());
        WeakReference<CancellationToken> grandchildRef = new WeakReference<>(grandchild.token());
        child = null;
        grandchild = null;

        awaitCollected(childRef, grandchildRef);
        awaitOnlyLiveEntries(parent.token(), 0);
    }

    @Test
    void anAbandonedChildWithAnActiveCallbackIsKeptSoTheCallbackStillRuns() {
        CancellationSource parent = CancellationSource.create();
        AtomicInteger runs = new AtomicInteger();
        CancellationSource.childOf(CancellationSource.childOf(parent.token()).token())
                .token().onCancel(r -> runs.incrementAndGet());
        CancellationSource.childOf(parent.token()).token().whenCancelled().thenRun(runs::incrementAndGet);

        for (int i = 0; i < 3; i++) {
            System.gc();
        }
        parent.cancel();

        assertThat(runs).as("callbacks of unreachable descendants are not lost").hasValue(2);
    }

    @Test
    void aChildIsOnlyWeaklyHeldAgainOnceItsLastCallbackIsDeregistered() {
        CancellationSource parent = CancellationSource.create();
        CancellationSource child = CancellationSource.childOf(parent.token());
        Registration first = child.token().onCancel(NOTHING);
        Registration second = child.token().onCancel(NOTHING);
        assertThat(isObserved(child.token())).isTrue();
        assertThat(isObserved(parent.token())).isTrue();

        first.close();
        assertThat(isObserved(child.token())).isTrue();
        second.close();

        assertThat(isObserved(child.token())).isFalse();
        assertThat(isObserved(parent.token())).isFalse();
        WeakReference<CancellationToken> childRef = new WeakReference<>(child.token());
        child = null;
        first = null; // a registration refers to its token
        second = null;
        awaitCollected(childRef);
    }

    @Test
    void aClosedSourceWithATimeoutRetainsNothing() {
        int timersBefore = heldEntries(Timer.SHARED);
        CancellationSource parent = CancellationSource.create();
        CancellationSource source = CancellationSource.childOf(parent.token(), Duration.ofHours(1));
        source.token().onCancel(NOTHING);
        assertThat(heldEntries(Timer.SHARED)).isGreaterThan(timersBefore);
        WeakReference<CancellationSource> sourceRef = new WeakReference<>(source);
        WeakReference<CancellationToken> tokenRef = new WeakReference<>(source.token());

        source.close();
        source = null;

        awaitCollected(sourceRef, tokenRef);
        assertThat(listSize(parent.token())).isZero();
        assertThat(heldEntries(Timer.SHARED)).isLessThanOrEqualTo(timersBefore);
    }

    @Test
    void callbacksRegisteredAndDeregisteredOnALongLivedTokenLeaveItFlat() {
        CancellationSource source = CancellationSource.create();
        long baseline = usedHeapAfterGc();

        for (int i = 0; i < CHILDREN; i++) {
            source.token().onCancel(NOTHING).close();
        }

        assertThat(listSize(source.token())).isZero();
        assertThat(usedHeapAfterGc() - baseline).isLessThan(HEAP_BOUND);
    }
}
