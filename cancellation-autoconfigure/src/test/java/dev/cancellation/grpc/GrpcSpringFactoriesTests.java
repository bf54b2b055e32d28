package dev.cancellation.grpc;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.awaitility.Awaitility.await;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.spring.CancellationTokenAccessor;
import dev.cancellation.task.TaskRegistry;
import io.grpc.BindableService;
import io.grpc.CallOptions;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.ManagedChannel;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.grpc.client.GrpcChannelFactory;
import org.springframework.grpc.server.lifecycle.GrpcServerLifecycle;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.util.ClassUtils;
import reactor.core.publisher.Mono;
import reactor.core.publisher.SignalType;

/**
 * The gRPC edge as an application gets it: the server is Spring gRPC's own (its auto-configured server factory and
 * lifecycle, Netty on a loopback port, the service a {@link BindableService} bean), the client's channel comes from
 * Spring gRPC's auto-configured {@link GrpcChannelFactory}, and both interceptors are applied by Spring gRPC, as
 * global interceptors, not added here. Spring gRPC 1.0 on Boot 4.0, Boot's own gRPC support on Boot 4.1
 * ({@code -Dspring-boot.version=4.1.2}). The service's behaviour is set by each test.
 */
@SpringBootTest(classes = GrpcSpringFactoriesTests.GrpcApp.class, webEnvironment = SpringBootTest.WebEnvironment.NONE,
        properties = "spring.grpc.server.port=0")
class GrpcSpringFactoriesTests {

    private static final long SLOW_MS = 30_000;

    /** Boot 4.1's gRPC server properties take an address; Spring gRPC 1.0's a host. Loopback either way. */
    @DynamicPropertySource
    static void loopback(DynamicPropertyRegistry registry) {
        boolean boot41 = ClassUtils.isPresent("org.springframework.boot.grpc.server.autoconfigure.NettyAddress",
                GrpcSpringFactoriesTests.class.getClassLoader());
        registry.add(boot41 ? "spring.grpc.server.address" : "spring.grpc.server.host", () -> "127.0.0.1");
    }

    @Autowired
    GrpcServerLifecycle server;

    @Autowired
    GrpcChannelFactory channels;

    @Autowired
    Service service;

    @Autowired
    ReactiveQuotes quotes;

    @Autowired
    TaskRegistry registry;

    private final ExecutorService executor = Executors.newSingleThreadExecutor();

    @AfterEach
    void shutDown() {
        executor.shutdownNow();
    }

    private ManagedChannel channel() {
        return channels.createChannel("127.0.0.1:" + server.getPort());
    }

    private static String call(ManagedChannel channel, CallOptions options) {
        return ClientCalls.blockingUnaryCall(channel, LoopbackGrpc.RUN, options, "request");
    }

    @Test
    void theServersInterceptorRunsTheServiceUnderATokenWithTheCallsDeadline() {
        AtomicReference<CancellationToken> token = new AtomicReference<>();
        service.handler.set(LoopbackGrpc.answering(request -> {
            token.set(CancellationToken.current());
            return "ok";
        }));
        Instant before = Instant.now();

        assertThat(call(channel(), CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS))).isEqualTo("ok");

