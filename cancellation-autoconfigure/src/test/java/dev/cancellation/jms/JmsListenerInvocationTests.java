package dev.cancellation.jms;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import dev.cancellation.jms.JmsTestSupport.Listener;
import dev.cancellation.jms.JmsTestSupport.ListenerConfiguration;
import dev.cancellation.jms.JmsTestSupport.RecordingErrorHandler;
import dev.cancellation.jms.JmsTestSupport.Seen;
import dev.cancellation.messaging.ListenerInvocations;
import dev.cancellation.messaging.MessageDeadlineException;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import jakarta.jms.ConnectionFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jms.connection.CachingConnectionFactory;
import org.springframework.jms.core.JmsTemplate;

/**
 * A {@code @JmsListener} on a real Artemis broker: each message runs as a task with its token current, bounded by
 * the message's deadline and the listener timeout; expired, malformed and operator-cancelled messages are consumed
 * and handed to the container's error handler, never redelivered.
 */
class JmsListenerInvocationTests {

    private final String queue = JmsTestSupport.newQueue();

    private final ApplicationContextRunner runner = JmsTestSupport.runner()
            .withUserConfiguration(ListenerConfiguration.class)
            .withPropertyValues("test.queue=" + queue);

    @Test
    void eachMessageRunsAsATaskNamedAfterTheListenerAndTheQueueWithItsTokenCurrent() {
        runner.run(context -> {
            context.getBean(JmsTemplate.class).convertAndSend(queue, "hello");
            Seen seen = context.getBean(Listener.class).seen.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(seen).isNotNull();
            assertThat(seen.token().isNone()).isFalse();
            assertThat(seen.taskName()).isEqualTo("orders " + queue);
            assertThat(seen.attributes().get("messageId")).startsWith("ID:");
            assertThat(seen.attributes()).containsEntry("deliveryCount", "1");
            assertThat(seen.token().deadline()).isEmpty();
            await().atMost(PROMPTLY).until(() -> context.getBean("jmsListenerInvocations", ListenerInvocations.class)
                    .size() == 0);
            assertThat(context.getBean(Listener.class).completed).hasValue(1);
            assertThat(context.getBean(TaskRegistry.class).list("orders " + queue, null)).isEmpty();
        });
    }

