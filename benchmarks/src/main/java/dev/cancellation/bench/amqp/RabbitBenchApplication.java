package dev.cancellation.bench.amqp;

import dev.cancellation.autoconfigure.CancellationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationMessagingAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationRabbitAutoConfiguration;
import dev.cancellation.bench.messaging.ListenerApplication;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import org.aopalliance.aop.Advice;
import org.apache.qpid.server.SystemLauncher;
import org.apache.qpid.server.model.SystemConfig;
import org.jspecify.annotations.Nullable;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.QueueBuilder;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.amqp.rabbit.listener.AbstractMessageListenerContainer;
import org.springframework.amqp.rabbit.listener.RabbitListenerEndpointRegistry;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.amqp.autoconfigure.RabbitAutoConfiguration;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.test.util.ReflectionTestUtils;

/**
 * One RabbitMQ application for the RabbitMQ rows: Boot's RabbitMQ auto-configuration (its
 * {@code rabbitListenerContainerFactory}: a simple container, one consumer, prefetch 250, automatic
 * acknowledgement) against an in-process AMQP 0-9-1 broker, Apache Qpid Broker-J on a free loopback port with
 * in-memory queues (the broker the edge's tests run; shared by the applications open in the JVM, each with a
 * non-durable queue of its own), one {@code @RabbitListener} with id {@code orders} on {@code ${bench.queue}},
 * and the starter's auto-configuration with its RabbitMQ edge on or off ({@code cancellation.rabbitmq.enabled}).
 * Messages come from a {@link RabbitTemplate} outside the application.
 *
 * <p>The starter's graceful shutdown ({@code CancellationShutdownAutoConfiguration}) is left out, so that
 * {@code context.stop()} stops the listener container (and the edge's drain and cancel) without shutting the task
 * registry down, and {@code context.start()} starts it again.
 *
 * <p>Thread-safety: {@link #send} from one thread at a time.
 */
final class RabbitBenchApplication implements ListenerApplication {

    private static final AtomicInteger applications = new AtomicInteger();

    private static @Nullable SystemLauncher broker;

    private static int brokerPort;

    /** How many applications are open on the broker. */
    private static int open;

    private final ConfigurableApplicationContext context;
    private final CachingConnectionFactory producerConnections;
    private final RabbitTemplate producer;
    private final String queue;

    private RabbitBenchApplication(ConfigurableApplicationContext context, String queue) {
        this.context = context;
        this.queue = queue;
        this.producerConnections = new CachingConnectionFactory("127.0.0.1", brokerPort());
        producerConnections.setUsername("guest");
        producerConnections.setPassword("guest");
        this.producer = new RabbitTemplate(producerConnections);
    }

    /**
     * Starts the application around {@code listener} (a bean with a {@code @RabbitListener(id = "orders",
     * queues = "${bench.queue}")} method) on a queue of its own, and checks that the edge advises the listener's
     * container exactly when {@code edge} is on, so that neither row measures the other.
     */
    static RabbitBenchApplication start(boolean edge, Object listener, String... properties) {
        String queue = "bench.orders." + applications.incrementAndGet();
        opened();
        try {
            return start(edge, listener, queue, properties);
        } catch (RuntimeException ex) {
            closed();
            throw ex;
        }
    }

