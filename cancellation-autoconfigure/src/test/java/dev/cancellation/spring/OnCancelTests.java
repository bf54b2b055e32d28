package dev.cancellation.spring;

import static dev.cancellation.spring.CancellableTestSupport.awaitEmpty;
import static dev.cancellation.spring.CancellableTestSupport.awaitTask;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.annotation.OnCancel;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskListener;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskState;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** {@code @OnCancel} cleanups: bound parameters, run after the task exited, shielded, failures isolated. */
class OnCancelTests {

    @Test
    void cleanupStartsOnlyAfterTheCancelledMethodExitedAndGetsBoundParameters() {
        CancellableTestSupport.runner().withUserConfiguration(Config.class).run(context -> {
            Jobs jobs = context.getBean(Jobs.class);
            Probe probe = context.getBean(Probe.class);
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            CompletableFuture<Void> call = CompletableFuture.runAsync(() -> jobs.importFile("a.csv", 3, null));
            TaskInfo task = awaitTask(registry, "import", TaskState.RUNNING);

            registry.cancel(task.id(), CancellationReason.requested("test"));
            // the method saw the cancel and now lingers: the task is CANCELLING and no cleanup may start
            assertThat(probe.sawCancel.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            assertThat(registry.find(task.id())).get().extracting(TaskInfo::state).isEqualTo(TaskState.CANCELLING);
            assertThat(probe.cleanupStarted.await(200, TimeUnit.MILLISECONDS)).isFalse();
            assertThat(probe.events).containsExactly("saw cancel");

            probe.letExit.countDown();
            assertThat(call).failsWithin(PROMPTLY).withThrowableThat().havingCause()
                    .isInstanceOf(TaskCancelledException.class);
            assertThat(probe.cleanupStarted.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            awaitEmpty(registry);
            assertThat(probe.events).containsExactly("saw cancel", "method exited",
                    "cleanup import a.csv 3 REQUESTED " + task.id());
            assertThat(registry.history()).first().extracting(TaskInfo::state).isEqualTo(TaskState.CANCELLED);
        });
    }

    @Test
    void cleanupIsShieldedAndMayCallCancellableCode() {
        CancellableTestSupport.runner().withUserConfiguration(Config.class).run(context -> {
            Jobs jobs = context.getBean(Jobs.class);
            Probe probe = context.getBean(Probe.class);
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            CompletableFuture<Void> call = CompletableFuture.runAsync(jobs::shielded);
            TaskInfo task = awaitTask(registry, "Jobs.shielded", TaskState.RUNNING);
            CancellationToken taskToken = registry.handle(task.id()).orElseThrow().token();
            registry.cancel(task.id(), CancellationReason.requested("test"));

            assertThat(call).failsWithin(PROMPTLY);
            assertThat(probe.shieldedResult).succeedsWithin(PROMPTLY).isEqualTo("helper ran");
            CancellationToken cleanupToken = probe.cleanupToken.get();
            assertThat(cleanupToken).isNotSameAs(taskToken);
            assertThat(probe.cleanupTokenCancelledWhileRunning.get()).isFalse();
            awaitEmpty(registry);
        });
    }

    @Test
    void namedCleanupWinsOverGeneralAndAsyncCleanupIsAwaited() {
        CancellableTestSupport.runner().withUserConfiguration(Config.class).run(context -> {
            Jobs jobs = context.getBean(Jobs.class);
            Probe probe = context.getBean(Probe.class);
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            CompletableFuture<Void> call = CompletableFuture.runAsync(jobs::slowCleanup);
            TaskInfo task = awaitTask(registry, "Jobs.slowCleanup", TaskState.RUNNING);
            registry.cancel(task.id(), CancellationReason.requested("test"));
            assertThat(call).failsWithin(PROMPTLY);

            // the CompletionStage returned by the cleanup keeps the task in CLEANING_UP until it completes
            awaitTask(registry, "Jobs.slowCleanup", TaskState.CLEANING_UP);
            probe.finishSlowCleanup.complete(null);
            awaitEmpty(registry);
            assertThat(probe.events).containsExactly("general cleanup Jobs.slowCleanup");
        });
    }

    @Test
    void failingCleanupIsReportedAndDoesNotAffectOtherTasks() {
        CancellableTestSupport.runner().withUserConfiguration(Config.class).run(context -> {
            Jobs jobs = context.getBean(Jobs.class);
            Probe probe = context.getBean(Probe.class);
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            List<String> outcomes = new CopyOnWriteArrayList<>();
            registry.addListener(new TaskListener() {
                @Override
                public void onCleanupFinished(TaskInfo task, dev.cancellation.task.CleanupOutcome outcome,
                        java.time.Duration duration, Throwable failure) {
                    outcomes.add(task.name() + " " + outcome + " " + (failure == null ? "" : failure.getMessage()));
                }
            });
            CompletableFuture<Void> call = CompletableFuture.runAsync(jobs::failingCleanup);
            TaskInfo task = awaitTask(registry, "failing", TaskState.RUNNING);
            registry.cancel(task.id(), CancellationReason.requested("test"));
            assertThat(call).failsWithin(PROMPTLY).withThrowableThat().havingCause()
                    .isInstanceOf(TaskCancelledException.class);
            awaitEmpty(registry);
            assertThat(outcomes).containsExactly("failing FAILED cleanup broke");
            // the next task of the same bean is unaffected
            assertThat(jobs.quick()).isEqualTo("ok");
        });
    }

    @Test
    void noCleanupWhenTheTaskCompletes() {
        CancellableTestSupport.runner().withUserConfiguration(Config.class).run(context -> {
            Jobs jobs = context.getBean(Jobs.class);
            Probe probe = context.getBean(Probe.class);
            assertThat(jobs.quick()).isEqualTo("ok");
            assertThat(context.getBean(TaskRegistry.class).size()).isZero();
            assertThat(probe.events).isEmpty();
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class Config {

        @Bean
        Helper helper() {
            return new Helper();
        }

        @Bean
        Probe probe() {
            return new Probe();
        }

        @Bean
        Jobs jobs(Helper helper, Probe probe) {
            return new Jobs(helper, probe);
        }
    }

    static class Helper {

        @Cancellable
        public String help() {
            CancellationToken.current().throwIfCancelled();
            return "helper ran";
        }
    }

    /** What the jobs record; a bean of its own because fields of a class-based proxy are not the target's. */
    static class Probe {

        final List<String> events = new CopyOnWriteArrayList<>();
        final CountDownLatch sawCancel = new CountDownLatch(1);
        final CountDownLatch letExit = new CountDownLatch(1);
        final CountDownLatch cleanupStarted = new CountDownLatch(1);
        final CompletableFuture<String> shieldedResult = new CompletableFuture<>();
        final AtomicReference<CancellationToken> cleanupToken = new AtomicReference<>();
        final AtomicReference<Boolean> cleanupTokenCancelledWhileRunning = new AtomicReference<>();
        final CompletableFuture<Void> finishSlowCleanup = new CompletableFuture<>();
    }

    static class Jobs {

        private final Helper helper;
        private final List<String> events;
        private final CountDownLatch sawCancel;
        private final CountDownLatch letExit;
        private final CountDownLatch cleanupStarted;
        private final CompletableFuture<String> shieldedResult;
        private final AtomicReference<CancellationToken> cleanupToken;
        private final AtomicReference<Boolean> cleanupTokenCancelledWhileRunning;
        private final CompletableFuture<Void> finishSlowCleanup;

        Jobs(Helper helper, Probe probe) {
            this.helper = helper;
            this.events = probe.events;
            this.sawCancel = probe.sawCancel;
            this.letExit = probe.letExit;
            this.cleanupStarted = probe.cleanupStarted;
            this.shieldedResult = probe.shieldedResult;
            this.cleanupToken = probe.cleanupToken;
            this.cleanupTokenCancelledWhileRunning = probe.cleanupTokenCancelledWhileRunning;
            this.finishSlowCleanup = probe.finishSlowCleanup;
        }

        @Cancellable(name = "import", interruptAfter = "never")
        public void importFile(String file, int attempt, CancellationToken token) {
            try {
                while (!token.isCancelled()) {
                    Thread.onSpinWait();
                }
                events.add("saw cancel");
                sawCancel.countDown();
                await(letExit);
                token.throwIfCancelled();
            } finally {
                events.add("method exited");
            }
        }

        @OnCancel("import")
        void onImportCancelled(CancellationReason reason, TaskInfo task, String file, int attempt) {
            events.add("cleanup import " + file + " " + attempt + " " + reason.kind() + " " + task.id());
            cleanupStarted.countDown();
        }

        @Cancellable
        public void shielded() {
            spinUntilCancelled();
        }

        @OnCancel("Jobs.shielded")
        void onShieldedCancelled() {
            cleanupToken.set(CancellationToken.current());
            cleanupTokenCancelledWhileRunning.set(CancellationToken.current().isCancelled());
            try {
                shieldedResult.complete(helper.help());
            } catch (RuntimeException ex) {
                shieldedResult.completeExceptionally(ex);
            }
        }

        @Cancellable
        public void slowCleanup() {
            spinUntilCancelled();
        }

        @Cancellable
        public String quick() {
            return "ok";
        }

        @OnCancel
        CompletableFuture<Void> general(TaskInfo task) {
            events.add("general cleanup " + task.name());
            return finishSlowCleanup;
        }

        @Cancellable(name = "failing")
        public void failingCleanup() {
            spinUntilCancelled();
        }

        @OnCancel("failing")
        void failing() {
            throw new IllegalStateException("cleanup broke");
        }

        private static void spinUntilCancelled() {
            while (true) {
                CancellationToken.current().throwIfCancelled();
                Thread.onSpinWait();
            }
        }

        private static void await(CountDownLatch latch) {
            try {
                if (!latch.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new AssertionError("not released");
                }
            } catch (InterruptedException ex) {
                throw new AssertionError(ex);
            }
        }
    }
}