    @Test
    void anOperatorCancelConsumesTheMessageAndHandsTheCancellationToTheErrorHandler() {
        runner.run(context -> {
            Listener listener = context.getBean(Listener.class);
            context.getBean(JmsTemplate.class).convertAndSend(queue, "wait for the operator");
            assertThat(listener.waiting.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            List<TaskInfo> running = registry.list("orders " + queue, null);
            assertThat(running).hasSize(1);
            registry.cancel(running.get(0).id(), CancellationReason.requested("operator:alice"));

            RecordingErrorHandler errors = context.getBean(RecordingErrorHandler.class);
            await().atMost(PROMPTLY).until(() -> !errors.errors.isEmpty());
            assertThat(errors.errors.get(0)).isInstanceOf(TaskCancelledException.class)
                    .satisfies(error -> assertThat(((TaskCancelledException) error).reason().kind())
                            .isEqualTo(CancellationReason.Kind.REQUESTED));
            assertNotRedelivered(context, "wait for the operator");
            assertThat(listener.completed).hasValue(1); // the marker only
        });
    }

    @Test
    void anInvocationPastTheListenerTimeoutIsCancelledAndItsMessageConsumed() {
        runner.withPropertyValues("cancellation.jms.listener-timeout=300ms").run(context -> {
            context.getBean(JmsTemplate.class).convertAndSend(queue, "wait for the timeout");
            RecordingErrorHandler errors = context.getBean(RecordingErrorHandler.class);
            await().atMost(PROMPTLY).until(() -> !errors.errors.isEmpty());
            assertThat(errors.errors.get(0)).isInstanceOf(TaskTimeoutException.class);
            assertThat(context.getBean(Listener.class).cancelledBy).singleElement()
                    .extracting(CancellationReason::kind).isEqualTo(CancellationReason.Kind.TIMEOUT);
            assertNotRedelivered(context, "wait for the timeout");
        });
    }

    @Test
    void withRedeliverCancelledAnOperatorCancelRollsTheMessageBack() {
        runner.withPropertyValues("cancellation.jms.redeliver-cancelled=true",
                "cancellation.messaging.shutdown-drain=100ms").run(context -> {
                    Listener listener = context.getBean(Listener.class);
                    context.getBean(JmsTemplate.class).convertAndSend(queue, "wait, then again");
                    assertThat(listener.waiting.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
                    TaskRegistry registry = context.getBean(TaskRegistry.class);
                    registry.cancel(registry.list("orders " + queue, null).get(0).id(),
                            CancellationReason.requested("operator:alice"));
                    await().atMost(PROMPTLY).until(() -> listener.seen.size() == 2);
                    assertThat(listener.seen).extracting(Seen::body).containsOnly("wait, then again");
                    assertThat(listener.seen).last().extracting(Seen::attributes)
                            .satisfies(attributes -> assertThat(attributes).containsEntry("deliveryCount", "2"));
                });
    }

    @Test
    void aMessagePastItsDeadlineIsNotProcessedButCountedAndHandedToTheErrorHandler() {
        runner.run(context -> {
            long deadline = Instant.now().minusSeconds(1).toEpochMilli();
            send(context, "too late", Long.toString(deadline));
            RecordingErrorHandler errors = context.getBean(RecordingErrorHandler.class);
            await().atMost(PROMPTLY).until(() -> !errors.errors.isEmpty());
            assertThat(errors.errors.get(0)).isInstanceOf(TaskTimeoutException.class)
                    .hasMessageContaining("orders " + queue).hasMessageContaining("after its deadline");
            assertNotRedelivered(context, "too late");
            assertThat(context.getBean(Listener.class).bodies()).doesNotContain("too late");
            assertThat(context.getBean("jmsListenerInvocations", ListenerInvocations.class).expiredCount("orders"))
                    .isOne();
        });
    }

    @Test
    void aMessageWithAMalformedDeadlineIsNotProcessedNorRetried() {
        runner.run(context -> {
            send(context, "malformed", "soon");
            RecordingErrorHandler errors = context.getBean(RecordingErrorHandler.class);
            await().atMost(PROMPTLY).until(() -> !errors.errors.isEmpty());
            assertThat(errors.errors.get(0)).isInstanceOf(MessageDeadlineException.class)
                    .hasMessageContaining("'soon'").hasMessageContaining(queue);
            assertNotRedelivered(context, "malformed");
            assertThat(context.getBean(Listener.class).bodies()).doesNotContain("malformed");
        });
    }

    @Test
    void aNearDeadlineGivesTheInvocationExactlyTheBudgetLeftAndTheListenerTimeoutBoundsTheRest() {
        runner.withPropertyValues("cancellation.jms.listener-timeout=1h").run(context -> {
            Instant deadline = Instant.ofEpochMilli(Instant.now().plusSeconds(30).toEpochMilli());
            send(context, "near", Long.toString(deadline.toEpochMilli()));
            Instant before = Instant.now();
            context.getBean(JmsTemplate.class).convertAndSend(queue, "no deadline");
            Listener listener = context.getBean(Listener.class);
            Seen near = listener.seen.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
            Seen plain = listener.seen.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(near.body()).isEqualTo("near");
            assertThat(near.token().deadline()).hasValueSatisfying(tokenDeadline -> assertThat(tokenDeadline)
                    .isBetween(deadline.minusMillis(5), deadline.plusSeconds(2)));
            assertThat(plain.body()).isEqualTo("no deadline");
            assertThat(plain.token().deadline()).hasValueSatisfying(tokenDeadline -> assertThat(tokenDeadline)
                    .isBetween(before.plus(Duration.ofHours(1)).minusMillis(5),
                            Instant.now().plus(Duration.ofHours(1)).plusMillis(5)));
        });
    }

    @Test
    void aMessageSentByJmsTemplateUnderATokenWithADeadlineCarriesItToTheListener() {
        runner.run(context -> {
            JmsTemplate template = context.getBean(JmsTemplate.class);
            Instant deadline;
            try (CancellationSource source = CancellationSource.withTimeout(Duration.ofMinutes(5));
                    Cancellation.Scope scope = Cancellation.enter(source.token())) {
                deadline = source.token().deadline().orElseThrow();
                template.convertAndSend(queue, "with deadline");
            }
            template.convertAndSend(queue, "without token");
            Listener listener = context.getBean(Listener.class);
            Seen with = listener.seen.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
            Seen without = listener.seen.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(with.body()).isEqualTo("with deadline");
            assertThat(with.token().deadline()).hasValueSatisfying(tokenDeadline -> assertThat(tokenDeadline)
                    .isBetween(deadline.minusMillis(5), deadline.plusSeconds(2)));
            assertThat(without.body()).isEqualTo("without token");
            assertThat(without.token().deadline()).isEmpty();
            assertThat(context.getBean(ConnectionFactory.class)).isInstanceOf(CachingConnectionFactory.class);
        });
    }

    @Test
    void jmsTemplateLeavesMessagesAloneWhenPropagationIsOff() {
        runner.withPropertyValues("cancellation.jms.propagate-deadline=false").run(context -> {
            try (CancellationSource source = CancellationSource.withTimeout(Duration.ofMinutes(5));
                    Cancellation.Scope scope = Cancellation.enter(source.token())) {
                context.getBean(JmsTemplate.class).convertAndSend(queue, "with deadline");
            }
            Seen seen = context.getBean(Listener.class).seen.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(seen.body()).isEqualTo("with deadline");
            assertThat(seen.token().deadline()).isEmpty();
        });
    }

    @Test
    void listenerContainersKeepWorkingWhenTheEdgeIsOff() {
        runner.withPropertyValues("cancellation.jms.enabled=false").run(context -> {
            assertThat(context).doesNotHaveBean(CancellableJmsListenerPostProcessor.class);
            context.getBean(JmsTemplate.class).convertAndSend(queue, "plain");
            Seen seen = context.getBean(Listener.class).seen.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(seen.body()).isEqualTo("plain");
            assertThat(seen.token().isNone()).isTrue();
        });
    }

    private void send(AssertableApplicationContext context, String body, String deadlineHeader) {
        context.getBean(JmsTemplate.class).convertAndSend(queue, body, message -> {
            message.setStringProperty("cancellation_deadline", deadlineHeader);
            return message;
        });
    }

    /**
     * A marker sent after {@code body} is processed, and {@code body} was seen at most once: a rolled-back message
     * would come back before the marker (one consumer, no redelivery delay).
     */
    private void assertNotRedelivered(AssertableApplicationContext context, String body) {
        context.getBean(JmsTemplate.class).convertAndSend(queue, "marker");
        Listener listener = context.getBean(Listener.class);
        await().atMost(PROMPTLY).until(() -> listener.bodies().contains("marker"));
        assertThat(listener.bodies().stream().filter(body::equals).count()).isLessThanOrEqualTo(1);
        assertThat(listener.bodies()).endsWith("marker");
    }
}
