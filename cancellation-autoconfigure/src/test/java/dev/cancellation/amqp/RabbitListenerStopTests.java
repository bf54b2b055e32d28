package dev.cancellation.amqp;

import static dev.cancellation.amqp.RabbitTestSupport.LISTENER;
import static dev.cancellation.amqp.RabbitTestSupport.deadLetters;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.CancellationReason;
import dev.cancellation.messaging.ListenerInvocations;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.amqp.rabbit.listener.RabbitListenerEndpointRegistry;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.context.SmartLifecycle;

/**
 * Two consumers of one queue, in two application contexts on a real AMQP 0-9-1 broker: when the first stops (its
 * container, or its whole context) while a message is in flight, the invocation gets the drain period, is cancelled
 * with {@code SHUTDOWN}, and its message is requeued to the second consumer, which processes it to the end; every
 * message is processed to the end exactly once, none is dead-lettered.
 */
class RabbitListenerStopTests {

    private static final List<String> LATER = List.of("m-2", "m-3", "m-4", "m-5");

    @Test
    void aContainerStopMidMessageRequeuesItToTheOtherConsumer() throws Exception {
        String queue = RabbitTestSupport.newQueue();
        ApplicationContextRunner first = RabbitTestSupport.runner(queue)
                .withPropertyValues("cancellation.messaging.shutdown-drain=300ms");
        ApplicationContextRunner second = RabbitTestSupport.runner(queue).withPropertyValues("test.block=false",
                "spring.rabbitmq.listener.simple.auto-startup=false");
        first.run(a -> second.run(b -> {
            RabbitTestSupport.Worker stopping = a.getBean(RabbitTestSupport.Worker.class);
            RabbitTestSupport.Worker staying = b.getBean(RabbitTestSupport.Worker.class);
            RabbitTemplate template = a.getBean(RabbitTemplate.class);
            template.convertAndSend("", queue, "block-1");
            RabbitTestSupport.Delivery inFlight = awaitDeliveryIn(stopping, staying);
            startConsumer(b);

            a.getBean(RabbitListenerEndpointRegistry.class).getListenerContainer(LISTENER).stop();

            assertThat(inFlight.token().reason()).get().extracting(CancellationReason::kind)
                    .isEqualTo(CancellationReason.Kind.SHUTDOWN);
            assertThat(a.getBean("rabbitListenerInvocations", ListenerInvocations.class).size()).isZero();
            sendLater(template, queue);
            assertRedeliveredAndEachProcessedOnce(queue, template, stopping, staying);
        }));
    }

    @Test
    void anApplicationShutdownMidMessageRequeuesItToTheOtherConsumer() throws Exception {
        String queue = RabbitTestSupport.newQueue();
        ApplicationContextRunner first = RabbitTestSupport.runner(queue)
                .withPropertyValues("cancellation.messaging.shutdown-drain=300ms");
        ApplicationContextRunner second = RabbitTestSupport.runner(queue).withPropertyValues("test.block=false",
                "spring.rabbitmq.listener.simple.auto-startup=false");
        second.run(b -> first.run(a -> {
            RabbitTestSupport.Worker stopping = a.getBean(RabbitTestSupport.Worker.class);
            RabbitTestSupport.Worker staying = b.getBean(RabbitTestSupport.Worker.class);
            RabbitTemplate template = b.getBean(RabbitTemplate.class);
            template.convertAndSend("", queue, "block-1");
            RabbitTestSupport.Delivery inFlight = awaitDeliveryIn(stopping, staying);
            startConsumer(b);

            a.close();

            assertThat(inFlight.token().reason()).get().extracting(CancellationReason::kind)
                    .isEqualTo(CancellationReason.Kind.SHUTDOWN);
            sendLater(template, queue);
            assertRedeliveredAndEachProcessedOnce(queue, template, stopping, staying);
        }));
    }

    /** Waits until the first consumer has the message (the second one's container is not started yet). */
    private static RabbitTestSupport.Delivery awaitDeliveryIn(RabbitTestSupport.Worker first,
            RabbitTestSupport.Worker second) throws InterruptedException {
        RabbitTestSupport.Delivery delivery = first.next();
        assertThat(delivery.body()).isEqualTo("block-1");
        assertThat(second.deliveries).isEmpty();
        return delivery;
    }

    private static void sendLater(RabbitTemplate template, String queue) {
        LATER.forEach(body -> template.convertAndSend("", queue, body));
    }

    private static void assertRedeliveredAndEachProcessedOnce(String queue, RabbitTemplate template,
            RabbitTestSupport.Worker stopping, RabbitTestSupport.Worker staying) throws InterruptedException {
        List<RabbitTestSupport.Delivery> seen = new ArrayList<>();
        for (int i = 0; i < 1 + LATER.size(); i++) {
            seen.add(staying.next());
        }
        assertThat(seen).filteredOn(delivery -> delivery.body().equals("block-1")).singleElement()
                .satisfies(delivery -> assertThat(delivery.redelivered()).isTrue());
        Map<String, AtomicInteger> completed = staying.completed;
        // a delivery is recorded when the listener starts, its completion when it ends
        Awaitility.await().atMost(PROMPTLY).untilAsserted(() ->
                assertThat(completed).containsOnlyKeys("block-1", "m-2", "m-3", "m-4", "m-5"));
        assertThat(completed.values()).allSatisfy(count -> assertThat(count).hasValue(1));
        assertThat(stopping.completed).as("the stopped consumer finished nothing").isEmpty();
        assertThat(stopping.deliveries).as("nothing more reached the stopped consumer").isEmpty();
        assertThat(template.receive(deadLetters(queue))).as("nothing dead-lettered").isNull();
    }

    /** Starts the second consumer once the first has the message in flight. */
    private static void startConsumer(ApplicationContext context) {
        // Spring AMQP 4.1 returns the container as org.springframework.amqp.core.MessageListenerContainer, 4.0 as
        // the rabbit one: both are a SmartLifecycle
        SmartLifecycle container = context.getBean(RabbitListenerEndpointRegistry.class).getListenerContainer(LISTENER);
        container.start();
        Awaitility.await().atMost(PROMPTLY).until(container::isRunning);
    }
}
