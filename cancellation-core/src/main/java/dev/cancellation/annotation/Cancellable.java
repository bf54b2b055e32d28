package dev.cancellation.annotation;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Runs a method as a cancellable task: it gets a token of its own (a child of the token current at the call
 * site), optionally a timeout, a place in the task registry, and {@code @OnCancel} cleanup.
 *
 * <p>The token is {@link dev.cancellation.CancellationToken#current() current} while the method runs, and is
 * passed to a parameter of type {@link dev.cancellation.CancellationToken} if the method has one (whatever the
 * caller passed there, including {@code null}). The method should check it at safe points
 * ({@code token.throwIfCancelled()}, {@code Cancellation.sleep}, ...). If it is still running a grace period
 * ({@link #interruptAfter()}) after the cancellation, its thread is interrupted; if it still runs after that, it is
 * marked abandoned.
 *
 * <p>Return types: plain values and {@code void} (the task runs on the caller's thread); {@code CompletableFuture}
 * and {@code CompletionStage} (the task lives until the future completes; the returned future fails at the
 * timeout or on cancel even if the work is stuck), including {@code @Async} methods (the task is registered when
 * submitted, and a task cancelled while queued never runs); {@code Mono} and {@code Flux} when Reactor is present
 * (one task per subscription, the method itself being invoked at subscription; disposed on cancel).
 *
 * <p>On a class, applies to all its public methods (not those of {@code Object}); there {@link #name()} replaces
 * the simple class name in the default task names. An annotation on a method takes precedence over the class's;
 * its empty attributes fall back to the class's, then to the configuration.
 * Invalid values (an unparsable duration, a negative one) and methods a proxy cannot advise (private, final,
 * static) fail application startup with a message naming the method.
 */
@Target({ElementType.METHOD, ElementType.TYPE})
@Retention(RetentionPolicy.RUNTIME)
@Inherited
@Documented
public @interface Cancellable {

    /** The task name shown in the registry, logs and metrics; default {@code SimpleClassName.methodName}. */
    String name() default "";

    /**
     * The timeout: a duration such as {@code "500ms"}, {@code "30s"}, {@code "2m"} or {@code "PT2M"}, with
     * {@code ${...}} placeholders resolved. Empty means the configured default
     * ({@code cancellation.default-timeout}, none unless set); {@code "0"} or {@code "none"} means no timeout.
     */
    String timeout() default "";

    /**
     * The grace period between the cooperative cancel and interrupting the thread running the method, as a
     * duration string. Empty means the configured default ({@code cancellation.interrupt-after});
     * {@code "-1"} or {@code "never"} means never interrupt.
     */
    String interruptAfter() default "";
}
