package dev.cancellation.task;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The registry's own threads (the escalation sweeper, the thread waiting in {@code shutdown}) survive an
 * interrupt: it is cleared, they do not spin, and they still do their job on time.
 */
class InfrastructureThreadInterruptTests {

    private final TaskRegistry registry = new TaskRegistry();
    private final CompletableFuture<Void> release = new CompletableFuture<>();

    @AfterEach
    void tearDown() {
        release.complete(null);
        registry.close();
    }

    private static TaskSpec spec(String name, Duration abandonAfter) {
        return new TaskSpec(name, CancellationToken.none(), null, null, abandonAfter, null);
    }

    /** A task that ignores its token and waits, uninterruptibly, for {@link #release}. */
    private RunningTask stubborn(TaskSpec spec) {
        return RunningTask.start(registry, spec, token -> release.join());
    }

    @SuppressWarnings("deprecation") // Thread.threadId() is Java 19+
    private static long cpuMillisDuring(Thread thread, long millis) throws InterruptedException {
        var threads = ManagementFactory.getThreadMXBean();
        long before = threads.getThreadCpuTime(thread.getId());
        Thread.sleep(millis); // the measured interval, not synchronisation
        return TimeUnit.NANOSECONDS.toMillis(threads.getThreadCpuTime(thread.getId()) - before);
    }

    @Test
    void aListenerThatInterruptsTheEscalationSweeperDoesNotMakeItSpin() throws InterruptedException {
        AtomicReference<Thread> sweeper = new AtomicReference<>();
        registry.addListener(new TaskListener() {
            @Override
            public void onAbandoned(TaskInfo task) {
                if (task.name().equals("quick")) {
                    sweeper.set(Thread.currentThread());
                    Thread.currentThread().interrupt();
                }
            }
        });
        RunningTask later = stubborn(spec("later", Duration.ofMillis(1500)));
        RunningTask quick = stubborn(spec("quick", Duration.ofMillis(10)));
        registry.cancel(later.id(), CancellationReason.requested("test"));
        registry.cancel(quick.id(), CancellationReason.requested("test"));
        await().atMost(Duration.ofSeconds(10)).until(() -> sweeper.get() != null);

        assertThat(cpuMillisDuring(sweeper.get(), 500)).as("CPU ms of the waiting sweeper in 500 ms")
                .isLessThan(50);
        await().atMost(Duration.ofSeconds(10)).until(() -> registry.list(null, TaskState.ABANDONED).stream()
                .anyMatch(info -> info.name().equals("later")));
    }

    @Test
    void anInterruptedShutdownThreadWaitsWithoutSpinningKeepsItsBoundAndGetsTheInterruptBack()
            throws InterruptedException {
        RunningTask task = stubborn(spec("slow", null));
        AtomicReference<ShutdownReport> report = new AtomicReference<>();
        AtomicBoolean interruptedAfter = new AtomicBoolean();
        Thread shutdown = new Thread(() -> {
            report.set(registry.shutdown(Duration.ZERO, Duration.ofSeconds(20), false, Duration.ZERO));
            interruptedAfter.set(Thread.currentThread().isInterrupted());
        }, "test-shutdown");
        shutdown.start();
        await().atMost(Duration.ofSeconds(10)).until(() -> task.handle.get().token().isCancelled());
        shutdown.interrupt();

        assertThat(cpuMillisDuring(shutdown, 500)).as("CPU ms of the waiting shutdown thread in 500 ms")
                .isLessThan(50);
        assertThat(shutdown.isAlive()).as("still waiting for the task, within its bound").isTrue();
        release.complete(null);
        shutdown.join(TimeUnit.SECONDS.toMillis(10));

        assertThat(report.get().cancelled()).extracting(TaskInfo::name).containsExactly("slow");
        assertThat(report.get().abandoned()).isEmpty();
        assertThat(interruptedAfter).as("the caller's interrupt is restored").isTrue();
    }
}
