package dev.cancellation.annotation;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Marks a cleanup method, run when a {@link Cancellable @Cancellable} task of the same bean is cancelled.
 *
 * <p>{@code @OnCancel} applies to all the bean's tasks; {@code @OnCancel("taskName")} only to the tasks of that
 * name. The method may declare first an optional {@link dev.cancellation.CancellationReason} and an optional
 * {@link dev.cancellation.task.TaskInfo} (in either order), then a prefix of the cancelled method's parameters
 * (matched by type, like Spring Retry's {@code @Recover}: each must accept the corresponding argument). It returns
 * {@code void} or a {@code CompletionStage}, which is awaited. A bean-wide {@code @OnCancel} applies to the tasks
 * whose parameters it fits; a named one takes precedence over bean-wide ones; two candidates at the same level for
 * one task are ambiguous. A public method is invoked through the bean's proxy (so its other advice applies),
 * others on the target.
 *
 * <p>It runs asynchronously on the bounded cleanup executor, only after the cancelled call has exited (or has
 * been abandoned), so it never races the task's own code. It runs shielded: with a fresh token of its own, bound
 * by {@code cancellation.cleanup.timeout}, so it may call cancellable code; past the bound it is cancelled and
 * reported. A failing cleanup is logged with the task's id and name and counted; it never affects other tasks.
 * A bad signature, or a name matching no {@code @Cancellable} task of the bean, fails startup.
 */
@Target(ElementType.METHOD)
@Retention(RetentionPolicy.RUNTIME)
@Documented
public @interface OnCancel {

    /** The name of the task this cleanup is for; empty for every task of the bean. */
    String value() default "";
}
