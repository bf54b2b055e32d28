package dev.cancellation.grpc

import dev.cancellation.CancellationToken
import dev.cancellation.TaskCancelledException
import dev.cancellation.testfixture.Waits.PROMPTLY
import io.grpc.BindableService
import io.grpc.CallOptions
import io.grpc.ServerServiceDefinition
import io.grpc.kotlin.ServerCalls
import io.grpc.stub.ClientCalls
import java.time.Instant
import java.util.concurrent.CompletableFuture
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicReference
import kotlin.coroutines.EmptyCoroutineContext
import kotlinx.coroutines.awaitCancellation
import kotlinx.coroutines.delay
import org.assertj.core.api.Assertions.assertThat
import org.junit.jupiter.api.Test
import org.springframework.beans.factory.annotation.Autowired
import org.springframework.boot.SpringBootConfiguration
import org.springframework.boot.autoconfigure.EnableAutoConfiguration
import org.springframework.boot.test.context.SpringBootTest
import org.springframework.context.annotation.Bean
import org.springframework.grpc.client.GrpcChannelFactory
import org.springframework.grpc.server.lifecycle.GrpcServerLifecycle
import org.springframework.test.context.DynamicPropertyRegistry
import org.springframework.test.context.DynamicPropertySource
import org.springframework.util.ClassUtils

/**
 * A grpc-kotlin coroutine service as an application has it: a [BindableService] bean served by Spring gRPC's own
 * server (Spring gRPC 1.0 on Boot 4.0, Boot's gRPC support on 4.1), which applies the auto-configured interceptors as
 * global ones, in its own order: the call's token exists when the coroutine's context is made.
 */
@SpringBootTest(classes = [GrpcCoroutineSpringFactoriesTests.App::class],
    webEnvironment = SpringBootTest.WebEnvironment.NONE, properties = ["spring.grpc.server.port=0"])
class GrpcCoroutineSpringFactoriesTests {

    companion object {
        /** Boot 4.1's gRPC server properties take an address; Spring gRPC 1.0's a host. Loopback either way. */
        @JvmStatic
        @DynamicPropertySource
        fun loopback(registry: DynamicPropertyRegistry) {
            val boot41 = ClassUtils.isPresent("org.springframework.boot.grpc.server.autoconfigure.NettyAddress",
                GrpcCoroutineSpringFactoriesTests::class.java.classLoader)
            registry.add(if (boot41) "spring.grpc.server.address" else "spring.grpc.server.host") { "127.0.0.1" }
        }
    }

    @Autowired
    lateinit var server: GrpcServerLifecycle

    @Autowired
    lateinit var channels: GrpcChannelFactory

    @Autowired
    lateinit var service: CoroutineService

    private fun channel() = channels.createChannel("127.0.0.1:" + server.port)

    @Test
    fun theCallsTokenIsCurrentInTheSuspendMethodWithTheCallsDeadline() {
        service.method.set {
            delay(5)
            CancellationToken.current().deadline().map(Instant::toString).orElse("none")
        }
        val before = Instant.now()

        val deadline = ClientCalls.blockingUnaryCall(channel(), LoopbackGrpc.RUN,
            CallOptions.DEFAULT.withDeadlineAfter(5, TimeUnit.SECONDS), "request")

        assertThat(deadline).isNotEqualTo("none")
        assertThat(Instant.parse(deadline)).isAfter(before).isBeforeOrEqualTo(Instant.now().plusSeconds(5))
    }

    @Test
    fun theClientsCancelCancelsTheCoroutine() {
        val started = CompletableFuture<Unit>()
        val ended = CompletableFuture<Throwable>()
        service.method.set {
            started.complete(Unit)
            try {
                awaitCancellation()
            } catch (ex: Throwable) {
                ended.complete(ex)
                throw ex
            }
        }
        val future = ClientCalls.futureUnaryCall(channel().newCall(LoopbackGrpc.RUN, CallOptions.DEFAULT), "request")
        started.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)

        future.cancel(true)

        val cause = ended.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)
        assertThat(cause).isInstanceOf(TaskCancelledException::class.java)
        assertThat((cause as TaskCancelledException).reason().origin()).isEqualTo("client cancelled")
    }

    /** The service: one coroutine method, `test.Work/Run`, whose body each test sets. */
    class CoroutineService : BindableService {

        val method = AtomicReference<suspend (String) -> String>()

        override fun bindService(): ServerServiceDefinition = ServerServiceDefinition.builder("test.Work")
            .addMethod(ServerCalls.unaryServerMethodDefinition(EmptyCoroutineContext, LoopbackGrpc.RUN) { request ->
                method.get()(request)
            })
            .build()
    }

    @SpringBootConfiguration(proxyBeanMethods = false)
    @EnableAutoConfiguration(excludeName = [
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
        "org.springframework.boot.grpc.server.autoconfigure.security.GrpcServerOAuth2ResourceServerAutoConfiguration"])
    class App {

        @Bean
        fun coroutineService(): CoroutineService = CoroutineService()
    }
}
