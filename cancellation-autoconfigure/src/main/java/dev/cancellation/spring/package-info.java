/**
 * The Spring glue of the annotations: {@code @Cancellable} methods of Spring beans run as tasks of the registry, with
 * their {@code @OnCancel} cleanups, and the current token travels with Micrometer's context propagation.
 *
 * <p>API: {@link CancellableAnnotationBeanPostProcessor}, which advises the beans (usable without the
 * auto-configuration), with its {@link CancellableDefaults} and its advice {@link CancellableInterceptor};
 * {@link TaskCancelledEvent}, the application event of a cancelled task, and its {@link TaskCancelledEventPublisher};
 * {@link CancellationTokenAccessor}, the context-propagation accessor of the current token. Internal: the
 * resolution and validation of annotated methods at startup, and the per-call state of a task.
 *
 * <p>It plugs into Spring AOP (an advising bean post-processor and {@code MethodInterceptor}s, as {@code @Async}
 * does), Spring's {@code ReactiveAdapterRegistry} for reactive return types, application events, and Micrometer's
 * {@code ThreadLocalAccessor}. Depends on the core only.
 */
@NullMarked
package dev.cancellation.spring;

import org.jspecify.annotations.NullMarked;
