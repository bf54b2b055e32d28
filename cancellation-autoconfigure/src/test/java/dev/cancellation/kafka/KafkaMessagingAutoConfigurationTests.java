package dev.cancellation.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.messaging.ListenerInvocations;
import dev.cancellation.messaging.MessageDeadlines;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerInterceptor;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.core.DefaultKafkaProducerFactory;
import org.springframework.kafka.listener.BatchInterceptor;
import org.springframework.kafka.listener.CommonErrorHandler;
import org.springframework.kafka.listener.CommonLoggingErrorHandler;
import org.springframework.kafka.listener.ConsumerAwareRebalanceListener;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.listener.RecordInterceptor;

/** Every branch of {@code CancellationKafkaAutoConfiguration} and the messaging glue with spring-kafka present. */
class KafkaMessagingAutoConfigurationTests {

    private final ApplicationContextRunner runner = KafkaTestSupport.runner();

    @Test
    void definesTheMessageDeadlinesWithTheirPropertiesBound() {
        runner.withPropertyValues("cancellation.messaging.deadline-header=x-deadline",
                "cancellation.messaging.clock-skew-tolerance=250ms").run(context -> {
                    MessageDeadlines deadlines = context.getBean(MessageDeadlines.class);
                    assertThat(deadlines.header()).isEqualTo("x-deadline");
                    // 250 ms of tolerance: a deadline 100 ms ago still leaves about 150 ms.
                    MessageDeadlines.Admission admission = deadlines.admit(
                            Long.toString(System.currentTimeMillis() - 100), "orders");
                    assertThat(admission.expired()).isFalse();
                });
    }

