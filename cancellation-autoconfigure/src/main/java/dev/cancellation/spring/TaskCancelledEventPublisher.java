package dev.cancellation.spring;

import dev.cancellation.CancellationReason;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskListener;
import dev.cancellation.task.TaskRegistry;
import java.util.Objects;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.beans.factory.InitializingBean;
import org.springframework.context.ApplicationEventPublisher;

/**
 * Publishes a {@link TaskCancelledEvent} for every cancelled task of a {@link TaskRegistry}: a {@link TaskListener}
 * that adds itself to the registry when initialised and removes itself when destroyed.
 *
 * <p>Listeners run on the cancelling thread, inside the cancellation: a listener that throws (even an
 * {@link Error} other than a {@link VirtualMachineError}) is logged with the task's id and name and ignored, so that
 * the cancellation goes on (escalation to interrupt, abandonment, cleanup). Spring's default event multicaster stops
 * at the first listener that throws, so the listeners after it miss that event.
 *
 * <p>Thread-safety: stateless apart from its final collaborators; events are published on the cancelling thread.
 */
public class TaskCancelledEventPublisher implements TaskListener, InitializingBean, DisposableBean {

    private static final Log logger = LogFactory.getLog(TaskCancelledEventPublisher.class);

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
        try {
            publisher.publishEvent(new TaskCancelledEvent(registry, task, reason));
        } catch (VirtualMachineError fatal) {
            throw fatal;
        } catch (Throwable ex) {
            // the registry would stop this cancellation's own handling at an Error: keep listeners out of it
            logger.warn("A TaskCancelledEvent listener failed for task " + task.id() + " (" + task.name()
                    + "); the cancellation goes on", ex);
        }
    }
}
