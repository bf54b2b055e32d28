package dev.cancellation.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.CancellationToken;
import dev.cancellation.actuate.CancellationEndpoint;
import dev.cancellation.actuate.CancellationEndpointWebExtension;
import dev.cancellation.micrometer.CancellationMeters;
import dev.cancellation.micrometer.DefaultTaskObservationConvention;
import dev.cancellation.micrometer.TaskObservationConvention;
import dev.cancellation.micrometer.TaskObservations;
import dev.cancellation.task.TaskHandle;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskSpec;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.micrometer.observation.autoconfigure.ObservationAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** Every branch of the endpoint, observation and metrics auto-configurations. */
class CancellationOpsAutoConfigurationTests {

    private static final AutoConfigurations ALL = AutoConfigurations.of(CancellationAutoConfiguration.class,
            CancellationEndpointAutoConfiguration.class, CancellationObservationAutoConfiguration.class,
            CancellationMetricsAutoConfiguration.class, EndpointAutoConfiguration.class,
            ObservationAutoConfiguration.class, MetricsAutoConfiguration.class,
            SimpleMetricsExportAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class);

    private final WebApplicationContextRunner web = new WebApplicationContextRunner().withConfiguration(ALL);

    private final ApplicationContextRunner plain = new ApplicationContextRunner().withConfiguration(ALL);

    // ------------------------------------------------------------------------------------------ endpoint

    @Test
    void endpointAndWebExtensionWhenExposedOverHttp() {
        web.withPropertyValues("management.endpoints.web.exposure.include=cancellation").run(context -> {
            assertThat(context).hasSingleBean(CancellationEndpoint.class)
                    .hasSingleBean(CancellationEndpointWebExtension.class);
        });
    }

    @Test
    void noEndpointWhenNotExposed() {
        web.run(context -> assertThat(context).hasSingleBean(TaskRegistry.class)
                .doesNotHaveBean(CancellationEndpoint.class)
                .doesNotHaveBean(CancellationEndpointWebExtension.class));
    }

    @Test
    void endpointWithoutWebExtensionWhenExposedOverJmxOnly() {
        plain.withPropertyValues("spring.jmx.enabled=true", "management.endpoints.jmx.exposure.include=cancellation")
                .run(context -> assertThat(context).hasSingleBean(CancellationEndpoint.class)
                        .doesNotHaveBean(CancellationEndpointWebExtension.class));
    }

    @Test
    void noEndpointWhenAccessIsNone() {
        web.withPropertyValues("management.endpoints.web.exposure.include=cancellation",
                // upper case: the runner's environment lacks SpringApplication's lenient enum conversion
                "management.endpoint.cancellation.access=NONE")
                .run(context -> assertThat(context).doesNotHaveBean(CancellationEndpoint.class));
    }

    @Test
    void noEndpointWithoutTheActuator() {
        web.withClassLoader(new FilteredClassLoader(Endpoint.class))
                .withPropertyValues("management.endpoints.web.exposure.include=cancellation")
                .run(context -> assertThat(context).hasNotFailed().hasSingleBean(TaskRegistry.class)
                        .doesNotHaveBean(CancellationEndpoint.class));
    }

    @Test
    void userEndpointReplacesOurs() {
        web.withPropertyValues("management.endpoints.web.exposure.include=cancellation")
                .withUserConfiguration(OwnEndpoint.class)
                .run(context -> assertThat(context).getBean(CancellationEndpoint.class)
                        .isSameAs(context.getBean(OwnEndpoint.class).endpoint));
    }

    // ------------------------------------------------------------------------------------------ micrometer

    @Test
    void observationsAndMetersWithMicrometer() {
        plain.run(context -> {
            assertThat(context).hasSingleBean(TaskObservations.class).hasSingleBean(CancellationMeters.class);
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            MeterRegistry meters = context.getBean(MeterRegistry.class);
            TaskHandle handle = registry.start(spec("Wired.task"));
            assertThat(meters.get("cancellation.task.active").tag("task", "Wired.task").longTaskTimer().activeTasks())
                    .isEqualTo(1);
            assertThat(meters.get("cancellation.tasks.running").gauge().value()).isEqualTo(1);
            handle.exit(null);
            assertThat(meters.get("cancellation.task").tags("task", "Wired.task", "outcome", "completed").timer()
                    .count()).isEqualTo(1);
            assertThat(meters.get("cancellation.tasks.abandoned").gauge().value()).isZero();
        });
    }

