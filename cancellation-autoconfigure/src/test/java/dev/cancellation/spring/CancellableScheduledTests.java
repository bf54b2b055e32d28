package dev.cancellation.spring;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.task.ShutdownReport;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskState;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.scheduling.annotation.EnableScheduling;
import org.springframework.scheduling.annotation.Scheduled;
import org.springframework.beans.factory.annotation.Autowired;

/**
 * {@code @Scheduled} methods that opt in with {@code @Cancellable} run as tasks with a token, so that a registry
 * shutdown stops them instead of waiting for them.
 */
@SpringBootTest(classes = CancellableScheduledTests.App.class, webEnvironment = SpringBootTest.WebEnvironment.NONE)
class CancellableScheduledTests {

    @Autowired
    TaskRegistry registry;

    @Autowired
    Probe probe;

    @Test
    void scheduledMethodGetsATokenAndIsCancelledOnRegistryShutdown() throws InterruptedException {
        assertThat(probe.running.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        assertThat(registry.list("nightly", TaskState.RUNNING)).hasSize(1);
        assertThat(probe.token.get().isNone()).isFalse();

        ShutdownReport report = registry.shutdown(Duration.ZERO, PROMPTLY, true, Duration.ofSeconds(1));

        assertThat(report.cancelled()).extracting(info -> info.name()).containsExactly("nightly");
        assertThat(probe.stopReason.get().kind()).isEqualTo(CancellationReason.Kind.SHUTDOWN);
        assertThat(report.abandoned()).isEmpty();
        assertThat(registry.size()).isZero();
    }

    @SpringBootApplication
    @EnableScheduling
    static class App {

        @Bean
        Probe probe() {
            return new Probe();
        }

        @Bean
        Nightly nightly(Probe probe) {
            return new Nightly(probe);
        }
    }

    static class Probe {
        final CountDownLatch running = new CountDownLatch(1);
        final AtomicReference<CancellationToken> token = new AtomicReference<>();
        final AtomicReference<CancellationReason> stopReason = new AtomicReference<>();
    }

    static class Nightly {

        private final Probe probe;

        Nightly(Probe probe) {
            this.probe = probe;
        }

        @Scheduled(fixedDelay = 3_600_000)
        @Cancellable(name = "nightly")
        public void run() {
            CancellationToken token = CancellationToken.current();
            probe.token.set(token);
            probe.running.countDown();
            while (!token.isCancelled()) {
                Thread.onSpinWait();
            }
            probe.stopReason.set(token.reason().orElseThrow());
        }
    }
}
