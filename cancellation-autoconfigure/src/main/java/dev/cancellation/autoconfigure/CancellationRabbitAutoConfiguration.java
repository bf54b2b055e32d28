package dev.cancellation.autoconfigure;

import dev.cancellation.amqp.DeadlineMessagePostProcessor;
import dev.cancellation.amqp.RabbitListenerCancellation;
import dev.cancellation.amqp.RabbitListenerContainerFactoryPostProcessor;
import dev.cancellation.amqp.RabbitTemplatePostProcessor;
import dev.cancellation.messaging.ListenerInvocations;
import dev.cancellation.messaging.MessageDeadlines;
import dev.cancellation.task.TaskRegistry;
import org.springframework.amqp.rabbit.config.AbstractRabbitListenerContainerFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.amqp.autoconfigure.RabbitTemplateCustomizer;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Role;

/**
 * Auto-configuration of the RabbitMQ edge (package {@code dev.cancellation.amqp}), on Spring AMQP and Boot's
 * {@code spring-boot-amqp}: every listener container made by a {@code RabbitListenerContainerFactory} bean runs
 * each delivery as a listener invocation ({@link RabbitListenerCancellation}), and the {@code RabbitTemplate} Boot
 * builds writes the current token's deadline into the messages it sends ({@link DeadlineMessagePostProcessor}); the
 * request/reply calls of {@code RabbitTemplate} and {@code AsyncRabbitTemplate} beans wait no longer than the
 * caller's budget and stop when its token is cancelled ({@link RabbitTemplatePostProcessor}).
 * Active when Spring AMQP is present and {@code cancellation.rabbitmq.enabled} is not {@code false}; beans defined
 * by the application win.
 */
@AutoConfiguration(after = CancellationMessagingAutoConfiguration.class,
        afterName = "org.springframework.boot.amqp.autoconfigure.RabbitAutoConfiguration")
@ConditionalOnClass({RabbitTemplate.class, AbstractRabbitListenerContainerFactory.class,
        RabbitTemplateCustomizer.class})
@ConditionalOnBean({TaskRegistry.class, MessageDeadlines.class})
@ConditionalOnBooleanProperty(name = {"cancellation.enabled", "cancellation.rabbitmq.enabled"}, matchIfMissing = true)
@EnableConfigurationProperties({CancellationRabbitProperties.class, CancellationMessagingProperties.class})
public class CancellationRabbitAutoConfiguration {

    /** What the edge does to each listener container, with the invocations of RabbitMQ listeners in flight. */
    @Bean
    @ConditionalOnMissingBean
    public RabbitListenerCancellation rabbitListenerCancellation(TaskRegistry registry, MessageDeadlines deadlines,
            CancellationMessagingProperties messaging, CancellationRabbitProperties properties) {
        return new RabbitListenerCancellation(
                new ListenerInvocations("RabbitMQ listeners", registry, messaging.getShutdownDrain()), deadlines,
                properties.getListenerTimeout(), properties.isRequeueCancelled());
    }

    /** The invocations in flight, as a bean: the graceful shutdown drains them (it is a {@code ShutdownDrain}). */
    @Bean
    public ListenerInvocations rabbitListenerInvocations(RabbitListenerCancellation cancellation) {
        return cancellation.invocations();
    }

    /**
     * Advises the listener container factories. Static, because bean post-processors are created before other
     * beans can be; the edge's settings are looked up when the first container is created.
     */
    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    @ConditionalOnMissingBean
    public static RabbitListenerContainerFactoryPostProcessor rabbitListenerContainerFactoryPostProcessor(
            ObjectProvider<RabbitListenerCancellation> cancellation) {
        return new RabbitListenerContainerFactoryPostProcessor(cancellation::getObject);
    }

    /** Bounds the request/reply waits of {@code RabbitTemplate} and {@code AsyncRabbitTemplate} beans. */
    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    @ConditionalOnMissingBean
    public static RabbitTemplatePostProcessor rabbitTemplatePostProcessor() {
        return new RabbitTemplatePostProcessor();
    }

    /** Added to Boot's {@code RabbitTemplate}, after the customizers that come before it. */
    @Bean
    public RabbitTemplateCustomizer cancellationRabbitTemplateCustomizer(MessageDeadlines deadlines) {
        DeadlineMessagePostProcessor deadline = new DeadlineMessagePostProcessor(deadlines);
        return template -> template.addBeforePublishPostProcessors(deadline);
    }
}
