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
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.assertj.core.api.ThrowingConsumer;
import org.junit.jupiter.api.Test;
import org.springframework.aop.Advisor;
import org.springframework.aop.MethodMatcher;
import org.springframework.aop.PointcutAdvisor;
import org.springframework.aop.framework.Advised;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.task.TaskExecutor;
import org.springframework.scheduling.annotation.Async;
import org.springframework.scheduling.annotation.AsyncAnnotationAdvisor;
import org.springframework.scheduling.annotation.EnableAsync;

/** {@code @Cancellable} methods returning futures, with and without {@code @Async}. */
class CancellableFutureAndAsyncTests {

    private final ApplicationContextRunner runner = CancellableTestSupport.runner()
            .withUserConfiguration(Config.class)
            .withPropertyValues("spring.task.execution.pool.core-size=1");

    // CompletableFuture.get() throws the stored TaskCancelledException itself on Java 17-22, and a new
    // CancellationException caused by it on Java 23+: stoppedBy(...) accepts exactly these two.

    @Test
    void returnedFutureFailsAtTimeoutEvenIfTheWorkIsStuck() {
        runner.run(context -> {
            Futures futures = context.getBean(Futures.class);
            Probe probe = context.getBean(Probe.class);
            TaskRegistry registry = context.getBean(TaskRegistry.class);

            CompletableFuture<String> result = futures.neverCompletes();

            assertThat(result).failsWithin(PROMPTLY).withThrowableThat()
                    .satisfies(stoppedBy(TaskTimeoutException.class));
            assertThat(probe.work.get()).isCancelled();
            awaitEmpty(registry);
            assertThat(registry.history()).first().satisfies(info -> {
                assertThat(info.state()).isEqualTo(TaskState.CANCELLED);
                assertThat(info.reason().isTimeout()).isTrue();
            });
        });
    }

    @Test
    void taskLivesUntilTheFutureCompletes() {
        runner.run(context -> {
            Futures futures = context.getBean(Futures.class);
            Probe probe = context.getBean(Probe.class);
            TaskRegistry registry = context.getBean(TaskRegistry.class);

            CompletableFuture<String> result = futures.completedByTest();
            TaskInfo task = awaitTask(registry, "Futures.completedByTest", TaskState.RUNNING);
            assertThat(task.thread()).as("no thread is attached while the future is pending").isNull();
            assertThat(result).isNotDone();

            probe.work.get().complete("value");
            assertThat(result).succeedsWithin(PROMPTLY).isEqualTo("value");
            assertThat(registry.size()).isZero();
        });
    }

    @Test
    void cancellingTheReturnedFutureCancelsTheTask() {
        runner.run(context -> {
            Futures futures = context.getBean(Futures.class);
            Probe probe = context.getBean(Probe.class);
            TaskRegistry registry = context.getBean(TaskRegistry.class);

            CompletableFuture<String> result = futures.completedByTest();
            assertThat(result.cancel(true)).isTrue();

            assertThat(result).isCancelled();
            assertThat(probe.work.get()).isCancelled();
            awaitEmpty(registry);
            assertThat(registry.history()).first().satisfies(info -> {
                assertThat(info.state()).isEqualTo(TaskState.CANCELLED);
                assertThat(info.reason().origin()).isEqualTo("caller");
            });
        });
    }

