package dev.cancellation.spring;

import static dev.cancellation.spring.CancellableTestSupport.awaitEmpty;
import static dev.cancellation.spring.CancellableTestSupport.awaitTask;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskState;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.springframework.aop.support.AopUtils;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** {@code @Cancellable} methods that return plain values: run on the caller's thread as registered tasks. */
class CancellableSyncTests {

    @Test
    void runsAsRegisteredTaskWithTokenCurrentAndInjected() {
        CancellableTestSupport.runner().withUserConfiguration(Config.class).run(context -> {
            Service service = context.getBean(Service.class);
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            assertThat(AopUtils.isAopProxy(service)).isTrue();

            TaskInfo[] during = new TaskInfo[1];
            CancellationToken[] seen = new CancellationToken[2];
            service.observe(null, token -> {
                seen[0] = token;
                seen[1] = CancellationToken.current();
                during[0] = registry.list().get(0);
            });
            assertThat(seen[0]).isNotNull().isSameAs(seen[1]);
            assertThat(seen[0].isNone()).isFalse();
            assertThat(during[0].name()).isEqualTo("Service.observe");
            assertThat(during[0].state()).isEqualTo(TaskState.RUNNING);
            assertThat(during[0].thread()).isEqualTo(Thread.currentThread().getName());
            assertThat(registry.size()).isZero();
            assertThat(CancellationToken.current().isNone()).isTrue();

            // whatever the caller passes is replaced by the task's token
            service.observe(CancellationToken.none(), token -> seen[0] = token);
            assertThat(seen[0].isNone()).isFalse();
        });
    }

    @Test
    void timeoutCancelsCooperativeMethod() {
        CancellableTestSupport.runner().withUserConfiguration(Config.class).run(context -> {
            Service service = context.getBean(Service.class);
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            assertThatThrownBy(service::loopsUntilCancelled).isInstanceOf(TaskTimeoutException.class)
                    .satisfies(ex -> assertThat(((TaskTimeoutException) ex).reason().isTimeout()).isTrue());
            assertThat(registry.size()).isZero();
            assertThat(registry.history()).first().satisfies(info -> {
                assertThat(info.name()).isEqualTo("short");
                assertThat(info.state()).isEqualTo(TaskState.CANCELLED);
                assertThat(info.reason().isTimeout()).isTrue();
            });
        });
    }

    @Test
    void placeholderAndDefaultTimeoutsAreResolved() {
        CancellableTestSupport.runner().withUserConfiguration(Config.class)
                .withBean(PlaceholderService.class)
                .withPropertyValues("app.timeout=80ms", "cancellation.default-timeout=90ms").run(context -> {
                    Service service = context.getBean(Service.class);
                    assertThatThrownBy(context.getBean(PlaceholderService.class)::placeholderTimeout).isInstanceOf(TaskTimeoutException.class)
                            .satisfies(ex -> assertThat(((TaskTimeoutException) ex).reason().message())
                                    .contains("80"));
                    assertThatThrownBy(service::defaultTimeout).isInstanceOf(TaskTimeoutException.class)
                            .satisfies(ex -> assertThat(((TaskTimeoutException) ex).reason().message())
                                    .contains("90"));
                });
    }

    @Test
    void cancelByIdStopsCooperativeMethodAndParentCancelsNestedTask() {
        CancellableTestSupport.runner().withUserConfiguration(Config.class).run(context -> {
            Service service = context.getBean(Service.class);
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            CompletableFuture<Object> call = CompletableFuture.supplyAsync(() -> {
                service.outer();
                return null;
            });
            TaskInfo inner = awaitTask(registry, "Inner.work", TaskState.RUNNING);
            TaskInfo outer = registry.find(inner.parentId()).orElseThrow();
            assertThat(outer.name()).isEqualTo("Service.outer");

            registry.cancel(outer.id(), CancellationReason.requested("test"));

            assertThat(call).failsWithin(PROMPTLY).withThrowableThat().havingCause()
                    .isInstanceOf(TaskCancelledException.class).withMessageContaining("by test");
            assertThat(registry.history()).extracting(TaskInfo::name).contains("Inner.work", "Service.outer");
            assertThat(registry.history()).allSatisfy(info -> assertThat(info.state()).isEqualTo(TaskState.CANCELLED));
            awaitEmpty(registry);
        });
    }

    @Test
    void blockedMethodIsInterruptedAfterGraceAndOwnInterruptIsConsumed() {
        CancellableTestSupport.runner().withUserConfiguration(Config.class).run(context -> {
            Service service = context.getBean(Service.class);
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            AtomicReference<Boolean> interruptedAfterReturn = new AtomicReference<>();
            CompletableFuture<Object> call = CompletableFuture.supplyAsync(() -> {
                try {
                    service.blocksIgnoringToken();
                    return null;
                } catch (InterruptedException ex) {
                    throw new AssertionError("the interceptor translates the interrupt", ex);
                } finally {
                    interruptedAfterReturn.set(Thread.currentThread().isInterrupted());
                }
            });
            TaskInfo task = awaitTask(registry, "Service.blocksIgnoringToken", TaskState.RUNNING);
            registry.cancel(task.id(), CancellationReason.requested("test"));

            assertThat(call).failsWithin(PROMPTLY).withThrowableThat().havingCause()
                    .isInstanceOf(TaskCancelledException.class).havingCause()
                    .isInstanceOf(InterruptedException.class);
            assertThat(interruptedAfterReturn.get()).isFalse();
        });
    }

