package dev.cancellation.amqp;

import static dev.cancellation.amqp.RabbitTestSupport.LISTENER;
import static dev.cancellation.amqp.RabbitTestSupport.deadLetters;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.messaging.ListenerInvocations;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskState;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.context.ApplicationContext;

/**
 * Each delivery to a {@code @RabbitListener} runs as a listener invocation, on a real AMQP 0-9-1 broker: the token
 * is current, the task is named after the listener and the queue, the deadline a message carries bounds or refuses
 * the invocation, and a cancelled invocation's message is rejected, not requeued (it reaches the dead-letter queue).
 */
class RabbitListenerInvocationTests {

    @Test
    void eachMessageRunsAsATaskNamedAfterTheListenerAndTheQueueWithItsTokenCurrent() throws Exception {
        String queue = RabbitTestSupport.newQueue();
        RabbitTestSupport.runner(queue).run(context -> {
            RabbitTestSupport.Worker worker = context.getBean(RabbitTestSupport.Worker.class);
            RabbitTemplate template = context.getBean(RabbitTemplate.class);
            template.convertAndSend("", queue, "hello", message -> {
                message.getMessageProperties().setMessageId("m-1");
                return message;
            });

            RabbitTestSupport.Delivery delivery = worker.next();
            assertThat(delivery.token().isNone()).isFalse();
            assertThat(delivery.deadlineHeader()).as("sent with no token: no deadline").isNull();
            TaskInfo task = delivery.task();
            assertThat(task).isNotNull();
            assertThat(task.name()).isEqualTo(LISTENER + " " + queue);
            assertThat(task.attributes()).containsEntry("queue", queue).containsEntry("messageId", "m-1")
                    .containsKey("deliveryTag").doesNotContainValue("hello");
            // the delivery is recorded when the listener starts: wait for its end
            Awaitility.await().atMost(PROMPTLY).untilAsserted(() -> {
                assertThat(worker.completed.get("hello")).hasValue(1);
                assertThat(context.getBean("rabbitListenerInvocations", ListenerInvocations.class).size()).isZero();
            });
        });
    }

    @Test
    void anOperatorCancelStopsTheListenerAndItsMessageIsRejectedNotRequeued() throws Exception {
        String queue = RabbitTestSupport.newQueue();
        RabbitTestSupport.runner(queue).run(context -> {
            RabbitTestSupport.Worker worker = context.getBean(RabbitTestSupport.Worker.class);
            RabbitTemplate template = context.getBean(RabbitTemplate.class);
            template.convertAndSend("", queue, "block-operator");
            RabbitTestSupport.Delivery delivery = worker.next();

            TaskRegistry registry = context.getBean(TaskRegistry.class);
            List<TaskInfo> running = registry.list(LISTENER + " " + queue, TaskState.RUNNING);
            assertThat(running).hasSize(1);
            assertThat(running.get(0).attributes()).containsEntry("queue", queue);
            assertThat(registry.cancel(running.get(0).id(), CancellationReason.requested("operator"))).isPresent();

            assertThat(body(template.receive(deadLetters(queue), PROMPTLY.toMillis()))).isEqualTo("block-operator");
            assertThat(delivery.token().reason()).get().extracting(CancellationReason::kind)
                    .isEqualTo(CancellationReason.Kind.REQUESTED);
            assertThat(worker.completed).isEmpty();
            assertThat(worker.deliveries).as("not redelivered").isEmpty();
            assertThat(awaitFinished(context, LISTENER + " " + queue).state()).isEqualTo(TaskState.CANCELLED);
        });
    }

    @Test
    void aMessagePastItsDeadlineIsNotProcessedCountedAndDeadLettered() throws Exception {
        String queue = RabbitTestSupport.newQueue();
        RabbitTestSupport.runner(queue).run(context -> {
            RabbitTestSupport.Worker worker = context.getBean(RabbitTestSupport.Worker.class);
            RabbitTemplate template = context.getBean(RabbitTemplate.class);
            String past = Long.toString(Instant.now().minusSeconds(60).toEpochMilli());
            template.convertAndSend("", queue, "expired", message -> {
                message.getMessageProperties().setHeader("cancellation-deadline", past);
                return message;
            });

            assertThat(body(template.receive(deadLetters(queue), PROMPTLY.toMillis()))).isEqualTo("expired");
            assertThat(worker.deliveries).as("the listener never ran").isEmpty();
            assertThat(context.getBean("rabbitListenerInvocations", ListenerInvocations.class).expiredCount(LISTENER)).isOne();
        });
    }

    @Test
    void aMalformedDeadlineIsNotProcessedAndDeadLettered() throws Exception {
        String queue = RabbitTestSupport.newQueue();
        RabbitTestSupport.runner(queue).run(context -> {
            RabbitTestSupport.Worker worker = context.getBean(RabbitTestSupport.Worker.class);
            RabbitTemplate template = context.getBean(RabbitTemplate.class);
            template.convertAndSend("", queue, "malformed", message -> {
                message.getMessageProperties().setHeader("cancellation-deadline", "soon");
                return message;
            });

            assertThat(body(template.receive(deadLetters(queue), PROMPTLY.toMillis()))).isEqualTo("malformed");
            assertThat(worker.deliveries).isEmpty();
            assertThat(context.getBean("rabbitListenerInvocations", ListenerInvocations.class).expiredCount(LISTENER)).isZero();
        });
    }

