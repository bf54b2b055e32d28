package dev.cancellation;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.awaitility.Awaitility.await;

import java.lang.management.ManagementFactory;
import java.lang.ref.WeakReference;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** Helpers shared by the token tests. */
final class TestSupport {

    private TestSupport() {
    }

    /**
     * Waits until the shared timer has run every task due up to {@code delay} from now, without sleeping: the
     * timer is a single thread that runs tasks in deadline order, so once a witness timer due after them has
     * fired, all of them have run.
     */
    static void awaitTimerPassed(Duration delay) {
        CancellationSource witness = CancellationSource.withTimeout(delay);
        await().atMost(PROMPTLY).until(witness::isCancelled);
    }

    /** Collects callback failure reports for the duration of a test. */
    static final class FailureCollector implements Consumer<CancellationCallbackException>, AutoCloseable {

        final List<CancellationCallbackException> reports = new CopyOnWriteArrayList<>();

        FailureCollector() {
            Cancellation.setCallbackFailureHandler(this);
        }

        @Override
        public void accept(CancellationCallbackException report) {
            reports.add(report);
        }

        @Override
        public void close() {
            Cancellation.setCallbackFailureHandler(null);
        }
    }

    /** Runs full GCs until the given references are cleared (or fails after {@code PROMPTLY}). */
    static void awaitCollected(WeakReference<?>... refs) {
        await().atMost(PROMPTLY).pollInterval(Duration.ofMillis(50)).until(() -> {
            System.gc();
            for (WeakReference<?> ref : refs) {
                if (ref.get() != null) {
                    return false;
                }
            }
            return true;
        });
    }

    /** Used heap after full GCs, in bytes. */
    static long usedHeapAfterGc() {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 4; i++) {
            System.gc();
            best = Math.min(best, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return best;
    }

    static <T> List<T> listOf(int size, java.util.function.IntFunction<T> element) {
        List<T> list = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            list.add(element.apply(i));
        }
        return list;
    }
}
