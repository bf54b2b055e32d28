package dev.cancellation.bench.messaging;

import org.springframework.context.ConfigurableApplicationContext;

/**
 * An application with one message listener (id {@code orders}) on an embedded broker, and a producer outside it:
 * what the Kafka and RabbitMQ rows run their listeners in ({@code KafkaBenchApplication},
 * {@code RabbitBenchApplication}).
 *
 * <p>Thread-safety: {@link #send} from one thread at a time (the benchmark's).
 */
public interface ListenerApplication extends AutoCloseable {

    ConfigurableApplicationContext context();

    /** Sends {@code body} to the listener's topic or queue from the producer outside the application. */
    void send(String body) throws Exception;

    /** Sends the messages sent so far at once, when the producer batches them; nothing by default. */
    default void flush() throws Exception {
    }

    /** The properties every row's application is started with: quiet logs, no banner, no JMX. */
    static String[] withCommonProperties(String... properties) {
        String[] common = {"spring.main.banner-mode=off", "spring.main.log-startup-info=false",
            "spring.jmx.enabled=false", "logging.level.org.apache.kafka=warn", "logging.level.kafka=warn",
            "logging.level.org.apache.qpid=warn", "logging.level.org.springframework.kafka=warn",
            "logging.level.org.springframework.amqp=warn"};
        String[] all = new String[common.length + properties.length];
        System.arraycopy(common, 0, all, 0, common.length);
        System.arraycopy(properties, 0, all, common.length, properties.length);
        return all;
    }
}
