package dev.cancellation.autoconfigure;

import dev.cancellation.messaging.AsyncListenerResultPostProcessor;
import dev.cancellation.messaging.MessageDeadlines;
import java.lang.annotation.Annotation;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Role;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

/**
 * What the message listener edges share: the {@link MessageDeadlines} policy. Defined only when a messaging library
 * the edges support is present (spring-kafka, Spring AMQP, Spring JMS); each edge's own auto-configuration runs
 * after this one.
 */
@AutoConfiguration(after = CancellationAutoConfiguration.class)
@ConditionalOnBooleanProperty(name = "cancellation.enabled", matchIfMissing = true)
@Conditional(CancellationMessagingAutoConfiguration.OnMessagingLibrary.class)
@EnableConfigurationProperties(CancellationMessagingProperties.class)
public class CancellationMessagingAutoConfiguration {

    /** The deadline header policy of every listener and template. */
    @Bean
    @ConditionalOnMissingBean
    public MessageDeadlines messageDeadlines(CancellationMessagingProperties properties) {
        return new MessageDeadlines(properties.getDeadlineHeader(), properties.getClockSkewTolerance(),
                Clock.systemUTC());
    }

    /**
     * Makes asynchronous listener methods ({@code @KafkaListener}, {@code @RabbitListener} methods returning a
     * {@code CompletableFuture} or a {@code Mono}) end their invocation with their result, for the edges that are
     * present and on. Static, and reading the switches from the {@link Environment}: bean post-processors are
     * created before other beans.
     */
    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    @ConditionalOnMissingBean
    public static AsyncListenerResultPostProcessor asyncListenerResultPostProcessor(Environment environment) {
        List<Class<? extends Annotation>> annotations = new ArrayList<>();
        addIfOn(annotations, environment, "cancellation.kafka.enabled",
                "org.springframework.kafka.annotation.KafkaListener",
                "org.springframework.kafka.annotation.KafkaHandler");
        addIfOn(annotations, environment, "cancellation.rabbitmq.enabled",
                "org.springframework.amqp.rabbit.annotation.RabbitListener",
                "org.springframework.amqp.rabbit.annotation.RabbitHandler");
        return new AsyncListenerResultPostProcessor(annotations);
    }

    @SuppressWarnings("unchecked")
    private static void addIfOn(List<Class<? extends Annotation>> annotations, Environment environment,
            String switchProperty, String... names) {
        if (!environment.getProperty(switchProperty, Boolean.class, Boolean.TRUE)) {
            return;
        }
        ClassLoader loader = CancellationMessagingAutoConfiguration.class.getClassLoader();
        for (String name : names) {
            if (ClassUtils.isPresent(name, loader)) {
                annotations.add((Class<? extends Annotation>) ClassUtils.resolveClassName(name, loader));
            }
        }
    }

    /** Any of the messaging libraries the listener edges support is on the classpath. */
    static final class OnMessagingLibrary extends AnyNestedCondition {

        OnMessagingLibrary() {
            super(ConfigurationPhase.PARSE_CONFIGURATION);
        }

        @ConditionalOnClass(name = "org.springframework.kafka.core.KafkaTemplate")
        static final class Kafka {
        }

        @ConditionalOnClass(name = "org.springframework.amqp.rabbit.core.RabbitTemplate")
        static final class Rabbit {
        }

        @ConditionalOnClass(name = "org.springframework.jms.core.JmsTemplate")
        static final class Jms {
        }
    }
}
