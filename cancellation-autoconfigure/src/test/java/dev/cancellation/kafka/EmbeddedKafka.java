package dev.cancellation.kafka;

import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.NewTopic;
import org.springframework.kafka.test.EmbeddedKafkaKraftBroker;

/**
 * One real Kafka broker per test JVM: spring-kafka-test's in-process KRaft broker, on a random loopback port,
 * started on first use and stopped at JVM exit. Each test makes topics of its own ({@link #newTopic}).
 */
final class EmbeddedKafka {

    private static EmbeddedKafkaKraftBroker broker;

    private EmbeddedKafka() {
    }

    static synchronized EmbeddedKafkaKraftBroker broker() {
        if (broker == null) {
            EmbeddedKafkaKraftBroker started = new EmbeddedKafkaKraftBroker(1, 1);
            // A consumer that joins or leaves is rebalanced at once, not after the broker's 3 s default delay; the
            // offsets topic has one partition, not 50, so the first group coordinator is ready sooner.
            started.brokerProperties(Map.of("group.initial.rebalance.delay.ms", "0",
                    "group.min.session.timeout.ms", "1000", "offsets.topic.num.partitions", "1"));
            started.afterPropertiesSet();
            Runtime.getRuntime().addShutdownHook(new Thread(started::destroy));
            broker = started;
        }
        return broker;
    }

    static String bootstrapServers() {
        return broker().getBrokersAsString();
    }

    /** A new topic with {@code partitions} partitions; its name starts with {@code prefix}. */
    static String newTopic(String prefix, int partitions) {
        String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
        broker().addTopics(new NewTopic(name, partitions, (short) 1));
        return name;
    }
}
