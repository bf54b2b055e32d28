package dev.cancellation.bench;

import io.github.resilience4j.timelimiter.TimeLimiter;
import io.github.resilience4j.timelimiter.TimeLimiterConfig;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.springframework.aop.framework.ProxyFactory;
import org.springframework.aop.support.AopUtils;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;

/**
 * Row 4: the cost of {@code @Cancellable} on a Spring bean method, against the same method unadvised, behind a
 * no-op interceptor, and against the two usual ways of bounding a call in time: Resilience4j's
 * {@link TimeLimiter} on a {@code CompletableFuture} method and {@code CompletableFuture.orTimeout}.
 *
 * <p>The bean comes from a real Boot context (web none, every auto-configuration on this classpath, so the
 * cancellation auto-configuration and AOP auto-proxying included). When the {@code dev.cancellation.spring}
 * package (the {@code @Cancellable} interceptor) is on the classpath, setup fails unless the bean is an AOP proxy,
 * so the advised rows can never silently measure an unadvised bean; without it, they measure the bean as is and
 * say so on stderr. {@code -Dbench.requireProxy=true|false} overrides the check.
 *
 * <p>The timeouts are 10 s and never fire: what is measured is arming and disarming them. Every variant's timer
 * removes a disarmed timeout from its queue at once (Resilience4j gets a scheduler with the remove-on-cancel
 * policy, as {@code CompletableFuture}'s and this library's timers have), so no variant drags a growing queue.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class SpringAdviceBenchmark {

    /** The minimal application: one bean, everything else from auto-configuration. */
    @SpringBootConfiguration
    @EnableAutoConfiguration
    public static class BenchApplication {
        @Bean
        public BenchService benchService() {
            return new BenchService();
        }
    }

    /**
     * The Kafka and RabbitMQ rows put Boot's Kafka and RabbitMQ support and both edges on the class path; this
     * context leaves them out, as it did before (their stop watches would run a thread of their own here).
     */
    static final String BROKER_AUTO_CONFIGURATIONS = String.join(",",
            "org.springframework.boot.kafka.autoconfigure.KafkaAutoConfiguration",
            "org.springframework.boot.amqp.autoconfigure.RabbitAutoConfiguration",
            "dev.cancellation.autoconfigure.CancellationKafkaAutoConfiguration",
            "dev.cancellation.autoconfigure.CancellationRabbitAutoConfiguration");

    private ConfigurableApplicationContext context;
    private BenchService advised;
    private BenchService unadvised;
    private BenchService noopProxy;
    private BenchService timeLimiterProxy;
    private TimeLimiter timeLimiter;
    private ScheduledThreadPoolExecutor r4jScheduler;
    private int x;

    @Setup
    public void setUp() {
        context = new SpringApplicationBuilder(BenchApplication.class)
                .web(WebApplicationType.NONE)
                .properties("spring.main.banner-mode=off", "spring.main.log-startup-info=false",
                        "spring.jmx.enabled=false", "spring.autoconfigure.exclude=" + BROKER_AUTO_CONFIGURATIONS)
                .run();
        advised = context.getBean(BenchService.class);
        boolean interceptorPresent = interceptorOnClasspath();
        boolean requireProxy = Boolean.parseBoolean(System.getProperty("bench.requireProxy",
                Boolean.toString(interceptorPresent)));
        boolean proxied = AopUtils.isAopProxy(advised);
        if (requireProxy && !proxied) {
            throw new IllegalStateException("The @Cancellable interceptor (package dev.cancellation.spring) is on "
                    + "the classpath but the benchmark bean " + advised.getClass().getName()
                    + " is not an AOP proxy: the advised rows would measure an unadvised method");
        }
        System.err.println("[SpringAdviceBenchmark] interceptor package present: " + interceptorPresent
                + ", bean is an AOP proxy: " + proxied + " (" + advised.getClass().getName() + ")");

        unadvised = new BenchService();
        ProxyFactory factory = new ProxyFactory(new BenchService());
        factory.setProxyTargetClass(true); // class-based, like Boot's auto-proxying
        factory.addAdvice((MethodInterceptor) invocation -> invocation.proceed());
        noopProxy = (BenchService) factory.getProxy();

        r4jScheduler = new ScheduledThreadPoolExecutor(1, runnable -> {
            Thread thread = new Thread(runnable, "r4j-timelimiter");
            thread.setDaemon(true);
            return thread;
        });
        r4jScheduler.setRemoveOnCancelPolicy(true);
        timeLimiter = TimeLimiter.of("bench", TimeLimiterConfig.custom()
                .timeoutDuration(Duration.ofSeconds(10)).cancelRunningFuture(true).build());

        // The decorator at its cheapest behind the same kind of proxy: no aspect, no annotation lookup.
        ProxyFactory limited = new ProxyFactory(new BenchService());
        limited.setProxyTargetClass(true);
        limited.addAdvice((MethodInterceptor) invocation -> timeLimiter.executeCompletionStage(r4jScheduler,
                () -> proceedToStage(invocation)).toCompletableFuture());
        timeLimiterProxy = (BenchService) limited.getProxy();
    }

    @SuppressWarnings("unchecked")
    private static CompletionStage<Integer> proceedToStage(MethodInvocation invocation) {
        try {
            return (CompletionStage<Integer>) invocation.proceed();
        } catch (Throwable failure) {
            return CompletableFuture.failedFuture(failure);
        }
    }

    private static boolean interceptorOnClasspath() {
        return SpringAdviceBenchmark.class.getClassLoader().getResource("dev/cancellation/spring/") != null
                || SpringAdviceBenchmark.class.getClassLoader().getResource("dev/cancellation/spring") != null;
    }

    @TearDown
    public void tearDown() {
        context.close();
        r4jScheduler.shutdownNow();
    }

    @Benchmark
    public int baseline_directNoAdvice() {
        return unadvised.plain(x++);
    }

    @Benchmark
    public int baseline_noopInterceptor() {
        return noopProxy.plain(x++);
    }

    /** An unannotated method of the auto-proxied bean: the proxy's dispatch without any advice. */
    @Benchmark
    public int springBean_unannotatedMethod() {
        return advised.plain(x++);
    }

    @Benchmark
    public int cancellable_noTimeout() {
        return advised.cancellableNoTimeout(x++);
    }

    @Benchmark
    public int cancellable_timeout() {
        return advised.cancellableTimeout(x++);
    }

    @Benchmark
    public Integer cancellable_timeout_future() {
        return advised.cancellableFutureTimeout(x++).join();
    }

    @Benchmark
    public Integer baseline_resilience4jTimeLimiter_future() {
        int arg = x++;
        return timeLimiter.executeCompletionStage(r4jScheduler, () -> unadvised.future(arg))
                .toCompletableFuture().join();
    }

    /**
     * Resilience4j's programmatic decorator around a proxied method, in a plain interceptor: what
     * {@code @TimeLimiter} costs through a Spring proxy without the cost of its aspect.
     */
    @Benchmark
    public Integer baseline_resilience4jTimeLimiter_proxied() {
        return timeLimiterProxy.future(x++).join();
    }

    /** A future completed by the call, bounded by {@code orTimeout}: arms and disarms the JDK's delayer. */
    @Benchmark
    public Integer baseline_completableFutureOrTimeout() {
        CompletableFuture<Integer> result = new CompletableFuture<Integer>().orTimeout(10, TimeUnit.SECONDS);
        result.complete(unadvised.plain(x++));
        return result.join();
    }
}
