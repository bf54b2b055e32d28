package dev.cancellation.bench.kafka;

import dev.cancellation.autoconfigure.CancellationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationKafkaAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationMessagingAutoConfiguration;
import dev.cancellation.bench.messaging.ListenerApplication;
import dev.cancellation.kafka.InvocationRecordInterceptor;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * One Kafka application for the Kafka rows: Boot's Kafka auto-configuration (its
 * {@code kafkaListenerContainerFactory}: one consumer, Boot's acknowledgement and error handling) against
 * spring-kafka-test's in-process KRaft broker (shared by the applications open in the JVM, each with a topic
 * of one partition and a consumer group of its own), one {@code @KafkaListener} with id {@code orders} on
 * {@code ${bench.topic}}, and the starter's auto-configuration with its Kafka edge on or off
 * ({@code cancellation.kafka.enabled}). Messages come from a plain {@link KafkaProducer} outside the application.
 *
 * <p>The starter's graceful shutdown ({@code CancellationShutdownAutoConfiguration}) is left out, so that
 * {@code context.stop()} stops the listener container (and the edge's drain and cancel) without shutting the task
 * registry down, and {@code context.start()} starts it again.
 *
 * <p>Thread-safety: {@link #send} and {@link #flush} from one thread at a time.
 */
final class KafkaBenchApplication implements ListenerApplication {

    private static final AtomicInteger applications = new AtomicInteger();

    private static EmbeddedKafkaKraftBroker broker;

    /** How many applications are open on the {@link #broker}. */
    private static int open;

    private final ConfigurableApplicationContext context;
    private final KafkaProducer<String, String> producer;
    private final String topic;

    private KafkaBenchApplication(ConfigurableApplicationContext context, String topic) {
        this.context = context;
        this.topic = topic;
        this.producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                broker().getBrokersAsString(), ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG,
                StringSerializer.class, ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class));
    }

    /**
     * Starts the application around {@code listener} (a bean with a {@code @KafkaListener(id = "orders",
     * topics = "${bench.topic}")} method) on a topic of its own, and checks that the edge intercepts the listener's
     * records exactly when {@code edge} is on, so that neither row measures the other.
     */
    static KafkaBenchApplication start(boolean edge, Object listener, String... properties) {
        int id = applications.incrementAndGet();
        String topic = "bench-orders-" + id;
        opened();
        try {
            return start(edge, listener, id, topic, properties);
        } catch (RuntimeException ex) {
            closed();
            throw ex;
        }
    }

    private static KafkaBenchApplication start(boolean edge, Object listener, int id, String topic,
            String... properties) {
        broker().addTopics(new NewTopic(topic, 1, (short) 1));
        String[] all = new String[properties.length + 7];
        all[0] = "spring.kafka.bootstrap-servers=" + broker().getBrokersAsString();
        all[1] = "spring.kafka.consumer.group-id=bench-" + id;
        all[2] = "spring.kafka.consumer.auto-offset-reset=earliest";
        all[3] = "spring.kafka.consumer.properties.heartbeat.interval.ms=300";
        all[4] = "spring.kafka.consumer.properties.session.timeout.ms=6000";
        all[5] = "cancellation.kafka.enabled=" + edge;
        all[6] = "bench.topic=" + topic;
        System.arraycopy(properties, 0, all, 7, properties.length);
        ConfigurableApplicationContext context = new SpringApplicationBuilder(KafkaBenchConfiguration.class)
                .web(WebApplicationType.NONE)
                .properties(ListenerApplication.withCommonProperties(all))
                .initializers(app -> register((GenericApplicationContext) app, listener))
                .run();
        Object interceptor = context.getBean("kafkaListenerContainerFactory",
                ConcurrentKafkaListenerContainerFactory.class).getRecordInterceptor();
        boolean intercepted = interceptor instanceof InvocationRecordInterceptor;
        if (intercepted != edge) {
            context.close();
            throw new IllegalStateException("The Kafka edge is " + (edge ? "on" : "off") + " but the record "
                    + "interceptor of kafkaListenerContainerFactory is " + interceptor);
        }
        return new KafkaBenchApplication(context, topic);
    }

    /** A bean definition, not a singleton: spring-kafka finds {@code @KafkaListener} methods by post-processing beans. */
    @SuppressWarnings("unchecked")
    private static <T> void register(GenericApplicationContext context, T listener) {
        context.registerBean("listener", (Class<T>) listener.getClass(), () -> listener);
    }

    /**
     * The broker of the applications open, started by the first (with the test suite's settings: a joining or
     * leaving consumer is rebalanced at once) and stopped when the last one closes, so that no broker thread keeps
     * the JVM alive after the benchmark.
     */
    private static synchronized EmbeddedKafkaKraftBroker broker() {
        return Objects.requireNonNull(broker, "no application open");
    }

    private static synchronized void opened() {
        if (open == 0) {
            // The broker logs before any application has configured logging.
            LoggingSystem logging = LoggingSystem.get(KafkaBenchApplication.class.getClassLoader());
            logging.setLogLevel("org.apache.kafka", LogLevel.WARN);
            logging.setLogLevel("kafka", LogLevel.WARN);
            EmbeddedKafkaKraftBroker started = new EmbeddedKafkaKraftBroker(1, 1);
            started.brokerProperties(Map.of("group.initial.rebalance.delay.ms", "0",
                    "group.min.session.timeout.ms", "1000", "offsets.topic.num.partitions", "1"));
            started.afterPropertiesSet();
            broker = started;
        }
        open++;
    }

    private static synchronized void closed() {
        if (--open == 0) {
            EmbeddedKafkaKraftBroker stopping = broker;
            broker = null;
            stopping.destroy();
        }
    }

    @Override
    public ConfigurableApplicationContext context() {
        return context;
    }

    @Override
    public void send(String body) {
        producer.send(new ProducerRecord<>(topic, body));
    }

    @Override
    public void flush() {
        producer.flush();
    }

    @Override
    public void close() {
        try {
            producer.close();
            context.close();
        } finally {
            closed();
        }
    }

    /** The application: Boot's Kafka support and the starter's auto-configuration. */
    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration({KafkaAutoConfiguration.class, CancellationAutoConfiguration.class,
            CancellationMessagingAutoConfiguration.class, CancellationKafkaAutoConfiguration.class})
    static class KafkaBenchConfiguration {
    }
}
