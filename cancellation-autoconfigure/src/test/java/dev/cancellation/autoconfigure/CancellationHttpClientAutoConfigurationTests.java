package dev.cancellation.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.http.CancellationClientHttpRequestInterceptor;
import dev.cancellation.http.HttpClientCancellation;
import org.apache.hc.client5.http.impl.classic.HttpClientBuilder;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.http.client.autoconfigure.ClientHttpRequestFactoryBuilderCustomizer;
import org.springframework.boot.restclient.RestClientCustomizer;
import org.springframework.boot.restclient.RestTemplateCustomizer;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.webclient.WebClientCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.function.client.WebClient;

/** Every branch of {@link CancellationHttpClientAutoConfiguration}. */
class CancellationHttpClientAutoConfigurationTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(CancellationHttpClientAutoConfiguration.class));

    @Test
    void byDefaultEveryClientIntegrationIsThere() {
        runner.run(context -> {
            assertThat(context).hasSingleBean(HttpClientCancellation.class)
                    .hasSingleBean(CancellationClientHttpRequestInterceptor.class)
                    .hasSingleBean(RestClientCustomizer.class).hasSingleBean(RestTemplateCustomizer.class)
                    .hasSingleBean(WebClientCustomizer.class);
            assertThat(context.getBeansOfType(ClientHttpRequestFactoryBuilderCustomizer.class))
                    .containsOnlyKeys("cancellationHttpComponentsCustomizer", "cancellationJettyCustomizer");
            HttpClientCancellation settings = context.getBean(HttpClientCancellation.class);
            assertThat(settings.deadlineHeader()).isEqualTo("X-Request-Timeout");
            assertThat(settings.propagateDeadline()).isTrue();
            assertThat(settings.abortOnCancel()).isTrue();
        });
    }

    @Test
    void propertiesReachTheSettings() {
        runner.withPropertyValues("cancellation.http.client.deadline-header=Grpc-Budget",
                "cancellation.http.client.propagate-deadline=false").run(context -> {
                    HttpClientCancellation settings = context.getBean(HttpClientCancellation.class);
                    assertThat(settings.deadlineHeader()).isEqualTo("Grpc-Budget");
                    assertThat(settings.propagateDeadline()).isFalse();
                });
    }

    @Test
    void turnedOffByItsOwnSwitchOrTheGlobalOne() {
        for (String off : new String[] {"cancellation.http.client.enabled=false", "cancellation.enabled=false"}) {
            runner.withPropertyValues(off).run(context -> assertThat(context)
                    .doesNotHaveBean(HttpClientCancellation.class).doesNotHaveBean(RestClientCustomizer.class)
                    .doesNotHaveBean(WebClientCustomizer.class)
                    .doesNotHaveBean(ClientHttpRequestFactoryBuilderCustomizer.class));
        }
    }

    @Test
    void withAbortOffTheLibraryHooksStayForTheBudgetHeader() {
        // the hooks set the budget header when the request leaves; with abort off they abort nothing
        runner.withPropertyValues("cancellation.http.client.abort-on-cancel=false").run(context -> {
            assertThat(context).hasSingleBean(RestClientCustomizer.class);
            assertThat(context.getBeansOfType(ClientHttpRequestFactoryBuilderCustomizer.class))
                    .containsOnlyKeys("cancellationHttpComponentsCustomizer", "cancellationJettyCustomizer");
            assertThat(context.getBean(HttpClientCancellation.class).abortOnCancel()).isFalse();
        });
    }

    @Test
    void deadlineHeaderHostsReachTheSettingsAndDefaultToEveryHost() {
        runner.run(context -> assertThat(context.getBean(HttpClientCancellation.class).deadlineHeaderHosts())
                .containsExactly("*"));
        runner.withPropertyValues("cancellation.http.client.deadline-header-hosts=Stock.Internal, *.corp.example")
                .run(context -> assertThat(context.getBean(HttpClientCancellation.class).deadlineHeaderHosts())
                        .containsExactly("stock.internal", "*.corp.example"));
    }

    @Test
    void aBadHostPatternFailsTheStartupNamingThePropertyAndThePattern() {
        runner.withPropertyValues("cancellation.http.client.deadline-header-hosts=stock.internal,https://partner.com")
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(context.getStartupFailure()).rootCause()
                            .hasMessageContaining("cancellation.http.client.deadline-header-hosts[1]")
                            .hasMessageContaining("'https://partner.com'");
                });
    }

    @Test
    void eachPartNeedsItsLibrary() {
        runner.withClassLoader(new FilteredClassLoader(RestClientCustomizer.class)).run(context -> assertThat(context)
                .doesNotHaveBean(RestClientCustomizer.class).doesNotHaveBean(RestTemplateCustomizer.class)
                .hasSingleBean(WebClientCustomizer.class));
        runner.withClassLoader(new FilteredClassLoader(WebClient.class)).run(context -> assertThat(context)
                .doesNotHaveBean(WebClientCustomizer.class).hasSingleBean(RestClientCustomizer.class));
        runner.withClassLoader(new FilteredClassLoader(HttpClientBuilder.class)).run(context ->
                assertThat(context.getBeansOfType(ClientHttpRequestFactoryBuilderCustomizer.class))
                        .containsOnlyKeys("cancellationJettyCustomizer"));
        runner.withClassLoader(new FilteredClassLoader(org.eclipse.jetty.client.HttpClient.class)).run(context ->
                assertThat(context.getBeansOfType(ClientHttpRequestFactoryBuilderCustomizer.class))
                        .containsOnlyKeys("cancellationHttpComponentsCustomizer"));
        runner.withClassLoader(new FilteredClassLoader(ClientHttpRequestFactoryBuilderCustomizer.class))
                .run(context -> assertThat(context).hasNotFailed()
                        .doesNotHaveBean(ClientHttpRequestFactoryBuilderCustomizer.class));
    }

    @Test
    void anInvalidHeaderNameFailsTheStartupNamingTheProperty() {
        runner.withPropertyValues("cancellation.http.client.deadline-header=X Request Timeout").run(context -> {
            assertThat(context).hasFailed();
            assertThat(context.getStartupFailure()).rootCause()
                    .hasMessageContaining("cancellation.http.client.deadline-header")
                    .hasMessageContaining("'X Request Timeout'");
        });
    }

    @Test
    void anApplicationsOwnSettingsWin() {
        runner.withUserConfiguration(OwnSettings.class).run(context ->
                assertThat(context.getBean(HttpClientCancellation.class).deadlineHeader()).isEqualTo("Budget"));
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnSettings {
        @Bean
        HttpClientCancellation mySettings() {
            return new HttpClientCancellation("Budget", true, true);
        }
    }
}
