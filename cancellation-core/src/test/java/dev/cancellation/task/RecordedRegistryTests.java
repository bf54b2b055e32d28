package dev.cancellation.task;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;

/**
 * Test support: the fixture of the registry tests whose tasks block until released: a registry whose events are
 * {@linkplain #events recorded}, the {@link #release} future the tasks wait for, completed after each test, and
 * optionally a bounded, interrupting shutdown of the registry after that.
 */
abstract class RecordedRegistryTests {

    final RecordingListener events = new RecordingListener();
    final CompletableFuture<Void> release = new CompletableFuture<>();
    /** Not final: a test may replace it with a differently configured one (adding {@link #events} to it). */
    TaskRegistry registry;
    private final boolean shutDownAfterEach;

    RecordedRegistryTests(TaskRegistry registry, boolean shutDownAfterEach) {
        this.registry = registry;
        this.shutDownAfterEach = shutDownAfterEach;
        registry.addListener(events);
    }

    @AfterEach
    void releaseTasks() {
        release.complete(null);
        if (shutDownAfterEach) {
            registry.shutdown(Duration.ZERO, Duration.ofSeconds(2), true, Duration.ofMillis(100));
        }
    }
}
