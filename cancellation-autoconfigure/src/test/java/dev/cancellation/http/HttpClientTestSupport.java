package dev.cancellation.http;

import static dev.cancellation.testfixture.Waits.PROMPTLY;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationToken;
import dev.cancellation.autoconfigure.CancellationHttpClientAutoConfiguration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.http.client.autoconfigure.HttpClientAutoConfiguration;
import org.springframework.boot.http.client.autoconfigure.imperative.ImperativeHttpClientAutoConfiguration;
import org.springframework.boot.http.client.autoconfigure.reactive.ReactiveHttpClientAutoConfiguration;
import org.springframework.boot.restclient.autoconfigure.RestClientAutoConfiguration;
import org.springframework.boot.restclient.autoconfigure.RestTemplateAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.webclient.autoconfigure.WebClientAutoConfiguration;

/** The real Boot client auto-configurations plus ours, and a caller thread whose outcome a test can inspect. */
final class HttpClientTestSupport {

    /** Far longer than any test waits: a call that is not aborted is still hanging when the test looks. */
    static final long SLOW_MS = 30_000;

    private HttpClientTestSupport() {
    }

    static ApplicationContextRunner runner() {
        return new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(
                HttpClientAutoConfiguration.class, ImperativeHttpClientAutoConfiguration.class,
                ReactiveHttpClientAutoConfiguration.class, RestClientAutoConfiguration.class,
                RestTemplateAutoConfiguration.class, WebClientAutoConfiguration.class,
                CancellationHttpClientAutoConfiguration.class));
    }

    /** What a call made on its own thread came to. */
    record Outcome(Object result, Throwable failure, boolean interruptedAfter) {
    }

    /** Runs {@code call} with {@code token} current on a fresh thread. */
    static CompletableFuture<Outcome> callOnOwnThread(CancellationToken token, Callable<?> call) {
        CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        Thread caller = new Thread(() -> {
            Object result = null;
            Throwable failure = null;
            try (Cancellation.Scope ignored = Cancellation.enter(token)) {
                result = call.call();
            } catch (Throwable ex) {
                failure = ex;
            }
            outcome.complete(new Outcome(result, failure, Thread.currentThread().isInterrupted()));
        }, "http-caller");
        caller.setDaemon(true);
        caller.start();
        return outcome;
    }

    static Outcome await(CompletableFuture<Outcome> outcome) throws Exception {
        try {
            return outcome.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.TimeoutException hung) {
            Thread.getAllStackTraces().forEach((thread, stack) -> {
                if (thread.getName().equals("http-caller")) {
                    AssertionError where = new AssertionError("the call is still running, in:");
                    where.setStackTrace(stack);
                    hung.addSuppressed(where);
                }
            });
            throw hung;
        }
    }
}
