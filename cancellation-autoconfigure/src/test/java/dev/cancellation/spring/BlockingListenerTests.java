package dev.cancellation.spring;

import static dev.cancellation.spring.CancellableReturnTypeTests.find;
import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.Cancellation;
import dev.cancellation.TaskTimeoutException;
import dev.cancellation.annotation.Cancellable;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.event.EventListener;

/**
 * A {@code TaskCancelledEvent} listener that blocks for 10 s delays no other task's timeout: timeouts no longer
 * run user code on the shared timer thread.
 */
class BlockingListenerTests {

    @Test
    void aListenerBlockedOnOneTimeoutDoesNotDelayAnother() {
        CancellableTestSupport.runner().withUserConfiguration(Config.class).run(context -> {
            Work work = context.getBean(Work.class);
            BlockingListener listener = context.getBean(BlockingListener.class);
            try {
                CompletableFuture<Throwable> first = CompletableFuture.supplyAsync(() -> failure(work::first));
                assertThat(listener.blocking.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();

                Throwable second = failure(work::second); // its 100 ms timeout, while the listener still blocks

                assertThat(find(second, TaskTimeoutException.class).getMessage()).contains("second");
                assertThat(listener.release.getCount()).as("the first listener still blocks").isEqualTo(1);
                assertThat(listener.thread.get()).doesNotStartWith("cancellation-timer");
                listener.release.countDown();
                assertThat(find(first.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS), TaskTimeoutException.class))
                        .isNotNull();
            } finally {
                listener.release.countDown();
            }
        });
    }

    private static Throwable failure(ThrowingRunnable call) {
        try {
            call.run();
        } catch (Throwable ex) {
            return ex;
        }
        throw new AssertionError("expected a timeout");
    }

    @FunctionalInterface
    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Configuration(proxyBeanMethods = false)
    static class Config {
        @Bean
        Work work() {
            return new Work();
        }

        @Bean
        BlockingListener blockingListener() {
            return new BlockingListener();
        }
    }

    static class Work {
        @Cancellable(name = "first", timeout = "50ms", interruptAfter = "never")
        public void first() throws InterruptedException {
            Cancellation.sleep(Duration.ofSeconds(30));
        }

        @Cancellable(name = "second", timeout = "100ms", interruptAfter = "never")
        public void second() throws InterruptedException {
            Cancellation.sleep(Duration.ofSeconds(30));
        }
    }

    static class BlockingListener {
        final CountDownLatch blocking = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicReference<String> thread = new AtomicReference<>();

        @EventListener
        void on(TaskCancelledEvent event) throws InterruptedException {
            if (event.getTask().name().equals("first")) {
                thread.set(Thread.currentThread().getName());
                blocking.countDown();
                release.await(10, TimeUnit.SECONDS); // a listener that blocks for 10 s
            }
        }
    }
}
