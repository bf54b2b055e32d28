package dev.cancellation.kafka;

import dev.cancellation.autoconfigure.CancellableAnnotationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationKafkaAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationMessagingAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationShutdownAutoConfiguration;
import java.util.UUID;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The real auto-configurations of a Kafka application with cancellation, against the embedded broker. */
final class KafkaTestSupport {

    private KafkaTestSupport() {
    }

    /** Without a broker: for the auto-configuration branches (nothing connects until a listener starts). */
    static ApplicationContextRunner runner() {
        return new ApplicationContextRunner()
                .withConfiguration(AutoConfigurations.of(KafkaAutoConfiguration.class,
                        CancellationAutoConfiguration.class, CancellableAnnotationAutoConfiguration.class,
                        CancellationShutdownAutoConfiguration.class, CancellationMessagingAutoConfiguration.class,
                        CancellationKafkaAutoConfiguration.class));
    }

    /**
     * On the embedded broker, consumers of a group of their own reading from the start, Strings both ways, and a
     * short drain so that a stop cancels promptly.
     */
    static ApplicationContextRunner onBroker(String topic, String group) {
        return runner().withPropertyValues("spring.kafka.bootstrap-servers=" + EmbeddedKafka.bootstrapServers(),
                "spring.kafka.consumer.group-id=" + group, "spring.kafka.consumer.auto-offset-reset=earliest",
                "spring.kafka.consumer.properties.heartbeat.interval.ms=300",
                "spring.kafka.consumer.properties.session.timeout.ms=6000",
                "cancellation.messaging.shutdown-drain=200ms", "test.topic=" + topic);
    }

    static String group() {
        return "group-" + UUID.randomUUID().toString().substring(0, 8);
    }
}
