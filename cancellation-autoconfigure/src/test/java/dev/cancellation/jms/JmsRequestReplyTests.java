package dev.cancellation.jms;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import jakarta.jms.Message;
import jakarta.jms.TextMessage;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jms.core.JmsTemplate;

/**
 * {@code JmsTemplate} receives under a token, on a real Artemis broker: the wait for a reply
 * ({@code sendAndReceive}) is bounded by the budget and stopped by a cancel, although the template's own receive
 * timeout (0, for ever) would wait without end; a message that is there is received as before.
 */
class JmsRequestReplyTests {

    private final String queue = JmsTestSupport.newQueue();

    private final ApplicationContextRunner runner = JmsTestSupport.runner();

    @Test
    void theWaitForAReplyEndsWithTheBudget() {
        runner.run(context -> {
            JmsTemplate template = context.getBean(JmsTemplate.class);
            CompletableFuture<Message> reply = CompletableFuture.supplyAsync(() -> {
                try (CancellationSource source = CancellationSource.withTimeout(Duration.ofMillis(300));
                        Cancellation.Scope scope = Cancellation.enter(source.token())) {
                    return template.sendAndReceive(queue, session -> session.createTextMessage("nobody answers"));
                }
            });
            assertThatThrownBy(() -> reply.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS))
                    .isInstanceOf(ExecutionException.class).cause().isInstanceOf(TaskTimeoutException.class);
            Message request = receiver(context.getBean(JmsTemplate.class)).receive(queue);
            assertThat(request.getStringProperty("cancellation_deadline")).matches("\\d+");
        });
    }

    @Test
    void aCancelOfTheRequesterStopsTheWait() {
        runner.run(context -> {
            JmsTemplate template = context.getBean(JmsTemplate.class);
            try (CancellationSource source = CancellationSource.create()) {
                CompletableFuture<Message> reply = CompletableFuture.supplyAsync(() -> {
                    try (Cancellation.Scope scope = Cancellation.enter(source.token())) {
                        return template.sendAndReceive(queue, session -> session.createTextMessage("cancel me"));
                    }
                });
                TextMessage request = (TextMessage) receiver(template).receive(queue);
                assertThat(request.getText()).isEqualTo("cancel me");
                source.cancel(CancellationReason.requested("operator:alice"));
                assertThatThrownBy(() -> reply.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS))
                        .isInstanceOf(ExecutionException.class).cause().isInstanceOf(TaskCancelledException.class)
                        .isNotInstanceOf(TaskTimeoutException.class);
            }
        });
    }

    @Test
    void aReceiveUnderATokenGetsAMessageThatIsThere() {
        runner.run(context -> {
            JmsTemplate template = context.getBean(JmsTemplate.class);
            template.convertAndSend(queue, "here");
            try (CancellationSource source = CancellationSource.withTimeout(Duration.ofSeconds(30));
                    Cancellation.Scope scope = Cancellation.enter(source.token())) {
                assertThat(((TextMessage) template.receive(queue)).getText()).isEqualTo("here");
            }
        });
    }

    /** A template on the same connection factory that waits at most {@code PROMPTLY}. */
    private static JmsTemplate receiver(JmsTemplate template) {
        JmsTemplate receiver = new JmsTemplate(template.getConnectionFactory());
        receiver.setReceiveTimeout(PROMPTLY.toMillis());
        return receiver;
    }
}
