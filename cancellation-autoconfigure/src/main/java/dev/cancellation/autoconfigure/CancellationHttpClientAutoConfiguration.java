package dev.cancellation.autoconfigure;

import dev.cancellation.http.CancellationClientHttpRequestInterceptor;
import dev.cancellation.http.CancellationExchangeFilterFunction;
import dev.cancellation.http.HttpClientCancellation;
import dev.cancellation.http.HttpComponentsAbortHandler;
import dev.cancellation.http.HttpComponentsBudgetHandler;
import dev.cancellation.http.JettyAbortListener;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.http.client.HttpComponentsClientHttpRequestFactoryBuilder;
import org.springframework.boot.http.client.JettyClientHttpRequestFactoryBuilder;
import org.springframework.boot.http.client.autoconfigure.ClientHttpRequestFactoryBuilderCustomizer;
import org.springframework.boot.restclient.RestClientCustomizer;
import org.springframework.boot.restclient.RestTemplateCustomizer;
import org.springframework.boot.webclient.WebClientCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/**
 * Auto-configuration of outbound HTTP calls under a token (package {@code dev.cancellation.http}): the remaining
 * budget in a header, fail fast when it is spent, and abort when the token is cancelled, for {@code RestClient},
 * {@code RestTemplate} and {@code WebClient} built from Boot's auto-configured builders. Each part is guarded by
 * the classes it needs; {@code cancellation.http.client.enabled=false} turns all of it off.
 *
 * <ul>
 *   <li>{@code RestClient.Builder} and {@code RestTemplateBuilder}: a {@link CancellationClientHttpRequestInterceptor},
 *       added last by a customizer;</li>
 *   <li>{@code WebClient.Builder}: a {@link CancellationExchangeFilterFunction};</li>
 *   <li>Boot's {@code ClientHttpRequestFactoryBuilder} for Apache HttpClient 5 and Jetty: the library hooks that
 *       let a cancellation abort the exchange natively and set the budget header when the request leaves, after
 *       the wait for a connection ({@link HttpComponentsAbortHandler}, {@link HttpComponentsBudgetHandler},
 *       {@link JettyAbortListener}); they are installed whatever {@code abort-on-cancel} says, and abort only
 *       calls made with it on. The JDK client and Reactor Netty need none.</li>
 * </ul>
 */
@AutoConfiguration
@ConditionalOnBooleanProperty(name = "cancellation.enabled", matchIfMissing = true)
@ConditionalOnBooleanProperty(name = "cancellation.http.client.enabled", matchIfMissing = true)
@EnableConfigurationProperties(CancellationHttpClientProperties.class)
public class CancellationHttpClientAutoConfiguration {

    /** The settings shared by every client integration. */
    @Bean
    @ConditionalOnMissingBean
    public HttpClientCancellation cancellationHttpClientSettings(CancellationHttpClientProperties properties) {
        return properties.toSettings();
    }

    /** {@code RestClient} and {@code RestTemplate} built from Boot's builders. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(RestClientCustomizer.class)
    static class RestClientsConfiguration {

        @Bean
        @ConditionalOnMissingBean
        CancellationClientHttpRequestInterceptor cancellationClientHttpRequestInterceptor(
                HttpClientCancellation settings) {
            return new CancellationClientHttpRequestInterceptor(settings);
        }

        /** Last, so that the interceptor is added after those of other customizers (closest to the wire). */
        @Bean
        @Order(Ordered.LOWEST_PRECEDENCE)
        RestClientCustomizer cancellationRestClientCustomizer(CancellationClientHttpRequestInterceptor interceptor) {
            return builder -> builder.requestInterceptor(interceptor);
        }

        @Bean
        @Order(Ordered.LOWEST_PRECEDENCE)
        RestTemplateCustomizer cancellationRestTemplateCustomizer(
                CancellationClientHttpRequestInterceptor interceptor) {
            return restTemplate -> restTemplate.getInterceptors().add(interceptor);
        }
    }

    /** {@code WebClient} built from Boot's builder. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({WebClientCustomizer.class, CancellationExchangeFilterFunction.class,
            org.springframework.web.reactive.function.client.WebClient.class})
    static class WebClientConfiguration {

        @Bean
        @Order(Ordered.LOWEST_PRECEDENCE)
        WebClientCustomizer cancellationWebClientCustomizer(HttpClientCancellation settings) {
            CancellationExchangeFilterFunction filter = new CancellationExchangeFilterFunction(settings);
            return builder -> builder.filter(filter);
        }
    }

    /**
     * Native abort and the late budget for Apache HttpClient 5, when Boot builds the request factory. The abort
     * handler goes first (it must see a pending connection lease), the budget handler just before the transport
     * (after the lease, the connect and TLS).
     */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({ClientHttpRequestFactoryBuilderCustomizer.class,
            org.apache.hc.client5.http.impl.classic.HttpClientBuilder.class})
    static class HttpComponentsConfiguration {

        @Bean
        ClientHttpRequestFactoryBuilderCustomizer<HttpComponentsClientHttpRequestFactoryBuilder>
                cancellationHttpComponentsCustomizer() {
            return builder -> builder.withHttpClientCustomizer(client -> client
                    .addExecInterceptorFirst(HttpComponentsAbortHandler.NAME, new HttpComponentsAbortHandler())
                    .addExecInterceptorBefore(org.apache.hc.client5.http.impl.ChainElement.MAIN_TRANSPORT.name(),
                            HttpComponentsBudgetHandler.NAME, new HttpComponentsBudgetHandler()));
        }
    }

    /** Native abort and the late budget for the Jetty client, when Boot builds the request factory. */
    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass({ClientHttpRequestFactoryBuilderCustomizer.class, org.eclipse.jetty.client.HttpClient.class})
    static class JettyConfiguration {

        @Bean
        ClientHttpRequestFactoryBuilderCustomizer<JettyClientHttpRequestFactoryBuilder> cancellationJettyCustomizer() {
            return builder -> builder.withHttpClientCustomizer(client ->
                    client.getRequestListeners().addQueuedListener(new JettyAbortListener()));
        }
    }
}
