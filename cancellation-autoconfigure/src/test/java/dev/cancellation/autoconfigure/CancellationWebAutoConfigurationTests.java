package dev.cancellation.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.CancellationReason;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.lifecycle.CancellationLifecycle;
import dev.cancellation.web.InFlightRequests;
import dev.cancellation.web.RequestDeadlines;
import dev.cancellation.web.reactive.CancellationWebExceptionHandler;
import dev.cancellation.web.reactive.RequestCancellationWebFilter;
import dev.cancellation.web.servlet.CancellationHandlerExceptionResolver;
import dev.cancellation.web.servlet.CoroutineHandlerAdapter;
import dev.cancellation.web.servlet.RequestCancellationFilter;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.boot.webmvc.autoconfigure.WebMvcRegistrations;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;
import org.springframework.web.servlet.DispatcherServlet;

/** Every branch of {@link CancellationWebAutoConfiguration}: servlet, reactive, none, switched off, bad values. */
class CancellationWebAutoConfigurationTests {

    private static final AutoConfigurations WEB = AutoConfigurations.of(CancellationAutoConfiguration.class,
            CancellationShutdownAutoConfiguration.class, CancellationWebAutoConfiguration.class);

    private final WebApplicationContextRunner servlet = new WebApplicationContextRunner().withConfiguration(WEB);

    private final ReactiveWebApplicationContextRunner reactive = new ReactiveWebApplicationContextRunner()
            .withConfiguration(WEB);

    private final ApplicationContextRunner none = new ApplicationContextRunner().withConfiguration(WEB);

    @Test
    void servletApplicationGetsTheFilterAndTheExceptionResolver() {
        servlet.run(context -> assertThat(context).hasSingleBean(RequestCancellationFilter.class)
                .hasSingleBean(CancellationHandlerExceptionResolver.class).hasSingleBean(InFlightRequests.class)
                .hasSingleBean(RequestDeadlines.class).doesNotHaveBean(RequestCancellationWebFilter.class)
                .doesNotHaveBean(CancellationWebExceptionHandler.class));
    }

    @Test
    void reactiveApplicationGetsTheWebFilterAndTheExceptionHandler() {
        reactive.run(context -> assertThat(context).hasSingleBean(RequestCancellationWebFilter.class)
                .hasSingleBean(CancellationWebExceptionHandler.class).hasSingleBean(InFlightRequests.class)
                .doesNotHaveBean(RequestCancellationFilter.class)
                .doesNotHaveBean(CancellationHandlerExceptionResolver.class));
    }

    @Test
    void nothingOutsideAWebApplication() {
        none.run(context -> {
            assertThat(context).doesNotHaveBean(RequestDeadlines.class)
                    .doesNotHaveBean(InFlightRequests.class).doesNotHaveBean(RequestCancellationFilter.class)
                    .doesNotHaveBean(RequestCancellationWebFilter.class);
            assertThat(context.getBean(CancellationLifecycle.class).getDrains()).isEmpty();
        });
    }

    /** Kotlin suspend handlers: Spring MVC's adapter through Boot's registrations, backing off from the application's. */
    @Test
    void servletApplicationRegistersTheCoroutineHandlerAdapterUnlessItHasRegistrationsOfItsOwn() {
        servlet.run(context -> assertThat(context.getBean(WebMvcRegistrations.class).getRequestMappingHandlerAdapter())
                .isInstanceOf(CoroutineHandlerAdapter.class));
        WebMvcRegistrations own = new WebMvcRegistrations() { };
        servlet.withBean(WebMvcRegistrations.class, () -> own)
                .run(context -> assertThat(context).getBean(WebMvcRegistrations.class).isSameAs(own));
        servlet.withClassLoader(new FilteredClassLoader("kotlinx.coroutines.reactor"))
                .run(context -> assertThat(context).hasSingleBean(RequestCancellationFilter.class)
                        .doesNotHaveBean(WebMvcRegistrations.class));
    }

    @Test
    void servletPartNeedsSpringMvcOnTheClassPath() {
        servlet.withClassLoader(new FilteredClassLoader(DispatcherServlet.class))
                .run(context -> assertThat(context).hasSingleBean(InFlightRequests.class)
                        .doesNotHaveBean(RequestCancellationFilter.class));
    }

