package dev.cancellation.kafka;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.messaging.ListenerInvocations;
import dev.cancellation.spring.CancellationTokenAccessor;
import dev.cancellation.task.TaskHandle;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskState;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.awaitility.Awaitility;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.core.KafkaTemplate;
import org.springframework.kafka.listener.DefaultErrorHandler;
import org.springframework.kafka.listener.RetryListener;
import org.springframework.util.backoff.FixedBackOff;
import reactor.core.publisher.Mono;

/**
 * Asynchronous {@code @KafkaListener} methods on the embedded broker, and {@code @Cancellable} on a listener
 * method: the invocation of a method returning a {@code CompletableFuture} or a {@code Mono} stays in flight until
 * the result completes, a cancel completes the pending future or disposes the {@code Mono}, the {@code Mono} has the
 * token in its context; {@code @Cancellable(timeout)} bounds its invocation.
 */
class KafkaAsyncListenerTests {

    @Test
    void theInvocationOfAFutureReturningListenerStaysInFlightUntilTheFutureCompletes() {
        run((context, probe) -> {
            KafkaTemplate<Object, Object> template = template(context);
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            template.send(probe.futureTopic, "first").join();
            Started first = probe.next();
            assertThat(first.task().name()).isEqualTo("futures " + probe.futureTopic);
            // spring-kafka pauses the consumer while an asynchronous ack is pending: the sign that the listener
            // call has returned is the consumer thread leaving the method
            Awaitility.await().atMost(PROMPTLY).until(() -> Arrays.stream(first.thread().getStackTrace())
                    .noneMatch(frame -> frame.getMethodName().equals("onFuture")));
            assertThat(registry.find(first.task().id())).as("in flight after the method returned").get()
                    .extracting(TaskInfo::state).isEqualTo(TaskState.RUNNING);
            ListenerInvocations invocations = context.getBean("kafkaListenerInvocations", ListenerInvocations.class);
            assertThat(invocations.size()).isOne();

            probe.results.get("first").complete(null);
            Awaitility.await().atMost(PROMPTLY).untilAsserted(
                    () -> assertThat(registry.find(first.task().id())).isEmpty());
            assertThat(invocations.size()).isZero();
            // the next record runs once the first is acknowledged
            template.send(probe.futureTopic, "second").join();
            assertThat(probe.next().value()).isEqualTo("second");
        });
    }

    @Test
    void aCancelOfTheInvocationCompletesThePendingFutureWithTheCancel() {
        run((context, probe) -> {
            template(context).send(probe.futureTopic, "cancel me").join();
            Started started = probe.next();
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            assertThat(registry.cancel(started.task().id(), CancellationReason.requested("operator:alice")))
                    .isPresent();
            CompletableFuture<Void> result = probe.results.get("cancel me");
            Awaitility.await().atMost(PROMPTLY).until(result::isCompletedExceptionally);
            assertThat(result.handle((value, failure) -> TaskCancelledException.find(failure)).join()).get()
                    .extracting(cancelled -> cancelled.reason().kind())
                    .isEqualTo(CancellationReason.Kind.REQUESTED);
            Awaitility.await().atMost(PROMPTLY).untilAsserted(() -> assertThat(
                    context.getBean("kafkaListenerInvocations", ListenerInvocations.class).size()).isZero());
        });
    }

