package dev.cancellation.autoconfigure;

import dev.cancellation.cluster.FleetHealthIndicator;
import dev.cancellation.cluster.FleetMetrics;
import dev.cancellation.cluster.FleetSettings;
import dev.cancellation.cluster.RedisFleet;
import dev.cancellation.task.TaskRegistry;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import dev.cancellation.actuate.FleetTasks;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.util.ClassUtils;

/**
 * Auto-configuration of the fleet on Redis, when {@code cancellation.cluster.enabled=true} and a
 * {@link TaskRegistry} exists: with Spring Data Redis and Jackson on the classpath and a
 * {@link RedisConnectionFactory} (Boot's, from {@code spring.data.redis.*}, or the application's own), the
 * {@link RedisFleet} (which the {@code cancellation} endpoint uses for {@code scope=cluster} and for tasks of other
 * instances), its health contributor {@code cancellationFleet} and its meters. Without them, a warning at startup
 * says what is missing, and the instance runs alone.
 *
 * <p>The fleet's keys ({@code cancellation.cluster.secret}) are checked here, not when bound: a bind error would
 * print the value. A key shorter than 32 bytes fails startup with a message naming the property and the length.
 * Another live instance with the same {@code cancellation.cluster.instance-id} fails startup too.
 */
@AutoConfiguration(after = CancellationAutoConfiguration.class,
        afterName = "org.springframework.boot.data.redis.autoconfigure.DataRedisAutoConfiguration",
        beforeName = "dev.cancellation.autoconfigure.CancellationEndpointAutoConfiguration")
@ConditionalOnBooleanProperty("cancellation.cluster.enabled")
@ConditionalOnBean(TaskRegistry.class)
@EnableConfigurationProperties(CancellationClusterProperties.class)
public class CancellationClusterAutoConfiguration {

    private static final Log logger = LogFactory.getLog(CancellationClusterAutoConfiguration.class);

    /** The fleet itself, with Spring Data Redis, Jackson and a connection factory. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = { "org.springframework.data.redis.connection.RedisConnectionFactory",
            "tools.jackson.databind.json.JsonMapper" })
    @ConditionalOnBean(type = "org.springframework.data.redis.connection.RedisConnectionFactory")
    static class RedisFleetConfiguration {

        /** This instance's membership of the fleet; started and stopped with the context. */
        @Bean
        @ConditionalOnMissingBean
        RedisFleet cancellationRedisFleet(CancellationClusterProperties properties, TaskRegistry registry,
                RedisConnectionFactory connectionFactory, Environment environment) {
            if (properties.getTimeToLive().compareTo(properties.getHeartbeatInterval().multipliedBy(2)) <= 0) {
                throw new IllegalStateException("cancellation.cluster.time-to-live (" + properties.getTimeToLive()
                        + ") must be more than twice cancellation.cluster.heartbeat-interval ("
                        + properties.getHeartbeatInterval()
                        + "), or one late heartbeat drops the instance from the fleet");
            }
            String fleet = (properties.getName() != null) ? properties.getName()
                    : environment.getProperty("spring.application.name", "application");
            String instance = (properties.getInstanceId() != null) ? properties.getInstanceId()
                    : defaultInstanceId(environment);
            FleetSettings settings;
            try {
                settings = new FleetSettings(fleet, instance, properties.getHeartbeatInterval(),
                        properties.getTimeToLive(), properties.getRequestTimeout(), properties.getMaxPublishedTasks(),
                        properties.getKeyPrefix(), properties.getSecret(), properties.getClockSkew());
            } catch (IllegalArgumentException ex) {
                throw new IllegalStateException("Invalid cancellation.cluster.* configuration (fleet '" + fleet
                        + "', instance '" + instance + "'): " + ex.getMessage(), ex);
            }
            return new RedisFleet(settings, registry, connectionFactory, describe(connectionFactory));
        }

        /** {@code Redis at host:port} for Lettuce's factory, {@code Redis} otherwise. */
        static String describe(RedisConnectionFactory factory) {
            if (ClassUtils.isPresent("io.lettuce.core.RedisClient", RedisFleetConfiguration.class.getClassLoader())
                    && factory instanceof
                    org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory lettuce) {
                return "Redis at " + lettuce.getHostName() + ":" + lettuce.getPort();
            }
            return "Redis";
        }

        /** The fleet's health contributor ({@code cancellationFleet}). */
        @Configuration(proxyBeanMethods = false)
        @ConditionalOnClass(name = "org.springframework.boot.health.contributor.HealthIndicator")
        static class FleetHealthConfiguration {

            @Bean
            @ConditionalOnMissingBean
            FleetHealthIndicator cancellationFleetHealthIndicator(RedisFleet fleet) {
                return new FleetHealthIndicator(fleet);
            }
        }

        /** The fleet's meters, when Micrometer is present. */
        @Configuration(proxyBeanMethods = false)
        @ConditionalOnClass(name = "io.micrometer.core.instrument.MeterRegistry")
        static class FleetMetricsConfiguration {

            @Bean
            @ConditionalOnMissingBean
            FleetMetrics cancellationFleetMetrics(RedisFleet fleet) {
                return new FleetMetrics(fleet);
            }
        }
    }

    /** Says at startup, once every bean exists, if the fleet was enabled but could not be configured. */
    @Bean
    static SmartInitializingSingleton cancellationFleetMissingWarning(ObjectProvider<FleetTasks> fleet) {
        return () -> {
            if (fleet.getIfAvailable() == null) {
                logger.warn("cancellation.cluster.enabled=true, but this instance runs alone: the fleet needs Spring "
                        + "Data Redis (spring-boot-starter-data-redis), Jackson and a RedisConnectionFactory bean "
                        + "(Boot's, from spring.data.redis.*)");
            }
        };
    }

    /** {@code <host>:<server.port>:<pid>}, without the port when it is unset or random. */
    static String defaultInstanceId(Environment environment) {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException ex) {
            host = "localhost";
        }
        String port = environment.getProperty("server.port");
        long pid = ManagementFactory.getRuntimeMXBean().getPid();
        return (port == null || port.isBlank() || "0".equals(port.trim())) ? host + ":" + pid
                : host + ":" + port.trim() + ":" + pid;
    }
}
