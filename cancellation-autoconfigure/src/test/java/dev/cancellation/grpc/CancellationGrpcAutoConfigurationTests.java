package dev.cancellation.grpc;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.autoconfigure.CancellationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationGrpcAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.grpc.client.GlobalClientInterceptor;
import org.springframework.grpc.server.GlobalServerInterceptor;

/** When the gRPC edge is on, and that Spring gRPC finds its interceptors as global ones. */
class CancellationGrpcAutoConfigurationTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(CancellationAutoConfiguration.class,
                    CancellationGrpcAutoConfiguration.class));

    @Test
    void bothInterceptorsAreGlobalInterceptorsOfSpringGrpc() {
        runner.run(context -> {
            assertThat(context.getBeansWithAnnotation(GlobalServerInterceptor.class).values())
                    .containsExactlyInAnyOrder(context.getBean(CancellationServerInterceptor.class),
                            context.getBean(CoroutineTokenServerInterceptor.class));
            assertThat(context.getBeansWithAnnotation(GlobalClientInterceptor.class).values())
                    .containsExactly(context.getBean(CancellationClientInterceptor.class));
            assertThat(context.getBean(CancellationServerInterceptor.class))
                    .hasToString("CancellationServerInterceptor[registerCalls=false]");
        });
    }

    @Test
    void registerCallsGivesTheServerInterceptorTheRegistry() {
        runner.withPropertyValues("cancellation.grpc.register-calls=true").run(context ->
                assertThat(context.getBean(CancellationServerInterceptor.class))
                        .hasToString("CancellationServerInterceptor[registerCalls=true]"));
    }

    @Test
    void theClientSideCanBeTurnedOffAlone() {
        runner.withPropertyValues("cancellation.grpc.client.enabled=false").run(context -> {
            assertThat(context).hasSingleBean(CancellationServerInterceptor.class);
            assertThat(context).doesNotHaveBean(CancellationClientInterceptor.class);
        });
    }

    @Test
    void theEdgeCanBeTurnedOff() {
        runner.withPropertyValues("cancellation.grpc.enabled=false").run(context -> {
            assertThat(context).doesNotHaveBean(CancellationServerInterceptor.class);
            assertThat(context).doesNotHaveBean(CancellationClientInterceptor.class);
        });
        runner.withPropertyValues("cancellation.enabled=false").run(context ->
                assertThat(context).doesNotHaveBean(CancellationServerInterceptor.class));
    }

    @Test
    void nothingWithoutSpringGrpc() {
        runner.withClassLoader(new FilteredClassLoader(GlobalServerInterceptor.class)).run(context -> {
            assertThat(context).hasNotFailed();
            assertThat(context).doesNotHaveBean(CancellationServerInterceptor.class);
            assertThat(context).doesNotHaveBean(CancellationClientInterceptor.class);
        });
    }

    @Test
    void theCoroutineInterceptorComesInsideTheServerInterceptorAndOnlyWithGrpcKotlinAndCancellationKotlin() {
        runner.run(context -> assertThat(context.getBean(CoroutineTokenServerInterceptor.class).getOrder())
                .isGreaterThan(context.getBean(CancellationServerInterceptor.class).getOrder()));
        runner.withClassLoader(new FilteredClassLoader("io.grpc.kotlin")).run(context -> {
            assertThat(context).hasSingleBean(CancellationServerInterceptor.class);
            assertThat(context).doesNotHaveBean(CoroutineTokenServerInterceptor.class);
        });
        runner.withClassLoader(new FilteredClassLoader("dev.cancellation.coroutines")).run(context -> {
            assertThat(context).hasSingleBean(CancellationServerInterceptor.class);
            assertThat(context).doesNotHaveBean(CoroutineTokenServerInterceptor.class);
        });
        runner.withPropertyValues("cancellation.grpc.enabled=false").run(context ->
                assertThat(context).doesNotHaveBean(CoroutineTokenServerInterceptor.class));
    }

    @Test
    void anInterceptorOfTheApplicationsOwnWins() {
        CancellationServerInterceptor own = new CancellationServerInterceptor(null, true);
        runner.withBean(CancellationServerInterceptor.class, () -> own).run(context ->
                assertThat(context.getBean(CancellationServerInterceptor.class)).isSameAs(own));
    }
}
