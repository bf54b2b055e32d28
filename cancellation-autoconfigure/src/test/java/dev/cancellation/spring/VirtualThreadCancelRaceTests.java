package dev.cancellation.spring;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.annotation.OnCancel;
import dev.cancellation.autoconfigure.CancellableAnnotationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationAutoConfiguration;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskSpec;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntPredicate;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Ten thousand concurrent tasks on virtual threads with cancels racing their start, their checkpoints and their
 * completion (Java 21+; skipped below). Every call returns its result or throws {@code TaskCancelledException},
 * every cancelled call's cleanup runs exactly once (and no other's), the registry ends empty, and no virtual
 * thread parks while pinned in starter code (a JFR {@code jdk.VirtualThreadPinned} recording).
 */
@Tag("virtual-threads")
class VirtualThreadCancelRaceTests {

    private static final int CALLS = 10_000;

    /** A pinned park longer than this, in starter code, would hold a carrier thread (there are only a few). */
    private static final Duration PIN_LIMIT = Duration.ofMillis(5);

    @BeforeEach
    void needsVirtualThreads() {
        CancellableTestSupport.assumeVirtualThreads();
    }

    @Test
    void registryRunAndCallRacingCancels() throws Exception {
        TaskRegistry registry = new TaskRegistry(new TaskRegistry.Settings(100, 2, 2 * CALLS, Duration.ofSeconds(10)));
        AtomicIntegerArray cleanups = new AtomicIntegerArray(CALLS);
        long seed = System.nanoTime();
        CancelRace.Call call = i -> (i % 2 == 0)
                ? registry.run("vt.run", null, token -> {
                    try {
                        return CancelRace.work(i, token);
                    } catch (InterruptedException ex) { // run() never interrupts: nothing else does here
                        Thread.currentThread().interrupt();
                        throw new IllegalStateException(ex);
                    }
                })
                : registry.call(new TaskSpec("vt.call", CancellationToken.current(), null,
                        Duration.ofSeconds(2), Duration.ofSeconds(5), (info, reason, token) -> {
                            cleanups.incrementAndGet(i);
                            return null;
                        }), token -> CancelRace.work(i, token));
        warmUp(call, registry, cleanups);
        PinnedRace run = raceRecordingPins(call, seed, registry);
        try {
            assertOutcomes(run.race(), cleanups, i -> i % 2 == 1);
            assertNoPinningInStarterCode(run.pins());
        } finally {
            registry.close();
        }
    }

