package dev.cancellation;

import static dev.cancellation.Internals.isObserved;
import static dev.cancellation.Internals.listSize;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.IntConsumer;
import org.junit.jupiter.api.Test;

/**
 * Invariants of the token model under many threads started together on a barrier: callbacks run exactly once,
 * no cancellation is lost, nothing is left behind in a parent. Each round is bounded in time, so a deadlock or a
 * lost wake-up fails the test instead of hanging it. Subclasses choose the kind of thread.
 */
abstract class AbstractTokenStressTests {

    static final int THREADS = 8;
    static final int ROUNDS = 400;
    static final int PER_THREAD = 32;

    /** The threads to race on. */
    abstract ThreadFactory threads();

    /** How many threads may park at once in {@link #everySleeperWakesOnCancelAndInterruptScopesAreClean}. */
    abstract int sleepers();

    /** Runs {@code body(i)} for i in [0, n) on n fresh threads released together; rethrows their failures. */
    void runTogether(int n, IntConsumer body) throws InterruptedException {
        ThreadFactory factory = threads();
        CyclicBarrier start = new CyclicBarrier(n);
        CountDownLatch done = new CountDownLatch(n);
        Queue<Throwable> failures = new ConcurrentLinkedQueue<>();
        for (int i = 0; i < n; i++) {
            int index = i;
            Thread thread = factory.newThread(() -> {
                try {
                    start.await(30, TimeUnit.SECONDS);
                    body.accept(index);
                } catch (Throwable ex) {
                    failures.add(ex);
                } finally {
                    done.countDown();
                }
            });
            thread.start();
        }
        assertThat(done.await(60, TimeUnit.SECONDS)).as("all threads finished: no deadlock, no lost wake-up").isTrue();
        if (!failures.isEmpty()) {
            AssertionError error = new AssertionError(failures.size() + " thread(s) failed");
            failures.forEach(error::addSuppressed);
            throw error;
        }
    }

    @Test
    void cancelRacingRegistrationRunsEveryCallbackExactlyOnce() throws InterruptedException {
        for (int round = 0; round < ROUNDS; round++) {
            CancellationSource source = CancellationSource.create();
            int registrants = THREADS - 1;
            AtomicIntegerArray runs = new AtomicIntegerArray(registrants * PER_THREAD);

            runTogether(THREADS, i -> {
                if (i == registrants) {
                    source.cancel();
                    return;
                }
                for (int k = 0; k < PER_THREAD; k++) {
                    int slot = i * PER_THREAD + k;
                    source.token().onCancel(r -> runs.incrementAndGet(slot));
                }
            });

            for (int slot = 0; slot < runs.length(); slot++) {
                assertThat(runs.get(slot)).as("round %d callback %d", round, slot).isEqualTo(1);
            }
            assertThat(listSize(source.token())).isZero();
        }
    }

    @Test
    void cancelRacingUnregisterEitherRunsOrPreventsEachCallback() throws InterruptedException {
        for (int round = 0; round < ROUNDS; round++) {
            CancellationSource source = CancellationSource.create();
            int unregisterers = THREADS - 1;
            int total = unregisterers * PER_THREAD;
            AtomicIntegerArray runs = new AtomicIntegerArray(total);
            List<Registration> registrations = new ArrayList<>(total);
            for (int slot = 0; slot < total; slot++) {
                int s = slot;
                registrations.add(source.token().onCancel(r -> runs.incrementAndGet(s)));
            }
            AtomicIntegerArray prevented = new AtomicIntegerArray(total);

            runTogether(THREADS, i -> {
                if (i == unregisterers) {
                    source.cancel();
                    return;
                }
                for (int k = 0; k < PER_THREAD; k++) {
                    int slot = i * PER_THREAD + k;
                    if (k % 4 != 3) { // leave some registered: they must run
                        prevented.set(slot, registrations.get(slot).unregister() ? 1 : 0);
                    }
                }
            });

            for (int slot = 0; slot < total; slot++) {
                assertThat(runs.get(slot) + prevented.get(slot))
                        .as("round %d callback %d ran %d, prevented %d", round, slot, runs.get(slot),
                                prevented.get(slot))
                        .isEqualTo(1);
            }
            assertThat(listSize(source.token())).isZero();
        }
    }

    @Test
    void concurrentCancelsHaveExactlyOneWinner() throws InterruptedException {
        for (int round = 0; round < ROUNDS; round++) {
            CancellationSource source = CancellationSource.create();
            CancellationSource child = CancellationSource.childOf(source.token());
            AtomicInteger runs = new AtomicInteger();
            child.token().onCancel(r -> runs.incrementAndGet());
            AtomicInteger winners = new AtomicInteger();
            AtomicReferenceArray<CancellationReason> reasons = new AtomicReferenceArray<>(THREADS);

            runTogether(THREADS, i -> {
                CancellationReason reason = CancellationReason.requested("thread " + i);
                reasons.set(i, reason);
                if (source.cancel(reason)) {
                    winners.incrementAndGet();
                }
            });

            assertThat(winners).hasValue(1);
            assertThat(runs).hasValue(1);
            CancellationReason winning = source.token().reason().orElseThrow();
            assertThat(child.token().reason()).containsSame(winning);
        }
    }

