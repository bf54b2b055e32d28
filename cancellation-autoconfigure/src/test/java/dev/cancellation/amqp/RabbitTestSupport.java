package dev.cancellation.amqp;

import static dev.cancellation.testfixture.Waits.PROMPTLY;

import dev.cancellation.CancellationToken;
import dev.cancellation.autoconfigure.CancellationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationMessagingAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationRabbitAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationShutdownAutoConfiguration;
import dev.cancellation.task.TaskHandle;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.springframework.amqp.core.Binding;
import org.springframework.amqp.core.BindingBuilder;
import org.springframework.amqp.core.FanoutExchange;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.QueueBuilder;
import org.springframework.amqp.rabbit.annotation.RabbitListener;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.amqp.autoconfigure.RabbitAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * What the RabbitMQ edge's tests share: a context runner on the embedded broker, a queue per test with a
 * dead-letter queue, and a listener ({@link Worker}) that records what it sees.
 */
final class RabbitTestSupport {

    /** The listener's id (its containers are named after it). */
    static final String LISTENER = "work";

    /** A message whose body starts with this waits for its token to be cancelled. */
    static final String BLOCK = "block";

    private static final AtomicInteger QUEUES = new AtomicInteger();

    private RabbitTestSupport() {
    }

    /** A fresh queue name (the broker outlives the contexts). */
    static String newQueue() {
        return "work-" + QUEUES.incrementAndGet();
    }

    /** A context with Boot's RabbitMQ support, the edge, and one {@link Worker} on {@code queue}. */
    static ApplicationContextRunner runner(String queue) {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(RabbitAutoConfiguration.class,
                        CancellationAutoConfiguration.class, CancellationMessagingAutoConfiguration.class,
                        CancellationShutdownAutoConfiguration.class, CancellationRabbitAutoConfiguration.class))
                .withPropertyValues(EmbeddedAmqpBroker.shared().properties())
                // one message at a time per consumer, so that a second consumer gets the rest
                .withPropertyValues("spring.rabbitmq.listener.simple.prefetch=1", "test.queue=" + queue)
                .withUserConfiguration(Queues.class, Worker.class);
    }

    /** The dead-letter queue of {@code queue}. */
    static String deadLetters(String queue) {
        return queue + ".dlq";
    }

    /** The queue, and its dead-letter exchange and queue. */
    @Configuration(proxyBeanMethods = false)
    static class Queues {

        @Bean
        Queue workQueue(@Value("${test.queue}") String name) {
            // Qpid Broker-J's spelling of RabbitMQ's x-dead-letter-exchange: where rejected messages are routed; Qpid
            // routes a message rejected without requeue there only once its delivery count reaches the maximum
            return QueueBuilder.nonDurable(name).withArgument("alternateExchange", name + ".dlx")
                    .withArgument("x-qpid-maximum-delivery-count", 1).build();
        }

        @Bean
        FanoutExchange deadLetterExchange(@Value("${test.queue}") String name) {
            return new FanoutExchange(name + ".dlx", false, false);
        }

        @Bean
        Queue deadLetterQueue(@Value("${test.queue}") String name) {
            return QueueBuilder.nonDurable(deadLetters(name)).build();
        }

        @Bean
        Binding deadLetterBinding(@Value("${test.queue}") String name) {
            return BindingBuilder.bind(new Queue(deadLetters(name), false))
                    .to(new FanoutExchange(name + ".dlx", false, false));
        }
    }

    /** What the listener saw of one delivery. */
    record Delivery(String body, CancellationToken token, boolean redelivered, @Nullable Object deadlineHeader,
            @Nullable TaskInfo task) {
    }

    /**
     * Records every delivery with the token current in it, and how many times each body was processed to the end.
     * A body starting with {@link #BLOCK} waits for the token's cancel (at most {@code PROMPTLY}), then stops, unless
     * {@code test.block=false}.
     */
    static class Worker {

        final BlockingQueue<Delivery> deliveries = new LinkedBlockingQueue<>();
        private final TaskRegistry registry;
        private final boolean block;

        Worker(TaskRegistry registry, @Value("${test.block:true}") boolean block) {
            this.registry = registry;
            this.block = block;
        }

        final Map<String, AtomicInteger> completed = new ConcurrentHashMap<>();

        @RabbitListener(id = LISTENER, queues = "${test.queue}")
        void onMessage(Message message) throws Exception {
            CancellationToken token = CancellationToken.current();
            String body = new String(message.getBody(), StandardCharsets.UTF_8);
            deliveries.add(new Delivery(body, token, Boolean.TRUE.equals(message.getMessageProperties()
                    .isRedelivered()), message.getMessageProperties().getHeader("cancellation-deadline"),
                    registry.handleFor(token).map(TaskHandle::info).orElse(null)));
            if (block && body.startsWith(BLOCK)) {
                token.whenCancelled().toCompletableFuture().get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
                token.throwIfCancelled();
            }
            completed.computeIfAbsent(body, key -> new AtomicInteger()).incrementAndGet();
        }

        /** The next delivery, waiting at most {@code PROMPTLY}; fails if none comes. */
        Delivery next() throws InterruptedException {
            Delivery delivery = deliveries.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
            if (delivery == null) {
                throw new AssertionError("no delivery within " + PROMPTLY);
            }
            return delivery;
        }
    }
}
