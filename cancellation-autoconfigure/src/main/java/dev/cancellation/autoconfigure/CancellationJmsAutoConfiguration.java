package dev.cancellation.autoconfigure;

import dev.cancellation.jms.CancellableJmsListenerPostProcessor;
import dev.cancellation.jms.JmsListenerSettings;
import dev.cancellation.jms.JmsListenerStop;
import dev.cancellation.jms.CancellableJmsTemplatePostProcessor;
import dev.cancellation.messaging.ListenerInvocations;
import dev.cancellation.messaging.MessageDeadlines;
import dev.cancellation.task.TaskRegistry;
import java.time.Duration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Role;
import org.springframework.core.env.Environment;
import org.springframework.jms.listener.AbstractMessageListenerContainer;

/**
 * Auto-configuration of the JMS edge (package {@code dev.cancellation.jms}): every message of the Spring JMS
 * listener containers runs as a listener invocation ({@code jmsListenerInvocations}, drained at shutdown), bounded
 * by the message's deadline and {@code cancellation.jms.listener-timeout}; a stop of the containers drains and then
 * cancels the invocations in flight; {@code JmsTemplate} writes the current token's deadline into the messages it
 * sends ({@code cancellation.jms.propagate-deadline}) and its receives follow the token. Active when Spring JMS is
 * present, after Boot's JMS and Artemis auto-configuration, unless {@code cancellation.jms.enabled} is
 * {@code false}.
 */
@AutoConfiguration(after = CancellationMessagingAutoConfiguration.class, afterName = {
        "org.springframework.boot.jms.autoconfigure.JmsAutoConfiguration",
        "org.springframework.boot.artemis.autoconfigure.ArtemisAutoConfiguration"})
@ConditionalOnClass(AbstractMessageListenerContainer.class)
@ConditionalOnBean({MessageDeadlines.class, TaskRegistry.class})
@ConditionalOnBooleanProperty(name = {"cancellation.enabled", "cancellation.jms.enabled"}, matchIfMissing = true)
@EnableConfigurationProperties({CancellationJmsProperties.class, CancellationMessagingProperties.class})
public class CancellationJmsAutoConfiguration {

    /** The JMS listener invocations in flight: a shutdown drain of their own. */
    @Bean
    @ConditionalOnMissingBean(name = "jmsListenerInvocations")
    public ListenerInvocations jmsListenerInvocations(TaskRegistry registry,
            CancellationMessagingProperties messaging) {
        return new ListenerInvocations("JMS listeners", registry, messaging.getShutdownDrain());
    }

    /** What every JMS listener invocation shares. */
    @Bean
    @ConditionalOnMissingBean
    public JmsListenerSettings jmsListenerSettings(
            @Qualifier("jmsListenerInvocations") ListenerInvocations invocations, MessageDeadlines deadlines,
            CancellationJmsProperties properties) {
        return new JmsListenerSettings(invocations, deadlines, properties.getListenerTimeout(),
                properties.isRedeliverCancelled());
    }

    /** Wraps the listeners of the containers; static, as post-processors are created before other beans. */
    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    @ConditionalOnMissingBean
    public static CancellableJmsListenerPostProcessor cancellableJmsListenerPostProcessor(
            ObjectProvider<JmsListenerSettings> settings) {
        return new CancellableJmsListenerPostProcessor(settings::getObject);
    }

    /**
     * JmsTemplate writes the deadline of the current token into the messages it sends, and its receives follow
     * the token. Static, and bound straight from the {@link Environment}, as post-processors are created first.
     */
    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    @ConditionalOnMissingBean
    public static CancellableJmsTemplatePostProcessor cancellableJmsTemplatePostProcessor(
            ObjectProvider<JmsListenerSettings> settings, Environment environment) {
        boolean propagate = Binder.get(environment).bind("cancellation.jms.propagate-deadline", Boolean.class)
                .orElse(true);
        return new CancellableJmsTemplatePostProcessor(settings::getObject, propagate);
    }

    /** Drains, then cancels, the invocations in flight when the listener containers stop. */
    @Bean
    @ConditionalOnMissingBean
    public JmsListenerStop jmsListenerStop(@Qualifier("jmsListenerInvocations") ListenerInvocations invocations) {
        Duration period = invocations.period();
        return new JmsListenerStop(invocations, (period.compareTo(Duration.ofSeconds(1)) < 0)
                ? Duration.ofSeconds(1) : period);
    }
}
