package dev.cancellation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link TaskCancelledException#find(Throwable)} against what the running JDK really throws, and the table of
 * docs/registry-and-shutdown.md ("What get() and join() throw"): on Java 17 to 22 a future's {@code get()}/{@code join()} rethrow the
 * stored {@code TaskCancelledException}, on 23 and later a new {@code CancellationException} caused by it. The
 * suite runs on Java 17 and on Java 25, so both rows are checked.
 */
class TaskCancelledExceptionFindTests {

    private static final boolean WRAPS = Runtime.version().feature() >= 23;

    private final TaskCancelledException stored = TaskCancelledException.of(
            CancellationReason.requested("operator"), "ReportService.render");

    private CompletableFuture<String> failed() {
        CompletableFuture<String> future = new CompletableFuture<>();
        future.completeExceptionally(stored);
        return future;
    }

    @Test
    void getJoinAndGetNowOfACancelledFutureThrowWhatTheReadmeSays() {
        CompletableFuture<String> future = failed();
        Throwable[] thrown = { catchThrowable(future::get), catchThrowable(() -> future.get(1, TimeUnit.SECONDS)),
                catchThrowable(future::join), catchThrowable(() -> future.getNow("x")) };
        String[] wrapperMessages = { "get", "get", "join", "getNow" };
        assertThat(future.isCancelled()).isTrue();
        for (int i = 0; i < thrown.length; i++) {
            if (WRAPS) {
                assertThat(thrown[i]).isExactlyInstanceOf(CancellationException.class)
                        .hasMessage(wrapperMessages[i]).hasCause(stored);
            } else {
                assertThat(thrown[i]).isSameAs(stored);
            }
            assertThat(TaskCancelledException.find(thrown[i])).containsSame(stored);
        }
    }

    @Test
    void aDependentStageWrapsItInCompletionAndExecutionExceptionsOnEveryVersion() {
        CompletableFuture<String> dependent = failed().thenApply(String::trim);
        Throwable joined = catchThrowable(dependent::join);
        Throwable got = catchThrowable(dependent::get);
        assertThat(joined).isInstanceOf(CompletionException.class).hasCause(stored);
        assertThat(got).isInstanceOf(ExecutionException.class).hasCause(stored);
        assertThat(dependent.isCancelled()).isFalse();
        assertThat(TaskCancelledException.find(joined)).containsSame(stored);
        assertThat(TaskCancelledException.find(got)).containsSame(stored);
        // what a handler of the dependent stage sees
        Throwable handled = dependent.handle((value, failure) -> failure).join();
        assertThat(TaskCancelledException.find(handled)).containsSame(stored);
    }

    @Test
    void aFutureTaskWrapsItInAnExecutionException() {
        FutureTask<String> task = new FutureTask<>(() -> {
            throw stored;
        });
        task.run();
        Throwable got = catchThrowable(task::get);
        assertThat(got).isInstanceOf(ExecutionException.class);
        assertThat(TaskCancelledException.find(got)).containsSame(stored);
    }

    @Test
    void theReasonComesAlong() {
        TaskCancelledException timeout = TaskCancelledException.of(CancellationReason.timeout(
                java.time.Duration.ofSeconds(3)));
        RuntimeException wrapped = new IllegalStateException("render failed", new CompletionException(timeout));
        assertThat(TaskCancelledException.find(wrapped)).get().isInstanceOf(TaskTimeoutException.class)
                .satisfies(found -> assertThat(found.reason().isTimeout()).isTrue());
    }

    @Test
    void aPlainCancelHasNoReasonAndNothingIsFound() {
        CompletableFuture<String> cancelled = new CompletableFuture<>();
        cancelled.cancel(true);
        assertThat(TaskCancelledException.find(catchThrowable(cancelled::join))).isEmpty();
        assertThat(TaskCancelledException.find(new IllegalStateException("boom"))).isEmpty();
        assertThat(TaskCancelledException.find(null)).isEmpty();
    }

    @Test
    void theOutermostOneWinsAndACycleEnds() {
        TaskCancelledException inner = new TaskCancelledException(CancellationReason.requested("inner"));
        TaskCancelledException outer = new TaskCancelledException(CancellationReason.requested("outer"));
        outer.initCause(new CompletionException(inner));
        assertThat(TaskCancelledException.find(new ExecutionException(outer))).containsSame(outer);

        IllegalStateException first = new IllegalStateException("first");
        IllegalStateException second = new IllegalStateException("second", first);
        first.initCause(second);
        assertThat(TaskCancelledException.find(first)).isEmpty();
    }
}
