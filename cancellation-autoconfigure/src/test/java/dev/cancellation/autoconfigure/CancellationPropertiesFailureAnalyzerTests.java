package dev.cancellation.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Configuration;

/**
 * A bad {@code cancellation.*} value fails startup with a report naming the property, the value, where it was set
 * and what is allowed; other prefixes are left to Boot.
 */
@ExtendWith(OutputCaptureExtension.class)
class CancellationPropertiesFailureAnalyzerTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner().withConfiguration(
            AutoConfigurations.of(CancellationAutoConfiguration.class, CancellableAnnotationAutoConfiguration.class));

    private final CancellationPropertiesFailureAnalyzer analyzer = new CancellationPropertiesFailureAnalyzer();

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            "cancellation.cleanup.threads        | 0          | 1 to 1000                 | must be at least 1, but was 0",
            "cancellation.cleanup.queue-capacity | 2000000    | 1 to 1000000              | must be at most 1000000",
            "cancellation.registry.history-size  | -1         | 0 to 100000               | must be at least 0, but was -1",
            "cancellation.interrupt-after        | -2s        | 0 or a positive duration  | must not be negative, but was PT-2S",
            "cancellation.default-timeout        | -5s        | or unset                  | (0 or unset means no timeout)",
            "cancellation.cleanup.timeout        | 0          | a positive duration       | must be positive, but was PT0S",
            "cancellation.shutdown.timeout       | 999999999d | at most about 292 years   | must be at most about 292 years",
            "cancellation.default-timeout        | 10 parsecs | a duration such as 500ms  | '10 parsecs' is not a valid duration",
            "cancellation.cleanup.threads        | two        | a whole number            | two",
            "cancellation.interrupt              | maybe      | true or false             | maybe" })
    void describesPropertyValueOriginAndWhatIsAllowed(String property, String value, String allowed, String reason) {
        runner.withPropertyValues(property + "=" + value).run(context -> {
            assertThat(context).hasFailed();
            FailureAnalysis analysis = analyzer.analyze(context.getStartupFailure());
            assertThat(analysis).as("analysis of %s=%s", property, value).isNotNull();
            assertThat(analysis.getDescription()).contains("Property: " + property, "Value: \"" + value + "\"",
                    "Origin: ", "Allowed: ", allowed, "Reason: ").contains(reason);
            assertThat(analysis.getAction()).startsWith("Change " + property + " to an allowed value (")
                    .contains(allowed);
        });
    }

    @Test
    void otherPrefixesAreLeftToBoot() {
        new ApplicationContextRunner().withUserConfiguration(OtherProperties.Config.class)
                .withPropertyValues("other.count=two").run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(analyzer.analyze(context.getStartupFailure())).isNull();
                });
    }

    @Test
    void theApplicationReportsItWhenItFailsToStart(CapturedOutput output) {
        assertThatThrownBy(() -> new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
                .properties("cancellation.cleanup.threads=0", "spring.main.banner-mode=off").run().close())
                .hasRootCauseInstanceOf(InvalidCancellationPropertyException.class);
        assertThat(output).contains("APPLICATION FAILED TO START", "Invalid value for a cancellation property:",
                "Property: cancellation.cleanup.threads", "Value: \"0\"", "Allowed: 1 to 1000",
                "Reason: cancellation.cleanup.threads must be at least 1, but was 0",
                "Change cancellation.cleanup.threads to an allowed value (1 to 1000)");
        // registered through spring.factories and consulted before Boot's own bind failure analyzer
        String report = output.getOut().substring(output.getOut().indexOf("APPLICATION FAILED TO START"));
        assertThat(report).doesNotContain("Failed to bind properties under");
    }

    @Test
    void theExceptionCarriesPropertyValueAndAllowed() {
        assertThatThrownBy(() -> new CancellationProperties().getCleanup().setThreads(5000))
                .isInstanceOfSatisfying(InvalidCancellationPropertyException.class, invalid -> {
                    assertThat(invalid.property()).isEqualTo("cancellation.cleanup.threads");
                    assertThat(invalid.value()).isEqualTo(5000);
                    assertThat(invalid.allowed()).isEqualTo("1 to 1000");
                }).hasMessage("cancellation.cleanup.threads must be at most 1000, but was 5000");
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration({ CancellationAutoConfiguration.class, CancellableAnnotationAutoConfiguration.class })
    static class App {
    }

    @org.springframework.boot.context.properties.ConfigurationProperties("other")
    static class OtherProperties {

        private int count;

        public int getCount() {
            return count;
        }

        public void setCount(int count) {
            this.count = count;
        }

        @Configuration(proxyBeanMethods = false)
        @org.springframework.boot.context.properties.EnableConfigurationProperties(OtherProperties.class)
        static class Config {
        }
    }
}