    @Test
    void asyncTaskIsRegisteredAtSubmissionAndCancellableWhileQueued() {
        runner.run(context -> {
            Futures futures = context.getBean(Futures.class);
            Probe probe = context.getBean(Probe.class);
            TaskRegistry registry = context.getBean(TaskRegistry.class);

            futures.occupyTheExecutor(); // the only executor thread now waits for probe.release
            assertThat(probe.blockerRunning.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();

            CompletableFuture<String> queued = futures.asyncWork();
            List<TaskInfo> tasks = registry.list("Futures.asyncWork", null);
            assertThat(tasks).singleElement().satisfies(info -> {
                assertThat(info.state()).isEqualTo(TaskState.RUNNING);
                assertThat(info.thread()).as("queued: no thread yet").isNull();
            });

            registry.cancel(tasks.get(0).id(), CancellationReason.requested("test"));
            // fails at once, while the executor is still busy
            assertThat(queued).failsWithin(PROMPTLY).withThrowableThat()
                    .satisfies(stoppedBy(TaskCancelledException.class));
            assertThat(registry.size()).isZero();
            assertThat(probe.release.getCount()).isEqualTo(1);

            probe.release.countDown();
            // FIFO: once a later task has run, the cancelled one has been dequeued without running its body
            assertThat(futures.threadInterrupted()).succeedsWithin(PROMPTLY);
            assertThat(probe.asyncBodyRan.get()).isFalse();
        });
    }

    @Test
    void asyncBodyHasTheTokenAndIsInterruptedAfterTheGraceOnItsExecutorThread() {
        runner.run(context -> {
            Futures futures = context.getBean(Futures.class);
            Probe probe = context.getBean(Probe.class);
            TaskRegistry registry = context.getBean(TaskRegistry.class);

            CompletableFuture<String> result = futures.blocks(null);
            assertThat(probe.started.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            TaskInfo task = awaitTask(registry, "Futures.blocks", TaskState.RUNNING);
            assertThat(task.thread()).isEqualTo(probe.thread.get().getName());
            assertThat(probe.token.get()).isSameAs(probe.current.get())
                    .isSameAs(registry.handle(task.id()).orElseThrow().token());

            registry.cancel(task.id(), CancellationReason.requested("test"));

            assertThat(result).failsWithin(PROMPTLY).withThrowableThat()
                    .satisfies(stoppedBy(TaskCancelledException.class));
            // the returned future fails at once; the stuck body is interrupted after the 20ms grace
            org.awaitility.Awaitility.await("escalation interrupts the executor thread").atMost(PROMPTLY)
                    .untilTrue(probe.interrupted);
            awaitEmpty(registry);
            // the pooled executor thread was not left interrupted
            assertThat(futures.threadInterrupted()).succeedsWithin(PROMPTLY).isEqualTo(false);
        });
    }

    @Test
    void asyncTimeout() {
        runner.run(context -> {
            Futures futures = context.getBean(Futures.class);
            assertThat(futures.asyncTimesOut()).failsWithin(PROMPTLY).withThrowableThat()
                    .satisfies(stoppedBy(TaskTimeoutException.class));
            awaitEmpty(context.getBean(TaskRegistry.class));
        });
    }

    @Test
    void asyncVoidIsATaskUntilItsBodyEnds() {
        runner.run(context -> {
            Futures futures = context.getBean(Futures.class);
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            futures.asyncVoid();
            TaskInfo task = awaitTask(registry, "Futures.asyncVoid", TaskState.RUNNING);
            registry.cancel(task.id(), CancellationReason.requested("test"));
            awaitEmpty(registry);
            assertThat(registry.history()).first().extracting(TaskInfo::state).isEqualTo(TaskState.CANCELLED);
        });
    }

    @Test
    void cancellableAdviceIsOutsideAsyncAndTheAttachingAdviceInnermost() {
        runner.run(context -> {
            Advisor[] advisors = ((Advised) context.getBean(Futures.class)).getAdvisors();
            List<Class<?>> kinds = Arrays.stream(advisors).map(a -> (a instanceof AsyncAnnotationAdvisor)
                    ? AsyncAnnotationAdvisor.class : a.getAdvice().getClass()).toList();
            assertThat(kinds).containsExactly(CancellableInterceptor.class, AsyncAnnotationAdvisor.class,
                    CancellableAttachInterceptor.class);
        });
    }

    @Test
    void onlyAsyncMethodsHaveTheAttachingAdviceInTheirChain() {
        runner.run(context -> {
            Advisor attach = Arrays.stream(((Advised) context.getBean(Futures.class)).getAdvisors())
                    .filter(a -> a.getAdvice() instanceof CancellableAttachInterceptor).findFirst().orElseThrow();
            MethodMatcher matcher = ((PointcutAdvisor) attach).getPointcut().getMethodMatcher();
            assertThat(matcher.matches(Futures.class.getMethod("asyncVoid"), Futures.class)).isTrue();
            assertThat(matcher.matches(Futures.class.getMethod("completedByTest"), Futures.class))
                    .as("a @Cancellable method that neither runs @Async nor retries").isFalse();
        });
    }

    @Test
    void withTheTaskDecoratorTheTokenCrossesBootsExecutor() {
        runner.withPropertyValues("cancellation.context-propagation.task-decorator=true").run(context -> {
            Futures futures = context.getBean(Futures.class);
            CancellationToken[] tokens = futures.submitsToExecutor();
            assertThat(tokens[1]).isSameAs(tokens[0]);
            assertThat(tokens[0].isNone()).isFalse();
        });
        runner.run(context -> {
            CancellationToken[] tokens = context.getBean(Futures.class).submitsToExecutor();
            assertThat(tokens[1].isNone()).as("no propagation unless enabled").isTrue();
        });
    }

    private static ThrowingConsumer<Throwable> stoppedBy(Class<? extends TaskCancelledException> type) {
        return thrown -> {
            assertThat(thrown).isInstanceOf(java.util.concurrent.CancellationException.class);
            Throwable stored = (thrown instanceof TaskCancelledException) ? thrown : thrown.getCause();
            assertThat(stored).isInstanceOf(type).isSameAs(TaskCancelledException.find(thrown).orElseThrow());
        };
    }

    @Configuration(proxyBeanMethods = false)
    @EnableAsync
    static class Config {

        @Bean
        Probe probe() {
            return new Probe();
        }

        @Bean
        Futures futures(Probe probe, TaskExecutor executor) {
            return new Futures(probe, executor);
        }
    }

    static class Probe {
        final AtomicReference<CompletableFuture<String>> work = new AtomicReference<>();
        final CountDownLatch blockerRunning = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicBoolean asyncBodyRan = new AtomicBoolean();
        final CountDownLatch started = new CountDownLatch(1);
        final AtomicReference<CancellationToken> token = new AtomicReference<>();
        final AtomicReference<CancellationToken> current = new AtomicReference<>();
        final AtomicReference<Thread> thread = new AtomicReference<>();
        final AtomicBoolean interrupted = new AtomicBoolean();
    }

    static class Futures {

        private final Probe probe;
        private final TaskExecutor executor;

        Futures(Probe probe, TaskExecutor executor) {
            this.probe = probe;
            this.executor = executor;
        }

        @Cancellable(timeout = "100ms")
        public CompletableFuture<String> neverCompletes() {
            CompletableFuture<String> work = new CompletableFuture<>();
            probe.work.set(work);
            return work;
        }

        @Cancellable
        public CompletableFuture<String> completedByTest() {
            CompletableFuture<String> work = new CompletableFuture<>();
            probe.work.set(work);
            return work;
        }

        @Async
        public void occupyTheExecutor() throws InterruptedException {
            probe.blockerRunning.countDown();
            probe.release.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
        }

        @Async
        @Cancellable
        public CompletableFuture<String> asyncWork() {
            probe.asyncBodyRan.set(true);
            return CompletableFuture.completedFuture("ran");
        }

        @Async
        public CompletableFuture<Boolean> threadInterrupted() {
            return CompletableFuture.completedFuture(Thread.currentThread().isInterrupted());
        }

        @Async
        @Cancellable(interruptAfter = "20ms")
        public CompletableFuture<String> blocks(CancellationToken token) throws InterruptedException {
            probe.token.set(token);
            probe.current.set(CancellationToken.current());
            probe.thread.set(Thread.currentThread());
            probe.started.countDown();
            try {
                new CountDownLatch(1).await();
            } catch (InterruptedException ex) {
                probe.interrupted.set(true);
                throw ex;
            }
            return CompletableFuture.completedFuture("unreachable");
        }

        @Async
        @Cancellable(timeout = "100ms")
        public CompletableFuture<String> asyncTimesOut() {
            while (true) {
                CancellationToken.current().throwIfCancelled();
                Thread.onSpinWait();
            }
        }

        @Async
        @Cancellable
        public void asyncVoid() {
            while (true) {
                CancellationToken.current().throwIfCancelled();
                Thread.onSpinWait();
            }
        }

        @Cancellable
        public CancellationToken[] submitsToExecutor() throws Exception {
            CompletableFuture<CancellationToken> seen = new CompletableFuture<>();
            executor.execute(() -> seen.complete(CancellationToken.current()));
            return new CancellationToken[] {CancellationToken.current(),
                    seen.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)};
        }
    }
}