    @Test
    void childrenCreatedWhileTheParentIsCancelledAreNeverLost() throws InterruptedException {
        for (int round = 0; round < ROUNDS; round++) {
            CancellationSource root = CancellationSource.create();
            int creators = THREADS - 1;
            AtomicReferenceArray<CancellationSource> children = new AtomicReferenceArray<>(creators * PER_THREAD);
            AtomicReferenceArray<CancellationSource> grandchildren =
                    new AtomicReferenceArray<>(creators * PER_THREAD);
            AtomicIntegerArray runs = new AtomicIntegerArray(creators * PER_THREAD);
            CancellationReason reason = CancellationReason.shutdown("round " + round);

            runTogether(THREADS, i -> {
                if (i == creators) {
                    root.cancel(reason);
                    return;
                }
                for (int k = 0; k < PER_THREAD; k++) {
                    int slot = i * PER_THREAD + k;
                    CancellationSource child = CancellationSource.childOf(root.token());
                    children.set(slot, child);
                    CancellationSource grandchild = CancellationSource.childOf(child.token());
                    grandchildren.set(slot, grandchild);
                    grandchild.token().onCancel(r -> runs.incrementAndGet(slot));
                }
            });

            for (int slot = 0; slot < runs.length(); slot++) {
                assertThat(children.get(slot).token().reason()).as("child %d", slot).containsSame(reason);
                assertThat(grandchildren.get(slot).token().reason()).as("grandchild %d", slot).containsSame(reason);
                assertThat(runs.get(slot)).as("grandchild %d callback", slot).isEqualTo(1);
            }
        }
    }

    @Test
    void childCloseRacingParentCancelIsConsistent() throws InterruptedException {
        for (int round = 0; round < ROUNDS; round++) {
            CancellationSource root = CancellationSource.create();
            int closers = THREADS - 1;
            int total = closers * PER_THREAD;
            List<CancellationSource> children = new ArrayList<>(total);
            AtomicIntegerArray runs = new AtomicIntegerArray(total);
            for (int slot = 0; slot < total; slot++) {
                CancellationSource child = CancellationSource.childOf(root.token());
                int s = slot;
                child.token().onCancel(r -> runs.incrementAndGet(s));
                children.add(child);
            }

            runTogether(THREADS, i -> {
                if (i == closers) {
                    root.cancel();
                    return;
                }
                for (int k = 0; k < PER_THREAD; k++) {
                    children.get(i * PER_THREAD + k).close();
                }
            });

            for (int slot = 0; slot < total; slot++) {
                boolean cancelled = children.get(slot).isCancelled();
                assertThat(runs.get(slot)).as("round %d child %d (cancelled: %s)", round, slot, cancelled)
                        .isEqualTo(cancelled ? 1 : 0);
            }
            assertThat(listSize(root.token())).isZero();
        }
    }

    @Test
    void cancellingParentAndChildrenConcurrentlyCancelsEveryoneOnce() throws InterruptedException {
        for (int round = 0; round < ROUNDS; round++) {
            CancellationSource root = CancellationSource.create();
            int mids = THREADS - 1;
            List<CancellationSource> middle = new ArrayList<>();
            List<CancellationSource> leaves = new ArrayList<>();
            AtomicIntegerArray runs = new AtomicIntegerArray(mids * PER_THREAD);
            for (int m = 0; m < mids; m++) {
                CancellationSource mid = CancellationSource.childOf(root.token());
                middle.add(mid);
                for (int k = 0; k < PER_THREAD; k++) {
                    CancellationSource leaf = CancellationSource.childOf(mid.token());
                    int slot = m * PER_THREAD + k;
                    leaf.token().onCancel(r -> runs.incrementAndGet(slot));
                    leaves.add(leaf);
                }
            }
            CancellationReason rootReason = CancellationReason.shutdown("root");

            runTogether(THREADS, i -> {
                if (i == mids) {
                    root.cancel(rootReason);
                } else {
                    middle.get(i).cancel(CancellationReason.requested("mid " + i));
                }
            });

            for (int slot = 0; slot < leaves.size(); slot++) {
                CancellationToken leaf = leaves.get(slot).token();
                CancellationToken mid = middle.get(slot / PER_THREAD).token();
                assertThat(leaf.reason()).as("leaf %d has its mid's reason", slot).isEqualTo(mid.reason());
                assertThat(runs.get(slot)).isEqualTo(1);
            }
            assertThat(listSize(root.token())).isZero();
        }
    }

