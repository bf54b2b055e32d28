package dev.cancellation.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** Cancel racing completion and escalation racing exit leave nothing behind; millions of tasks leak nothing. */
class TaskRegistryStressTests {

    @Test
    void cancelRacingCompletionLeavesNoEntryBehind() throws Exception {
        TaskRegistry registry = new TaskRegistry(new TaskRegistry.Settings(10, 2, 100_000, Duration.ofSeconds(5)));
        int threads = 4;
        int perThread = 20_000;
        ExecutorService pool = Executors.newFixedThreadPool(threads * 2);
        java.util.concurrent.atomic.AtomicInteger strayInterrupts = new java.util.concurrent.atomic.AtomicInteger();
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                AtomicReference<String> published = new AtomicReference<>();
                int seed = t;
                futures.add(pool.submit(() -> { // canceller: cancels whatever task was just published
                    for (int i = 0; i < perThread; i++) {
                        String id = published.get();
                        if (id != null) {
                            registry.cancel(id, CancellationReason.requested("race"));
                        }
                    }
                }));
                futures.add(pool.submit(() -> { // runner: starts tasks that exit at once
                    for (int i = 0; i < perThread; i++) {
                        // Zero escalation makes abandon() race with exit() too.
                        TaskSpec spec = new TaskSpec("race", CancellationToken.none(), null,
                                (i % 3 == 0) ? Duration.ZERO : null, (i % 2 == 0) ? Duration.ZERO : null,
                                (i + seed) % 4 == 0 ? (info, reason, token) -> null : null);
                        TaskHandle handle = registry.start(spec);
                        published.set(handle.id());
                        try (TaskAttachment ignored = handle.attach()) {
                            Thread.onSpinWait();
                        }
                        CancellationReason reason = handle.token().reason().orElse(null);
                        handle.exit((reason != null && i % 2 == 0) ? new TaskCancelledException(reason) : null);
                        if (Thread.interrupted()) { // escalation must never interrupt after detach
                            strayInterrupts.incrementAndGet();
                        }
                    }
                }));
            }
            for (Future<?> future : futures) {
                future.get();
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> registry.size() == 0 && registry.pendingCleanups() == 0);
            assertThat(registry.abandonedCount()).isZero();
            assertThat(strayInterrupts).hasValue(0);
        } finally {
            pool.shutdownNow();
            registry.close();
        }
    }

    @Test
    void tenMillionTasksLeaveTheHeapBounded() {
        TaskRegistry registry = new TaskRegistry(new TaskRegistry.Settings(100, 1, 10, Duration.ofSeconds(1)));
        TaskSpec plain = new TaskSpec("leak", CancellationToken.none(), null, null, null, null);
        CancellationReason reason = CancellationReason.requested("leak test");
        runTasks(registry, plain, reason, 200_000); // warm up
        long before = usedHeapAfterGc();
        runTasks(registry, plain, reason, 10_000_000);
        long after = usedHeapAfterGc();
        assertThat(registry.size()).isZero();
        assertThat(registry.history()).hasSize(100);
        // 10 million tasks at even 8 bytes each would be 80 MB: anything retained per task shows.
        assertThat(after - before).as("heap growth in bytes").isLessThan(16L * 1024 * 1024);
        registry.close();
    }

    private static void runTasks(TaskRegistry registry, TaskSpec spec, CancellationReason reason, int count) {
        for (int i = 0; i < count; i++) {
            TaskHandle handle = registry.start(spec);
            if ((i & 1023) == 0) { // some cancelled ones, which go to the history
                handle.cancel(reason);
                handle.exit(new TaskCancelledException(reason));
            } else {
                handle.exit(null);
            }
        }
    }

    private static long usedHeapAfterGc() {
        var memory = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 5; i++) {
            System.gc();
            used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
