package dev.cancellation.amqp;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import dev.cancellation.autoconfigure.CancellationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationMessagingAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationRabbitAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationShutdownAutoConfiguration;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.core.Message;
import org.springframework.amqp.core.Queue;
import org.springframework.amqp.core.QueueBuilder;
import org.springframework.amqp.rabbit.annotation.RabbitListener;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.amqp.autoconfigure.RabbitAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * {@code RabbitTemplate.convertSendAndReceive} under a token, on the embedded AMQP broker, with a template whose
 * own reply timeout is 30 s: the request carries the deadline, the wait ends with the budget
 * ({@code TaskTimeoutException}), a cancel of the requester stops the wait at once ({@code TaskCancelledException},
 * the thread not left interrupted), and a reply that comes in time is received as before.
 */
class RabbitRequestReplyTests {

    private static final Duration TEMPLATE_TIMEOUT = Duration.ofSeconds(30);

    private final String queue = RabbitTestSupport.newQueue();

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(RabbitAutoConfiguration.class,
                    CancellationAutoConfiguration.class, CancellationMessagingAutoConfiguration.class,
                    CancellationShutdownAutoConfiguration.class, CancellationRabbitAutoConfiguration.class))
            .withPropertyValues(EmbeddedAmqpBroker.shared().properties())
            .withPropertyValues("spring.rabbitmq.template.reply-timeout=" + TEMPLATE_TIMEOUT.toMillis() + "ms",
                    "test.queue=" + queue)
            .withUserConfiguration(ReplierConfiguration.class);

    @Test
    void aReplyInTimeArrivesAsBeforeAndTheRequestCarriesTheDeadline() {
        runner.run(context -> {
            RabbitTemplate template = context.getBean(RabbitTemplate.class);
            Replier replier = context.getBean(Replier.class);
            try (CancellationSource source = CancellationSource.withTimeout(Duration.ofSeconds(30));
                    Cancellation.Scope scope = Cancellation.enter(source.token())) {
                Instant deadline = source.token().deadline().orElseThrow();
                assertThat(template.convertSendAndReceive("", queue, "hello")).isEqualTo("HELLO");
                Request request = replier.requests.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
                assertThat(request).isNotNull();
                assertThat(request.header()).isEqualTo(Long.toString(deadline.toEpochMilli()));
                assertThat(request.deadline()).isNotNull();
                assertThat(Duration.between(deadline, request.deadline()).abs()).isLessThan(Duration.ofSeconds(1));
            }
        });
    }

    @Test
    void theWaitForAReplyEndsWithTheBudgetNotTheTemplatesTimeout() {
        runner.run(context -> {
            RabbitTemplate template = context.getBean(RabbitTemplate.class);
            long start = System.nanoTime();
            try (CancellationSource source = CancellationSource.withTimeout(Duration.ofMillis(300));
                    Cancellation.Scope scope = Cancellation.enter(source.token())) {
                assertThatThrownBy(() -> template.convertSendAndReceive("", "nobody-listens", "anyone?"))
                        .isInstanceOf(TaskTimeoutException.class);
                assertThat(Thread.currentThread().isInterrupted()).as("the interrupt is consumed").isFalse();
            }
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(TEMPLATE_TIMEOUT.dividedBy(2));
            // the template works as before afterwards
            assertThat(template.convertSendAndReceive("", queue, "again")).isEqualTo("AGAIN");
        });
    }

    @Test
    void aCancelOfTheRequesterStopsTheWaitAtOnce() {
        runner.run(context -> {
            RabbitTemplate template = context.getBean(RabbitTemplate.class);
            Replier replier = context.getBean(Replier.class);
            AtomicBoolean leftInterrupted = new AtomicBoolean();
            try (CancellationSource source = CancellationSource.create()) {
                CompletableFuture<Object> reply = CompletableFuture.supplyAsync(() -> {
                    try (Cancellation.Scope scope = Cancellation.enter(source.token())) {
                        return template.convertSendAndReceive("", queue, "hold");
                    } finally {
                        leftInterrupted.set(Thread.currentThread().isInterrupted());
                    }
                });
                assertThat(replier.holding.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
                source.cancel(CancellationReason.requested("operator:alice"));
                Throwable failure = failureOf(reply);
                assertThat(failure).isInstanceOf(TaskCancelledException.class)
                        .isNotInstanceOf(TaskTimeoutException.class);
                assertThat(((TaskCancelledException) failure).reason().kind())
                        .isEqualTo(CancellationReason.Kind.REQUESTED);
                assertThat(leftInterrupted).isFalse();
            } finally {
                replier.release.countDown();
            }
        });
    }

    @Test
    void underATokenAlreadyCancelledNothingIsSent() {
        runner.run(context -> {
            RabbitTemplate template = context.getBean(RabbitTemplate.class);
            Replier replier = context.getBean(Replier.class);
            try (CancellationSource source = CancellationSource.create()) {
                source.cancel(CancellationReason.requested("test"));
                try (Cancellation.Scope scope = Cancellation.enter(source.token())) {
                    assertThatThrownBy(() -> template.convertSendAndReceive("", queue, "never"))
                            .isInstanceOf(TaskCancelledException.class);
                }
            }
            assertThat(template.convertSendAndReceive("", queue, "after")).isEqualTo("AFTER");
            assertThat(replier.requests.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS).body()).isEqualTo("after");
        });
    }

    private static Throwable failureOf(CompletableFuture<?> future) throws InterruptedException {
        try {
            future.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
            throw new AssertionError("the call returned normally");
        } catch (java.util.concurrent.ExecutionException ex) {
            return ex.getCause();
        } catch (java.util.concurrent.TimeoutException ex) {
            throw new AssertionError("the call did not end within " + PROMPTLY, ex);
        } catch (RuntimeException ex) {
            return TaskCancelledException.find(ex).<Throwable>map(found -> found).orElse(ex);
        }
    }

    record Request(String body, @Nullable Object header, @Nullable Instant deadline) {
    }

    @Configuration(proxyBeanMethods = false)
    static class ReplierConfiguration {

        @Bean
        Queue requests(@Value("${test.queue}") String name) {
            return QueueBuilder.nonDurable(name).build();
        }

        @Bean
        Replier replier() {
            return new Replier();
        }
    }

    /** Answers with the body in capitals; a body {@code hold} waits for {@link #release} first. */
    static class Replier {

        final BlockingQueue<Request> requests = new LinkedBlockingQueue<>();
        final CountDownLatch holding = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);

        @RabbitListener(id = "replier", queues = "${test.queue}")
        String reply(Message message) throws InterruptedException {
            String body = new String(message.getBody(), java.nio.charset.StandardCharsets.UTF_8);
            requests.add(new Request(body, message.getMessageProperties().getHeader("cancellation-deadline"),
                    CancellationToken.current().deadline().orElse(null)));
            if (body.equals("hold")) {
                holding.countDown();
                release.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
            }
            return body.toUpperCase(Locale.ROOT);
        }
    }
}
