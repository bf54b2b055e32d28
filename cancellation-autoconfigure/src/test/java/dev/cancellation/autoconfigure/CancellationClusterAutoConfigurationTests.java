package dev.cancellation.autoconfigure;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cancellation.actuate.CancellationEndpoint;
import dev.cancellation.actuate.RunningTasks;
import dev.cancellation.cluster.FleetHealthIndicator;
import dev.cancellation.cluster.FleetMetrics;
import dev.cancellation.cluster.RedisFleet;
import dev.cancellation.cluster.TestRedis;
import dev.cancellation.task.TaskRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.data.redis.connection.RedisConnectionFactory;

/** Every branch of the fleet's auto-configuration, against a real Redis server. */
@ExtendWith(OutputCaptureExtension.class)
class CancellationClusterAutoConfigurationTests {

    private static TestRedis redis;

    private static WebApplicationContextRunner runner;

    @BeforeAll
    static void startRedis() {
        redis = TestRedis.start();
        runner = new WebApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(CancellationAutoConfiguration.class,
                        CancellationClusterAutoConfiguration.class, DataRedisAutoConfiguration.class,
                        CancellationEndpointAutoConfiguration.class, EndpointAutoConfiguration.class,
                        MetricsAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class,
                        CompositeMeterRegistryAutoConfiguration.class))
                .withPropertyValues("spring.data.redis.host=127.0.0.1", "spring.data.redis.port=" + redis.port(),
                        "spring.data.redis.timeout=2s", "management.endpoints.web.exposure.include=cancellation",
                        "cancellation.cluster.heartbeat-interval=200ms",
                        "cancellation.cluster.time-to-live=1s");
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    @Test
    void offByDefaultEvenWithRedis() {
        runner.run(context -> assertThat(context).hasSingleBean(RedisConnectionFactory.class)
                .doesNotHaveBean(RedisFleet.class).doesNotHaveBean("cancellationFleetMissingWarning"));
    }

    @Test
    void joinsTheFleetNamedAfterTheApplicationWithHealthAndMeters(CapturedOutput output) {
        runner.withPropertyValues("cancellation.cluster.enabled=true", "spring.application.name=orders",
                "server.port=8080").run(context -> {
                    assertThat(output).doesNotContain("this instance runs alone");
                    assertThat(context).hasNotFailed().hasSingleBean(RedisFleet.class)
                            .hasSingleBean(FleetHealthIndicator.class).hasSingleBean(FleetMetrics.class);
                    RedisFleet fleet = context.getBean(RedisFleet.class);
                    assertThat(fleet.fleet()).isEqualTo("orders");
                    assertThat(fleet.instanceId()).endsWith(":8080:" + ManagementFactory.getRuntimeMXBean().getPid());
                    await().atMost(PROMPTLY).until(fleet::isInFleet);
                    assertThat(context.getBean(FleetHealthIndicator.class).health().getStatus())
                            .isEqualTo(Status.UP);
                    assertThat(context.getBean(MeterRegistry.class).find("cancellation.fleet.messages")
                            .tag("outcome", "sent").functionCounter()).isNotNull();
                    assertThat(context.getBean(MeterRegistry.class).get("cancellation.fleet.member").gauge().value())
                            .isEqualTo(1.0);
                    // the endpoint sees the fleet: its tasks name their instance, and scope=cluster is accepted
                    CancellationEndpoint endpoint = context.getBean(CancellationEndpoint.class);
                    assertThat(endpoint.tasks(null, null, "cluster").tasks()).isEmpty();
                    RunningTasks tasks = new RunningTasks(context.getBean(TaskRegistry.class));
                    RunningTasks.Running task = tasks.start("report");
                    assertThat(endpoint.task(task.id()).instance()).isEqualTo(fleet.instanceId());
                    task.complete();
                    tasks.close();
                });
    }

    @Test
    void explicitNameAndInstanceId() {
        runner.withPropertyValues("cancellation.cluster.enabled=true", "cancellation.cluster.name=billing",
                "cancellation.cluster.instance-id=billing-7").run(context -> {
                    RedisFleet fleet = context.getBean(RedisFleet.class);
                    assertThat(fleet.fleet()).isEqualTo("billing");
                    assertThat(fleet.instanceId()).isEqualTo("billing-7");
                    assertThat(fleet.settings().heartbeatInterval()).hasMillis(200);
                });
    }

    @Test
    void fleetNameDefaultsToApplicationWithoutAnApplicationName() {
        runner.withPropertyValues("cancellation.cluster.enabled=true").run(context -> {
            assertThat(context.getBean(RedisFleet.class).fleet()).isEqualTo("application");
            assertThat(context.getBean(RedisFleet.class).instanceId())
                    .endsWith(":" + ManagementFactory.getRuntimeMXBean().getPid());
        });
    }

