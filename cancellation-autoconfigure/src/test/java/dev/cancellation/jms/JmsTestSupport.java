package dev.cancellation.jms;

import static dev.cancellation.testfixture.Waits.PROMPTLY;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.autoconfigure.CancellationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationJmsAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationMessagingAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationShutdownAutoConfiguration;
import dev.cancellation.task.TaskHandle;
import dev.cancellation.task.TaskRegistry;
import jakarta.jms.ConnectionFactory;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.artemis.autoconfigure.ArtemisAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jms.autoconfigure.DefaultJmsListenerContainerFactoryConfigurer;
import org.springframework.boot.jms.autoconfigure.JmsAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jms.annotation.JmsListener;
import org.springframework.jms.config.DefaultJmsListenerContainerFactory;

/** Contexts with Boot's JMS and Artemis auto-configuration, a client of {@link EmbeddedArtemis}, and a listener. */
final class JmsTestSupport {

    private static final AtomicInteger queues = new AtomicInteger();

    private JmsTestSupport() {
    }

    /** The auto-configurations a JMS application with the starter gets, as a client of the test broker. */
    static ApplicationContextRunner runner() {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(ArtemisAutoConfiguration.class, JmsAutoConfiguration.class,
                        CancellationAutoConfiguration.class, CancellationMessagingAutoConfiguration.class,
                        CancellationJmsAutoConfiguration.class, CancellationShutdownAutoConfiguration.class))
                .withPropertyValues(EmbeddedArtemis.properties());
    }

    /** A queue name no other test uses. */
    static String newQueue() {
        return "cancellation-test-" + queues.incrementAndGet() + "-" + System.nanoTime();
    }

    /** What the listener saw of one message. */
    record Seen(String body, CancellationToken token, @Nullable String taskName, Map<String, String> attributes) {
    }

    /**
     * A {@code @JmsListener} with id {@code orders} on {@code ${test.queue}}: records what it sees; unless
     * {@code test.block=false}, a body starting with {@code wait} blocks until its token is cancelled (at most
     * {@code PROMPTLY}), then stops with the cancellation, and one starting with {@code hold} blocks until
     * {@link #release} (at most {@code PROMPTLY}), whatever its token says, and completes; other bodies complete at
     * once.
     */
    static class Listener {

        final BlockingQueue<Seen> seen = new LinkedBlockingQueue<>();
        final AtomicInteger completed = new AtomicInteger();
        final List<String> completedBodies = new CopyOnWriteArrayList<>();
        final List<CancellationReason> cancelledBy = new CopyOnWriteArrayList<>();
        final CountDownLatch waiting = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        private final TaskRegistry registry;
        private final boolean block;

        Listener(TaskRegistry registry, boolean block) {
            this.registry = registry;
            this.block = block;
        }

        @JmsListener(id = "orders", destination = "${test.queue}")
        void onOrder(String body) throws Exception {
            CancellationToken token = CancellationToken.current();
            TaskHandle task = registry.handleFor(token).orElse(null);
            seen.add(new Seen(body, token, (task != null) ? task.name() : null,
                    (task != null) ? task.info().attributes() : Map.of()));
            if (block && body.startsWith("wait")) {
                waiting.countDown();
                cancelledBy.add(token.whenCancelled().toCompletableFuture()
                        .get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS));
                token.throwIfCancelled();
            }
            if (block && body.startsWith("hold")) {
                waiting.countDown();
                release.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
            }
            completedBodies.add(body);
            completed.incrementAndGet();
        }

        /** The bodies seen so far, in order. */
        List<String> bodies() {
            return seen.stream().map(Seen::body).toList();
        }
    }

    /** Records what the container's error handler gets. */
    static class RecordingErrorHandler implements org.springframework.util.ErrorHandler {

        final List<Throwable> errors = new CopyOnWriteArrayList<>();

        @Override
        public void handleError(Throwable error) {
            errors.add(error);
        }
    }

    /** The listener, and the application's own container factory (Boot's documented way) with an error handler. */
    @Configuration(proxyBeanMethods = false)
    static class ListenerConfiguration {

        @Bean
        Listener listener(TaskRegistry registry, @Value("${test.block:true}") boolean block) {
            return new Listener(registry, block);
        }

        @Bean
        RecordingErrorHandler recordingErrorHandler() {
            return new RecordingErrorHandler();
        }

        @Bean
        DefaultJmsListenerContainerFactory jmsListenerContainerFactory(
                DefaultJmsListenerContainerFactoryConfigurer configurer, ConnectionFactory connectionFactory,
                RecordingErrorHandler errorHandler) {
            DefaultJmsListenerContainerFactory factory = new DefaultJmsListenerContainerFactory();
            configurer.configure(factory, connectionFactory);
            factory.setErrorHandler(errorHandler);
            return factory;
        }
    }
}
