package dev.cancellation.kafka;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskListener;
import dev.cancellation.task.TaskRegistry;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.awaitility.Awaitility;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.core.ProducerFactory;
import org.springframework.kafka.listener.ConcurrentMessageListenerContainer;
import org.springframework.kafka.listener.GenericMessageListenerContainer;
import org.springframework.kafka.requestreply.ReplyingKafkaTemplate;
import org.springframework.kafka.requestreply.RequestReplyFuture;
import org.springframework.messaging.handler.annotation.SendTo;

/**
 * {@code ReplyingKafkaTemplate.sendAndReceive} under a token, on the embedded broker, with a template whose own
 * reply timeout is 30 s: the request carries the deadline, the wait ends with the budget
 * ({@code TaskTimeoutException}), a cancel of the requester completes the future at once and releases the pending
 * correlation (a late reply finds none), and a reply that comes in time is received as before.
 */
class KafkaRequestReplyTests {

    private static final Duration TEMPLATE_TIMEOUT = Duration.ofSeconds(30);

    @Test
    void aReplyInTimeArrivesAsBeforeAndTheRequestCarriesTheDeadline() {
        run((context, template, probe) -> {
            List<String> started = new CopyOnWriteArrayList<>();
            context.getBean(TaskRegistry.class).addListener(new TaskListener() {
                @Override
                public void onStarted(TaskInfo task) {
                    started.add(task.name());
                }
            });
            try (CancellationSource source = CancellationSource.withTimeout(Duration.ofSeconds(30));
                    Cancellation.Scope scope = Cancellation.enter(source.token())) {
                Instant deadline = source.token().deadline().orElseThrow();
                ConsumerRecord<String, String> reply = template.sendAndReceive(
                        new ProducerRecord<>(probe.requestTopic, "hello")).get(PROMPTLY.toMillis(),
                        TimeUnit.MILLISECONDS);
                assertThat(reply.value()).isEqualTo("HELLO");
                Request request = probe.requests.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
                assertThat(request).isNotNull();
                assertThat(request.header()).isEqualTo(Long.toString(deadline.toEpochMilli()));
                assertThat(request.deadline()).isNotNull();
                assertThat(Duration.between(deadline, request.deadline()).abs()).isLessThan(Duration.ofSeconds(1));
            }
            // The replier's record ran as an invocation; the template's reply container (a batch listener
            // container) is left alone: no invocation task for the reply batch.
            String replyTopic = context.getEnvironment().getProperty("test.replies");
            assertThat(started).contains("replier " + probe.requestTopic)
                    .noneMatch(name -> name.contains(String.valueOf(replyTopic)));
        });
    }

