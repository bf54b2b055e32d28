package dev.cancellation.grpc;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.autoconfigure.CancellableAnnotationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationGrpcAutoConfiguration;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import io.grpc.CallOptions;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.annotation.AnnotationAwareOrderComparator;
import org.springframework.grpc.server.GlobalServerInterceptor;

/**
 * The server side against a real gRPC server on loopback, with the interceptors Spring gRPC would apply: those of
 * the application context marked {@link GlobalServerInterceptor}, found the way Spring gRPC finds them.
 */
class GrpcServerCancellationTests {

    private static final long SLOW_MS = 30_000;

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(CancellationAutoConfiguration.class,
                    CancellableAnnotationAutoConfiguration.class, CancellationGrpcAutoConfiguration.class));

    static LoopbackGrpc serve(ApplicationContext context, LoopbackGrpc.Handler handler) throws Exception {
        return LoopbackGrpc.start(handler, globalServerInterceptors(context), List.of());
    }

    /**
     * The global server interceptors in Spring gRPC's order, the first called first: the edge's, then (with
     * grpc-kotlin and cancellation-kotlin on the class path, as in these tests) the coroutine services' one.
     */
    static List<ServerInterceptor> globalServerInterceptors(ApplicationContext context) {
        List<ServerInterceptor> interceptors = new ArrayList<>(context.getBeansWithAnnotation(
                GlobalServerInterceptor.class).values().stream().filter(ServerInterceptor.class::isInstance)
                .map(ServerInterceptor.class::cast).toList());
        AnnotationAwareOrderComparator.sort(interceptors);
        assertThat(interceptors).first().isInstanceOf(CancellationServerInterceptor.class);
        return interceptors;
    }

    private static String call(LoopbackGrpc grpc, CallOptions options) {
        return ClientCalls.blockingUnaryCall(grpc.channel, LoopbackGrpc.RUN, options, "request");
    }

    @Test
    void theCallsDeadlineIsTheTokensDeadline() {
        runner.run(context -> {
            try (LoopbackGrpc grpc = serve(context, LoopbackGrpc.answering(request -> {
                CancellationToken token = CancellationToken.current();
                return token.isNone() ? "none" : token.deadline().map(Instant::toString).orElse("no deadline");
            }))) {
                Instant before = Instant.now();
                Instant deadline = Instant.parse(call(grpc, CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS)));
                assertThat(deadline).isAfter(before).isBeforeOrEqualTo(Instant.now().plusSeconds(5));
            }
        });
    }

    @Test
    void aCallWithoutADeadlineRunsUnderATokenWithoutOne() {
        runner.run(context -> {
            try (LoopbackGrpc grpc = serve(context, LoopbackGrpc.answering(request -> {
                CancellationToken token = CancellationToken.current();
                return token.isNone() ? "none" : token.deadline().map(Instant::toString).orElse("no deadline");
            }))) {
                assertThat(call(grpc, CallOptions.DEFAULT)).isEqualTo("no deadline");
            }
        });
    }

    @Test
    void theClientsCancelCancelsTheToken() {
        runner.run(context -> {
            AtomicReference<CancellationToken> token = new AtomicReference<>();
            AtomicReference<Throwable> ended = new AtomicReference<>();
            CountDownLatch started = new CountDownLatch(1);
            try (LoopbackGrpc grpc = serve(context, LoopbackGrpc.answering(request -> {
                token.set(CancellationToken.current());
                started.countDown();
                try {
                    Cancellation.sleep(Duration.ofMillis(SLOW_MS));
                } catch (RuntimeException ex) {
                    ended.set(ex);
                    throw ex;
                }
                return "slept";
            }))) {
                var future = ClientCalls.futureUnaryCall(grpc.channel.newCall(LoopbackGrpc.RUN, CallOptions.DEFAULT),
                        "request");
                assertThat(started.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
                future.cancel(true);
                CancellationReason reason = token.get().whenCancelled().toCompletableFuture()
                        .get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
                assertThat(reason.kind()).isEqualTo(CancellationReason.Kind.REQUESTED);
                assertThat(reason.origin()).isEqualTo("client cancelled");
                await().atMost(PROMPTLY).untilAsserted(() ->
                        assertThat(ended.get()).as("the service's wait ended").isInstanceOf(TaskCancelledException.class));
            }
        });
    }

    @Test
    void theDeadlinePassingCancelsTheToken() {
        runner.run(context -> {
            AtomicReference<CancellationToken> token = new AtomicReference<>();
            try (LoopbackGrpc grpc = serve(context, LoopbackGrpc.answering(request -> {
                token.set(CancellationToken.current());
                Cancellation.sleep(Duration.ofMillis(SLOW_MS));
                return "slept";
            }))) {
                StatusRuntimeException failure = catchThrowableOfType(StatusRuntimeException.class,
                        () -> call(grpc, CallOptions.DEFAULT.withDeadlineAfter(2, TimeUnit.SECONDS)));
                assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
                assertThat(token.get()).as("the service ran (2s cover a first connection on a loaded machine)")
                        .isNotNull();
                await().atMost(PROMPTLY).untilAsserted(() -> assertThat(token.get().reason())
                        .hasValueSatisfying(reason -> assertThat(reason.isTimeout()).isTrue()));
            }
        });
    }

    @Test
    void aCancellableMethodCalledByTheServiceIsCancelledWithTheCall() {
        runner.withUserConfiguration(SlowWorkConfiguration.class).run(context -> {
            SlowWork work = context.getBean(SlowWork.class);
            AtomicReference<CancellationToken> callToken = new AtomicReference<>();
            try (LoopbackGrpc grpc = serve(context, LoopbackGrpc.answering(request -> {
                callToken.set(CancellationToken.current());
                return work.run();
            }))) {
                StatusRuntimeException failure = catchThrowableOfType(StatusRuntimeException.class,
                        () -> call(grpc, CallOptions.DEFAULT.withDeadlineAfter(2, TimeUnit.SECONDS)));
                assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
                await().atMost(PROMPTLY).untilAsserted(() ->
                        assertThat(work.ended()).isInstanceOf(TaskTimeoutException.class));
                assertThat(work.token().isDescendantOf(callToken.get())).isTrue();
                assertThat(work.token().deadline()).isEqualTo(callToken.get().deadline());
            }
        });
    }

    @Test
    void aTaskTimeoutAnswersDeadlineExceededNamingTheMethodOnly() {
        runner.run(context -> {
            try (LoopbackGrpc grpc = serve(context, LoopbackGrpc.answering(request ->
                    Cancellation.withTimeout(Duration.ofMillis(100), token -> {
                        token.whenCancelled().toCompletableFuture().join();
                        token.throwIfCancelled();
                        return "not cancelled";
                    })))) {
                StatusRuntimeException failure = catchThrowableOfType(StatusRuntimeException.class,
                        () -> call(grpc, CallOptions.DEFAULT));
                assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
                assertThat(failure.getStatus().getDescription()).isEqualTo("test.Work/Run: task timed out");
            }
        });
    }

    @Test
    void aCancellationPassedToOnErrorAnswersCancelledWithoutInternals() {
        runner.run(context -> {
            try (LoopbackGrpc grpc = serve(context, (request, responses) -> responses.onError(
                    new TaskCancelledException(CancellationReason.requested("note by alice", "operator:alice"),
                            "GET https://user:secret@inventory.internal/stock")))) {
                StatusRuntimeException failure = catchThrowableOfType(StatusRuntimeException.class,
                        () -> call(grpc, CallOptions.DEFAULT));
                assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.CANCELLED);
                assertThat(failure.getStatus().getDescription()).isEqualTo("test.Work/Run: task cancelled");
            }
        });
    }

    @Test
    void theReasonsMessageIsIncludedOnRequest() {
        runner.withPropertyValues("cancellation.grpc.status-include-reason-message=true").run(context -> {
            try (LoopbackGrpc grpc = serve(context, LoopbackGrpc.answering(request -> {
                throw TaskCancelledException.of(CancellationReason.shutdown("shutdown"));
            }))) {
                StatusRuntimeException failure = catchThrowableOfType(StatusRuntimeException.class,
                        () -> call(grpc, CallOptions.DEFAULT));
                assertThat(failure.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                assertThat(failure.getStatus().getDescription())
                        .isEqualTo("test.Work/Run: service shutting down (application is shutting down)");
            }
        });
    }

    @Test
    void registeredCallsAreTasksNamedAfterTheMethodAndCancellableThere() {
        runner.withPropertyValues("cancellation.grpc.register-calls=true").run(context -> {
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            CountDownLatch started = new CountDownLatch(1);
            try (LoopbackGrpc grpc = serve(context, LoopbackGrpc.answering(request -> {
                started.countDown();
                Cancellation.sleep(Duration.ofMillis(SLOW_MS));
                return "slept";
            }))) {
                var future = ClientCalls.futureUnaryCall(grpc.channel.newCall(LoopbackGrpc.RUN, CallOptions.DEFAULT),
                        "request");
                assertThat(started.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
                List<TaskInfo> tasks = registry.list("test.Work/Run", null);
                assertThat(tasks).hasSize(1);
                registry.cancel(tasks.get(0).id(), CancellationReason.requested("stop it", "operator:alice"));
                Throwable failure = catchThrowableOfType(Exception.class,
                        () -> future.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS));
                assertThat(Status.fromThrowable(failure).getCode()).isEqualTo(Status.Code.CANCELLED);
                assertThat(Status.fromThrowable(failure).getDescription()).isEqualTo("test.Work/Run: task cancelled");
                await().atMost(PROMPTLY).until(() -> registry.list("test.Work/Run", null).isEmpty());
            }
        });
    }

    @Test
    void callsAreNotRegisteredByDefault() {
        runner.run(context -> {
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            try (LoopbackGrpc grpc = serve(context, LoopbackGrpc.answering(request ->
                    String.valueOf(registry.list("test.Work/Run", null).size())))) {
                assertThat(call(grpc, CallOptions.DEFAULT)).isEqualTo("0");
            }
        });
    }

    /**
     * gRPC hands the context's cancellation and the listener's {@code onCancel} to its executor as two tasks; for a
     * service that returned before it answered, {@code onCancel} can run first (seen with Spring gRPC's server on
     * Boot 4.1, see {@code GrpcSpringFactoriesTests}). Here it does, every time: the listener's {@code onCancel}
     * before the call's context is cancelled.
     */
    @Test
    void onCancelBeforeTheContextsCancellationStillCancelsTheToken() throws Exception {
        CancellationServerInterceptor interceptor = new CancellationServerInterceptor(null, false);
        AtomicReference<CancellationToken> token = new AtomicReference<>();
        Context.CancellableContext context = Context.current().withCancellation();
        ServerCall.Listener<String> listener = context.call(() -> interceptor.interceptCall(new IdleCall(),
                new Metadata(), (call, headers) -> {
                    token.set(CancellationToken.current());
                    return new ServerCall.Listener<>() { };
                }));
        assertThat(token.get().isNone()).isFalse();

        listener.onCancel();

        assertThat(token.get().reason()).hasValueSatisfying(reason -> {
            assertThat(reason.kind()).isEqualTo(CancellationReason.Kind.REQUESTED);
            assertThat(reason.origin()).isEqualTo("client cancelled");
        });
        context.cancel(null);
    }

    /** A call whose transport is not there: what {@code onCancel} ordering needs, nothing more. */
    private static final class IdleCall extends ServerCall<String, String> {

        @Override
        public void request(int numMessages) {
        }

        @Override
        public void sendHeaders(Metadata headers) {
        }

        @Override
        public void sendMessage(String message) {
        }

        @Override
        public void close(Status status, Metadata trailers) {
        }

        @Override
        public boolean isCancelled() {
            return false;
        }

        @Override
        public MethodDescriptor<String, String> getMethodDescriptor() {
            return LoopbackGrpc.RUN;
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class SlowWorkConfiguration {

        @Bean
        SlowWork slowWork() {
            return new SlowWork();
        }
    }

    /**
     * A {@code @Cancellable} method that waits until its token is cancelled, and says how it ended (through
     * methods: the fields of its proxy are not the bean's).
     */
    static class SlowWork {

        private final AtomicReference<CancellationToken> token = new AtomicReference<>();
        private final AtomicReference<Throwable> ended = new AtomicReference<>();

        public CancellationToken token() {
            return token.get();
        }

        public Throwable ended() {
            return ended.get();
        }

        @Cancellable(name = "slow-work")
        public String run() throws InterruptedException {
            token.set(CancellationToken.current());
            try {
                Cancellation.sleep(Duration.ofMillis(SLOW_MS));
            } catch (RuntimeException ex) {
                ended.set(ex);
                throw ex;
            }
            return "slept";
        }
    }
}
