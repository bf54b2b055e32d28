package dev.cancellation.autoconfigure;

import dev.cancellation.grpc.CancellationClientInterceptor;
import dev.cancellation.grpc.CancellationServerInterceptor;
import dev.cancellation.grpc.CoroutineTokenServerInterceptor;
import dev.cancellation.task.TaskRegistry;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.grpc.client.GlobalClientInterceptor;
import org.springframework.grpc.server.GlobalServerInterceptor;

/**
 * Auto-configuration of the gRPC edge (package {@code dev.cancellation.grpc}), on when gRPC and Spring gRPC are
 * present: a {@link CancellationServerInterceptor} and a {@link CancellationClientInterceptor}, both marked as
 * Spring gRPC's global interceptors, so every service of the gRPC server and every channel of the channel factory
 * get them (Spring gRPC 1.0 on Boot 4.0, Boot's own gRPC support on 4.1, both read these annotations). With
 * grpc-kotlin and cancellation-kotlin on the class path, a {@link CoroutineTokenServerInterceptor} too, ordered
 * inside the server interceptor, for coroutine services.
 * {@code cancellation.grpc.enabled=false} turns it off, {@code cancellation.grpc.client.enabled=false} the client
 * side only; beans of the application's own win.
 */
@AutoConfiguration(after = CancellationAutoConfiguration.class)
@ConditionalOnClass(name = {"io.grpc.ServerInterceptor", "org.springframework.grpc.server.GlobalServerInterceptor"})
@ConditionalOnBooleanProperty(name = {"cancellation.enabled", "cancellation.grpc.enabled"}, matchIfMissing = true)
@EnableConfigurationProperties(CancellationGrpcProperties.class)
public class CancellationGrpcAutoConfiguration {

    /** Every call a server answers under a token; registered as a task when {@code register-calls} is on. */
    @Bean
    @GlobalServerInterceptor
    @ConditionalOnMissingBean
    public CancellationServerInterceptor cancellationServerInterceptor(CancellationGrpcProperties properties,
            ObjectProvider<TaskRegistry> registry) {
        TaskRegistry tasks = null;
        if (properties.isRegisterCalls()) {
            tasks = registry.getIfAvailable();
            if (tasks == null) {
                throw new IllegalStateException("cancellation.grpc.register-calls=true needs a TaskRegistry bean, "
                        + "and there is none (is cancellation.enabled false?)");
            }
        }
        return new CancellationServerInterceptor(tasks, properties.isStatusIncludeReasonMessage());
    }

    /**
     * grpc-kotlin's coroutine services: the call's token in the coroutine context of their methods, when
     * grpc-kotlin and cancellation-kotlin are both present (and the server interceptor is this one: the call's token
     * must be current when the coroutine's context is made).
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = {"io.grpc.kotlin.CoroutineContextServerInterceptor",
        "dev.cancellation.coroutines.CancellationTokenElement"})
    static class CoroutineServices {

        @Bean
        @GlobalServerInterceptor
        @ConditionalOnMissingBean
        CoroutineTokenServerInterceptor coroutineTokenServerInterceptor() {
            return new CoroutineTokenServerInterceptor();
        }
    }

    /** Calls made under a token get its deadline and its cancel. */
    @Bean
    @GlobalClientInterceptor
    @ConditionalOnMissingBean
    @ConditionalOnBooleanProperty(name = "cancellation.grpc.client.enabled", matchIfMissing = true)
    public CancellationClientInterceptor cancellationClientInterceptor() {
        return new CancellationClientInterceptor();
    }
}
