package dev.cancellation.kafka;

import dev.cancellation.messaging.ListenerInvocations;
import dev.cancellation.messaging.MessageDeadlines;
import java.time.Duration;
import java.util.Objects;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.kafka.config.AbstractKafkaListenerContainerFactory;
import org.springframework.kafka.listener.BatchInterceptor;
import org.springframework.kafka.listener.ContainerProperties;
import org.springframework.kafka.listener.RecordInterceptor;

/**
 * Equips every Kafka listener container factory bean (Boot's {@code kafkaListenerContainerFactory} and the
 * application's own) once it is configured: its record interceptor becomes an {@link InvocationRecordInterceptor}
 * and its batch interceptor an {@link InvocationBatchInterceptor}, each running the one it had inside, and its
 * rebalance listener a {@link RevokedPartitionsCanceller} that runs the one it had after. The containers the factory creates copy both. Nothing else of the factory changes; a factory that
 * already has them is left as it is.
 *
 * <p>Thread-safety: called by the bean factory while it creates beans; the collaborators are looked up then, so
 * that this post-processor, created early, does not create them early.
 */
public final class KafkaListenerFactoryPostProcessor implements BeanPostProcessor {

    private final ObjectProvider<ListenerInvocations> invocations;
    private final ObjectProvider<MessageDeadlines> deadlines;
    private final ObjectProvider<ConsumerThreads> consumerThreads;
    private final ObjectProvider<StoppedContainerWatch> stopWatch;
    private final @Nullable Duration listenerTimeout;

    /** @param listenerTimeout the budget of an invocation whose record has no deadline; {@code null} for none */
    public KafkaListenerFactoryPostProcessor(ObjectProvider<ListenerInvocations> invocations,
            ObjectProvider<MessageDeadlines> deadlines, ObjectProvider<ConsumerThreads> consumerThreads,
            ObjectProvider<StoppedContainerWatch> stopWatch, @Nullable Duration listenerTimeout) {
        this.invocations = Objects.requireNonNull(invocations, "invocations");
        this.deadlines = Objects.requireNonNull(deadlines, "deadlines");
        this.consumerThreads = Objects.requireNonNull(consumerThreads, "consumerThreads");
        this.stopWatch = Objects.requireNonNull(stopWatch, "stopWatch");
        this.listenerTimeout = listenerTimeout;
    }

    @Override
    @SuppressWarnings("unchecked")
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        if (bean instanceof AbstractKafkaListenerContainerFactory<?, ?, ?> factory) {
            equip((AbstractKafkaListenerContainerFactory<?, Object, Object>) factory);
        }
        return bean;
    }

    private void equip(AbstractKafkaListenerContainerFactory<?, Object, Object> factory) {
        ListenerInvocations listenerInvocations = invocations.getObject();
        RecordInterceptor<Object, Object> interceptor = factory.getRecordInterceptor();
        if (!(interceptor instanceof InvocationRecordInterceptor)) {
            factory.setRecordInterceptor(new InvocationRecordInterceptor(listenerInvocations, deadlines.getObject(),
                    listenerTimeout, consumerThreads.getObject(), stopWatch.getObject(), interceptor));
        }
        BatchInterceptor<Object, Object> batchInterceptor = factory.getBatchInterceptor();
        if (!(batchInterceptor instanceof InvocationBatchInterceptor)) {
            factory.setBatchInterceptor(new InvocationBatchInterceptor(listenerInvocations, deadlines.getObject(),
                    listenerTimeout, consumerThreads.getObject(), stopWatch.getObject(), batchInterceptor));
        }
        ContainerProperties properties = factory.getContainerProperties();
        ConsumerRebalanceListener rebalanceListener = properties.getConsumerRebalanceListener();
        if (!(rebalanceListener instanceof RevokedPartitionsCanceller)) {
            properties.setConsumerRebalanceListener(new RevokedPartitionsCanceller(listenerInvocations,
                    listenerInvocations.period(), rebalanceListener));
        }
    }
}
