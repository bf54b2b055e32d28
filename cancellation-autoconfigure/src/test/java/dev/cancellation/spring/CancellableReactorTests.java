package dev.cancellation.spring;

import static dev.cancellation.spring.CancellableTestSupport.awaitEmpty;
import static dev.cancellation.spring.CancellableTestSupport.awaitTask;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskState;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/** {@code Mono}/{@code Flux} {@code @Cancellable} methods: a task per subscription, disposed on cancel. */
class CancellableReactorTests {

    private final ApplicationContextRunner runner = CancellableTestSupport.runner()
            .withBean(Probe.class).withBean(Streams.class);

    @Test
    void monoTimesOutAndItsSourceIsDisposed() {
        runner.run(context -> {
            Streams streams = context.getBean(Streams.class);
            Probe probe = context.getBean(Probe.class);
            StepVerifier.create(streams.never()).expectError(TaskTimeoutException.class).verify(PROMPTLY);
            assertThat(probe.disposed).isTrue();
            awaitEmpty(context.getBean(TaskRegistry.class));
        });
    }

    @Test
    void tokenIsInTheReactorContextTheParameterAndCurrentDuringAssembly() {
        runner.run(context -> {
            Streams streams = context.getBean(Streams.class);
            Probe probe = context.getBean(Probe.class);
            CancellationToken fromContext = streams.tokenFromContext(CancellationToken.none()).block(PROMPTLY);
            assertThat(fromContext).isNotNull().isSameAs(probe.parameter.get()).isSameAs(probe.current.get());
            assertThat(fromContext.isNone()).isFalse();
        });
    }

    @Test
    void aTaskPerSubscriptionStartedOnlyWhenSubscribed() {
        runner.run(context -> {
            Streams streams = context.getBean(Streams.class);
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            Flux<Integer> flux = streams.numbers();
            assertThat(registry.size()).isZero();
            StepVerifier.create(flux).expectNext(1, 2, 3).verifyComplete();
            StepVerifier.create(flux).expectNext(1, 2, 3).verifyComplete();
            assertThat(registry.size()).isZero();
            assertThat(registry.history()).isEmpty(); // completed tasks are not kept
        });
    }

    @Test
    void cancelFromTheRegistryErrorsTheSubscriberAndDisposesTheSource() {
        runner.run(context -> {
            Streams streams = context.getBean(Streams.class);
            Probe probe = context.getBean(Probe.class);
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            AtomicReference<Throwable> error = new AtomicReference<>();
            streams.endless().subscribe(value -> { }, error::set);
            TaskInfo task = awaitTask(registry, "Streams.endless", TaskState.RUNNING);
            registry.cancel(task.id(), CancellationReason.requested("test"));
            assertThat(error.get()).isInstanceOf(TaskCancelledException.class);
            assertThat(probe.disposed).isTrue();
            awaitEmpty(registry);
        });
    }

    @Test
    void subscriberCancellingCancelsTheTask() {
        runner.run(context -> {
            Streams streams = context.getBean(Streams.class);
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            Disposable subscription = streams.endless().subscribe();
            awaitTask(registry, "Streams.endless", TaskState.RUNNING);
            subscription.dispose();
            awaitEmpty(registry);
            assertThat(registry.history()).first().satisfies(info -> {
                assertThat(info.state()).isEqualTo(TaskState.CANCELLED);
                assertThat(info.reason().origin()).isEqualTo("subscriber");
            });
        });
    }

    static class Probe {
        final AtomicBoolean disposed = new AtomicBoolean();
        final AtomicReference<CancellationToken> parameter = new AtomicReference<>();
        final AtomicReference<CancellationToken> current = new AtomicReference<>();
    }

    static class Streams {

        private final Probe probe;

        Streams(Probe probe) {
            this.probe = probe;
        }

        @Cancellable(timeout = "100ms")
        public Mono<String> never() {
            return Mono.<String>never().doOnCancel(() -> probe.disposed.set(true));
        }

        @Cancellable
        public Mono<CancellationToken> tokenFromContext(CancellationToken token) {
            probe.parameter.set(token);
            probe.current.set(CancellationToken.current());
            return Mono.deferContextual(context -> Mono.just(context.get(CancellationTokenAccessor.KEY)));
        }

        @Cancellable
        public Flux<Integer> numbers() {
            return Flux.just(1, 2, 3);
        }

        @Cancellable
        public Flux<Long> endless() {
            return Flux.<Long>never().doOnCancel(() -> probe.disposed.set(true));
        }
    }
}
