package dev.cancellation.kafka;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import dev.cancellation.messaging.ListenerInvocations;
import dev.cancellation.messaging.MessageDeadlineException;
import dev.cancellation.task.TaskHandle;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
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
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.listener.RetryListener;
import org.springframework.util.backoff.FixedBackOff;

/**
 * A {@code @KafkaListener} on the embedded broker: each record runs as a task with its token current, the deadline
 * rides on the record, expired and malformed records and operator cancels go to the error handler's recoverer
 * without retries.
 */
class KafkaListenerInvocationTests {

    @Test
    void eachRecordRunsAsATaskNamedAfterTheListenerAndTopicWithItsTokenCurrent() {
        String topic = EmbeddedKafka.newTopic("invocations", 1);
        run(topic, (probe, context) -> {
            KafkaTemplate<Object, Object> template = template(context);
            template.send(topic, "key-1", "plain").join();
            Seen seen = probe.seen.poll(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
            assertThat(seen).isNotNull();
            assertThat(seen.task().name()).isEqualTo("invocations " + topic);
            assertThat(seen.task().attributes()).containsEntry("topic", topic).containsEntry("partition", "0")
                    .containsEntry("offset", "0");
            assertThat(seen.deadline()).isNull();
            ListenerInvocations invocations = context.getBean("kafkaListenerInvocations", ListenerInvocations.class);
            awaitNoneInFlight(invocations);
            assertThat(context.getBean(TaskRegistry.class).find(seen.task().id())).isEmpty();
        });
    }

    @Test
    void aRecordSentUnderATokenCarriesItsDeadlineAndTheListenerRunsWithTheBudgetLeft() {
        String topic = EmbeddedKafka.newTopic("deadline", 1);
        run(topic, (probe, context) -> {
            KafkaTemplate<Object, Object> template = template(context);
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            Instant senderDeadline = registry.run("sender", Duration.ofSeconds(30), token -> {
                template.send(topic, "near");
                return token.deadline().orElseThrow();
            });
            Seen seen = probe.seen.poll(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
            assertThat(seen).isNotNull();
            assertThat(seen.header()).isEqualTo(Long.toString(senderDeadline.toEpochMilli()));
            // Exactly what was left of the sender's budget: the listener's deadline is the sender's, to the millisecond
            // of the header (plus the time between the admission and the task's start).
            assertThat(seen.deadline()).isNotNull();
            assertThat(Duration.between(senderDeadline, seen.deadline()).abs()).isLessThan(Duration.ofSeconds(1));
        });
    }

    @Test
    void anExpiredRecordDoesNotRunAndGoesToTheRecovererWithTaskTimeoutExceptionOnce() {
        String topic = EmbeddedKafka.newTopic("expired", 1);
        run(topic, (probe, context) -> {
            KafkaTemplate<Object, Object> template = template(context);
            ProducerRecord<Object, Object> expired = new ProducerRecord<>(topic, "expired");
            expired.headers().add("cancellation-deadline",
                    Long.toString(System.currentTimeMillis() - 60_000).getBytes(StandardCharsets.UTF_8));
            template.send(expired).join();
            template.send(topic, "after").join();
            Recovered recovered = probe.recovered.poll(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
            assertThat(recovered).isNotNull();
            assertThat(recovered.value()).isEqualTo("expired");
            assertThat(TaskCancelledException.find(recovered.exception())).get()
                    .isInstanceOf(TaskTimeoutException.class);
            Seen after = probe.seen.poll(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
            assertThat(after).isNotNull();
            assertThat(after.value()).isEqualTo("after");
            assertThat(probe.runs).doesNotContainKey("expired");
            assertThat(probe.failedDeliveries.get("expired")).hasValue(1);
            ListenerInvocations invocations = context.getBean("kafkaListenerInvocations", ListenerInvocations.class);
            assertThat(invocations.expiredCount("invocations")).isOne();
        });
    }

    @Test
    void aMalformedDeadlineHeaderIsNotRetried() {
        String topic = EmbeddedKafka.newTopic("malformed", 1);
        run(topic, (probe, context) -> {
            ProducerRecord<Object, Object> malformed = new ProducerRecord<>(topic, "malformed");
            malformed.headers().add("cancellation-deadline", "soon".getBytes(StandardCharsets.UTF_8));
            template(context).send(malformed).join();
            Recovered recovered = probe.recovered.poll(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
            assertThat(recovered).isNotNull();
            assertThat(causes(recovered.exception())).hasAtLeastOneElementOfType(MessageDeadlineException.class);
            assertThat(probe.runs).doesNotContainKey("malformed");
            assertThat(probe.failedDeliveries.get("malformed")).hasValue(1);
        });
    }

    @Test
    void anOperatorCancelStopsTheListenerAndTheRecordGoesToTheRecovererWithoutRetries() {
        String topic = EmbeddedKafka.newTopic("operator", 1);
        run(topic, (probe, context) -> {
            KafkaTemplate<Object, Object> template = template(context);
            template.send(topic, "slow").join();
            String taskId = probe.started.poll(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
            assertThat(taskId).isNotNull();
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            assertThat(registry.cancel(taskId, CancellationReason.requested("operator:alice"))).isPresent();
            Recovered recovered = probe.recovered.poll(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
            assertThat(recovered).isNotNull();
            assertThat(recovered.value()).isEqualTo("slow");
            assertThat(TaskCancelledException.find(recovered.exception())).get()
                    .extracting(cancelled -> cancelled.reason().kind()).isEqualTo(CancellationReason.Kind.REQUESTED);
            // The next record runs only once the cancelled one is recovered: had it been retried, it would have run
            // again first.
            template.send(topic, "after").join();
            Seen after = probe.seen.poll(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
            assertThat(after).isNotNull();
            assertThat(after.value()).isEqualTo("after");
            assertThat(probe.runs.get("slow")).hasValue(1);
            assertThat(probe.failedDeliveries.get("slow")).hasValue(1);
        });
    }

    @Test
    void theListenerTimeoutCancelsASlowRecordWhichIsNotRetried() {
        String topic = EmbeddedKafka.newTopic("timeout", 1);
        run(topic, (probe, context) -> {
            template(context).send(topic, "slow").join();
            Recovered recovered = probe.recovered.poll(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
            assertThat(recovered).isNotNull();
            assertThat(TaskCancelledException.find(recovered.exception())).get()
                    .isInstanceOf(TaskTimeoutException.class);
            assertThat(probe.runs.get("slow")).hasValue(1);
            assertThat(probe.failedDeliveries.get("slow")).hasValue(1);
        }, "cancellation.kafka.listener-timeout=300ms");
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

    private static void awaitNoneInFlight(ListenerInvocations invocations) throws InterruptedException {
        assertThat(invocations.awaitIdleWhere(attributes -> true, PROMPTLY)).isTrue();
    }

    @FunctionalInterface
    interface ProbeTest {
        void run(Probe probe, org.springframework.context.ConfigurableApplicationContext context) throws Exception;
    }

    record Seen(String value, TaskInfo task, @Nullable Instant deadline, @Nullable String header) {
    }

    record Recovered(String value, Exception exception) {
    }

    /** What the listener and the error handler saw. */
    static final class Probe {

        final BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
        final BlockingQueue<String> started = new LinkedBlockingQueue<>();
        final BlockingQueue<Recovered> recovered = new LinkedBlockingQueue<>();
        final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();
        final Map<String, AtomicInteger> failedDeliveries = new ConcurrentHashMap<>();
    }

    @Configuration(proxyBeanMethods = false)
    static class ListenerConfiguration {

        @Bean
        OrderListener orderListener(TaskRegistry registry, Probe probe) {
            return new OrderListener(registry, probe);
        }

        /** The application's own error handler: two retries by default, the edge's back-off for cancels. */
        @Bean
        DefaultErrorHandler errorHandler(Probe probe) {
            DefaultErrorHandler handler = new DefaultErrorHandler((record, exception) -> probe.recovered.add(
                    new Recovered(String.valueOf(record.value()), exception)), new FixedBackOff(0L, 2L));
            handler.setBackOffFunction(new CancellationBackOffFunction());
            handler.setRetryListeners((RetryListener) (record, exception, attempt) -> probe.failedDeliveries
                    .computeIfAbsent(String.valueOf(record.value()), value -> new AtomicInteger()).incrementAndGet());
            return handler;
        }
    }

    static final class OrderListener {

        private final TaskRegistry registry;
        private final Probe probe;

        OrderListener(TaskRegistry registry, Probe probe) {
            this.registry = registry;
            this.probe = probe;
        }

        @KafkaListener(id = "invocations", idIsGroup = false, topics = "${test.topic}")
        void onRecord(ConsumerRecord<String, String> record) throws InterruptedException {
            CancellationToken token = CancellationToken.current();
            TaskInfo task = registry.handleFor(token).map(TaskHandle::info).orElseThrow();
            probe.runs.computeIfAbsent(record.value(), value -> new AtomicInteger()).incrementAndGet();
            if (record.value().startsWith("slow")) {
                probe.started.add(task.id());
                Cancellation.sleep(PROMPTLY);
            }
            var header = record.headers().lastHeader("cancellation-deadline");
            probe.seen.add(new Seen(record.value(), task, token.deadline().orElse(null),
                    (header != null) ? new String(header.value(), StandardCharsets.UTF_8) : null));
        }
    }

    /** The exception and its causes, outermost first. */
    static List<Throwable> causes(Throwable failure) {
        List<Throwable> chain = new java.util.ArrayList<>();
        for (Throwable current = failure; current != null && chain.size() < 32; current = current.getCause()) {
            chain.add(current);
        }
        return chain;
    }
}
