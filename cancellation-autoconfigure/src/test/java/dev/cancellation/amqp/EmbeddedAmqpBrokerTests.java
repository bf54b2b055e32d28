package dev.cancellation.amqp;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.rabbit.connection.CachingConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitAdmin;
import org.springframework.amqp.rabbit.core.RabbitTemplate;

/** The embedded broker is a real AMQP 0-9-1 broker: a message sent to a queue is received from it. */
class EmbeddedAmqpBrokerTests {

    @Test
    void aMessageSentToAQueueIsReceived() {
        CachingConnectionFactory factory = EmbeddedAmqpBroker.shared().connectionFactory();
        try {
            new RabbitAdmin(factory).declareQueue(new Queue("broker-check", false, false, true));
            RabbitTemplate template = new RabbitTemplate(factory);
            template.convertAndSend("", "broker-check", "hello");
            assertThat(template.receiveAndConvert("broker-check", 20_000)).isEqualTo("hello");
        } finally {
            factory.destroy();
        }
    }
}
