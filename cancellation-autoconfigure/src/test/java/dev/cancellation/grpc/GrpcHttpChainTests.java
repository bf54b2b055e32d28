package dev.cancellation.grpc;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import io.grpc.CallOptions;
import io.grpc.Context;
import io.grpc.Deadline;
import io.grpc.stub.ClientCalls;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.core.env.Environment;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.client.RestClient;

/**
 * HTTP, then gRPC, then HTTP, all real servers on loopback in one application: {@code GET /front} (Spring MVC on
 * Tomcat) calls {@code test.Work/Run} on a Netty gRPC server through a channel with the client interceptor; the
 * service calls {@code GET /last} through a {@code RestClient} from Boot's builder. The three edges (web, grpc,
 * http) know nothing of each other: the budget travels in the token, from {@code X-Request-Timeout} to
 * {@code grpc-timeout} to {@code X-Request-Timeout}.
 */
@SpringBootTest(classes = GrpcHttpChainTests.ChainApp.class,
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class GrpcHttpChainTests {

    @LocalServerPort
    int port;

    @Autowired
    Hops hops;

    @Autowired
    LoopbackGrpc grpc;

    @Test
    void oneShrinkingBudgetAcrossThreeHopsCancelledAtTheFirstBudget() throws Exception {
        // A first call through the whole chain, without a budget: connections and class loading out of the way.
        assertThat(ClientCalls.blockingUnaryCall(grpc.channel, LoopbackGrpc.RUN, CallOptions.DEFAULT, "warm"))
                .isEqualTo("warm");
        HttpClient client = HttpClient.newHttpClient();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/front"))
                .header("X-Request-Timeout", "2000").timeout(PROMPTLY).GET().build();
        long start = System.nanoTime();
        HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString());
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(response.statusCode()).as(response.body()).isEqualTo(504);
        assertThat(took).as("answered at the first budget, not after the last hop's 30 s").isLessThan(
                Duration.ofSeconds(15));
        long grpcBudget = hops.grpcBudget.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
        long lastBudget = Long.parseLong(hops.lastBudget.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS));
        assertThat(grpcBudget).as("grpc-timeout of the second hop").isBetween(1L, 2000L);
        assertThat(lastBudget).as("X-Request-Timeout of the last hop").isBetween(1L, grpcBudget);
        CancellationReason grpcReason = hops.grpcCancelled.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(grpcReason.isTimeout()).as("the gRPC call's token ran out of the first budget").isTrue();
        CancellationReason lastReason = hops.lastCancelled.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(lastReason).as("the last hop's work was cancelled").isNotNull();
    }

    /** What each hop saw. */
    static class Hops {
        final CompletableFuture<Long> grpcBudget = new CompletableFuture<>();
        final CompletableFuture<CancellationReason> grpcCancelled = new CompletableFuture<>();
        final CompletableFuture<String> lastBudget = new CompletableFuture<>();
        final CompletableFuture<CancellationReason> lastCancelled = new CompletableFuture<>();
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration(excludeName = {
        "org.springframework.boot.security.autoconfigure.SecurityAutoConfiguration",
        "org.springframework.boot.security.autoconfigure.UserDetailsServiceAutoConfiguration",
        "org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration",
        "org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterAutoConfiguration",
        "org.springframework.boot.security.autoconfigure.actuate.web.servlet.ManagementWebSecurityAutoConfiguration"})
    @Import(ChainApp.Endpoints.class)
    static class ChainApp {

        @Bean
        Hops hops() {
            return new Hops();
        }

        /** The gRPC server and the channel to it, with the interceptors the auto-configuration defines. */
        @Bean(destroyMethod = "close")
        LoopbackGrpc grpc(CancellationServerInterceptor server, CancellationClientInterceptor client,
                RestClient.Builder builder, Environment environment, Hops hops) throws Exception {
            RestClient rest = builder.build();
            return LoopbackGrpc.start(LoopbackGrpc.answering(request -> {
                String port = environment.getProperty("local.server.port");
                if (request.equals("warm")) {
                    return rest.get().uri("http://127.0.0.1:" + port + "/warm").retrieve().body(String.class);
                }
                Deadline deadline = Context.current().getDeadline();
                hops.grpcBudget.complete((deadline == null) ? -1 : deadline.timeRemaining(TimeUnit.MILLISECONDS));
                CancellationToken.current().onCancel(hops.grpcCancelled::complete);
                return rest.get().uri("http://127.0.0.1:" + port + "/last").retrieve().body(String.class);
            }), List.of(server), List.of(client));
        }

        @RestController
        static class Endpoints {

            private final Hops hops;
            private final LoopbackGrpc grpc;

            Endpoints(Hops hops, LoopbackGrpc grpc) {
                this.hops = hops;
                this.grpc = grpc;
            }

            @GetMapping("/front")
            String front() {
                return "front <- " + ClientCalls.blockingUnaryCall(grpc.channel, LoopbackGrpc.RUN, CallOptions.DEFAULT,
                        "request");
            }

            @GetMapping("/warm")
            String warm() {
                return "warm";
            }

            @GetMapping("/last")
            String last(@RequestHeader(name = "X-Request-Timeout", required = false) String budget)
                    throws InterruptedException {
                hops.lastBudget.complete(String.valueOf(budget));
                CancellationToken.current().onCancel(hops.lastCancelled::complete);
                Cancellation.sleep(Duration.ofSeconds(30));
                return "last";
            }
        }
    }
}
