package dev.cancellation.autoconfigure;

import dev.cancellation.task.TaskRegistry;
import dev.cancellation.web.InFlightRequests;
import dev.cancellation.web.RequestDeadlines;
import dev.cancellation.web.reactive.CancellationWebExceptionHandler;
import dev.cancellation.web.reactive.RequestCancellationWebFilter;
import dev.cancellation.web.reactive.RouteNames;
import dev.cancellation.web.servlet.CancellationHandlerExceptionResolver;
import dev.cancellation.web.servlet.CoroutineHandlerAdapter;
import dev.cancellation.web.servlet.RequestCancellationFilter;
import dev.cancellation.web.servlet.RequestTaskInterceptor;
import dev.cancellation.web.servlet.RequestTokenCallableInterceptor;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.webmvc.autoconfigure.WebMvcRegistrations;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.DispatcherHandler;
import org.springframework.web.servlet.config.annotation.AsyncSupportConfigurer;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;
import org.springframework.web.servlet.mvc.method.annotation.RequestMappingHandlerAdapter;

/**
 * The inbound HTTP edge: every request of a Servlet (Spring MVC) or reactive (WebFlux) web application runs under
 * a request token with the caller's deadline, a client that goes away cancels it, cancelled requests are answered
 * with problem details, requests in flight get a drain period at shutdown, and, on request, they are registered as
 * tasks named after their route. Kotlin {@code suspend} handlers keep the request's token current across their
 * suspensions, on both stacks. {@code cancellation.web.enabled=false} (or {@code cancellation.enabled=false})
 * turns it off; nothing is defined outside web applications.
 */
@AutoConfiguration(after = CancellationAutoConfiguration.class)
@ConditionalOnBooleanProperty(name = "cancellation.enabled", matchIfMissing = true)
@ConditionalOnBooleanProperty(name = "cancellation.web.enabled", matchIfMissing = true)
@ConditionalOnWebApplication
@ConditionalOnClass(name = "org.springframework.http.ProblemDetail")
@EnableConfigurationProperties(CancellationWebProperties.class)
public class CancellationWebAutoConfiguration {

    /** The deadline header policy. */
    @Bean
    @ConditionalOnMissingBean
    public RequestDeadlines requestDeadlines(CancellationWebProperties properties) {
        return new RequestDeadlines(properties.getDeadlineHeader(), properties.getAdditionalDeadlineHeaders(),
                properties.getRequestTimeout(), properties.getMaxRequestTimeout());
    }

    /** The requests in flight: also the shutdown drain of their work. */
    @Bean
    @ConditionalOnMissingBean
    public InFlightRequests inFlightRequests(CancellationWebProperties properties,
            ObjectProvider<TaskRegistry> registry) {
        return new InFlightRequests(registry.getIfAvailable(), properties.getShutdownDrain());
    }

    /** Spring MVC on a Servlet container. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.SERVLET)
    @ConditionalOnClass(name = {"org.springframework.web.servlet.DispatcherServlet", "jakarta.servlet.Filter"})
    static class ServletRequests {

        @Bean
        @ConditionalOnMissingBean
        RequestCancellationFilter requestCancellationFilter(RequestDeadlines deadlines, InFlightRequests requests) {
            return new RequestCancellationFilter(deadlines, requests);
        }

        @Bean
        @ConditionalOnMissingBean
        @ConditionalOnBooleanProperty(name = "cancellation.web.problem-details", matchIfMissing = true)
        CancellationHandlerExceptionResolver cancellationHandlerExceptionResolver(
                CancellationWebProperties properties) {
            return new CancellationHandlerExceptionResolver(properties.isProblemDetailsIncludeReasonMessage());
        }

        @Bean
        WebMvcConfigurer cancellationWebMvcConfigurer(CancellationWebProperties properties) {
            boolean registerRequests = properties.isRegisterRequests();
            return new WebMvcConfigurer() {
                @Override
                public void configureAsyncSupport(AsyncSupportConfigurer configurer) {
                    configurer.registerCallableInterceptors(new RequestTokenCallableInterceptor());
                }

                @Override
                public void addInterceptors(InterceptorRegistry registry) {
                    if (registerRequests) {
                        registry.addInterceptor(new RequestTaskInterceptor());
                    }
                }
            };
        }

        /**
         * Kotlin {@code suspend} handler methods with the request's token current across their suspensions: Spring
         * MVC's handler adapter through Boot's extension point for it, unless the application has its own
         * {@code WebMvcRegistrations} (Boot takes only a unique one).
         */
        @Configuration(proxyBeanMethods = false)
        @ConditionalOnClass(name = {"org.springframework.boot.webmvc.autoconfigure.WebMvcRegistrations",
                "kotlinx.coroutines.reactor.MonoKt", "io.micrometer.context.ContextSnapshotFactory",
                "org.springframework.core.PropagationContextElement"})
        @ConditionalOnMissingBean(type = "org.springframework.boot.webmvc.autoconfigure.WebMvcRegistrations")
        static class SuspendingHandlers {

            @Bean
            WebMvcRegistrations cancellationWebMvcRegistrations() {
                return new WebMvcRegistrations() {
                    @Override
                    public RequestMappingHandlerAdapter getRequestMappingHandlerAdapter() {
                        return new CoroutineHandlerAdapter();
                    }
                };
            }
        }
    }

    /** Spring WebFlux. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnWebApplication(type = ConditionalOnWebApplication.Type.REACTIVE)
    @ConditionalOnClass(name = {"org.springframework.web.server.WebFilter",
            "org.springframework.web.reactive.DispatcherHandler"})
    static class ReactiveRequests {

        @Bean
        @ConditionalOnMissingBean
        RequestCancellationWebFilter requestCancellationWebFilter(RequestDeadlines deadlines,
                InFlightRequests requests, CancellationWebProperties properties,
                ObjectProvider<DispatcherHandler> dispatcher) {
            if (!properties.isRegisterRequests()) {
                return new RequestCancellationWebFilter(deadlines, requests, null);
            }
            // The dispatcher's mappings are known only once it is initialised: resolve them at the first request.
            return new RequestCancellationWebFilter(deadlines, requests, exchange -> {
                DispatcherHandler handler = dispatcher.getIfAvailable();
                return (handler == null || handler.getHandlerMappings() == null)
                        ? reactor.core.publisher.Mono.empty()
                        : new RouteNames(handler.getHandlerMappings()).apply(exchange);
            });
        }

        @Bean
        @ConditionalOnMissingBean
        @ConditionalOnBooleanProperty(name = "cancellation.web.problem-details", matchIfMissing = true)
        CancellationWebExceptionHandler cancellationWebExceptionHandler(CancellationWebProperties properties) {
            return new CancellationWebExceptionHandler(properties.isProblemDetailsIncludeReasonMessage());
        }
    }
}