    @Test
    void aBlankDeadlineHeaderFailsStartupNamingTheProperty() {
        runner.withPropertyValues("cancellation.messaging.deadline-header= ").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                    .hasMessageContaining("cancellation.messaging.deadline-header");
        });
    }

    @Test
    void aListenerTimeoutOfZeroFailsStartupNamingTheProperty() {
        runner.withPropertyValues("cancellation.kafka.listener-timeout=0s").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                    .hasMessageContaining("cancellation.kafka.listener-timeout").hasMessageContaining("PT0S");
        });
    }

    @Test
    void equipsBootsListenerFactoryAndProducerFactoryAndDefinesTheErrorHandler() {
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            ListenerInvocations invocations = context.getBean("kafkaListenerInvocations", ListenerInvocations.class);
            assertThat(invocations.period()).isEqualTo(Duration.ofSeconds(5));
            ConcurrentKafkaListenerContainerFactory<?, ?> factory = context.getBean(
                    ConcurrentKafkaListenerContainerFactory.class);
            assertThat(factory.getRecordInterceptor()).isInstanceOf(InvocationRecordInterceptor.class);
            assertThat(factory.getBatchInterceptor()).isInstanceOfSatisfying(InvocationBatchInterceptor.class,
                    ours -> assertThat(ours.getDelegate()).isNull());
            assertThat(factory.getContainerProperties().getConsumerRebalanceListener())
                    .isInstanceOf(RevokedPartitionsCanceller.class);
            assertThat(context.getBean(CommonErrorHandler.class)).isInstanceOf(DefaultErrorHandler.class)
                    .isInstanceOf(CancellationErrorHandler.class);
            DefaultKafkaProducerFactory<?, ?> producerFactory = context.getBean(DefaultKafkaProducerFactory.class);
            assertThat(producerFactory.getConfigurationProperties())
                    .containsEntry(DeadlineProducerInterceptor.DEADLINES_CONFIG,
                            context.getBean(MessageDeadlines.class));
            assertThat((List<Object>) producerFactory.getConfigurationProperties()
                    .get(ProducerConfig.INTERCEPTOR_CLASSES_CONFIG))
                    .containsExactly(DeadlineProducerInterceptor.class.getName());
        });
    }

    @Test
    void composesWithTheApplicationsInterceptorRebalanceListenerAndProducerInterceptors() {
        runner.withUserConfiguration(ApplicationKafkaParts.class)
                .withPropertyValues("spring.kafka.producer.properties.interceptor.classes="
                        + ApplicationProducerInterceptor.class.getName())
                .run(context -> {
                    ConcurrentKafkaListenerContainerFactory<?, ?> factory = context.getBean(
                            ConcurrentKafkaListenerContainerFactory.class);
                    assertThat(factory.getRecordInterceptor()).isInstanceOfSatisfying(
                            InvocationRecordInterceptor.class, ours -> assertThat(ours.getDelegate())
                                    .isSameAs(context.getBean(RecordInterceptor.class)));
                    assertThat(factory.getBatchInterceptor()).isInstanceOfSatisfying(
                            InvocationBatchInterceptor.class, ours -> assertThat(ours.getDelegate())
                                    .isSameAs(context.getBean(BatchInterceptor.class)));
                    assertThat(factory.getContainerProperties().getConsumerRebalanceListener()).isInstanceOfSatisfying(
                            RevokedPartitionsCanceller.class, ours -> assertThat(ours.getDelegate())
                                    .isSameAs(context.getBean(ConsumerAwareRebalanceListener.class)));
                    assertThat(context.getBean(CommonErrorHandler.class)).isInstanceOf(CommonLoggingErrorHandler.class);
                    assertThat((List<Object>) context.getBean(DefaultKafkaProducerFactory.class)
                            .getConfigurationProperties()
                            .get(ProducerConfig.INTERCEPTOR_CLASSES_CONFIG)).containsExactly(
                                    ApplicationProducerInterceptor.class.getName(),
                                    DeadlineProducerInterceptor.class.getName());
                });
    }

    @Test
    void isOffWhenDisabled() {
        runner.withPropertyValues("cancellation.kafka.enabled=false").run(context -> {
            assertThat(context).doesNotHaveBean(KafkaListenerFactoryPostProcessor.class);
            assertThat(context).doesNotHaveBean(CommonErrorHandler.class);
            assertThat(context.getBean(ConcurrentKafkaListenerContainerFactory.class).getRecordInterceptor()).isNull();
            assertThat(context.getBean(ConcurrentKafkaListenerContainerFactory.class).getBatchInterceptor()).isNull();
        });
        runner.withPropertyValues("cancellation.enabled=false").run(context ->
                assertThat(context).doesNotHaveBean(KafkaListenerFactoryPostProcessor.class));
    }

    @Test
    void theErrorHandlerAndTheDeadlineHeaderCanBeTurnedOffAlone() {
        runner.withPropertyValues("cancellation.kafka.error-handler=false",
                "cancellation.kafka.propagate-deadline=false")
                .run(context -> {
                    assertThat(context).hasSingleBean(KafkaListenerFactoryPostProcessor.class);
                    assertThat(context).doesNotHaveBean(CommonErrorHandler.class);
                    assertThat(context.getBean(DefaultKafkaProducerFactory.class).getConfigurationProperties())
                            .doesNotContainKey(ProducerConfig.INTERCEPTOR_CLASSES_CONFIG);
                });
    }

    @Configuration(proxyBeanMethods = false)
    static class ApplicationKafkaParts {

        @Bean
        RecordInterceptor<Object, Object> applicationInterceptor() {
            return (ConsumerRecord<Object, Object> record, Consumer<Object, Object> consumer) -> record;
        }

        @Bean
        BatchInterceptor<Object, Object> applicationBatchInterceptor() {
            return (ConsumerRecords<Object, Object> records, Consumer<Object, Object> consumer) -> records;
        }

        @Bean
        ConsumerAwareRebalanceListener applicationRebalanceListener() {
            return new ConsumerAwareRebalanceListener() {
            };
        }

        @Bean
        CommonErrorHandler applicationErrorHandler() {
            return new CommonLoggingErrorHandler();
        }
    }

    /** An application's own producer interceptor, configured by class name. */
    public static class ApplicationProducerInterceptor implements ProducerInterceptor<Object, Object> {

        @Override
        public ProducerRecord<Object, Object> onSend(ProducerRecord<Object, Object> record) {
            return record;
        }

        @Override
        public void onAcknowledgement(RecordMetadata metadata, Exception exception) {
        }

        @Override
        public void close() {
        }

        @Override
        public void configure(java.util.Map<String, ?> configs) {
        }
    }
}
