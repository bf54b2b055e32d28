package dev.cancellation.spring;

import dev.cancellation.CancellationReason;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskListener;
import dev.cancellation.task.TaskRegistry;
import java.util.Objects;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.context.ApplicationEventPublisher;

/**
 * Publishes a {@link TaskCancelledEvent} for every cancelled task of a {@link TaskRegistry}: a {@link TaskListener}
 * that adds itself to the registry when initialised and removes itself when destroyed.
 *
 * <p>Thread-safety: stateless apart from its final collaborators; events are published on the cancelling thread.
 */
public class TaskCancelledEventPublisher implements TaskListener, InitializingBean, DisposableBean {

    private final TaskRegistry registry;
    private final ApplicationEventPublisher publisher;

    /** A publisher of {@code registry}'s cancellations to {@code publisher}. */
    public TaskCancelledEventPublisher(TaskRegistry registry, ApplicationEventPublisher publisher) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.publisher = Objects.requireNonNull(publisher, "publisher");
    }

    @Override
    public void afterPropertiesSet() {
        registry.addListener(this);
    }

    @Override
    public void destroy() {
        registry.removeListener(this);
    }

    @Override
    public void onCancelRequested(TaskInfo task, CancellationReason reason) {
        publisher.publishEvent(new TaskCancelledEvent(registry, task, reason));
    }
}
