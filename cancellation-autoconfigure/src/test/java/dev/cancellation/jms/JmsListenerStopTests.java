package dev.cancellation.jms;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cancellation.CancellationReason;
import dev.cancellation.jms.JmsTestSupport.Listener;
import dev.cancellation.jms.JmsTestSupport.ListenerConfiguration;
import dev.cancellation.jms.JmsTestSupport.Seen;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jms.core.JmsTemplate;

/**
 * Two consumers of one queue on a real Artemis broker, as two applications: when one stops mid-message, its
 * invocation gets the drain period, then is cancelled with {@code SHUTDOWN}, its session rolls back, and the other
 * consumer processes the message; every message is processed to the end exactly once.
 */
class JmsListenerStopTests {

    private final String queue = JmsTestSupport.newQueue();

    private final ApplicationContextRunner runner = JmsTestSupport.runner()
            .withUserConfiguration(ListenerConfiguration.class)
            .withPropertyValues("test.queue=" + queue, "cancellation.messaging.shutdown-drain=300ms",
                    "spring.jms.listener.receive-timeout=200ms");

    @Test
    void aStopMidMessageCancelsItAfterTheDrainAndTheOtherConsumerProcessesItOnce() {
        runner.run(first -> {
            Listener stopping = first.getBean(Listener.class);
            JmsTemplate template = first.getBean(JmsTemplate.class);
            List<String> sent = new ArrayList<>(List.of("wait-1"));
            template.convertAndSend(queue, "wait-1");
            assertThat(stopping.waiting.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            for (int i = 0; i < 5; i++) {
                template.convertAndSend(queue, "m-" + i);
                sent.add("m-" + i);
            }
            runner.withPropertyValues("test.block=false").run(second -> {
                Listener taking = second.getBean(Listener.class);
                first.close();

                assertThat(stopping.cancelledBy).singleElement().extracting(CancellationReason::kind)
                        .isEqualTo(CancellationReason.Kind.SHUTDOWN);
                assertThat(stopping.completedBodies).doesNotContain("wait-1");
                await().atMost(PROMPTLY).until(() -> stopping.completed.get() + taking.completed.get() == sent.size());
                List<String> completed = new ArrayList<>(stopping.completedBodies);
                completed.addAll(taking.completedBodies);
                assertThat(completed).containsExactlyInAnyOrderElementsOf(sent);
                Seen redelivered = taking.seen.stream().filter(seen -> seen.body().equals("wait-1")).findFirst()
                        .orElseThrow();
                assertThat(redelivered.attributes()).containsEntry("deliveryCount", "2");
            });
        });
    }

    @Test
    void anInvocationThatEndsWithinTheDrainIsCommittedAndNotRedelivered() {
        runner.withPropertyValues("cancellation.messaging.shutdown-drain=20s").run(first -> {
            Listener stopping = first.getBean(Listener.class);
            first.getBean(JmsTemplate.class).convertAndSend(queue, "hold-1");
            assertThat(stopping.waiting.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            runner.withPropertyValues("test.block=false").run(second -> {
                Listener taking = second.getBean(Listener.class);
                CompletableFuture<Void> closing = CompletableFuture.runAsync(first::close);
                await().atMost(PROMPTLY).until(() -> !first.getBean(JmsListenerStop.class).isRunning());
                stopping.release.countDown();
                closing.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);

                assertThat(stopping.completedBodies).containsExactly("hold-1");
                assertThat(stopping.cancelledBy).isEmpty();
                second.getBean(JmsTemplate.class).convertAndSend(queue, "marker");
                await().atMost(PROMPTLY).until(() -> taking.completedBodies.contains("marker"));
                assertThat(taking.completedBodies).containsExactly("marker");
            });
        });
    }
}