    @Test
    void observerCountStaysExactUnderRegistrationChurn() throws InterruptedException {
        for (int round = 0; round < ROUNDS / 4; round++) {
            CancellationSource root = CancellationSource.create();
            List<CancellationSource> children = new ArrayList<>();
            for (int c = 0; c < THREADS; c++) {
                children.add(CancellationSource.childOf(root.token()));
            }
            AtomicIntegerArray runs = new AtomicIntegerArray(THREADS);

            runTogether(THREADS, i -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                for (int k = 0; k < PER_THREAD * 8; k++) {
                    CancellationToken target = children.get(random.nextInt(THREADS)).token();
                    Registration registration = target.onCancel(r -> {
                        throw new AssertionError("deregistered callback ran");
                    });
                    try (CancellationSource grandchild = CancellationSource.childOf(target)) {
                        Registration nested = grandchild.token().onCancel(r -> {
                            throw new AssertionError("closed grandchild's callback ran");
                        });
                        nested.close();
                    }
                    assertThat(registration.unregister()).isTrue();
                }
                if (i % 2 == 0) { // even threads leave one callback on "their" child
                    children.get(i).token().onCancel(r -> runs.incrementAndGet(i));
                }
            });

            for (int c = 0; c < THREADS; c++) {
                CancellationToken child = children.get(c).token();
                assertThat(isObserved(child)).as("round %d child %d", round, c).isEqualTo(c % 2 == 0);
                assertThat(listSize(child)).isEqualTo(c % 2 == 0 ? 1 : 0);
            }
            assertThat(isObserved(root.token())).isTrue();
            assertThat(listSize(root.token())).isEqualTo(THREADS);
            root.cancel();
            for (int c = 0; c < THREADS; c++) {
                assertThat(runs.get(c)).isEqualTo(c % 2 == 0 ? 1 : 0);
            }
        }
    }

    @Test
    void linkedTokensRacingTheirParentsCancelOnceAndLeaveNothingBehind() throws InterruptedException {
        for (int round = 0; round < ROUNDS; round++) {
            CancellationSource a = CancellationSource.create();
            CancellationSource b = CancellationSource.create();
            int creators = THREADS - 2;
            AtomicReferenceArray<CancellationSource> linked = new AtomicReferenceArray<>(creators * PER_THREAD);
            AtomicIntegerArray runs = new AtomicIntegerArray(creators * PER_THREAD);

            runTogether(THREADS, i -> {
                if (i == creators) {
                    a.cancel();
                } else if (i == creators + 1) {
                    b.cancel();
                } else {
                    for (int k = 0; k < PER_THREAD; k++) {
                        int slot = i * PER_THREAD + k;
                        CancellationSource source = CancellationSource.linkedTo(a.token(), b.token());
                        source.token().onCancel(r -> runs.incrementAndGet(slot));
                        linked.set(slot, source);
                    }
                }
            });

            for (int slot = 0; slot < runs.length(); slot++) {
                assertThat(linked.get(slot).isCancelled()).isTrue();
                assertThat(runs.get(slot)).isEqualTo(1);
            }
            assertThat(listSize(a.token())).isZero();
            assertThat(listSize(b.token())).isZero();
        }
    }

    @Test
    void everySleeperWakesOnCancelAndInterruptScopesAreClean() throws InterruptedException {
        CancellationSource root = CancellationSource.create();
        int n = sleepers();
        CountDownLatch parked = new CountDownLatch(n);
        AtomicInteger woke = new AtomicInteger();
        AtomicInteger leftInterrupted = new AtomicInteger();
        ThreadFactory factory = threads();
        CountDownLatch done = new CountDownLatch(n);
        for (int i = 0; i < n; i++) {
            int index = i;
            factory.newThread(() -> {
                try (CancellationSource own = CancellationSource.childOf(root.token());
                        InterruptScope scope = (index % 2 == 0) ? Cancellation.interruptOnCancel(own.token()) : null) {
                    Cancellation.bind(own.token(), () -> {
                        parked.countDown();
                        Cancellation.sleep(java.time.Duration.ofHours(1));
                        return null;
                    });
                } catch (TaskCancelledException expected) {
                    woke.incrementAndGet();
                } catch (InterruptedException expected) { // the interrupt scope won the race with the unpark
                    woke.incrementAndGet();
                } catch (Exception ex) {
                    throw new AssertionError(ex);
                } finally {
                    if (Thread.currentThread().isInterrupted()) {
                        leftInterrupted.incrementAndGet();
                    }
                    done.countDown();
                }
            }).start();
        }
        assertThat(parked.await(60, TimeUnit.SECONDS)).isTrue();

        root.cancel();

        assertThat(done.await(60, TimeUnit.SECONDS)).as("every sleeper woke up").isTrue();
        assertThat(woke).hasValue(n);
        assertThat(leftInterrupted).as("interrupts delivered by scopes are consumed on close").hasValue(0);
        assertThat(listSize(root.token())).isZero();
    }
}
