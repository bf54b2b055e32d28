package dev.cancellation.bench;

import io.github.resilience4j.core.ContextAwareScheduledThreadPoolExecutor;
import io.github.resilience4j.spring6.fallback.configure.FallbackConfiguration;
import io.github.resilience4j.spring6.spelresolver.configure.SpelResolverConfiguration;
import io.github.resilience4j.spring6.timelimiter.configure.TimeLimiterConfiguration;
import io.github.resilience4j.spring6.timelimiter.configure.TimeLimiterConfigurationProperties;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.springframework.aop.support.AopUtils;
import org.springframework.context.annotation.AnnotationConfigApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.EnableAspectJAutoProxy;
import org.springframework.context.annotation.Import;

/**
 * Row 4b: Resilience4j's {@code @TimeLimiter} annotation on a bean method, advised by its Spring aspect, which is
 * how applications bound a call with Resilience4j. A class of its own (so a fork of its own): with AspectJ proxies
 * in the same JVM, the JIT's type profiles of Spring's proxy dispatch get polluted and every other row's proxy call
 * allocates 24 B more.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class TimeLimiterAspectBenchmark {

    /**
     * Resilience4j's annotation support as an application gets it: its time limiter configuration, fallback and
     * SpEL support, and AspectJ auto-proxying; one time limiter {@code bench} of 10 s. Its scheduler removes a
     * cancelled timeout from its queue at once, like every other variant's timer.
     */
    @Configuration(proxyBeanMethods = false)
    @EnableAspectJAutoProxy(proxyTargetClass = true)
    @Import({ TimeLimiterConfiguration.class, FallbackConfiguration.class, SpelResolverConfiguration.class })
    public static class TimeLimiterAspectApplication {

        @Bean
        public TimeLimiterConfigurationProperties timeLimiterConfigurationProperties() {
            TimeLimiterConfigurationProperties properties = new TimeLimiterConfigurationProperties();
            TimeLimiterConfigurationProperties.InstanceProperties bench =
                    new TimeLimiterConfigurationProperties.InstanceProperties();
            bench.setTimeoutDuration(Duration.ofSeconds(10));
            bench.setCancelRunningFuture(true);
            properties.getInstances().put("bench", bench);
            return properties;
        }

        @Bean(destroyMethod = "shutdownNow")
        public ContextAwareScheduledThreadPoolExecutor timeLimiterScheduler() {
            ContextAwareScheduledThreadPoolExecutor scheduler =
                    ContextAwareScheduledThreadPoolExecutor.newScheduledThreadPool().corePoolSize(1).build();
            scheduler.setRemoveOnCancelPolicy(true);
            return scheduler;
        }

        @Bean
        public TimeLimitedService timeLimitedService() {
            return new TimeLimitedService();
        }
    }

    private AnnotationConfigApplicationContext context;
    private TimeLimitedService timeLimited;
    private int x;

    @Setup
    public void setUp() {
        context = new AnnotationConfigApplicationContext(TimeLimiterAspectApplication.class);
        timeLimited = context.getBean(TimeLimitedService.class);
        if (!AopUtils.isAopProxy(timeLimited)) {
            throw new IllegalStateException("The @TimeLimiter bean is not advised: " + timeLimited.getClass());
        }
    }

    @TearDown
    public void tearDown() {
        context.close();
    }

    /** {@code @TimeLimiter} on a {@code CompletableFuture} method, through Resilience4j's aspect. */
    @Benchmark
    public Integer resilience4jTimeLimiterAnnotation_future() {
        return timeLimited.future(x++).join();
    }
}
