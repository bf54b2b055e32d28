package dev.cancellation.spring;

import static dev.cancellation.spring.CancellableTestSupport.awaitTask;
import static dev.cancellation.spring.CancellableTestSupport.runner;
import static dev.cancellation.spring.CancellableTestSupport.startupFails;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.annotation.OnCancel;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskState;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.aopalliance.intercept.MethodInterceptor;
import org.junit.jupiter.api.Test;
import org.springframework.aop.Advisor;
import org.springframework.aop.framework.Advised;
import org.springframework.aop.framework.ProxyFactory;

/**
 * {@code @Cancellable} and {@code @OnCancel} on the interface of a bean that is a plain JDK proxy (the way MyBatis
 * makes its mappers: not a Spring AOP proxy, so a new proxy wraps it), and the startup errors for what no proxy
 * can advise, which name the bean, the interface or class, the method, why, and what to do instead.
 */
class CancellableInterfaceBeanTests {

    interface Mapper {

        @Cancellable(timeout = "1m")
        String find(String key);

        @OnCancel
        default void undo(String key) {
            UNDONE.add(key);
        }
    }

    static final BlockingQueue<String> UNDONE = new LinkedBlockingQueue<>();

    /** A mapper whose {@code find} waits until its task is cancelled, and reports the token it ran with. */
    static Mapper mapper(BlockingQueue<CancellationToken> tokens) {
        InvocationHandler handler = (proxy, method, args) -> {
            if (method.isDefault()) {
                return InvocationHandler.invokeDefault(proxy, method, args);
            }
            if (!method.getName().equals("find")) {
                return method.invoke(tokens, args); // Object's methods
            }
            CancellationToken token = CancellationToken.current();
            tokens.add(token);
            token.whenCancelled().toCompletableFuture().get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
            token.throwIfCancelled();
            return "found " + args[0];
        };
        return (Mapper) Proxy.newProxyInstance(Mapper.class.getClassLoader(), new Class<?>[] {Mapper.class}, handler);
    }

    @Test
    void aPlainJdkProxyRunsItsInterfaceMethodsAsTasksWithTheirCleanup() {
        BlockingQueue<CancellationToken> tokens = new LinkedBlockingQueue<>();
        runner().withBean("mapper", Mapper.class, () -> mapper(tokens)).run(context -> {
            assertThat(context).hasNotFailed();
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            Mapper mapper = context.getBean(Mapper.class);
            CompletableFuture<String> call = CompletableFuture.supplyAsync(() -> mapper.find("k1"));

            TaskInfo task = awaitTask(registry, "Mapper.find", TaskState.RUNNING);
            assertThat(tokens.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isNotNull()
                    .satisfies(token -> assertThat(token.deadline()).isPresent());
            registry.cancel(task.id(), CancellationReason.requested("test", "operator"));

            assertThatThrownBy(() -> call.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS))
                    .cause().isInstanceOf(TaskCancelledException.class).hasMessageContaining("Mapper.find");
            assertThat(UNDONE.poll(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("k1");
        });
    }

    interface Lookup {

        @Cancellable(timeout = "1m")
        String find(String key);
    }

    @Test
    void aFrozenSpringProxyWithoutTargetIsWrappedInANewProxy() {
        runner().withBean("lookup", Lookup.class, () -> {
            // what HttpServiceProxyFactory makes, frozen: the advice cannot be added, so a new proxy wraps it
            ProxyFactory factory = new ProxyFactory();
            factory.addInterface(Lookup.class);
            factory.addAdvice((MethodInterceptor) invocation -> CancellationToken.current().deadline().isPresent()
                    ? "in a task" : "no task");
            factory.setFrozen(true);
            return (Lookup) factory.getProxy(Lookup.class.getClassLoader());
        }).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context.getBean(Lookup.class).find("k")).isEqualTo("in a task");
        });
    }

    interface FlakyClient {

        @Cancellable(timeout = "1m")
        @org.springframework.resilience.annotation.Retryable(maxRetries = 2, delay = 0)
        String fetch();
    }

    @Test
    void aRetryableInterfaceMethodIsOneTaskAcrossItsAttempts() {
        List<String> attempts = new CopyOnWriteArrayList<>();
        runner().withUserConfiguration(CancellableWithSpringAnnotationsTests.ResilientConfig.class)
                .withBean("flakyClient", FlakyClient.class, () -> {
                    // an HTTP interface client's kind of proxy: no target, the last advice answers
                    ProxyFactory factory = new ProxyFactory();
                    factory.addInterface(FlakyClient.class);
                    factory.addAdvice((MethodInterceptor) invocation -> {
                        attempts.add(CancellationToken.current().toString());
                        if (attempts.size() < 3) {
                            throw new IllegalStateException("attempt " + attempts.size() + " fails");
                        }
                        return "fetched";
                    });
                    return (FlakyClient) factory.getProxy(FlakyClient.class.getClassLoader());
                }).run(context -> {
                    assertThat(context).hasNotFailed();
                    assertThat(context.getBean(FlakyClient.class).fetch()).isEqualTo("fetched");
                    assertThat(attempts).hasSize(3).doesNotContain(CancellationToken.none().toString());
                    assertThat(attempts.stream().distinct()).as("one task, one token, for all attempts").hasSize(1);
                    // the task outermost; the advice that sees each attempt innermost, before the answering one
                    Advisor[] advisors = ((Advised) context.getBean(FlakyClient.class)).getAdvisors();
                    assertThat(advisors[0].getAdvice()).isInstanceOf(CancellableInterceptor.class);
                    assertThat(advisors[advisors.length - 2].getAdvice())
                            .isInstanceOf(CancellableAttachInterceptor.class);
                });
    }

    // ------------------------------------------------------------------------------------- what cannot be

    interface StaticMapper {

        String find(String key);

        @Cancellable
        static String normalise(String key) {
            return key.trim();
        }
    }

    @Test
    void aStaticInterfaceMethodNamesTheBeanTheInterfaceAndTheMethod() {
        runner().withBean("staticMapper", StaticMapper.class, () -> (StaticMapper) Proxy.newProxyInstance(
                StaticMapper.class.getClassLoader(), new Class<?>[] {StaticMapper.class}, (proxy, method, args) -> null))
                .run(startupFails("Bean 'staticMapper'", "@Cancellable cannot apply to StaticMapper.normalise(String)",
                        "of interface " + StaticMapper.class.getName(), "it is static",
                        "its calls never go through the proxy",
                        "annotate an abstract or default method of the interface instead"));
    }

    interface BadTimeoutMapper {

        @Cancellable(timeout = "soon")
        String find(String key);
    }

    @Test
    void anInvalidAttributeOnAnInterfaceNamesTheBeanAndTheInterface() {
        runner().withBean("badMapper", BadTimeoutMapper.class, () -> (BadTimeoutMapper) Proxy.newProxyInstance(
                BadTimeoutMapper.class.getClassLoader(), new Class<?>[] {BadTimeoutMapper.class},
                (proxy, method, args) -> null))
                .run(startupFails("Bean 'badMapper'", "Invalid @Cancellable on BadTimeoutMapper.find(String) of "
                        + "interface " + BadTimeoutMapper.class.getName(), "timeout \"soon\" is not a duration"));
    }

    static final class FinalService {

        @Cancellable
        public void work() {
        }
    }

    @Test
    void aFinalClassNamesTheBean() {
        runner().withBean("finalService", FinalService.class).run(startupFails("Bean 'finalService'",
                "cannot apply to FinalService.work() of bean class " + FinalService.class.getName(),
                "declared by a final class", "make it a non-final instance method"));
    }
}