    @Test
    void offWithoutARedisConnectionFactoryAndSaysSoAtStartup(CapturedOutput output) {
        new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(CancellationAutoConfiguration.class,
                        CancellationClusterAutoConfiguration.class))
                .withPropertyValues("cancellation.cluster.enabled=true")
                .run(context -> assertThat(context).hasNotFailed().hasSingleBean(TaskRegistry.class)
                        .doesNotHaveBean(RedisFleet.class));
        assertThat(output).contains("cancellation.cluster.enabled=true, but this instance runs alone",
                "RedisConnectionFactory");
    }

    @Test
    void offWithoutSpringDataRedis(CapturedOutput output) {
        runner.withClassLoader(new FilteredClassLoader("org.springframework.data.redis"))
                .withPropertyValues("cancellation.cluster.enabled=true")
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(RedisFleet.class));
        assertThat(output).contains("this instance runs alone");
    }

    @Test
    void offWithoutJackson() {
        runner.withClassLoader(new FilteredClassLoader("tools.jackson.databind"))
                .withPropertyValues("cancellation.cluster.enabled=true")
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(RedisFleet.class));
    }

    @Test
    void offWhenCancellationIsOff() {
        runner.withPropertyValues("cancellation.cluster.enabled=true", "cancellation.enabled=false")
                .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(RedisFleet.class));
    }

    @Test
    void noHealthContributorWithoutBootHealthAndNoMetersWithoutMicrometer() {
        runner.withClassLoader(new FilteredClassLoader("org.springframework.boot.health.contributor",
                "io.micrometer.core.instrument"))
                .withConfiguration(AutoConfigurations.of(CancellationAutoConfiguration.class,
                        CancellationClusterAutoConfiguration.class, DataRedisAutoConfiguration.class))
                .withPropertyValues("cancellation.cluster.enabled=true")
                .run(context -> assertThat(context).hasSingleBean(RedisFleet.class)
                        .doesNotHaveBean(FleetHealthIndicator.class).doesNotHaveBean(FleetMetrics.class));
    }

    @Test
    void aTimeToLiveOfAtMostTwoHeartbeatsFailsStartupNamingBothProperties() {
        runner.withPropertyValues("cancellation.cluster.enabled=true", "cancellation.cluster.time-to-live=400ms")
                .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                        .hasMessageContaining("cancellation.cluster.time-to-live (PT0.4S)")
                        .hasMessageContaining("cancellation.cluster.heartbeat-interval (PT0.2S)"));
    }

    @Test
    void badValuesFailStartupNamingTheProperty() {
        runner.withPropertyValues("cancellation.cluster.enabled=true", "cancellation.cluster.max-published-tasks=-1")
                .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                        .hasMessageContaining("cancellation.cluster.max-published-tasks").hasMessageContaining("-1"));
        runner.withPropertyValues("cancellation.cluster.enabled=true", "cancellation.cluster.instance-id=a b")
                .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                        .hasMessageContaining("cancellation.cluster.instance-id"));
        runner.withPropertyValues("cancellation.cluster.enabled=true", "cancellation.cluster.request-timeout=0s")
                .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                        .hasMessageContaining("cancellation.cluster.request-timeout"));
    }

    @Test
    void aKeyShorterThan32BytesFailsStartupNamingThePropertyAndTheLengthNeverTheKey(CapturedOutput output) {
        runner.withPropertyValues("cancellation.cluster.enabled=true",
                "cancellation.cluster.secret=a-long-enough-fleet-key-0123456789abcdef,short-key-value-xyz")
                .run(context -> {
                    assertThat(context).hasFailed().getFailure().rootCause()
                            .hasMessageContaining("cancellation.cluster.secret[1] has 19 bytes")
                            .hasMessageContaining("at least 32")
                            .hasMessageNotContaining("short-key-value-xyz");
                    assertThat(output).doesNotContain("short-key-value-xyz");
                });
        runner.withPropertyValues("cancellation.cluster.enabled=true", "cancellation.cluster.clock-skew=-1s")
                .run(context -> assertThat(context).hasFailed().getFailure().rootCause()
                        .hasMessageContaining("cancellation.cluster.clock-skew"));
    }

    @Test
    void withKeysTheFleetSignsAndNeverShowsThemWithoutItSaysOnceThatCancelsAcrossInstancesAreRefused(
            CapturedOutput output) {
        String key = "a-long-enough-fleet-key-0123456789abcdef";
        runner.withPropertyValues("cancellation.cluster.enabled=true", "cancellation.cluster.secret[0]=" + key,
                "cancellation.cluster.secret[1]=", "cancellation.cluster.clock-skew=250ms").run(context -> {
                    RedisFleet fleet = context.getBean(RedisFleet.class);
                    assertThat(fleet.settings().secrets()).containsExactly(key);
                    assertThat(fleet.settings().clockSkew()).hasMillis(250);
                    assertThat(fleet.settings().toString()).doesNotContain(key).contains("1 hidden");
                    assertThat(output).doesNotContain("runs without a key");
                });
        runner.withPropertyValues("cancellation.cluster.enabled=true").run(context -> {
            assertThat(context.getBean(RedisFleet.class).settings().signed()).isFalse();
            assertThat(output).containsOnlyOnce("runs without a key");
        });
    }
}