    @Test
    void aMonoRunsWithTheTokenInItsContextAndIsDisposedByACancel() {
        run((context, probe) -> {
            template(context).send(probe.monoTopic, "mono").join();
            Started started = probe.next();
            assertThat(started.task().name()).isEqualTo("monos " + probe.monoTopic);
            assertThat(probe.monoSubscribed.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            assertThat(probe.monoContextToken.get()).isSameAs(started.token());
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            assertThat(registry.find(started.task().id())).as("in flight while the Mono runs").isPresent();

            registry.cancel(started.task().id(), CancellationReason.requested("operator:alice"));
            assertThat(probe.monoDisposed.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            Awaitility.await().atMost(PROMPTLY).untilAsserted(
                    () -> assertThat(registry.find(started.task().id())).isEmpty());
        });
    }

    @Test
    void cancellableTimeoutOnAListenerMethodBoundsItsInvocationWhichIsNotRetried() {
        run((context, probe) -> {
            long start = System.nanoTime();
            template(context).send(probe.cancellableTopic, "slow").join();
            Started started = probe.next();
            // the @Cancellable call is a child of the invocation
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            assertThat(started.task().parentId()).isNotNull();
            assertThat(started.parentName()).isEqualTo("bounded " + probe.cancellableTopic);
            Throwable recovered = probe.recovered.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(recovered).isNotNull();
            assertThat(TaskCancelledException.find(recovered)).get().isInstanceOf(TaskTimeoutException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(PROMPTLY.dividedBy(2));
            assertThat(probe.failedDeliveries.get()).as("not retried").isOne();
            assertThat(probe.started).as("ran once").isEmpty();
            Awaitility.await().atMost(PROMPTLY).untilAsserted(() -> assertThat(registry.history())
                    .anySatisfy(task -> assertThat(task.name()).isEqualTo("bounded " + probe.cancellableTopic)));
        });
    }

    private static void run(ProbeTest test) {
        Probe probe = new Probe(EmbeddedKafka.newTopic("futures", 1), EmbeddedKafka.newTopic("monos", 1),
                EmbeddedKafka.newTopic("bounded", 1));
        KafkaTestSupport.onBroker(probe.futureTopic, KafkaTestSupport.group())
                .withPropertyValues("test.futures=" + probe.futureTopic, "test.monos=" + probe.monoTopic,
                        "test.bounded=" + probe.cancellableTopic)
                .withBean(Probe.class, () -> probe)
                .withUserConfiguration(AsyncListenerConfiguration.class)
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    try {
                        test.run(context, probe);
                    } finally {
                        probe.results.values().forEach(result -> result.complete(null));
                    }
                });
    }

    @SuppressWarnings("unchecked")
    private static KafkaTemplate<Object, Object> template(ConfigurableApplicationContext context) {
        return context.getBean(KafkaTemplate.class);
    }

    @FunctionalInterface
    interface ProbeTest {
        void run(ConfigurableApplicationContext context, Probe probe) throws Exception;
    }

    record Started(String value, CancellationToken token, TaskInfo task, @Nullable String parentName,
            Thread thread) {
    }

    static final class Probe {

        final String futureTopic;
        final String monoTopic;
        final String cancellableTopic;
        final BlockingQueue<Started> started = new LinkedBlockingQueue<>();
        final Map<String, CompletableFuture<Void>> results = new ConcurrentHashMap<>();
        final AtomicReference<@Nullable CancellationToken> monoContextToken = new AtomicReference<>();
        final CountDownLatch monoSubscribed = new CountDownLatch(1);
        final CountDownLatch monoDisposed = new CountDownLatch(1);
        final BlockingQueue<Throwable> recovered = new LinkedBlockingQueue<>();
        final AtomicInteger failedDeliveries = new AtomicInteger();

        Probe(String futureTopic, String monoTopic, String cancellableTopic) {
            this.futureTopic = futureTopic;
            this.monoTopic = monoTopic;
            this.cancellableTopic = cancellableTopic;
        }

        Started next() throws InterruptedException {
            Started next = started.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(next).as("a listener call within " + PROMPTLY).isNotNull();
            return next;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class AsyncListenerConfiguration {

        @Bean
        AsyncListeners asyncListeners(TaskRegistry registry, Probe probe) {
            return new AsyncListeners(registry, probe);
        }

        @Bean
        BoundedListener boundedListener(TaskRegistry registry, Probe probe) {
            return new BoundedListener(registry, probe);
        }

        /** Two retries by default, the edge's back-off for cancels. */
        @Bean
        DefaultErrorHandler errorHandler(Probe probe) {
            DefaultErrorHandler handler = new DefaultErrorHandler(
                    (record, exception) -> probe.recovered.add(exception), new FixedBackOff(0L, 2L));
            handler.setBackOffFunction(new CancellationBackOffFunction());
            handler.setRetryListeners((RetryListener) (record, exception, attempt) -> probe.failedDeliveries
                    .incrementAndGet());
            return handler;
        }
    }

    static class AsyncListeners {

        private final TaskRegistry registry;
        private final Probe probe;

        AsyncListeners(TaskRegistry registry, Probe probe) {
            this.registry = registry;
            this.probe = probe;
        }

        @KafkaListener(id = "futures", topics = "${test.futures}")
        public CompletableFuture<Void> onFuture(ConsumerRecord<String, String> record) {
            CompletableFuture<Void> result = new CompletableFuture<>();
            probe.results.put(record.value(), result);
            started(record.value());
            return result;
        }

        @KafkaListener(id = "monos", topics = "${test.monos}")
        public Mono<Void> onMono(ConsumerRecord<String, String> record) {
            started(record.value());
            return Mono.deferContextual(context -> {
                probe.monoContextToken.set(context.<CancellationToken>getOrEmpty(CancellationTokenAccessor.KEY)
                        .orElse(null));
                probe.monoSubscribed.countDown();
                return Mono.<Void>never();
            }).doOnCancel(probe.monoDisposed::countDown);
        }

        private void started(String value) {
            started(registry, probe, value);
        }

        static void started(TaskRegistry registry, Probe probe, String value) {
            CancellationToken token = CancellationToken.current();
            TaskHandle task = registry.handleFor(token).orElseThrow();
            String parentName = (task.parentId() == null) ? null
                    : registry.find(task.parentId()).map(TaskInfo::name).orElse(null);
            probe.started.add(new Started(value, token, task.info(), parentName, Thread.currentThread()));
        }
    }

    /** A synchronous listener bounded by {@code @Cancellable}: a bean of its own, proxied for that alone. */
    static class BoundedListener {

        private final TaskRegistry registry;
        private final Probe probe;

        BoundedListener(TaskRegistry registry, Probe probe) {
            this.registry = registry;
            this.probe = probe;
        }

        @KafkaListener(id = "bounded", topics = "${test.bounded}")
        @Cancellable(timeout = "300ms")
        public void onBounded(ConsumerRecord<String, String> record) throws InterruptedException {
            AsyncListeners.started(registry, probe, record.value());
            Cancellation.sleep(PROMPTLY);
        }
    }
}