    @Test
    void foreignInterruptIsPreserved() {
        CancellableTestSupport.runner().withUserConfiguration(Config.class).run(context -> {
            Service service = context.getBean(Service.class);
            try {
                assertThat(service.interruptsItself()).isEqualTo("done");
                assertThat(Thread.currentThread().isInterrupted()).isTrue();
            } finally {
                Thread.interrupted();
            }
        });
    }

    @Test
    void withInterruptsDisabledAStuckMethodIsAbandonedAndItsLateResultReturned() {
        CancellableTestSupport.runner().withUserConfiguration(Config.class)
                .withPropertyValues("cancellation.interrupt=false", "cancellation.abandon-after=50ms")
                .run(context -> {
                    Service service = context.getBean(Service.class);
                    TaskRegistry registry = context.getBean(TaskRegistry.class);
                    CompletableFuture<String> call = CompletableFuture.supplyAsync(service::waitsForRelease);
                    TaskInfo task = awaitTask(registry, "Service.waitsForRelease", TaskState.RUNNING);
                    registry.cancel(task.id(), CancellationReason.requested("test"));
                    awaitTask(registry, "Service.waitsForRelease", TaskState.ABANDONED);
                    assertThat(call).isNotDone();

                    service.release();
                    // a method that completes normally despite the cancel returns its result
                    assertThat(call).succeedsWithin(PROMPTLY).isEqualTo("released");
                    awaitEmpty(registry);
                });
    }

    @Test
    void failuresNotCausedByCancellationPropagateUnchanged() {
        CancellableTestSupport.runner().withUserConfiguration(Config.class).run(context -> {
            Service service = context.getBean(Service.class);
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            assertThatThrownBy(service::fails).isExactlyInstanceOf(IllegalStateException.class).hasMessage("boom");
            assertThat(registry.history()).first().extracting(TaskInfo::state).isEqualTo(TaskState.FAILED);
        });
    }

    @Test
    void classLevelAnnotationAppliesToPublicMethodsOnly() {
        CancellableTestSupport.runner().withUserConfiguration(Config.class).run(context -> {
            ClassLevel bean = context.getBean(ClassLevel.class);
            assertThat(bean.publicMethod()).isEqualTo("Tasks.publicMethod");
            assertThat(bean.packageMethod()).isEqualTo("none");
            assertThat(bean.toString()).isNotNull();
            assertThat(bean.overridden()).isEqualTo("custom");
        });
    }

    @Test
    void callerTokenIsTheParent() {
        CancellableTestSupport.runner().withUserConfiguration(Config.class).run(context -> {
            Service service = context.getBean(Service.class);
            try (CancellationSource caller = CancellationSource.create()) {
                caller.cancel(CancellationReason.requested("caller"));
                assertThatThrownBy(() -> Cancellation.bind(caller.token(), () -> {
                    service.loopsUntilCancelled();
                    return null;
                }))
                        .isInstanceOf(TaskCancelledException.class)
                        .satisfies(ex -> assertThat(((TaskCancelledException) ex).reason().origin())
                                .isEqualTo("caller"));
            }
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class Config {

        @Bean
        Inner inner() {
            return new Inner();
        }

        @Bean
        Service service(Inner inner) {
            return new Service(inner);
        }

        @Bean
        ClassLevel classLevel(TaskRegistry registry) {
            return new ClassLevel(registry);
        }
    }

    static class Inner {

        @Cancellable
        public void work() {
            while (true) {
                CancellationToken.current().throwIfCancelled();
                Thread.onSpinWait();
            }
        }
    }

    static class PlaceholderService {

        @Cancellable(timeout = "${app.timeout}")
        public void placeholderTimeout() throws InterruptedException {
            while (true) {
                Cancellation.sleep(java.time.Duration.ofMillis(5));
            }
        }
    }

    static class Service {

        private final Inner inner;

        final CountDownLatch release = new CountDownLatch(1);

        Service(Inner inner) {
            this.inner = inner;
        }

        @Cancellable
        public void observe(CancellationToken token, java.util.function.Consumer<CancellationToken> sink) {
            sink.accept(token);
        }

        @Cancellable(name = "short", timeout = "50ms")
        public void loopsUntilCancelled() throws InterruptedException {
            while (true) {
                Cancellation.sleep(java.time.Duration.ofMillis(5));
            }
        }

        @Cancellable
        public void defaultTimeout() throws InterruptedException {
            loopsUntilCancelled();
        }

        @Cancellable
        public void outer() {
            inner.work();
        }

        @Cancellable(interruptAfter = "20ms")
        public void blocksIgnoringToken() throws InterruptedException {
            new CountDownLatch(1).await();
        }

        @Cancellable
        public String interruptsItself() {
            Thread.currentThread().interrupt();
            return "done";
        }

        public void release() {
            release.countDown();
        }

        @Cancellable
        public String waitsForRelease() {
            boolean released = false;
            while (!released) {
                try {
                    released = release.await(1, TimeUnit.MINUTES);
                } catch (InterruptedException ex) {
                    throw new AssertionError("interrupts are disabled", ex);
                }
            }
            return "released";
        }

        @Cancellable
        public void fails() {
            throw new IllegalStateException("boom");
        }
    }

    @Cancellable(name = "Tasks")
    static class ClassLevel {

        private final TaskRegistry registry;

        ClassLevel(TaskRegistry registry) {
            this.registry = registry;
        }

        public String publicMethod() {
            return currentName();
        }

        String packageMethod() {
            return CancellationToken.current().isNone() ? "none" : "task";
        }

        @Cancellable(name = "custom")
        public String overridden() {
            return currentName();
        }

        String currentName() {
            return registry.handleFor(CancellationToken.current()).map(h -> h.name()).orElse("none");
        }
    }
}
