package dev.cancellation.batch;

import java.lang.reflect.Field;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;
import org.springframework.aop.Advisor;
import org.springframework.aop.framework.Advised;
import org.springframework.aop.framework.ProxyFactory;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.NameMatchMethodPointcutAdvisor;
import org.springframework.batch.core.job.AbstractJob;
import org.springframework.batch.core.launch.JobOperator;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.repository.support.ResourcelessJobRepository;
import org.springframework.batch.core.step.AbstractStep;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.core.step.item.ChunkOrientedStep;
import org.springframework.beans.factory.config.BeanPostProcessor;
import org.springframework.util.ReflectionUtils;

/**
 * Plugs {@link BatchTasks} into every Spring Batch bean that needs it, through Batch's own extension points:
 * <ul>
 *   <li>every {@link AbstractJob} bean gets the {@code BatchTasks} as a {@code JobExecutionListener}, and every
 *       {@link AbstractStep}, whether a bean or a step the job locates, a {@link StepTaskListener} (once), and a
 *       {@link ChunkOrientedStep} also an item process listener that makes the step's token current on the worker
 *       threads of a multi-threaded step;</li>
 *   <li>every {@link JobRepository} bean runs its methods with no token current, so that the SQL edge never
 *       refuses or cancels Batch's bookkeeping (the status writes, the step's last commit) because the step's
 *       cancelled token is current: the stop is always recorded. Batch's in-memory
 *       {@link ResourcelessJobRepository} (Batch 6's default without a data source) runs no SQL and is left as it
 *       is, so that its calls, a few per chunk, cost nothing;</li>
 *   <li>every {@link JobOperator} bean's {@code stop} also cancels the job's task with reason {@code REQUESTED},
 *       right after Batch's own stop, so the SQL and HTTP calls of the running chunk stop too.</li>
 * </ul>
 * An existing AOP proxy (Batch's transactional repository and operator) gets the advice first in its chain, so it
 * also covers the proxy's own transaction; any other bean is proxied by its interfaces.
 *
 * <p>Thread-safety: called by the container while beans are created; the set of equipped steps is synchronized.
 */
public class BatchTaskPostProcessor implements BeanPostProcessor {

    private final Supplier<BatchTasks> tasks;
    private final Set<Step> equipped = Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<>()));

    /**
     * Creates the post-processor.
     *
     * @param tasks the runs, looked up when the first job or step bean is created (a post-processor is created
     *     before the registry)
     */
    public BatchTaskPostProcessor(Supplier<BatchTasks> tasks) {
        this.tasks = Objects.requireNonNull(tasks, "tasks");
    }

    @Override
    public Object postProcessAfterInitialization(Object bean, String beanName) {
        if (bean instanceof AbstractStep step) {
            equip(step);
        }
        if (bean instanceof AbstractJob job) {
            job.registerJobExecutionListener(tasks.get());
            for (String name : job.getStepNames()) {
                if (job.getStep(name) instanceof AbstractStep step) {
                    equip(step);
                }
            }
        }
        if (bean instanceof JobRepository && !(bean instanceof ResourcelessJobRepository)) {
            return advise(bean, new DefaultPointcutAdvisor(new UnboundBookkeeping(tasks)));
        }
        if (bean instanceof JobOperator) {
            NameMatchMethodPointcutAdvisor advisor = new NameMatchMethodPointcutAdvisor(new StopCancelsTask(tasks));
            advisor.setMappedName("stop");
            return advise(bean, advisor);
        }
        return bean;
    }

    @SuppressWarnings({"rawtypes", "unchecked"})
    private void equip(AbstractStep step) {
        if (equipped.add(step)) {
            step.registerStepExecutionListener(tasks.get().stepListener(step));
            if (step instanceof ChunkOrientedStep chunked && runsOnWorkerThreads(chunked)) {
                chunked.registerItemProcessListener(new WorkerThreadBinding(tasks.get()));
            }
        }
    }

    /**
     * Whether the step processes its items on the threads of a task executor, where the step's token must be made
     * current per item. A step on its own thread has it current already, and a listener called for every item
     * would cost it a lookup per item. {@code ChunkOrientedStep} has no getter for its executor; where its field
     * is not found, the binding is kept: it is correct either way.
     */
    private static boolean runsOnWorkerThreads(ChunkOrientedStep<?, ?> step) {
        Field executor = ReflectionUtils.findField(ChunkOrientedStep.class, "taskExecutor");
        if (executor == null) {
            return true;
        }
        ReflectionUtils.makeAccessible(executor);
        return ReflectionUtils.getField(executor, step) != null;
    }

    private static Object advise(Object bean, Advisor advisor) {
        if (bean instanceof Advised advised && !advised.isFrozen()) {
            advised.addAdvisor(0, advisor);
            return bean;
        }
        ProxyFactory factory = new ProxyFactory(bean);
        factory.addAdvisor(advisor);
        return factory.getProxy(bean.getClass().getClassLoader());
    }
}