    @Test
    void switchedOffByItsPropertyOrByTheGlobalOne() {
        servlet.withPropertyValues("cancellation.web.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(RequestCancellationFilter.class)
                        .doesNotHaveBean(InFlightRequests.class));
        reactive.withPropertyValues("cancellation.web.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(RequestCancellationWebFilter.class));
        servlet.withPropertyValues("cancellation.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(RequestCancellationFilter.class));
    }

    @Test
    void problemDetailsCanBeLeftToTheApplication() {
        servlet.withPropertyValues("cancellation.web.problem-details=false")
                .run(context -> assertThat(context).hasSingleBean(RequestCancellationFilter.class)
                        .doesNotHaveBean(CancellationHandlerExceptionResolver.class));
        reactive.withPropertyValues("cancellation.web.problem-details=false")
                .run(context -> assertThat(context).hasSingleBean(RequestCancellationWebFilter.class)
                        .doesNotHaveBean(CancellationWebExceptionHandler.class));
    }

    @Test
    void theReasonMessageReachesProblemDetailsOnlyWhenAskedFor() throws Exception {
        TaskCancelledException failure = new TaskCancelledException(
                CancellationReason.requested("stuck report", "actuator (alice)"), "GET http://u:p@db/x?k=v");
        servlet.run(context -> assertThat(problemBody(context, failure)).contains("\"detail\":\"REQUESTED\"")
                .doesNotContain("stuck report", "alice", "http"));
        servlet.withPropertyValues("cancellation.web.problem-details-include-reason-message=true")
                .run(context -> assertThat(problemBody(context, failure))
                        .contains("\"detail\":\"REQUESTED (stuck report)\"", "\"message\":\"stuck report\"")
                        .doesNotContain("alice", "http"));
    }

    private static String problemBody(org.springframework.context.ApplicationContext context,
            TaskCancelledException failure) throws Exception {
        MockHttpServletResponse response = new MockHttpServletResponse();
        context.getBean(CancellationHandlerExceptionResolver.class)
                .resolveException(new MockHttpServletRequest("GET", "/x"), response, null, failure);
        assertThat(response.getStatus()).isEqualTo(409);
        return response.getContentAsString();
    }

    @Test
    void propertiesReachThePolicyAndTheDrain() {
        servlet.withPropertyValues("cancellation.web.deadline-header=Grpc-Budget",
                "cancellation.web.request-timeout=3s", "cancellation.web.max-request-timeout=10s",
                "cancellation.web.shutdown-drain=250ms").run(context -> {
                    RequestDeadlines deadlines = context.getBean(RequestDeadlines.class);
                    assertThat(deadlines.headerName()).isEqualTo("Grpc-Budget");
                    assertThat(deadlines.defaultTimeout()).isEqualTo(Duration.ofSeconds(3));
                    assertThat(deadlines.maxTimeout()).isEqualTo(Duration.ofSeconds(10));
                    assertThat(context.getBean(InFlightRequests.class).period()).isEqualTo(Duration.ofMillis(250));
                    assertThat(context.getBean(CancellationLifecycle.class).getDrains())
                            .containsExactly(context.getBean(InFlightRequests.class));
                });
    }

    @Test
    void defaultsAreNoBudgetNoCapAndAFiveSecondDrain() {
        servlet.run(context -> {
            RequestDeadlines deadlines = context.getBean(RequestDeadlines.class);
            assertThat(deadlines.headerName()).isEqualTo("X-Request-Timeout");
            assertThat(deadlines.defaultTimeout()).isNull();
            assertThat(deadlines.maxTimeout()).isNull();
            assertThat(context.getBean(InFlightRequests.class).period()).isEqualTo(Duration.ofSeconds(5));
        });
    }

    @Test
    void badValuesFailTheStartupNamingTheProperty() {
        servlet.withPropertyValues("cancellation.web.request-timeout=0s").run(context -> assertThat(context)
                .hasFailed().getFailure().hasStackTraceContaining("cancellation.web.request-timeout must be positive"));
        servlet.withPropertyValues("cancellation.web.deadline-header= ").run(context -> assertThat(context)
                .hasFailed().getFailure().hasStackTraceContaining("cancellation.web.deadline-header"));
        servlet.withPropertyValues("cancellation.web.shutdown-drain=-1s").run(context -> assertThat(context)
                .hasFailed().getFailure().hasStackTraceContaining("cancellation.web.shutdown-drain"));
        servlet.withPropertyValues("cancellation.web.request-timeout=30s",
                "cancellation.web.max-request-timeout=10s").run(context -> assertThat(context).hasFailed()
                        .getFailure().hasStackTraceContaining(
                                "cancellation.web.request-timeout (PT30S) must not exceed "
                                        + "cancellation.web.max-request-timeout (PT10S)"));
    }
}
