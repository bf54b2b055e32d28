package dev.cancellation.autoconfigure;

import dev.cancellation.kafka.CancellationErrorHandler;
import dev.cancellation.kafka.ConsumerThreads;
import dev.cancellation.kafka.DeadlineProducerInterceptor;
import dev.cancellation.kafka.KafkaListenerFactoryPostProcessor;
import dev.cancellation.kafka.ReplyingTemplatePostProcessor;
import dev.cancellation.kafka.StoppedContainerWatch;
import dev.cancellation.messaging.ListenerInvocations;
import dev.cancellation.messaging.MessageDeadlines;
import dev.cancellation.task.TaskRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerConfig;
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
import org.springframework.boot.kafka.autoconfigure.DefaultKafkaProducerFactoryCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Role;
import org.springframework.core.env.Environment;
import org.springframework.kafka.config.AbstractKafkaListenerContainerFactory;
import org.springframework.kafka.listener.CommonErrorHandler;
import org.springframework.kafka.listener.DefaultErrorHandler;

/**
 * Auto-configuration of the Kafka edge (package {@code dev.cancellation.kafka}), on when spring-kafka is present
 * and {@code cancellation.kafka.enabled} is not {@code false}:
 * <ul>
 *   <li>every listener container factory's record and batch interceptors and rebalance listener are composed
 *       with the edge's ({@link KafkaListenerFactoryPostProcessor}): each record (each batch) runs as a task of the
 *       {@code kafkaListenerInvocations} ({@link ListenerInvocations}, drained at shutdown), revoked partitions
 *       cancel theirs, a container stop cancels its records after the drain ({@link StoppedContainerWatch});</li>
 *   <li>Boot's producer factory gets the {@link DeadlineProducerInterceptor} (unless
 *       {@code cancellation.kafka.propagate-deadline=false});</li>
 *   <li>{@code ReplyingKafkaTemplate} beans wait for a reply no longer than the caller's budget and stop waiting
 *       when its token is cancelled ({@link ReplyingTemplatePostProcessor});</li>
 *   <li>when the application defines no {@link CommonErrorHandler}, the containers' default
 *       {@link DefaultErrorHandler}, a {@link CancellationErrorHandler} (unless
 *       {@code cancellation.kafka.error-handler=false}).</li>
 * </ul>
 */
@AutoConfiguration(after = CancellationMessagingAutoConfiguration.class,
        afterName = "org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration")
@ConditionalOnClass(AbstractKafkaListenerContainerFactory.class)
@ConditionalOnBean({TaskRegistry.class, MessageDeadlines.class})
@ConditionalOnBooleanProperty(name = {"cancellation.enabled", "cancellation.kafka.enabled"}, matchIfMissing = true)
@EnableConfigurationProperties({CancellationKafkaProperties.class, CancellationMessagingProperties.class})
public class CancellationKafkaAutoConfiguration {

    /** How often the containers of records in flight are looked at for a stop. */
    private static final Duration STOP_WATCH_TICK = Duration.ofMillis(50);

    /** The Kafka listener invocations in flight, drained at shutdown. */
    @Bean
    @ConditionalOnMissingBean(name = "kafkaListenerInvocations")
    public ListenerInvocations kafkaListenerInvocations(TaskRegistry registry,
            CancellationMessagingProperties messaging) {
        return new ListenerInvocations("Kafka listeners", registry, messaging.getShutdownDrain());
    }

    /** Which container each consumer thread belongs to. */
    @Bean
    @ConditionalOnMissingBean
    public ConsumerThreads kafkaConsumerThreads() {
        return new ConsumerThreads();
    }

    /** Cancels the records in flight of a stopped container after the drain. */
    @Bean
    @ConditionalOnMissingBean
    public StoppedContainerWatch kafkaStoppedContainerWatch(CancellationMessagingProperties messaging) {
        return new StoppedContainerWatch(messaging.getShutdownDrain(), STOP_WATCH_TICK);
    }

    /**
     * Composes the factories' interceptors and rebalance listeners. Static and bound straight from the
     * {@link Environment}, because bean post-processors are created before other beans can be.
     */
    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    @ConditionalOnMissingBean
    public static KafkaListenerFactoryPostProcessor kafkaListenerFactoryPostProcessor(Environment environment,
            @Qualifier("kafkaListenerInvocations") ObjectProvider<ListenerInvocations> invocations,
            ObjectProvider<MessageDeadlines> deadlines, ObjectProvider<ConsumerThreads> consumerThreads, ObjectProvider<StoppedContainerWatch> stopWatch) {
        CancellationKafkaProperties properties = Binder.get(environment)
                .bindOrCreate("cancellation.kafka", CancellationKafkaProperties.class);
        return new KafkaListenerFactoryPostProcessor(invocations, deadlines, consumerThreads, stopWatch,
                properties.getListenerTimeout());
    }

    /** Bounds the reply waits of {@code ReplyingKafkaTemplate} beans by the caller's token. */
    @Bean
    @Role(BeanDefinition.ROLE_INFRASTRUCTURE)
    @ConditionalOnMissingBean
    public static ReplyingTemplatePostProcessor kafkaReplyingTemplatePostProcessor() {
        return new ReplyingTemplatePostProcessor();
    }

    /**
     * The containers' default error handler, told which cancelled records and batches to redeliver and which not to
     * retry.
     */
    @Bean
    @ConditionalOnMissingBean(CommonErrorHandler.class)
    @ConditionalOnBooleanProperty(name = "cancellation.kafka.error-handler", matchIfMissing = true)
    public DefaultErrorHandler kafkaCancellationErrorHandler() {
        return new CancellationErrorHandler();
    }

    /** The deadline header on records sent through Boot's producer factory. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(DefaultKafkaProducerFactoryCustomizer.class)
    @ConditionalOnBooleanProperty(name = "cancellation.kafka.propagate-deadline", matchIfMissing = true)
    static class DeadlinePropagationConfiguration {

        @Bean
        DefaultKafkaProducerFactoryCustomizer cancellationDeadlineProducerFactoryCustomizer(
                MessageDeadlines deadlines) {
            return factory -> {
                Object configured = factory.getConfigurationProperties().get(ProducerConfig.INTERCEPTOR_CLASSES_CONFIG);
                List<Object> interceptors = new ArrayList<>();
                if (configured instanceof Collection<?> collection) {
                    interceptors.addAll(collection);
                }
                else if (configured instanceof String names) {
                    for (String name : names.split(",")) {
                        if (!name.isBlank()) {
                            interceptors.add(name.strip());
                        }
                    }
                }
                else if (configured != null) {
                    interceptors.add(configured);
                }
                if (!interceptors.contains(DeadlineProducerInterceptor.class.getName())
                        && !interceptors.contains(DeadlineProducerInterceptor.class)) {
                    interceptors.add(DeadlineProducerInterceptor.class.getName());
                }
                factory.updateConfigs(Map.of(ProducerConfig.INTERCEPTOR_CLASSES_CONFIG, interceptors,
                        DeadlineProducerInterceptor.DEADLINES_CONFIG, deadlines));
            };
        }
    }
}
