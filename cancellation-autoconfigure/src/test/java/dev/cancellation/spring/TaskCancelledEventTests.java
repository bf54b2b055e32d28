package dev.cancellation.spring;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskSpec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.Test;
import org.springframework.context.ApplicationListener;

/** A {@code TaskCancelledEvent} is published for every cancelled task, once. */
class TaskCancelledEventTests {

    @Test
    void publishedOncePerCancelledTaskIncludingChildrenAndTimeouts() {
        List<TaskCancelledEvent> events = new CopyOnWriteArrayList<>();
        CancellableTestSupport.runner()
                .withBean("recorder", ApplicationListener.class,
                        () -> (ApplicationListener<TaskCancelledEvent>) events::add)
                .run(context -> {
                    TaskRegistry registry = context.getBean(TaskRegistry.class);
                    try (CancellationSource root = CancellationSource.create()) {
                        var parent = registry.start(TaskSpec.of("parent", null).withParent(root.token()));
                        var child = registry.start(TaskSpec.of("child", null).withParent(parent.token()));
                        registry.cancel(parent.id(), CancellationReason.requested("op"));
                        registry.cancel(parent.id(), CancellationReason.requested("again"));
                        child.exit(null);
                        parent.exit(null);
                    }
                    assertThat(events).extracting(e -> e.getTask().name()).containsExactlyInAnyOrder("parent", "child");
                    assertThat(events).allSatisfy(e -> {
                        assertThat(e.getReason().origin()).isEqualTo("op");
                        assertThat(e.getSource()).isSameAs(registry);
                    });

                    events.clear();
                    var timed = registry.start(TaskSpec.of("timed", Duration.ofMillis(20)));
                    Awaitility.await().atMost(PROMPTLY).until(() -> events.size() == 1);
                    assertThat(events.get(0).getReason().isTimeout()).isTrue();
                    timed.exit(null);
                });
    }
}