        assertThat(token.get().isNone()).as("a token is current in the service").isFalse();
        assertThat(token.get().deadline()).hasValueSatisfying(deadline ->
                assertThat(deadline).isAfter(before).isBeforeOrEqualTo(Instant.now().plusSeconds(5)));
    }

    @Test
    void theClientsCancelCancelsTheServicesToken() throws Exception {
        AtomicReference<CancellationToken> token = new AtomicReference<>();
        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        CountDownLatch started = new CountDownLatch(1);
        service.handler.set(LoopbackGrpc.answering(request -> {
            token.set(CancellationToken.current());
            started.countDown();
            try {
                Cancellation.sleep(Duration.ofMillis(SLOW_MS));
            } catch (RuntimeException ex) {
                ended.complete(ex);
                throw ex;
            }
            return "slept";
        }));
        var future = ClientCalls.futureUnaryCall(channel().newCall(LoopbackGrpc.RUN, CallOptions.DEFAULT), "request");
        assertThat(started.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();

        future.cancel(true);

        CancellationReason reason = token.get().whenCancelled().toCompletableFuture()
                .get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(reason.kind()).isEqualTo(CancellationReason.Kind.REQUESTED);
        assertThat(reason.origin()).isEqualTo("client cancelled");
        assertThat(ended.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).as("the service's wait ended")
                .isInstanceOf(TaskCancelledException.class);
    }

    @Test
    void aCallUnderATokenThroughTheFactorysChannelGetsTheEarlierDeadline() throws Exception {
        service.handler.set(LoopbackGrpc.answering(request -> {
            Deadline deadline = Context.current().getDeadline();
            return (deadline == null) ? "none" : String.valueOf(deadline.timeRemaining(TimeUnit.MILLISECONDS));
        }));
        ManagedChannel channel = channel();
        try (CancellationSource budget = CancellationSource.withTimeout(Duration.ofSeconds(3))) {
            long remaining = Long.parseLong(Cancellation.bind(budget.token(),
                    () -> call(channel, CallOptions.DEFAULT.withDeadlineAfter(60, TimeUnit.SECONDS))));
            assertThat(remaining).as("the token's 3 s, not the call's own 60 s").isBetween(1L, 3000L);
        }
        assertThat(call(channel, CallOptions.DEFAULT)).as("no token, no deadline").isEqualTo("none");
    }

    @Test
    void aCallUnderATokenThroughTheFactorysChannelIsCancelledWithIt() throws Exception {
        AtomicReference<CancellationToken> serverToken = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        service.handler.set(LoopbackGrpc.answering(request -> {
            serverToken.set(CancellationToken.current());
            started.countDown();
            Cancellation.sleep(Duration.ofMillis(SLOW_MS));
            return "slept";
        }));
        ManagedChannel channel = channel();
        try (CancellationSource source = CancellationSource.create()) {
            CompletableFuture<Throwable> failure = CompletableFuture.supplyAsync(() -> catchThrowable(() ->
                    Cancellation.bind(source.token(), () -> call(channel, CallOptions.DEFAULT))), executor);
            assertThat(started.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();

            source.cancel(CancellationReason.requested("enough", "test"));

            Throwable thrown = failure.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(Status.fromThrowable(thrown).getCode()).isEqualTo(Status.Code.CANCELLED);
            assertThat(TaskCancelledException.find(thrown)).hasValueSatisfying(cancelled ->
                    assertThat(cancelled.reason().origin()).isEqualTo("test"));
            CancellationReason serverReason = serverToken.get().whenCancelled().toCompletableFuture()
                    .get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(serverReason.origin()).as("the server's token, cancelled by the client's cancel")
                    .isEqualTo("client cancelled");
        }
    }

    /**
     * A service that hands its {@code StreamObserver} to another thread and returns: the call's token, taken in the
     * method, stays the call's (live, and cancelled by the client's cancel) until the other thread completes.
     */
    @Test
    void aServiceCompletingOnAnotherThreadKeepsTheCallsTokenUntilItCompletes() throws Exception {
        AtomicReference<CancellationToken> token = new AtomicReference<>();
        CountDownLatch returned = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        service.handler.set((request, responses) -> {
            CancellationToken callToken = CancellationToken.current();
            token.set(callToken);
            executor.execute(() -> Cancellation.bind(callToken, () -> {
                try {
                    finish.await();
                    responses.onNext(CancellationToken.current().isCancelled() ? "cancelled" : "live");
                    responses.onCompleted();
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                }
            }));
            returned.countDown();
        });
        var future = ClientCalls.futureUnaryCall(channel().newCall(LoopbackGrpc.RUN,
                CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS)), "request");
        assertThat(returned.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        assertThat(token.get().isCancelled()).as("the service method returned; the call goes on").isFalse();
        assertThat(token.get().deadline()).as("still the call's deadline").isPresent();

        finish.countDown();

        assertThat(future.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo("live");
        assertThat(token.get().isCancelled()).as("a call that completed does not cancel its token").isFalse();
    }

    @Test
    void aServiceCompletingOnAnotherThreadIsCancelledByTheClientWhileItWorks() throws Exception {
        AtomicReference<CancellationToken> token = new AtomicReference<>();
        CompletableFuture<Throwable> ended = new CompletableFuture<>();
        CountDownLatch working = new CountDownLatch(1);
        service.handler.set((request, responses) -> {
            CancellationToken callToken = CancellationToken.current();
            token.set(callToken);
            executor.execute(() -> Cancellation.bind(callToken, () -> {
                working.countDown();
                try {
                    Cancellation.sleep(Duration.ofMillis(SLOW_MS));
                    responses.onNext("slept");
                    responses.onCompleted();
                } catch (RuntimeException | InterruptedException ex) {
                    ended.complete(ex);
                }
            }));
        });
        var future = ClientCalls.futureUnaryCall(channel().newCall(LoopbackGrpc.RUN, CallOptions.DEFAULT), "request");
        assertThat(working.await(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();

        assertThat(token.get().isNone()).as("the call's token was current in the method").isFalse();

        future.cancel(true);

        assertThat(token.get().whenCancelled().toCompletableFuture().get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)
                .origin()).isEqualTo("client cancelled");
        assertThat(ended.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS))
                .as("the other thread's wait ended with the call's cancel").isInstanceOf(TaskCancelledException.class);
    }

    /**
     * A Reactor service (reactor-grpc's server calls, as its generated {@code ReactorXxxImplBase} makes them) whose
     * method is {@code @Cancellable}: the method's task is a child of the call's token, its token is in the Reactor
     * context with the call's deadline, and a client's cancel cancels the subscription.
     */
    @Test
    void aReactorServiceMethodThatIsCancellableFollowsTheCall() throws Exception {
        AtomicReference<CancellationToken> callToken = new AtomicReference<>();
        service.handler.set((request, responses) -> {
            callToken.set(CancellationToken.current());
            com.salesforce.reactorgrpc.stub.ServerCalls.oneToOne(request, responses, quotes::quote,
                    com.salesforce.reactorgrpc.stub.ServerCalls::prepareError);
        });
        var future = ClientCalls.futureUnaryCall(channel().newCall(LoopbackGrpc.RUN,
                CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS)), "request");
        CancellationToken contextToken = quotes.contextToken().get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(contextToken.isDescendantOf(callToken.get())).as("the Reactor context's token").isTrue();
        assertThat(contextToken.deadline()).as("the call's deadline").isEqualTo(callToken.get().deadline())
                .isPresent();
        assertThat(registry.list("reactive-quote", null)).hasSize(1);

        future.cancel(true);

        assertThat(quotes.ended().get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS))
                .as("the Mono's subscription was cancelled").isEqualTo(SignalType.CANCEL);
        await().atMost(PROMPTLY).until(() -> registry.list("reactive-quote", null).isEmpty());
    }

    /** The service: one method, {@code test.Work/Run}, whose behaviour each test sets. */
    static class Service implements BindableService {

        final AtomicReference<LoopbackGrpc.Handler> handler = new AtomicReference<>();

        @Override
        public ServerServiceDefinition bindService() {
            return ServerServiceDefinition.builder("test.Work")
                    .addMethod(LoopbackGrpc.RUN, ServerCalls.asyncUnaryCall((request, responses) -> {
                        try {
                            handler.get().handle(request, responses);
                        } catch (RuntimeException ex) {
                            throw ex;
                        } catch (Exception ex) {
                            throw new IllegalStateException(ex);
                        }
                    }))
                    .build();
        }
    }

    /**
     * The Reactor side: a {@code @Cancellable} method returning a {@code Mono} that never answers by itself. What it
     * saw is read through methods: the fields of its proxy are not the bean's.
     */
    static class ReactiveQuotes {

        private final CompletableFuture<CancellationToken> contextToken = new CompletableFuture<>();
        private final CompletableFuture<SignalType> ended = new CompletableFuture<>();

        public CompletableFuture<CancellationToken> contextToken() {
            return contextToken;
        }

        public CompletableFuture<SignalType> ended() {
            return ended;
        }

        @Cancellable(name = "reactive-quote")
        public Mono<String> quote(String request) {
            return Mono.deferContextual(context -> {
                contextToken.complete(context.get(CancellationTokenAccessor.KEY));
                return Mono.<String>never();
            }).doFinally(ended::complete);
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration(excludeName = {
        "org.springframework.boot.security.autoconfigure.SecurityAutoConfiguration",
        "org.springframework.boot.security.autoconfigure.UserDetailsServiceAutoConfiguration",
        "org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration",
        "org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterAutoConfiguration",
        "org.springframework.boot.security.autoconfigure.actuate.web.servlet.ManagementWebSecurityAutoConfiguration",
        // Spring gRPC 1.0
        "org.springframework.boot.grpc.server.autoconfigure.security.GrpcSecurityAutoConfiguration",
        "org.springframework.boot.grpc.server.autoconfigure.security.OAuth2ClientAutoConfiguration",
        "org.springframework.boot.grpc.server.autoconfigure.security.OAuth2ResourceServerAutoConfiguration",
        // Boot 4.1
        "org.springframework.boot.grpc.server.autoconfigure.security.GrpcServerSecurityAutoConfiguration",
        "org.springframework.boot.grpc.server.autoconfigure.security.GrpcServerOAuth2ResourceServerAutoConfiguration"})
    static class GrpcApp {

        @Bean
        Service service() {
            return new Service();
        }

        @Bean
        ReactiveQuotes reactiveQuotes() {
            return new ReactiveQuotes();
        }
    }
}