    @Test
    void aMessageSentUnderADeadlineCarriesItAndItsListenerRunsWithTheBudgetLeft() throws Exception {
        String queue = RabbitTestSupport.newQueue();
        RabbitTestSupport.runner(queue).run(context -> {
            RabbitTestSupport.Worker worker = context.getBean(RabbitTestSupport.Worker.class);
            RabbitTemplate template = context.getBean(RabbitTemplate.class);
            try (CancellationSource sender = CancellationSource.withTimeout(Duration.ofMinutes(1))) {
                Instant deadline = sender.token().deadline().orElseThrow();
                Cancellation.bind(sender.token(), () -> template.convertAndSend("", queue, "near"));

                RabbitTestSupport.Delivery delivery = worker.next();
                assertThat(delivery.deadlineHeader()).isEqualTo(Long.toString(deadline.toEpochMilli()));
                Instant listenerDeadline = delivery.token().deadline().orElseThrow();
                assertThat(Duration.between(listenerDeadline, deadline).abs())
                        .as("the listener's deadline is the sender's").isLessThan(Duration.ofMillis(200));
                assertThat(delivery.token().isDescendantOf(sender.token())).as("a deadline, not a link").isFalse();
            }
        });
    }

    @Test
    void theListenerTimeoutStopsALongInvocationAndItsMessageIsRejected() throws Exception {
        String queue = RabbitTestSupport.newQueue();
        RabbitTestSupport.runner(queue).withPropertyValues("cancellation.rabbitmq.listener-timeout=300ms")
                .run(context -> {
                    RabbitTestSupport.Worker worker = context.getBean(RabbitTestSupport.Worker.class);
                    RabbitTemplate template = context.getBean(RabbitTemplate.class);
                    template.convertAndSend("", queue, "block-timeout");

                    assertThat(body(template.receive(deadLetters(queue), PROMPTLY.toMillis())))
                            .isEqualTo("block-timeout");
                    assertThat(worker.next().token().reason()).get().extracting(CancellationReason::kind)
                            .isEqualTo(CancellationReason.Kind.TIMEOUT);
                    TaskInfo task = awaitFinished(context, LISTENER + " " + queue);
                    assertThat(task.state()).isEqualTo(TaskState.CANCELLED);
                    assertThat(task.reason()).extracting(CancellationReason::kind)
                            .isEqualTo(CancellationReason.Kind.TIMEOUT);
                });
    }

    @Test
    void aCancelOnRequestRequeuesWhenConfiguredSo() throws Exception {
        String queue = RabbitTestSupport.newQueue();
        // the second run is cancelled by the context's close, after a short drain
        RabbitTestSupport.runner(queue).withPropertyValues("cancellation.rabbitmq.requeue-cancelled=true",
                "cancellation.messaging.shutdown-drain=100ms")
                .run(context -> {
                    RabbitTestSupport.Worker worker = context.getBean(RabbitTestSupport.Worker.class);
                    RabbitTemplate template = context.getBean(RabbitTemplate.class);
                    template.convertAndSend("", queue, "block-requeue");
                    RabbitTestSupport.Delivery first = worker.next();
                    TaskRegistry registry = context.getBean(TaskRegistry.class);
                    String id = registry.list(LISTENER + " " + queue, TaskState.RUNNING).get(0).id();
                    registry.cancel(id, CancellationReason.requested("operator"));

                    RabbitTestSupport.Delivery second = worker.next();
                    assertThat(second.body()).isEqualTo("block-requeue");
                    assertThat(second.redelivered()).isTrue();
                    assertThat(second.token()).isNotSameAs(first.token());
                    assertThat(first.token().reason()).get().extracting(CancellationReason::kind)
                            .isEqualTo(CancellationReason.Kind.REQUESTED);
                    assertThat(template.receive(deadLetters(queue))).as("not dead-lettered").isNull();
                });
    }

    @Test
    void withRetryOnTheRetriesOfACancelledDeliveryAreAttemptsOfOneInvocationAndItsMessageIsRejected()
            throws Exception {
        String queue = RabbitTestSupport.newQueue();
        RabbitTestSupport.runner(queue).withPropertyValues("spring.rabbitmq.listener.simple.retry.enabled=true",
                "spring.rabbitmq.listener.simple.retry.max-retries=2",
                "spring.rabbitmq.listener.simple.retry.initial-interval=10ms").run(context -> {
                    RabbitTestSupport.Worker worker = context.getBean(RabbitTestSupport.Worker.class);
                    RabbitTemplate template = context.getBean(RabbitTemplate.class);
                    template.convertAndSend("", queue, "block-retry");
                    RabbitTestSupport.Delivery first = worker.next();
                    TaskRegistry registry = context.getBean(TaskRegistry.class);
                    String id = registry.list(LISTENER + " " + queue, TaskState.RUNNING).get(0).id();
                    registry.cancel(id, CancellationReason.requested("operator"));

                    assertThat(body(template.receive(deadLetters(queue), PROMPTLY.toMillis())))
                            .isEqualTo("block-retry");
                    // the edge's advice is outermost: Boot's retry interceptor runs inside the invocation, so its
                    // attempts see the same, cancelled token and stop at once; the broker never redelivers it
                    assertThat(worker.deliveries).hasSize(2).allSatisfy(retry -> {
                        assertThat(retry.token()).isSameAs(first.token());
                        assertThat(retry.redelivered()).isFalse();
                    });
                    assertThat(worker.completed).isEmpty();
                });
    }

    static TaskInfo awaitFinished(ApplicationContext context, String name) {
        TaskRegistry registry = context.getBean(TaskRegistry.class);
        return Awaitility.await().atMost(PROMPTLY).until(() -> registry.history().stream()
                .filter(task -> task.name().equals(name)).findFirst().orElse(null), task -> task != null);
    }

    static String body(Message message) {
        assertThat(message).as("a message within " + PROMPTLY).isNotNull();
        return new String(message.getBody(), StandardCharsets.UTF_8);
    }
}
