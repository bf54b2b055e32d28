package dev.cancellation.kafka;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import dev.cancellation.messaging.ListenerInvocations;
import dev.cancellation.task.TaskHandle;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.config.KafkaListenerEndpointRegistry;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.util.backoff.FixedBackOff;

/**
 * A batch {@code @KafkaListener} on the embedded broker: each batch runs as one task with its token current,
 * expired records are taken out of the batch, an operator cancel sends the batch to the recoverer without retries
 * (also when the body stops with an interrupted I/O instead of the cancel).
 */
class KafkaBatchListenerTests {

    @Test
    void aBatchRunsAsOneTaskNamedAfterTheListenerAndTopicWithItsTokenCurrent() {
        String topic = EmbeddedKafka.newTopic("batch", 1);
        run(topic, (probe, context) -> {
            KafkaTemplate<Object, Object> template = template(context);
            for (String value : List.of("a", "b", "c")) {
                template.send(topic, value).join();
            }
            startListener(context);
            Batch batch = probe.batches.poll(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
            assertThat(batch).isNotNull();
            assertThat(batch.values()).containsExactly("a", "b", "c");
            assertThat(batch.task().name()).isEqualTo("batches " + topic);
            assertThat(batch.task().attributes()).containsEntry("topic", topic)
                    .containsEntry("partitions", topic + "-0").containsEntry("offsets", "0-2")
                    .containsEntry("count", "3");
            assertThat(batch.deadline()).isNull();
            ListenerInvocations invocations = context.getBean("kafkaListenerInvocations", ListenerInvocations.class);
            assertThat(invocations.awaitIdleWhere(attributes -> true, PROMPTLY)).isTrue();
            assertThat(context.getBean(TaskRegistry.class).find(batch.task().id())).isEmpty();
        }, "test.autostart=false");
    }

    @Test
    void expiredRecordsAreTakenOutOfTheBatchWhichRunsWithTheEarliestDeadlineLeft() {
        String topic = EmbeddedKafka.newTopic("batch-deadline", 1);
        run(topic, (probe, context) -> {
            KafkaTemplate<Object, Object> template = template(context);
            long soon = System.currentTimeMillis() + 30_000;
            template.send(withDeadline(topic, "near", soon)).join();
            template.send(withDeadline(topic, "expired", System.currentTimeMillis() - 60_000)).join();
            template.send(withDeadline(topic, "later", soon + 60_000)).join();
            template.send(topic, "plain").join();
            startListener(context);
            Batch batch = probe.batches.poll(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
            assertThat(batch).isNotNull();
            assertThat(batch.values()).containsExactly("near", "later", "plain");
            assertThat(batch.task().attributes()).containsEntry("count", "3").containsEntry("offsets", "0-3");
            assertThat(batch.deadline()).isNotNull();
            assertThat(Duration.between(Instant.ofEpochMilli(soon), batch.deadline()).abs())
                    .isLessThan(Duration.ofSeconds(1));
            ListenerInvocations invocations = context.getBean("kafkaListenerInvocations", ListenerInvocations.class);
            assertThat(invocations.expiredCount("batches")).isOne();
            assertThat(probe.runs).doesNotContainKey("expired");
        }, "test.autostart=false");
    }

    @Test
    void aBatchOfExpiredRecordsDoesNotRunAndGoesToTheRecovererOnce() {
        String topic = EmbeddedKafka.newTopic("batch-expired", 1);
        run(topic, (probe, context) -> {
            KafkaTemplate<Object, Object> template = template(context);
            template.send(withDeadline(topic, "expired", System.currentTimeMillis() - 60_000)).join();
            Recovered recovered = probe.recovered.poll(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
            assertThat(recovered).isNotNull();
            assertThat(recovered.value()).isEqualTo("expired");
            assertThat(TaskCancelledException.find(recovered.exception())).get()
                    .isInstanceOf(TaskTimeoutException.class);
            template.send(topic, "after").join();
            Batch after = probe.batches.poll(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
            assertThat(after).isNotNull();
            assertThat(after.values()).containsExactly("after");
            assertThat(probe.runs).doesNotContainKey("expired");
            assertThat(probe.recovered).isEmpty();
        });
    }

    @Test
    void anOperatorCancelSendsTheWholeBatchToTheRecovererWithoutRetries() {
        String topic = EmbeddedKafka.newTopic("batch-operator", 1);
        run(topic, (probe, context) -> {
            KafkaTemplate<Object, Object> template = template(context);
            template.send(topic, "slow").join();
            template.send(topic, "other").join();
            startListener(context);
            String taskId = probe.started.poll(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
            assertThat(taskId).isNotNull();
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            assertThat(registry.cancel(taskId, CancellationReason.requested("operator:alice"))).isPresent();
            List<Recovered> recovered = List.of(poll(probe.recovered), poll(probe.recovered));
            assertThat(recovered).extracting(Recovered::value).containsExactly("slow", "other");
            assertThat(recovered).allSatisfy(each -> assertThat(TaskCancelledException.find(each.exception())).get()
                    .extracting(cancelled -> cancelled.reason().kind()).isEqualTo(CancellationReason.Kind.REQUESTED));
            // The next batch runs only once the cancelled one is recovered: had it been retried, it would have run
            // again first.
            template.send(topic, "after").join();
            Batch after = probe.batches.poll(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
            assertThat(after).isNotNull();
            assertThat(after.values()).containsExactly("after");
            assertThat(probe.runs.get("slow")).hasValue(1);
            assertThat(probe.runs.get("other")).hasValue(1);
        }, "test.autostart=false");
    }

    @Test
    void anOperatorCancelIsRecognisedWhenTheBodyStopsWithAnInterruptedIoAndTheBatchIsNotRetried() {
        String topic = EmbeddedKafka.newTopic("batch-masked", 1);
        run(topic, (probe, context) -> {
            KafkaTemplate<Object, Object> template = template(context);
            template.send(topic, "masked").join();
            String taskId = probe.started.poll(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
            assertThat(taskId).isNotNull();
            assertThat(context.getBean(TaskRegistry.class).cancel(taskId,
                    CancellationReason.requested("operator:alice"))).isPresent();
            Recovered recovered = poll(probe.recovered);
            assertThat(recovered.value()).isEqualTo("masked");
            assertThat(TaskCancelledException.find(recovered.exception())).isEmpty();
            template.send(topic, "after").join();
            Batch after = probe.batches.poll(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
            assertThat(after).isNotNull();
            assertThat(after.values()).containsExactly("after");
            // Not retried: the handler's own back-off (two retries) would have run the body again first.
            assertThat(probe.runs.get("masked")).hasValue(1);
        });
    }

    private static Recovered poll(BlockingQueue<Recovered> queue) throws InterruptedException {
        Recovered recovered = queue.poll(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
        assertThat(recovered).isNotNull();
        return recovered;
    }

    private static ProducerRecord<Object, Object> withDeadline(String topic, String value, long epochMillis) {
        ProducerRecord<Object, Object> record = new ProducerRecord<>(topic, value);
        record.headers().add("cancellation-deadline", Long.toString(epochMillis).getBytes(StandardCharsets.UTF_8));
        return record;
    }

    /** Starts the listener once every record is in the topic, so that its first poll gets them in one batch. */
    private static void startListener(ConfigurableApplicationContext context) {
        context.getBean(KafkaListenerEndpointRegistry.class).getListenerContainer("batches").start();
    }

    private static void run(String topic, ProbeTest test, String... properties) {
        Probe probe = new Probe();
        ApplicationContextRunner runner = KafkaTestSupport.onBroker(topic, KafkaTestSupport.group())
                .withPropertyValues(properties).withBean(Probe.class, () -> probe)
                .withUserConfiguration(ListenerConfiguration.class);
        runner.run(context -> {
            assertThat(context).hasNotFailed();
            test.run(probe, context);
        });
    }

    @SuppressWarnings("unchecked")
    private static KafkaTemplate<Object, Object> template(org.springframework.context.ApplicationContext context) {
        return context.getBean(KafkaTemplate.class);
    }

    @FunctionalInterface
    interface ProbeTest {
        void run(Probe probe, ConfigurableApplicationContext context) throws Exception;
    }

    record Batch(List<String> values, TaskInfo task, @Nullable Instant deadline) {
    }

    record Recovered(String value, Exception exception) {
    }

    /** What the listener and the error handler saw. */
    static final class Probe {

        final BlockingQueue<Batch> batches = new LinkedBlockingQueue<>();
        final BlockingQueue<String> started = new LinkedBlockingQueue<>();
        final BlockingQueue<Recovered> recovered = new LinkedBlockingQueue<>();
        final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
    }

    @Configuration(proxyBeanMethods = false)
    static class ListenerConfiguration {

        @Bean
        BatchListener batchListener(TaskRegistry registry, Probe probe) {
            return new BatchListener(registry, probe);
        }

        /** The application's own error handler: two retries by default, the edge's handling of cancels. */
        @Bean
        CancellationErrorHandler errorHandler(Probe probe) {
            return new CancellationErrorHandler((record, exception) -> probe.recovered.add(
                    new Recovered(String.valueOf(record.value()), exception)), new FixedBackOff(0L, 2L));
        }
    }

    static final class BatchListener {

        private final TaskRegistry registry;
        private final Probe probe;

        BatchListener(TaskRegistry registry, Probe probe) {
            this.registry = registry;
            this.probe = probe;
        }

        @KafkaListener(id = "batches", idIsGroup = false, topics = "${test.topic}", batch = "true",
                autoStartup = "${test.autostart:true}")
        void onBatch(List<ConsumerRecord<String, String>> records) throws InterruptedException {
            CancellationToken token = CancellationToken.current();
            TaskInfo task = registry.handleFor(token).map(TaskHandle::info).orElseThrow();
            List<String> values = records.stream().map(ConsumerRecord::value).toList();
            values.forEach(value -> probe.runs.computeIfAbsent(value, key -> new AtomicInteger()).incrementAndGet());
            if (values.contains("slow")) {
                probe.started.add(task.id());
                Cancellation.sleep(PROMPTLY);
            }
            if (values.contains("masked")) {
                probe.started.add(task.id());
                try {
                    Cancellation.sleep(PROMPTLY);
                } catch (TaskCancelledException ex) {
                    // What a driver whose statement the cancel stopped throws: an interrupted I/O, not the cancel.
                    throw new UncheckedIOException(new InterruptedIOException("the statement was cancelled"));
                }
            }
            probe.batches.add(new Batch(values, task, token.deadline().orElse(null)));
        }
    }
}
