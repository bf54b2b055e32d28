package dev.cancellation.spring;

import static dev.cancellation.spring.CancellableTestSupport.awaitEmpty;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.task.TaskRegistry;
import io.reactivex.rxjava3.core.Flowable;
import io.reactivex.rxjava3.core.Single;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Every kind of return value gives the caller something that fails at the timeout or on cancel, and ends the
 * task: stages that cannot be cancelled, a future behind a generic return type, reactive types other than
 * Reactor's (here RxJava 3, adapted through Spring's {@code ReactiveAdapterRegistry}).
 */
class CancellableReturnTypeTests {

    private final ApplicationContextRunner runner = CancellableTestSupport.runner().withUserConfiguration(Config.class);

    /** The failure, wherever a future or a wrapper put it (Java 23+ wraps what {@code get()} throws). */
    static <T extends Throwable> T find(Throwable failure, Class<T> type) {
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (type.isInstance(cause)) {
                return type.cast(cause);
            }
        }
        throw new AssertionError("no " + type.getSimpleName() + " in the cause chain of " + failure, failure);
    }

    private static Throwable failureOf(CompletionStage<?> stage) {
        CompletableFuture<Throwable> failure = new CompletableFuture<>();
        stage.whenComplete((value, error) -> failure.complete(error));
        return await().atMost(PROMPTLY).until(() -> failure.getNow(null), error -> error != null);
    }

    /** The error an RxJava source ended with (it must end with one). */
    private static Throwable errorOf(io.reactivex.rxjava3.core.Completable completable) {
        AtomicReference<Throwable> error = new AtomicReference<>();
        completable.subscribe(() -> error.set(new AssertionError("completed normally")), error::set);
        return await().atMost(PROMPTLY).until(error::get, e -> e != null);
    }

    @Test
    void aMinimalCompletionStageFailsAtTheTimeoutAndTheTaskEnds() {
        runner.run(context -> {
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            CompletionStage<String> stage = context.getBean(Stages.class).minimal();

            assertThat(find(failureOf(stage), TaskTimeoutException.class).getMessage()).contains("minimal");
            awaitEmpty(registry);
        });
    }

    @Test
    void aThirdPartyStageWhoseCancelThrowsFailsOnCancelAndTheTaskEnds() {
        runner.run(context -> {
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            CompletionStage<String> stage = context.getBean(Stages.class).refusesCancel();
            assertThat(registry.list("refuses-cancel", null)).hasSize(1);

            registry.cancelAll("refuses-cancel", CancellationReason.requested("operator"));

            assertThat(find(failureOf(stage), TaskCancelledException.class).reason().origin()).isEqualTo("operator");
            awaitEmpty(registry);
        });
    }

    @Test
    void aGenericMethodThatReturnsAFutureIsFollowedLikeAFutureMethod() {
        runner.run(context -> {
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            CompletableFuture<String> future = context.getBean(Stages.class).generic();
            assertThat(registry.list("generic", null)).as("live while the future is pending").hasSize(1);

            assertThat(find(failureOf(future), TaskTimeoutException.class)).isNotNull();
            awaitEmpty(registry);
        });
    }

    @Test
    void aGenericMethodThatReturnsAPlainValueEndsWithTheCall() {
        runner.run(context -> {
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            String value = context.getBean(Stages.class).genericValue();
            assertThat(value).isEqualTo("plain");
            assertThat(registry.size()).isZero();
        });
    }

    @Test
    void anRxJavaFlowableIsAdaptedAndFailsAtTheTimeout() {
        runner.run(context -> {
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            Flowable<Long> ticks = context.getBean(Rx.class).ticks(); // no ClassCastException: still a Flowable
            assertThat(registry.size()).as("one task per subscription, none before").isZero();

            Throwable error = errorOf(ticks.ignoreElements());

            assertThat(find(error, TaskTimeoutException.class).getMessage()).contains("ticks");
            awaitEmpty(registry);
        });
    }

    @Test
    void anRxJavaSingleIsOneTaskPerSubscriptionWithTheTokenAndEndsWithIt() {
        runner.run(context -> {
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            Rx rx = context.getBean(Rx.class);
            Single<String> single = rx.single(null);
            assertThat(registry.size()).isZero();

            assertThat(single.blockingGet()).isEqualTo("live");
            assertThat(rx.seen()).isNotNull().matches(token -> !token.isNone());
            awaitEmpty(registry);

            Throwable error = errorOf(rx.neverSingle().ignoreElement());
            assertThat(find(error, TaskTimeoutException.class)).isNotNull();
            awaitEmpty(registry);
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class Config {
        @Bean
        Stages stages() {
            return new Stages();
        }

        @Bean
        Rx rx() {
            return new Rx();
        }
    }

    /** A stage from another library: cancelling it is not supported. */
    static final class RefusingFuture<T> extends CompletableFuture<T> {
        @Override
        public boolean cancel(boolean mayInterruptIfRunning) {
            throw new UnsupportedOperationException("this stage cannot be cancelled");
        }

        @Override
        public <U> CompletableFuture<U> newIncompleteFuture() {
            return new RefusingFuture<>();
        }
    }

    static class Stages {
        @Cancellable(name = "minimal", timeout = "100ms")
        public CompletionStage<String> minimal() {
            return new CompletableFuture<String>().minimalCompletionStage();
        }

        @Cancellable(name = "refuses-cancel")
        public CompletionStage<String> refusesCancel() {
            return new RefusingFuture<>();
        }

        @Cancellable(name = "generic", timeout = "200ms")
        @SuppressWarnings("unchecked")
        public <T> T generic() {
            return (T) new CompletableFuture<String>();
        }

        @Cancellable(name = "generic-value", timeout = "10s")
        @SuppressWarnings("unchecked")
        public <T> T genericValue() {
            return (T) "plain";
        }
    }

    static class Rx {
        private final AtomicReference<CancellationToken> seen = new AtomicReference<>();

        public CancellationToken seen() {
            return seen.get();
        }

        @Cancellable(name = "ticks", timeout = "200ms")
        public Flowable<Long> ticks() {
            return Flowable.interval(20, TimeUnit.MILLISECONDS);
        }

        @Cancellable(name = "single")
        public Single<String> single(CancellationToken token) {
            seen.set(token);
            return Single.fromCallable(() -> token.isCancelled() ? "cancelled" : "live");
        }

        @Cancellable(name = "never-single", timeout = "100ms")
        public Single<String> neverSingle() {
            return Single.<String>never().delay(Duration.ofMillis(1).toMillis(), TimeUnit.MILLISECONDS);
        }
    }
}
