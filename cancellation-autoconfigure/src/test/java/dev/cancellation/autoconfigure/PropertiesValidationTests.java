package dev.cancellation.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cancellation.task.TaskRegistry;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Configuration;

/**
 * Every {@code cancellation.*} property given nonsense fails startup with a bind failure naming the property and
 * the value; sensible edge values start.
 */
@ExtendWith(OutputCaptureExtension.class)
class PropertiesValidationTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner().withConfiguration(
            AutoConfigurations.of(CancellationAutoConfiguration.class, CancellableAnnotationAutoConfiguration.class));

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = '|', quoteCharacter = '"', value = {
            // negative durations
            "cancellation.default-timeout      | -5s     | cancellation.default-timeout must not be negative, but was PT-5S",
            "cancellation.interrupt-after      | -1      | cancellation.interrupt-after must not be negative, but was PT-0.001S (to never interrupt, set cancellation.interrupt=false)",
            "cancellation.abandon-after        | -2s     | cancellation.abandon-after must not be negative, but was PT-2S",
            "cancellation.cleanup.timeout      | -1s     | cancellation.cleanup.timeout must not be negative, but was PT-1S",
            "cancellation.shutdown.drain-timeout | -1s   | cancellation.shutdown.drain-timeout must not be negative, but was PT-1S",
            "cancellation.shutdown.timeout     | -30s    | cancellation.shutdown.timeout must not be negative, but was PT-30S",
            "cancellation.shutdown.last-grace  | -1ms    | cancellation.shutdown.last-grace must not be negative, but was PT-0.001S",
            // zero where it makes no sense
            "cancellation.cleanup.timeout      | 0s      | cancellation.cleanup.timeout must be positive, but was PT0S",
            // counts
            "cancellation.cleanup.threads      | 0       | cancellation.cleanup.threads must be at least 1, but was 0",
            "cancellation.cleanup.threads      | -3      | cancellation.cleanup.threads must be at least 1, but was -3",
            "cancellation.cleanup.threads      | 100000  | cancellation.cleanup.threads must be at most 1000, but was 100000",
            "cancellation.cleanup.queue-capacity | 0     | cancellation.cleanup.queue-capacity must be at least 1, but was 0",
            "cancellation.cleanup.queue-capacity | -1    | cancellation.cleanup.queue-capacity must be at least 1, but was -1",
            "cancellation.cleanup.queue-capacity | 2147483647 | cancellation.cleanup.queue-capacity must be at most 1000000, but was 2147483647",
            "cancellation.registry.history-size | -1     | cancellation.registry.history-size must be at least 0, but was -1",
            "cancellation.registry.history-size | 2000000000 | cancellation.registry.history-size must be at most 100000, but was 2000000000",
            // too long to compute with
            "cancellation.shutdown.timeout     | 999999999d | cancellation.shutdown.timeout must be at most about 292 years",
            "cancellation.default-timeout      | 999999999d | cancellation.default-timeout must be at most about 292 years",
            // not a value of the type at all: the binder's conversion names it
            "cancellation.default-timeout      | abc        | 'abc' is not a valid duration",
            "cancellation.default-timeout      | 10 parsecs | '10 parsecs' is not a valid duration",
            "cancellation.interrupt-after      | 10 sec     | '10 sec' is not a valid duration",
            "cancellation.cleanup.timeout      | soon       | 'soon' is not a valid duration",
            "cancellation.cleanup.threads      | two        | two",
            "cancellation.cleanup.threads      | 1.5        | 1.5",
            "cancellation.registry.history-size | 99999999999 | 99999999999",
            "cancellation.interrupt            | maybe      | maybe",
            "cancellation.advisor-order        | first      | first" })
    void nonsenseFailsStartupNamingPropertyAndValue(String property, String value, String expected) {
        runner.withPropertyValues(property + "=" + value).run(context -> {
            assertThat(context).hasFailed();
            BindException bind = cause(context.getStartupFailure(), BindException.class);
            assertThat(bind).as("a bind failure of %s", property).isNotNull();
            assertThat(bind.getProperty()).isNotNull();
            assertThat(bind.getProperty().getName()).hasToString(property);
            assertThat(bind.getProperty().getValue()).hasToString(value);
            assertThat(messages(context.getStartupFailure())).contains(expected);
        });
    }

    @Test
    void sensibleEdgeValuesStart() {
        runner.withPropertyValues("cancellation.default-timeout=0", "cancellation.interrupt-after=0s",
                "cancellation.abandon-after=0", "cancellation.cleanup.threads=1", "cancellation.cleanup.queue-capacity=1",
                "cancellation.cleanup.timeout=1ms", "cancellation.registry.history-size=0",
                "cancellation.shutdown.drain-timeout=0", "cancellation.shutdown.timeout=0",
                "cancellation.shutdown.last-grace=0", "cancellation.advisor-order=-5")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    TaskRegistry.Settings settings = context.getBean(TaskRegistry.class).settings();
                    assertThat(settings.cleanupThreads()).isEqualTo(1);
                    assertThat(settings.cleanupQueueCapacity()).isEqualTo(1);
                    assertThat(settings.historySize()).isZero();
                });
    }

    @Test
    void emptyValuesKeepTheDefaults() {
        runner.withPropertyValues("cancellation.interrupt-after=", "cancellation.abandon-after=",
                "cancellation.cleanup.timeout=", "cancellation.default-timeout=").run(context -> {
                    assertThat(context).hasNotFailed();
                    CancellationProperties properties = context.getBean(CancellationProperties.class);
                    assertThat(properties.getInterruptAfter()).isEqualTo(Duration.ofSeconds(2));
                    assertThat(properties.getAbandonAfter()).isEqualTo(Duration.ofSeconds(5));
                    assertThat(properties.getCleanup().getTimeout()).isEqualTo(Duration.ofSeconds(10));
                    assertThat(properties.getDefaultTimeout()).isNull();
                });
    }

    @Test
    void settersRejectNonsenseWhenCalledDirectly() {
        CancellationProperties properties = new CancellationProperties();
        assertThatThrownBy(() -> properties.setInterruptAfter(null)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cancellation.interrupt-after must be set");
        assertThatThrownBy(() -> properties.getCleanup().setThreads(0)).hasMessageContaining("cleanup.threads");
        properties.setDefaultTimeout(null); // unset: no timeout
        assertThat(properties.getDefaultTimeout()).isNull();
    }

    @Test
    void applicationFailsToStartWithTheFailureAnalysis(CapturedOutput output) {
        assertThatThrownBy(() -> new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
                .properties("cancellation.cleanup.threads=0", "spring.main.banner-mode=off").run().close())
                .hasRootCauseMessage("cancellation.cleanup.threads must be at least 1, but was 0");
        assertThat(output).contains("APPLICATION FAILED TO START", "Property: cancellation.cleanup.threads",
                "Value: \"0\"", "Reason: cancellation.cleanup.threads must be at "
                        + "least 1, but was 0");
    }

    @Test
    void unparsableDurationFailsToStartWithTheFailureAnalysis(CapturedOutput output) {
        assertThatThrownBy(() -> new SpringApplicationBuilder(App.class).web(WebApplicationType.NONE)
                .properties("cancellation.default-timeout=10 parsecs", "spring.main.banner-mode=off").run().close())
                .isNotNull();
        assertThat(output).contains("APPLICATION FAILED TO START", "Property: cancellation.default-timeout",
                "Value: \"10 parsecs\"", "'10 parsecs' is not a valid duration");
    }

    static <T extends Throwable> T cause(Throwable failure, Class<T> type) {
        for (Throwable current = failure; current != null; current = current.getCause()) {
            if (type.isInstance(current)) {
                return type.cast(current);
            }
        }
        return null;
    }

    static String messages(Throwable failure) {
        StringBuilder all = new StringBuilder();
        for (Throwable current = failure; current != null; current = current.getCause()) {
            all.append(current.getMessage()).append('\n');
        }
        return all.toString();
    }

    @Configuration(proxyBeanMethods = false)
    @ImportAutoConfiguration({ CancellationAutoConfiguration.class, CancellableAnnotationAutoConfiguration.class })
    static class App {
    }
}
