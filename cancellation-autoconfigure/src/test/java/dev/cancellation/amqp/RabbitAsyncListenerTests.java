package dev.cancellation.amqp;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.autoconfigure.CancellationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationMessagingAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationRabbitAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationShutdownAutoConfiguration;
import dev.cancellation.messaging.ListenerInvocations;
import dev.cancellation.spring.CancellationTokenAccessor;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskState;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.awaitility.Awaitility;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.QueueBuilder;
import org.springframework.amqp.rabbit.annotation.RabbitListener;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.amqp.autoconfigure.RabbitAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import reactor.core.publisher.Mono;

/**
 * Asynchronous {@code @RabbitListener} methods on the embedded AMQP broker (Spring AMQP acknowledges their message
 * when the result completes): the invocation stays in flight until then, a cancel completes the pending future
 * (the message rejected, not requeued, for an operator's cancel) or disposes the {@code Mono}, and the {@code Mono}
 * has the token in its Reactor context.
 */
class RabbitAsyncListenerTests {

    private final String futures = RabbitTestSupport.newQueue();
    private final String monos = RabbitTestSupport.newQueue();

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(RabbitAutoConfiguration.class,
                    CancellationAutoConfiguration.class, CancellationMessagingAutoConfiguration.class,
                    CancellationShutdownAutoConfiguration.class, CancellationRabbitAutoConfiguration.class))
            .withPropertyValues(EmbeddedAmqpBroker.shared().properties())
            // several messages to one consumer, so that the next one shows that the first call has returned
            .withPropertyValues("spring.rabbitmq.listener.simple.prefetch=10", "test.futures=" + futures,
                    "test.monos=" + monos)
            .withUserConfiguration(AsyncListenerConfiguration.class);

    @Test
    void theInvocationOfAFutureReturningListenerStaysInFlightUntilTheFutureCompletes() {
        runner.run(context -> {
            Probe listeners = context.getBean(Probe.class);
            RabbitTemplate template = context.getBean(RabbitTemplate.class);
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            try {
                template.convertAndSend("", futures, "first");
                Started first = listeners.next();
                assertThat(first.task().name()).isEqualTo("futures " + futures);
                // the consumer thread takes the next message only once the first listener call has returned
                template.convertAndSend("", futures, "second");
                Started second = listeners.next();
                assertThat(registry.find(first.task().id())).as("in flight after the method returned").get()
                        .extracting(TaskInfo::state).isEqualTo(TaskState.RUNNING);
                ListenerInvocations invocations = context.getBean("rabbitListenerInvocations",
                        ListenerInvocations.class);
                assertThat(invocations.size()).isEqualTo(2);

                listeners.results.get("first").complete(null);
                Awaitility.await().atMost(PROMPTLY).untilAsserted(
                        () -> assertThat(registry.find(first.task().id())).isEmpty());
                assertThat(registry.find(second.task().id())).isPresent();
                listeners.results.get("second").complete(null);
                Awaitility.await().atMost(PROMPTLY).untilAsserted(() -> assertThat(invocations.size()).isZero());
            } finally {
                listeners.results.values().forEach(result -> result.complete(null));
            }
        });
    }

    @Test
    void aCancelOfTheInvocationCompletesThePendingFutureWithTheCancel() {
        runner.run(context -> {
            Probe listeners = context.getBean(Probe.class);
            context.getBean(RabbitTemplate.class).convertAndSend("", futures, "cancel me");
            Started started = listeners.next();
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            assertThat(registry.cancel(started.task().id(), CancellationReason.requested("operator:alice")))
                    .isPresent();
            CompletableFuture<Void> result = listeners.results.get("cancel me");
            Awaitility.await().atMost(PROMPTLY).until(result::isCompletedExceptionally);
            assertThat(result.handle((value, failure) -> TaskCancelledException.find(failure)).join()).get()
                    .extracting(cancelled -> cancelled.reason().kind())
                    .isEqualTo(CancellationReason.Kind.REQUESTED);
            Awaitility.await().atMost(PROMPTLY).untilAsserted(() -> assertThat(registry.find(started.task().id()))
                    .isEmpty());
            // rejected like a listener cancelled on request, not requeued: a marker sent now comes next
            context.getBean(RabbitTemplate.class).convertAndSend("", futures, "marker");
            assertThat(listeners.next().body()).isEqualTo("marker");
        });
    }

    @Test
    void aMonoRunsWithTheTokenInItsContextAndIsDisposedByACancel() {
        runner.run(context -> {
            Probe listeners = context.getBean(Probe.class);
            context.getBean(RabbitTemplate.class).convertAndSend("", monos, "mono");
            Started started = listeners.next();
            assertThat(listeners.monoSubscribed.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            assertThat(listeners.monoContextToken.get()).isSameAs(started.token());
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            assertThat(registry.find(started.task().id())).as("in flight while the Mono runs").isPresent();

            registry.cancel(started.task().id(), CancellationReason.requested("operator:alice"));
            assertThat(listeners.monoDisposed.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            Awaitility.await().atMost(PROMPTLY).untilAsserted(() -> assertThat(registry.find(started.task().id()))
                    .isEmpty());
        });
    }

    record Started(String body, CancellationToken token, TaskInfo task) {
    }

    @Configuration(proxyBeanMethods = false)
    static class AsyncListenerConfiguration {

        // Qpid Broker-J drops a message rejected without requeue only once its maximum delivery count is reached,
        // as RabbitMQ does at once; otherwise it delivers it again
        @Bean
        Queue futuresQueue(@Value("${test.futures}") String name) {
            return QueueBuilder.nonDurable(name).withArgument("x-qpid-maximum-delivery-count", 1).build();
        }

        @Bean
        Queue monosQueue(@Value("${test.monos}") String name) {
            return QueueBuilder.nonDurable(name).withArgument("x-qpid-maximum-delivery-count", 1).build();
        }

        @Bean
        Probe probe() {
            return new Probe();
        }

        @Bean
        AsyncListeners asyncListeners(TaskRegistry registry, Probe probe) {
            return new AsyncListeners(registry, probe);
        }
    }

    /** What the listeners saw (a bean of its own: the listeners' bean is a proxy). */
    static final class Probe {

        final BlockingQueue<Started> started = new LinkedBlockingQueue<>();
        final Map<String, CompletableFuture<Void>> results = new ConcurrentHashMap<>();
        final AtomicReference<@Nullable CancellationToken> monoContextToken = new AtomicReference<>();
        final CountDownLatch monoSubscribed = new CountDownLatch(1);
        final CountDownLatch monoDisposed = new CountDownLatch(1);

        Started next() throws InterruptedException {
            Started next = started.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(next).as("a listener call within " + PROMPTLY).isNotNull();
            return next;
        }
    }

    static class AsyncListeners {

        private final TaskRegistry registry;
        private final Probe probe;

        AsyncListeners(TaskRegistry registry, Probe probe) {
            this.registry = registry;
            this.probe = probe;
        }

        @RabbitListener(id = "futures", queues = "${test.futures}")
        public CompletableFuture<Void> onFuture(Message message) {
            CompletableFuture<Void> result = new CompletableFuture<>();
            probe.results.put(new String(message.getBody(), StandardCharsets.UTF_8), result);
            started(message);
            return result;
        }

        @RabbitListener(id = "monos", queues = "${test.monos}")
        public Mono<Void> onMono(Message message) {
            started(message);
            return Mono.deferContextual(context -> {
                probe.monoContextToken.set(context.<CancellationToken>getOrEmpty(CancellationTokenAccessor.KEY)
                        .orElse(null));
                probe.monoSubscribed.countDown();
                return Mono.<Void>never();
            }).doOnCancel(probe.monoDisposed::countDown);
        }

        private String started(Message message) {
            String body = new String(message.getBody(), StandardCharsets.UTF_8);
            CancellationToken token = CancellationToken.current();
            probe.started.add(new Started(body, token, registry.handleFor(token).orElseThrow().info()));
            return body;
        }
    }
}