    @Test
    void theWaitForAReplyEndsWithTheBudgetNotTheTemplatesTimeout() {
        run((context, template, probe) -> {
            String nobodyListens = EmbeddedKafka.newTopic("silent", 1);
            long start = System.nanoTime();
            try (CancellationSource source = CancellationSource.withTimeout(Duration.ofMillis(300));
                    Cancellation.Scope scope = Cancellation.enter(source.token())) {
                RequestReplyFuture<String, String, String> future = template.sendAndReceive(
                        new ProducerRecord<>(nobodyListens, "anyone?"));
                assertThat(failureOf(future)).isInstanceOf(TaskTimeoutException.class);
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(TEMPLATE_TIMEOUT.dividedBy(2));
        });
    }

    @Test
    void aCancelOfTheRequesterCompletesTheFutureAtOnceAndReleasesTheCorrelation() {
        run((context, template, probe) -> {
            try (CancellationSource source = CancellationSource.create()) {
                RequestReplyFuture<String, String, String> future;
                try (Cancellation.Scope scope = Cancellation.enter(source.token())) {
                    future = template.sendAndReceive(new ProducerRecord<>(probe.requestTopic, "hold"));
                }
                assertThat(probe.holding.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
                source.cancel(CancellationReason.requested("operator:alice"));
                Throwable failure = failureOf(future);
                assertThat(failure).isInstanceOf(TaskCancelledException.class)
                        .isNotInstanceOf(TaskTimeoutException.class);
                assertThat(((TaskCancelledException) failure).reason().kind())
                        .isEqualTo(CancellationReason.Kind.REQUESTED);
                // The replier answers now: its reply finds no pending correlation, long before the template's timeout.
                probe.release.countDown();
                Awaitility.await().atMost(PROMPTLY).untilAsserted(() -> assertThat(template.lateArrivals()).isOne());
            }
        });
    }

    @Test
    void underATokenAlreadyCancelledNothingIsSent() {
        run((context, template, probe) -> {
            try (CancellationSource source = CancellationSource.create()) {
                source.cancel(CancellationReason.requested("test"));
                try (Cancellation.Scope scope = Cancellation.enter(source.token())) {
                    assertThatThrownBy(() -> template.sendAndReceive(
                            new ProducerRecord<>(probe.requestTopic, "never"))).isInstanceOf(
                                    TaskCancelledException.class);
                }
            }
            try (CancellationSource source = CancellationSource.withTimeout(Duration.ofSeconds(30));
                    Cancellation.Scope scope = Cancellation.enter(source.token())) {
                assertThat(template.sendAndReceive(new ProducerRecord<>(probe.requestTopic, "after")).get(
                        PROMPTLY.toMillis(), TimeUnit.MILLISECONDS).value()).isEqualTo("AFTER");
            }
            assertThat(probe.requests.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS).value()).isEqualTo("after");
        });
    }

    /**
     * What {@code future} failed with, waiting at most {@code PROMPTLY}: the {@code TaskCancelledException} found in
     * what {@code get} throws (itself, a {@code CancellationException}, or in an {@code ExecutionException}), or
     * the cause of the {@code ExecutionException}.
     */
    private static Throwable failureOf(RequestReplyFuture<?, ?, ?> future) throws InterruptedException {
        try {
            future.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
            throw new AssertionError("the future completed normally");
        } catch (ExecutionException ex) {
            return ex.getCause();
        } catch (TimeoutException ex) {
            throw new AssertionError("the future did not complete within " + PROMPTLY, ex);
        } catch (RuntimeException ex) {
            return TaskCancelledException.find(ex).<Throwable>map(found -> found).orElse(ex);
        }
    }

    private static void run(RequestReplyTest test) {
        String requestTopic = EmbeddedKafka.newTopic("requests", 1);
        String replyTopic = EmbeddedKafka.newTopic("replies", 1);
        Probe probe = new Probe(requestTopic);
        KafkaTestSupport.onBroker(requestTopic, KafkaTestSupport.group())
                .withPropertyValues("test.replies=" + replyTopic)
                .withBean(Probe.class, () -> probe)
                .withUserConfiguration(RequestReplyConfiguration.class)
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    @SuppressWarnings("unchecked")
                    LateCountingTemplate template = context.getBean(LateCountingTemplate.class);
                    assertThat(template.waitForAssignment(PROMPTLY)).isTrue();
                    test.run(context, template, probe);
                });
    }

    @FunctionalInterface
    interface RequestReplyTest {
        void run(ConfigurableApplicationContext context, LateCountingTemplate template, Probe probe)
                throws Exception;
    }

    record Request(String value, @Nullable String header, @Nullable Instant deadline) {
    }

    static final class Probe {

        final String requestTopic;
        final BlockingQueue<Request> requests = new LinkedBlockingQueue<>();
        final CountDownLatch holding = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        Probe(String requestTopic) {
            this.requestTopic = requestTopic;
        }
    }

    /** A template that counts replies that found no pending request. */
    static class LateCountingTemplate extends ReplyingKafkaTemplate<String, String, String> {

        private final AtomicInteger lateArrivals = new AtomicInteger();

        LateCountingTemplate(ProducerFactory<String, String> producerFactory,
                GenericMessageListenerContainer<String, String> replies) {
            super(producerFactory, replies);
        }

        /** How many replies found no pending request (a method: the bean is a proxy of this class). */
        int lateArrivals() {
            return lateArrivals.get();
        }

        @Override
        protected void logLateArrival(ConsumerRecord<String, String> record, Object correlationId) {
            lateArrivals.incrementAndGet();
            super.logLateArrival(record, correlationId);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class RequestReplyConfiguration {

        @Bean
        LateCountingTemplate replyingTemplate(ProducerFactory<String, String> producerFactory,
                ConcurrentKafkaListenerContainerFactory<String, String> factory,
                @Value("${test.replies}") String replyTopic, @Value("${spring.kafka.consumer.group-id}") String group) {
            ConcurrentMessageListenerContainer<String, String> replies = factory.createContainer(replyTopic);
            replies.getContainerProperties().setGroupId(group + "-replies");
            LateCountingTemplate template = new LateCountingTemplate(producerFactory, replies);
            template.setDefaultReplyTimeout(TEMPLATE_TIMEOUT);
            return template;
        }

        /** The replier's template (Boot's backs off for the replying one, which is a KafkaTemplate too). */
        @Bean
        KafkaTemplate<Object, Object> kafkaTemplate(ProducerFactory<Object, Object> producerFactory) {
            return new KafkaTemplate<>(producerFactory);
        }

        @Bean
        Replier replier(Probe probe) {
            return new Replier(probe);
        }
    }

    static final class Replier {

        private final Probe probe;

        Replier(Probe probe) {
            this.probe = probe;
        }

        @KafkaListener(id = "replier", topics = "${test.topic}")
        @SendTo
        String reply(ConsumerRecord<String, String> request) throws InterruptedException {
            Header header = request.headers().lastHeader("cancellation-deadline");
            probe.requests.add(new Request(request.value(),
                    (header != null) ? new String(header.value(), StandardCharsets.UTF_8) : null,
                    CancellationToken.current().deadline().orElse(null)));
            if (request.value().equals("hold")) {
                probe.holding.countDown();
                probe.release.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
            }
            return request.value().toUpperCase(java.util.Locale.ROOT);
        }
    }
}
