package dev.cancellation.lifecycle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.autoconfigure.CancellationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationShutdownAutoConfiguration;
import dev.cancellation.task.TaskRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.web.server.context.WebServerGracefulShutdownLifecycle;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.scheduling.concurrent.ExecutorConfigurationSupport;

/** The branches of {@link CancellationShutdownAutoConfiguration}. */
class CancellationShutdownAutoConfigurationTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner().withConfiguration(
            AutoConfigurations.of(CancellationAutoConfiguration.class, CancellationShutdownAutoConfiguration.class));

    @Test
    void defaultsFollowBootsShutdownPhaseTimeout() {
        runner.run(context -> {
            CancellationLifecycle lifecycle = context.getBean(CancellationLifecycle.class);
            assertThat(lifecycle.getTimeout()).isEqualTo(Duration.ofSeconds(30));
            assertThat(lifecycle.getDrainTimeout()).isZero();
            assertThat(lifecycle.getLastGrace()).isEqualTo(Duration.ofSeconds(1));
            assertThat(lifecycle.isInterrupt()).isTrue();
            assertThat(lifecycle.isRunning()).isTrue();
        });
    }

    @Test
    void phaseIsTheWebServerGracefulShutdownPhaseAndBeforeExecutorsStop() {
        assertThat(CancellationLifecycle.DEFAULT_PHASE)
                .isEqualTo(WebServerGracefulShutdownLifecycle.SMART_LIFECYCLE_PHASE);
        // Higher phases stop first: executors and schedulers stop after the tasks were cancelled.
        assertThat(CancellationLifecycle.DEFAULT_PHASE).isGreaterThan(ExecutorConfigurationSupport.DEFAULT_PHASE);
        runner.run(context -> assertThat(context.getBean(CancellationLifecycle.class).getPhase())
                .isEqualTo(CancellationLifecycle.DEFAULT_PHASE));
    }

    @Test
    void timeoutDefaultsToTheConfiguredShutdownPhaseTimeout() {
        runner.withPropertyValues("spring.lifecycle.timeout-per-shutdown-phase=12s").run(context -> assertThat(
                context.getBean(CancellationLifecycle.class).getTimeout()).isEqualTo(Duration.ofSeconds(12)));
    }

    @Test
    void customPropertiesAreApplied() {
        runner.withPropertyValues("cancellation.shutdown.timeout=5s", "cancellation.shutdown.drain-timeout=2s",
                "cancellation.shutdown.last-grace=300ms", "cancellation.interrupt=false",
                "spring.lifecycle.timeout-per-shutdown-phase=12s").run(context -> {
                    CancellationLifecycle lifecycle = context.getBean(CancellationLifecycle.class);
                    assertThat(lifecycle.getTimeout()).isEqualTo(Duration.ofSeconds(5));
                    assertThat(lifecycle.getDrainTimeout()).isEqualTo(Duration.ofSeconds(2));
                    assertThat(lifecycle.getLastGrace()).isEqualTo(Duration.ofMillis(300));
                    assertThat(lifecycle.isInterrupt()).isFalse();
                });
    }

    @Test
    void shutdownDisabledLeavesTheRegistryWithoutLifecycle() {
        runner.withPropertyValues("cancellation.shutdown.enabled=false").run(context -> {
            assertThat(context).hasSingleBean(TaskRegistry.class);
            assertThat(context).doesNotHaveBean(CancellationLifecycle.class);
        });
    }

    @Test
    void cancellationDisabledTurnsEverythingOff() {
        runner.withPropertyValues("cancellation.enabled=false").run(context -> {
            assertThat(context).doesNotHaveBean(TaskRegistry.class);
            assertThat(context).doesNotHaveBean(CancellationLifecycle.class);
        });
    }

    @Test
    void noRegistryNoLifecycle() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(CancellationShutdownAutoConfiguration.class))
                .run(context -> assertThat(context).doesNotHaveBean(CancellationLifecycle.class));
    }

    @Test
    void userRegistryGetsTheLifecycleToo() {
        runner.withUserConfiguration(UserRegistry.class).run(context -> {
            assertThat(context.getBean(CancellationLifecycle.class)).isNotNull();
            assertThat(context.getBean(TaskRegistry.class)).isSameAs(UserRegistry.REGISTRY);
        });
    }

    @Test
    void userLifecycleBacksTheDefaultOff() {
        runner.withUserConfiguration(UserLifecycle.class).run(context -> assertThat(
                context.getBean(CancellationLifecycle.class).getTimeout()).isEqualTo(Duration.ofSeconds(3)));
    }

    @Test
    void negativeDurationFailsStartupNamingTheProperty() {
        runner.withPropertyValues("cancellation.shutdown.drain-timeout=-1s").run(context -> assertThat(context)
                .getFailure().rootCause().hasMessageContaining("cancellation.shutdown.drain-timeout")
                .hasMessageContaining("-1"));
    }

    @Configuration(proxyBeanMethods = false)
    static class UserRegistry {

        static final TaskRegistry REGISTRY = new TaskRegistry();

        @Bean
        TaskRegistry myRegistry() {
            return REGISTRY;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class UserLifecycle {

        @Bean
        CancellationLifecycle myLifecycle(TaskRegistry registry) {
            return new CancellationLifecycle(registry, Duration.ZERO, Duration.ofSeconds(3), true, Duration.ZERO);
        }
    }
}
