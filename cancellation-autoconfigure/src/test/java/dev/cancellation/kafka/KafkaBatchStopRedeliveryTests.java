package dev.cancellation.kafka;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.TaskCancelledException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.core.KafkaTemplate;

/**
 * Two consumers of one group on the embedded broker (two application contexts), a batch listener, the
 * auto-configured error handler: the one working on a batch is stopped mid-batch (its container, or the whole
 * application); the batch is cancelled with {@code SHUTDOWN} after the drain, sought back, not committed, and the
 * other consumer processes it, every record of it, to the end. Every record is completed exactly once.
 */
class KafkaBatchStopRedeliveryTests {

    private static final List<String> RECORDS = List.of("slow", "r1", "r2", "r3");

    @Test
    void aContainerStopMidBatchCancelsItAfterTheDrainAndTheOtherConsumerProcessesItOnce() {
        stopMidBatch(first -> first.getBean(KafkaListenerEndpointRegistry.class).getListenerContainer("batch-stopper")
                .stop());
    }

    @Test
    void anApplicationShutdownMidBatchCancelsItAfterTheDrainAndTheOtherConsumerProcessesItOnce() {
        stopMidBatch(ConfigurableApplicationContext::close);
    }

    private void stopMidBatch(java.util.function.Consumer<ConfigurableApplicationContext> stop) {
        String topic = EmbeddedKafka.newTopic("batch-stop", 1);
        String group = KafkaTestSupport.group();
        Probe probe = new Probe();
        ApplicationContextRunner first = consumer(topic, group, probe, "first");
        ApplicationContextRunner second = consumer(topic, group, probe, "second");
        first.run(firstContext -> {
            assertThat(firstContext).hasNotFailed();
            @SuppressWarnings("unchecked")
            KafkaTemplate<Object, Object> template = firstContext.getBean(KafkaTemplate.class);
            for (String value : RECORDS) {
                template.send(topic, value).join();
            }
            assertThat(probe.started.poll(PROMPTLY.toSeconds(), TimeUnit.SECONDS)).isEqualTo("first:slow");
            second.run(secondContext -> {
                assertThat(secondContext).hasNotFailed();
                stop.accept(firstContext);
                CancellationReason reason = probe.cancelled.poll(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
                assertThat(reason).isNotNull();
                assertThat(reason.kind()).isEqualTo(CancellationReason.Kind.SHUTDOWN);
                Awaitility.await().atMost(PROMPTLY).untilAsserted(() -> assertThat(probe.completed.keySet())
                        .containsExactlyInAnyOrderElementsOf(RECORDS));
                assertThat(probe.started.poll(PROMPTLY.toSeconds(), TimeUnit.SECONDS)).isEqualTo("second:slow");
                // Each record completed once, all by the second consumer (the first had committed none).
                assertThat(probe.completed).allSatisfy((value, count) -> assertThat(count).hasValue(1));
                assertThat(probe.completedBy).containsOnlyKeys(RECORDS).allSatisfy(
                        (value, by) -> assertThat(by).isEqualTo("second"));
            });
        });
    }

    private static ApplicationContextRunner consumer(String topic, String group, Probe probe, String name) {
        return KafkaTestSupport.onBroker(topic, group).withPropertyValues("test.consumer=" + name)
                .withBean(Probe.class, () -> probe).withUserConfiguration(ListenerConfiguration.class);
    }

    /** What the listeners of both consumers did. */
    static final class Probe {

        final BlockingQueue<String> started = new LinkedBlockingQueue<>();
        final BlockingQueue<CancellationReason> cancelled = new LinkedBlockingQueue<>();
        final Map<String, AtomicInteger> completed = new ConcurrentHashMap<>();
        final Map<String, String> completedBy = new ConcurrentHashMap<>();
    }

    @Configuration(proxyBeanMethods = false)
    static class ListenerConfiguration {

        @Bean
        StoppableListener stoppableListener(Probe probe, @Value("${test.consumer}") String consumer) {
            return new StoppableListener(probe, consumer);
        }
    }

    static final class StoppableListener {

        private final Probe probe;
        private final String consumer;

        StoppableListener(Probe probe, String consumer) {
            this.probe = probe;
            this.consumer = consumer;
        }

        /**
         * A batch with the {@code slow} record works, on the first consumer, until it is cancelled; everything else
         * completes, a batch's records all at once at its end.
         */
        @KafkaListener(id = "batch-stopper", idIsGroup = false, topics = "${test.topic}", batch = "true")
        void onBatch(List<ConsumerRecord<String, String>> records) throws InterruptedException {
            List<String> values = records.stream().map(ConsumerRecord::value).toList();
            if (values.contains("slow")) {
                probe.started.add(consumer + ":slow");
                if (consumer.equals("first")) {
                    try {
                        Cancellation.sleep(PROMPTLY);
                    } catch (TaskCancelledException ex) {
                        probe.cancelled.add(ex.reason());
                        throw ex;
                    }
                }
            }
            for (String value : values) {
                probe.completed.computeIfAbsent(value, key -> new AtomicInteger()).incrementAndGet();
                probe.completedBy.put(value, consumer);
            }
        }
    }
}
