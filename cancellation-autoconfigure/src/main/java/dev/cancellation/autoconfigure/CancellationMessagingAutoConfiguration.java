package dev.cancellation.autoconfigure;

import dev.cancellation.messaging.MessageDeadlines;
import java.time.Clock;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.AnyNestedCondition;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Conditional;

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