    private static RabbitBenchApplication start(boolean edge, Object listener, String queue, String... properties) {
        String[] all = new String[properties.length + 6];
        all[0] = "spring.rabbitmq.host=127.0.0.1";
        all[1] = "spring.rabbitmq.port=" + brokerPort();
        all[2] = "spring.rabbitmq.username=guest";
        all[3] = "spring.rabbitmq.password=guest";
        all[4] = "cancellation.rabbitmq.enabled=" + edge;
        all[5] = "bench.queue=" + queue;
        System.arraycopy(properties, 0, all, 6, properties.length);
        ConfigurableApplicationContext context = new SpringApplicationBuilder(RabbitBenchConfiguration.class)
                .web(WebApplicationType.NONE)
                .properties(ListenerApplication.withCommonProperties(all))
                .initializers(app -> register((GenericApplicationContext) app, listener))
                .run();
        AbstractMessageListenerContainer container = (AbstractMessageListenerContainer) context
                .getBean(RabbitListenerEndpointRegistry.class).getListenerContainer("orders");
        Advice[] chain = (container != null) ? (Advice[]) ReflectionTestUtils.getField(container, "adviceChain")
                : null;
        // The edge's advice is package-private: it is known by its name.
        boolean advised = chain != null && Arrays.stream(chain).anyMatch(
                advice -> advice.getClass().getName().equals("dev.cancellation.amqp.InvocationAdvice"));
        if (advised != edge) {
            context.close();
            throw new IllegalStateException("The RabbitMQ edge is " + (edge ? "on" : "off") + " but container "
                    + "'orders' has " + (advised ? "" : "not ") + "the edge's advice: " + container);
        }
        return new RabbitBenchApplication(context, queue);
    }

    /** A bean definition, not a singleton: Spring AMQP finds {@code @RabbitListener} methods by post-processing beans. */
    @SuppressWarnings("unchecked")
    private static <T> void register(GenericApplicationContext context, T listener) {
        context.registerBean("listener", (Class<T>) listener.getClass(), () -> listener);
    }

    /** The broker's AMQP port on 127.0.0.1. */
    private static synchronized int brokerPort() {
        if (broker == null) {
            throw new IllegalStateException("no application open");
        }
        return brokerPort;
    }

    /**
     * Starts the broker for the first application (user {@code guest}/{@code guest}, see {@code qpid-broker.json});
     * the last one to close stops it, so that no broker thread keeps the JVM alive after the benchmark.
     */
    private static synchronized void opened() {
        if (open == 0) {
            LoggingSystem.get(RabbitBenchApplication.class.getClassLoader()).setLogLevel("org.apache.qpid",
                    LogLevel.WARN);
            URL config = Objects.requireNonNull(RabbitBenchApplication.class.getResource("qpid-broker.json"),
                    "qpid-broker.json");
            int port = freePort();
            SystemLauncher launcher = new SystemLauncher();
            try {
                Map<String, String> brokerContext = new HashMap<>();
                brokerContext.put("qpid.amqp_port", Integer.toString(port));
                brokerContext.put(SystemConfig.QPID_WORK_DIR, Files.createTempDirectory("bench-qpid").toString());
                Map<String, Object> attributes = new HashMap<>();
                attributes.put(SystemConfig.TYPE, "Memory");
                attributes.put(SystemConfig.INITIAL_CONFIGURATION_LOCATION, config.toExternalForm());
                attributes.put(SystemConfig.STARTUP_LOGGED_TO_SYSTEM_OUT, false);
                attributes.put(SystemConfig.CONTEXT, brokerContext);
                launcher.startup(attributes);
            } catch (Exception ex) {
                launcher.shutdown();
                throw new IllegalStateException("Could not start the AMQP broker (Qpid Broker-J) on 127.0.0.1:"
                        + port, ex);
            }
            broker = launcher;
            brokerPort = port;
        }
        open++;
    }

    private static synchronized void closed() {
        if (--open == 0 && broker != null) {
            SystemLauncher stopping = broker;
            broker = null;
            stopping.shutdown();
        }
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    @Override
    public ConfigurableApplicationContext context() {
        return context;
    }

    @Override
    public void send(String body) {
        producer.convertAndSend("", queue, body);
    }

    @Override
    public void close() {
        try {
            producerConnections.destroy();
            context.close();
        } finally {
            closed();
        }
    }

    /** The application: Boot's RabbitMQ support, the listener's queue, the starter's auto-configuration. */
    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration({RabbitAutoConfiguration.class, CancellationAutoConfiguration.class,
            CancellationMessagingAutoConfiguration.class, CancellationRabbitAutoConfiguration.class})
    static class RabbitBenchConfiguration {

        /** Declared by Boot's {@code RabbitAdmin} when the container connects. */
        @Bean
        Queue benchQueue(@Value("${bench.queue}") String name) {
            return QueueBuilder.nonDurable(name).build();
        }
    }
}
