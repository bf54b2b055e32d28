package dev.cancellation.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.actuate.CancellationEndpoint;
import dev.cancellation.console.CancellationConsoleEndpoint;
import dev.cancellation.console.CancellationConsoleRuntimeHints;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.predicate.RuntimeHintsPredicates;
import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;

/**
 * Every branch of the console's auto-configuration, and the {@code writable} flag that the endpoint derives from
 * Boot's endpoint access.
 */
class CancellationConsoleAutoConfigurationTests {

    private static final AutoConfigurations ALL = AutoConfigurations.of(CancellationAutoConfiguration.class,
            CancellationEndpointAutoConfiguration.class, CancellationConsoleAutoConfiguration.class,
            EndpointAutoConfiguration.class);

    private static final String EXPOSED = "management.endpoints.web.exposure.include=cancellation,cancellationconsole";

    private final WebApplicationContextRunner web = new WebApplicationContextRunner().withConfiguration(ALL);

    @Test
    void offByDefaultEvenWhenExposed() {
        web.withPropertyValues(EXPOSED).run(context -> assertThat(context).hasSingleBean(CancellationEndpoint.class)
                .doesNotHaveBean(CancellationConsoleEndpoint.class));
    }

    @Test
    void servedWhenEnabledAndExposed() {
        web.withPropertyValues(EXPOSED, "cancellation.console.enabled=true").run(context -> {
            assertThat(context).hasSingleBean(CancellationConsoleEndpoint.class)
                    .hasSingleBean(CancellationConsoleProperties.class);
            String page = read(context.getBean(CancellationConsoleEndpoint.class).page());
            assertThat(page).contains("<meta name=\"cancellation-endpoint\" content=\"cancellation\">")
                    .contains("<meta name=\"cancellation-console\" content=\"cancellationconsole\">")
                    .contains("<meta name=\"cancellation-metrics\" content=\"metrics\">");
            assertThat(context.getBean(CancellationConsoleEndpoint.class).file("console.js")).isNotNull();
            assertThat(context.getBean(CancellationConsoleEndpoint.class).file("index.html")).isNull();
        });
    }

    @Test
    void thePageFindsRemappedEndpoints() {
        web.withPropertyValues(EXPOSED, "cancellation.console.enabled=true",
                "management.endpoints.web.path-mapping.cancellation=tasks",
                "management.endpoints.web.path-mapping.cancellationconsole=ops/console",
                "management.endpoints.web.path-mapping.metrics=meters").run(context -> {
                    String page = read(context.getBean(CancellationConsoleEndpoint.class).page());
                    assertThat(page).contains("name=\"cancellation-endpoint\" content=\"tasks\"")
                            .contains("name=\"cancellation-console\" content=\"ops/console\"")
                            .contains("name=\"cancellation-metrics\" content=\"meters\"");
                });
    }

    @Test
    void notServedUnlessItselfExposed() {
        web.withPropertyValues("management.endpoints.web.exposure.include=cancellation",
                "cancellation.console.enabled=true")
                .run(context -> assertThat(context).doesNotHaveBean(CancellationConsoleEndpoint.class));
    }

    @Test
    void notServedWithoutTheCancellationEndpoint() {
        web.withPropertyValues("management.endpoints.web.exposure.include=cancellationconsole",
                "cancellation.console.enabled=true")
                .run(context -> assertThat(context).doesNotHaveBean(CancellationEndpoint.class)
                        .doesNotHaveBean(CancellationConsoleEndpoint.class));
        web.withPropertyValues(EXPOSED, "cancellation.console.enabled=true", "cancellation.enabled=false")
                .run(context -> assertThat(context).doesNotHaveBean(CancellationConsoleEndpoint.class));
    }

    @Test
    void notServedOutsideAWebApplication() {
        new ApplicationContextRunner().withConfiguration(ALL)
                .withPropertyValues(EXPOSED, "cancellation.console.enabled=true")
                .run(context -> assertThat(context).doesNotHaveBean(CancellationConsoleEndpoint.class));
    }

    // ------------------------------------------------------------------------------------------ writable

    @Test
    void theEndpointIsReadOnlyByDefault() {
        web.withPropertyValues(EXPOSED).run(context -> assertThat(
                context.getBean(CancellationEndpoint.class).tasks(null, null, null).writable()).isFalse());
    }

    @Test
    void theEndpointIsWritableWithUnrestrictedAccess() {
        web.withPropertyValues(EXPOSED, "management.endpoint.cancellation.access=UNRESTRICTED")
                .run(context -> assertThat(
                        context.getBean(CancellationEndpoint.class).tasks(null, null, null).writable()).isTrue());
    }

    @Test
    void theEndpointIsReadOnlyWhenEveryEndpointIsCapped() {
        web.withPropertyValues(EXPOSED, "management.endpoint.cancellation.access=UNRESTRICTED",
                "management.endpoints.access.max-permitted=READ_ONLY")
                .run(context -> assertThat(
                        context.getBean(CancellationEndpoint.class).tasks(null, null, null).writable()).isFalse());
    }

    @Test
    void thePageAndItsScriptHaveRuntimeHints() {
        RuntimeHints hints = new RuntimeHints();
        new CancellationConsoleRuntimeHints().registerHints(hints, getClass().getClassLoader());
        assertThat(RuntimeHintsPredicates.resource().forResource("META-INF/cancellation-console/index.html"))
                .accepts(hints);
        assertThat(RuntimeHintsPredicates.resource().forResource("META-INF/cancellation-console/console.js"))
                .accepts(hints);
    }

    private static String read(org.springframework.core.io.Resource resource) throws IOException {
        return resource.getContentAsString(StandardCharsets.UTF_8);
    }
}