    @Test
    void cancellableBeanCallsRacingCancels() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(CancellationAutoConfiguration.class,
                        CancellableAnnotationAutoConfiguration.class))
                .withUserConfiguration(WorkerConfig.class)
                .withPropertyValues("cancellation.cleanup.queue-capacity=" + 2 * CALLS)
                .run(context -> {
                    Worker worker = context.getBean(Worker.class);
                    TaskRegistry registry = context.getBean(TaskRegistry.class);
                    long seed = System.nanoTime();
                    AtomicIntegerArray cleanups = context.getBean(Cleanups.class).counts;
                    CancelRace.Call call = i -> worker.work(i, null);
                    warmUp(call, registry, cleanups);
                    PinnedRace run = raceRecordingPins(call, seed, registry);
                    assertOutcomes(run.race(), cleanups, i -> true);
                    assertNoPinningInStarterCode(run.pins());
                });
    }

    /** The probe works on this JVM: a virtual thread parking in a class initializer is pinned, and recorded. */
    @Test
    void pinnedParkIsRecorded() throws Exception {
        List<PinnedEvents.Pin> pins;
        try (PinnedEvents pinned = PinnedEvents.start()) {
            ExecutorService threads = CancellableTestSupport.newVirtualThreadPerTaskExecutor();
            try {
                threads.submit(() -> ParksInItsInitializer.VALUE).get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
            } finally {
                threads.shutdown();
            }
            pins = pinned.stop();
        }
        assertThat(pins).anySatisfy(pin -> {
            assertThat(pin.frame()).startsWith(ParksInItsInitializer.class.getName());
            assertThat(PinnedEvents.attributableToTheStarter(pin)).isFalse();
        });
    }

    /** Parks while being initialized: a virtual thread cannot unmount during a class initializer. */
    static final class ParksInItsInitializer {
        static final int VALUE;

        static {
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
            VALUE = 1;
        }
    }

    // ------------------------------------------------------------------------------------------ checks

    /**
     * A small race first, unrecorded: the first use of each class loads it, and a virtual thread waiting for a
     * class being loaded by another is pinned; that is the JVM's one-off, not the starter's steady state.
     */
    private static void warmUp(CancelRace.Call call, TaskRegistry registry, AtomicIntegerArray cleanups)
            throws InterruptedException {
        new CancelRace(500, 1).run(call);
        awaitDrained(registry);
        for (int i = 0; i < cleanups.length(); i++) {
            cleanups.set(i, 0);
        }
    }

    /** A finished race and the pinning events recorded while it ran and the registry drained. */
    private record PinnedRace(CancelRace race, List<PinnedEvents.Pin> pins) {
    }

    /** Runs the race of {@code call} with {@code seed}, waits until {@code registry} drained, records pinning. */
    private static PinnedRace raceRecordingPins(CancelRace.Call call, long seed, TaskRegistry registry)
            throws InterruptedException {
        try (PinnedEvents pinned = PinnedEvents.start()) {
            CancelRace race = new CancelRace(CALLS, seed).run(call);
            awaitDrained(registry);
            return new PinnedRace(race, pinned.stop());
        }
    }

    /** Cancelled tasks stay listed until their cleanup is done: an empty registry means every cleanup ended. */
    private static void awaitDrained(TaskRegistry registry) {
        Awaitility.await("registry empty, no cleanup pending").atMost(PROMPTLY)
                .until(() -> registry.size() == 0 && registry.pendingCleanups() == 0);
        assertThat(registry.abandonedCount()).isZero();
    }

    private static void assertOutcomes(CancelRace race, AtomicIntegerArray cleanups, IntPredicate hasCleanup) {
        List<String> wrong = new ArrayList<>();
        int cancelled = 0;
        int completedDespiteCancel = 0;
        for (int i = 0; i < race.n; i++) {
            Object outcome = race.outcomes.get(i);
            int expectedCleanups = 0;
            if (outcome instanceof Integer value) {
                if (value != i) {
                    wrong.add("call " + i + " returned " + value);
                }
                if (race.cancelRequested[i]) {
                    completedDespiteCancel++;
                }
            } else if (outcome instanceof TaskCancelledException ex) {
                cancelled++;
                if (!race.cancelRequested[i] || !CancelRace.MESSAGE.equals(ex.reason().message())) {
                    wrong.add("call " + i + " cancelled without a racing cancel: " + ex);
                }
                expectedCleanups = hasCleanup.test(i) ? 1 : 0;
            } else {
                wrong.add("call " + i + " ended with " + describe(outcome));
            }
            if (cleanups.get(i) != expectedCleanups) {
                wrong.add("call " + i + " (" + describe(outcome) + ") ran its cleanup " + cleanups.get(i)
                        + " time(s), expected " + expectedCleanups);
            }
        }
        assertThat(wrong.subList(0, Math.min(20, wrong.size())))
                .as("wrong outcomes (%d in all, seed %d), the first 20", wrong.size(), race.seed).isEmpty();
        System.out.printf("%s: %d calls on virtual threads, %d cancelled, %d completed before their cancel, "
                + "seed %d%n", VirtualThreadCancelRaceTests.class.getSimpleName(), race.n, cancelled,
                completedDespiteCancel, race.seed);
        assertThat(race.onVirtualThreads).as("calls on virtual threads").hasValue(race.n);
        // the race really raced: some calls were cancelled, some completed although a cancel was coming
        assertThat(cancelled).as("cancelled calls (seed %d)", race.seed).isPositive();
        assertThat(completedDespiteCancel).as("calls completed before their cancel (seed %d)", race.seed)
                .isPositive();
    }

    private static void assertNoPinningInStarterCode(List<PinnedEvents.Pin> pins) {
        List<String> long_ = new ArrayList<>();
        for (PinnedEvents.Pin pin : pins) {
            if (PinnedEvents.attributableToTheStarter(pin) && pin.duration().compareTo(PIN_LIMIT) > 0) {
                long_.add(pin.duration().toMillis() + " ms pinned at " + pin.frame() + pin.stack());
            }
        }
        System.out.printf("%s: %d pinned parks recorded, %d in starter code%n",
                VirtualThreadCancelRaceTests.class.getSimpleName(), pins.size(),
                pins.stream().filter(PinnedEvents::attributableToTheStarter).count());
        assertThat(long_).as("virtual threads parked while pinned in starter code (of %d pinned parks)",
                pins.size()).isEmpty();
    }

    private static String describe(Object outcome) {
        if (outcome instanceof Throwable failure) {
            StringWriter trace = new StringWriter();
            failure.printStackTrace(new PrintWriter(trace));
            return trace.toString();
        }
        return String.valueOf(outcome);
    }

    // ------------------------------------------------------------------------------------------ application

    @Configuration(proxyBeanMethods = false)
    static class WorkerConfig {

        @Bean
        Cleanups cleanups() {
            return new Cleanups();
        }

        @Bean
        Worker worker(Cleanups cleanups) {
            return new Worker(cleanups);
        }
    }

    /** How many times each call's cleanup ran (a bean of its own: fields of the proxied worker are not shared). */
    static class Cleanups {
        final AtomicIntegerArray counts = new AtomicIntegerArray(CALLS);
    }

    static class Worker {

        private final Cleanups cleanups;

        Worker(Cleanups cleanups) {
            this.cleanups = cleanups;
        }

        @Cancellable(name = "vt.bean")
        public int work(int index, CancellationToken token) throws InterruptedException {
            return CancelRace.work(index, token);
        }

        @OnCancel("vt.bean")
        public void cleanUp(int index) {
            cleanups.counts.incrementAndGet(index);
        }
    }
}