    @Test
    void noObservationsWithoutAnObservationRegistry() {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(CancellationAutoConfiguration.class,
                        CancellationObservationAutoConfiguration.class, CancellationMetricsAutoConfiguration.class))
                .run(context -> assertThat(context).hasSingleBean(TaskRegistry.class)
                        .doesNotHaveBean(TaskObservations.class).doesNotHaveBean(CancellationMeters.class));
    }

    @Test
    void nothingOfMicrometerWithoutMicrometer() {
        plain.withClassLoader(new FilteredClassLoader("io.micrometer"))
                .run(context -> assertThat(context).hasNotFailed().hasSingleBean(TaskRegistry.class)
                        .doesNotHaveBean(TaskObservations.class).doesNotHaveBean(CancellationMeters.class)
                        .doesNotHaveBean("observationRegistry"));
    }

    @Test
    void customConventionIsUsed() {
        plain.withUserConfiguration(CustomConvention.class).run(context -> {
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            registry.start(spec("Custom.task")).exit(null);
            assertThat(context.getBean(MeterRegistry.class).find("jobs").tag("task", "Custom.task").timer())
                    .isNotNull();
            assertThat(context.getBean(MeterRegistry.class).find("cancellation.task").timer()).isNull();
        });
    }

    @Test
    void metricsCanBeTurnedOffWithBootsMeterFilter() {
        plain.withPropertyValues("management.metrics.enable.cancellation=false").run(context -> {
            context.getBean(TaskRegistry.class).start(spec("Off.task")).exit(null);
            assertThat(context.getBean(MeterRegistry.class).find("cancellation.task").timer()).isNull();
            assertThat(context.getBean(MeterRegistry.class).find("cancellation.tasks.running").gauge()).isNull();
        });
    }

    @Test
    void observationsCanBeTurnedOffWithBootsObservationPredicate() {
        plain.withPropertyValues("management.observations.enable.cancellation=false").run(context -> {
            context.getBean(TaskRegistry.class).start(spec("Off.task")).exit(null);
            assertThat(context.getBean(MeterRegistry.class).find("cancellation.task").timer()).isNull();
            assertThat(context.getBean(MeterRegistry.class).find("cancellation.tasks.running").gauge()).isNotNull();
        });
    }

    // ------------------------------------------------------------------------------------------ disabled

    @Test
    void nothingWhenCancellationIsDisabled() {
        web.withPropertyValues("cancellation.enabled=false", "management.endpoints.web.exposure.include=cancellation")
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(TaskRegistry.class)
                        .doesNotHaveBean(CancellationEndpoint.class).doesNotHaveBean(TaskObservations.class)
                        .doesNotHaveBean(CancellationMeters.class));
    }

    @Test
    void listenersAreRemovedWhenTheContextCloses() {
        TaskRegistry[] registry = new TaskRegistry[1];
        MeterRegistry[] meters = new MeterRegistry[1];
        plain.withUserConfiguration(OwnRegistry.class).run(context -> {
            registry[0] = context.getBean(TaskRegistry.class);
            meters[0] = context.getBean(MeterRegistry.class);
            assertThat(meters[0].find("cancellation.tasks.running").gauge()).isNotNull();
        });

        // the user's registry outlives the context: our listeners must not keep recording into it
        registry[0].start(spec("After.close")).cancel(dev.cancellation.CancellationReason.requested("test"));
        assertThat(meters[0].find("cancellation.tasks.running").gauge()).isNull();
        assertThat(meters[0].find("cancellation.cancelled").counter()).isNull();
        assertThat(meters[0].find("cancellation.task.active").longTaskTimer()).isNull();
        registry[0].close();
    }

    private static TaskSpec spec(String name) {
        return new TaskSpec(name, CancellationToken.none(), null, null, Duration.ZERO, null);
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnEndpoint {

        final CancellationEndpoint endpoint = new CancellationEndpoint(new TaskRegistry());

        @Bean
        CancellationEndpoint myEndpoint() {
            return endpoint;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnRegistry {

        @Bean(destroyMethod = "")
        TaskRegistry myRegistry() {
            return new TaskRegistry();
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class CustomConvention {

        @Bean
        TaskObservationConvention jobsConvention() {
            return new DefaultTaskObservationConvention() {
                @Override
                public String getName() {
                    return "jobs";
                }
            };
        }
    }
}
