package dev.cancellation.grpc;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import dev.cancellation.autoconfigure.CancellationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationGrpcAutoConfiguration;
import io.grpc.CallOptions;
import io.grpc.ClientInterceptor;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.grpc.client.GlobalClientInterceptor;

/**
 * The client side: a channel with the interceptors Spring gRPC's channel factory would add (those of the context
 * marked {@link GlobalClientInterceptor}) calling a real gRPC server on loopback that reports what it sees.
 */
class GrpcClientCancellationTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(CancellationAutoConfiguration.class,
                    CancellationGrpcAutoConfiguration.class));

    static LoopbackGrpc serve(ApplicationContext context, LoopbackGrpc.Handler handler) throws Exception {
        List<ClientInterceptor> interceptors = context.getBeansWithAnnotation(GlobalClientInterceptor.class).values()
                .stream().filter(ClientInterceptor.class::isInstance).map(ClientInterceptor.class::cast).toList();
        assertThat(interceptors).hasSize(1);
        return LoopbackGrpc.start(handler, List.of(), interceptors);
    }

    /** The server reports the deadline it got: its remaining milliseconds, or "none". */
    private static final LoopbackGrpc.Handler REPORTS_DEADLINE = LoopbackGrpc.answering(request -> {
        Deadline deadline = Context.current().getDeadline();
        return (deadline == null) ? "none" : String.valueOf(deadline.timeRemaining(TimeUnit.MILLISECONDS));
    });

    private static String call(LoopbackGrpc grpc, CallOptions options) {
        return ClientCalls.blockingUnaryCall(grpc.channel, LoopbackGrpc.RUN, options, "request");
    }

    @Test
    void aCallUnderATokenGetsItsDeadline() {
        runner.run(context -> {
            try (LoopbackGrpc grpc = serve(context, REPORTS_DEADLINE);
                    CancellationSource budget = CancellationSource.withTimeout(Duration.ofSeconds(3))) {
                long remaining = Long.parseLong(Cancellation.bind(budget.token(), () -> call(grpc, CallOptions.DEFAULT)));
                assertThat(remaining).isBetween(1L, 3000L);
            }
        });
    }

    @Test
    void theCallsOwnEarlierDeadlineIsKept() {
        runner.run(context -> {
            try (LoopbackGrpc grpc = serve(context, REPORTS_DEADLINE);
                    CancellationSource budget = CancellationSource.withTimeout(Duration.ofSeconds(60))) {
                long remaining = Long.parseLong(Cancellation.bind(budget.token(),
                        () -> call(grpc, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS))));
                assertThat(remaining).isBetween(1L, 5000L);
            }
        });
    }

    @Test
    void aCallWithoutATokenIsUntouched() {
        runner.run(context -> {
            try (LoopbackGrpc grpc = serve(context, REPORTS_DEADLINE)) {
                assertThat(call(grpc, CallOptions.DEFAULT)).isEqualTo("none");
            }
        });
    }

    @Test
    void aCancelOfTheTokenCancelsTheCallAtOnce() {
        runner.run(context -> {
            CountDownLatch started = new CountDownLatch(1);
            CountDownLatch serverSawCancel = new CountDownLatch(1);
            LoopbackGrpc.Handler waitsForCancel = (request, responses) -> {
                Context.current().addListener(cancelled -> serverSawCancel.countDown(), Runnable::run);
                started.countDown();
                serverSawCancel.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
            };
            try (LoopbackGrpc grpc = serve(context, waitsForCancel);
                    CancellationSource source = CancellationSource.create()) {
                CompletableFuture<Throwable> failure = CompletableFuture.supplyAsync(() -> catchThrowable(() ->
                        Cancellation.bind(source.token(), () -> call(grpc, CallOptions.DEFAULT))));
                assertThat(started.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
                source.cancel(CancellationReason.requested("enough", "test"));
                assertThat(serverSawCancel.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS))
                        .as("the server saw the call cancelled").isTrue();
                Throwable thrown = failure.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
                assertThat(thrown).isInstanceOf(StatusRuntimeException.class);
                assertThat(Status.fromThrowable(thrown).getCode()).isEqualTo(Status.Code.CANCELLED);
                assertThat(TaskCancelledException.find(thrown)).hasValueSatisfying(cancelled ->
                        assertThat(cancelled.reason().origin()).isEqualTo("test"));
            }
        });
    }

    @Test
    void aCallThatRunsOutOfTheTokensBudgetCarriesItsTimeout() {
        runner.run(context -> {
            LoopbackGrpc.Handler neverAnswers = (request, responses) -> { };
            try (LoopbackGrpc grpc = serve(context, neverAnswers);
                    CancellationSource budget = CancellationSource.withTimeout(Duration.ofMillis(500))) {
                Throwable thrown = catchThrowable(() -> Cancellation.bind(budget.token(),
                        () -> call(grpc, CallOptions.DEFAULT)));
                assertThat(Status.fromThrowable(thrown).getCode())
                        .isIn(Status.Code.DEADLINE_EXCEEDED, Status.Code.CANCELLED);
                assertThat(TaskCancelledException.find(thrown)).get().isInstanceOf(TaskTimeoutException.class);
            }
        });
    }

    @Test
    void aCancelledTokenRefusesTheCallBeforeItIsSent() {
        runner.run(context -> {
            AtomicInteger calls = new AtomicInteger();
            try (LoopbackGrpc grpc = serve(context, LoopbackGrpc.answering(request -> {
                calls.incrementAndGet();
                return "ran";
            }));
                    CancellationSource source = CancellationSource.create()) {
                source.cancel(CancellationReason.requested("no", "test"));
                Throwable thrown = catchThrowable(() -> Cancellation.bind(source.token(),
                        () -> call(grpc, CallOptions.DEFAULT)));
                assertThat(thrown).isInstanceOf(TaskCancelledException.class);
                assertThat(call(grpc, CallOptions.DEFAULT)).as("the server works").isEqualTo("ran");
                assertThat(calls).hasValue(1);
            }
        });
    }
}
