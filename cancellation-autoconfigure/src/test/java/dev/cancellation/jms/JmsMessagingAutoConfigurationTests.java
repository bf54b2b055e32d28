package dev.cancellation.jms;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.lifecycle.CancellationLifecycle;
import dev.cancellation.messaging.ListenerInvocations;
import dev.cancellation.messaging.MessageDeadlines;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.springframework.aop.support.AopUtils;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.jms.config.DefaultJmsListenerContainerFactory;
import org.springframework.jms.core.JmsTemplate;

/** Every branch of {@code CancellationJmsAutoConfiguration}, and the shared messaging properties with JMS present. */
class JmsMessagingAutoConfigurationTests {

    private final ApplicationContextRunner runner = JmsTestSupport.runner();

    @Test
    void definesTheMessageDeadlinesWithTheirPropertiesBound() {
        runner.withPropertyValues("cancellation.messaging.deadline-header=x-deadline",
                "cancellation.messaging.clock-skew-tolerance=250ms").run(context -> {
                    MessageDeadlines deadlines = context.getBean(MessageDeadlines.class);
                    assertThat(deadlines.header()).isEqualTo("x-deadline");
                    assertThat(context.getBean(JmsListenerSettings.class).deadlineProperty()).isEqualTo("x_deadline");
                    MessageDeadlines.Admission admission = deadlines.admit(Instant.now().toEpochMilli(), "queue");
                    assertThat(admission.expired()).isFalse();
                    assertThat(admission.left()).isPositive().isLessThanOrEqualTo(Duration.ofMillis(250));
                });
    }

    @Test
    void aBlankDeadlineHeaderFailsStartupNamingTheProperty() {
        runner.withPropertyValues("cancellation.messaging.deadline-header= ").run(context ->
                assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("cancellation.messaging.deadline-header"));
    }

    @Test
    void aListenerTimeoutThatIsNotPositiveFailsStartupNamingThePropertyAndTheValue() {
        runner.withPropertyValues("cancellation.jms.listener-timeout=0s").run(context ->
                assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("cancellation.jms.listener-timeout").hasMessageContaining("PT0S"));
    }

    @Test
    void adviseTheListenerContainerFactoryKeepingItsTypeAndDrainTheInvocationsAtShutdown() {
        runner.run(context -> {
            DefaultJmsListenerContainerFactory factory = context.getBean(DefaultJmsListenerContainerFactory.class);
            assertThat(AopUtils.isAopProxy(factory)).isTrue();
            ListenerInvocations invocations = context.getBean("jmsListenerInvocations", ListenerInvocations.class);
            assertThat(invocations.period()).isEqualTo(Duration.ofSeconds(5));
            assertThat(context.getBean(CancellationLifecycle.class).getDrains()).contains(invocations);
            assertThat(context).hasSingleBean(JmsListenerStop.class)
                    .hasSingleBean(CancellableJmsTemplatePostProcessor.class);
            assertThat(context.getBean(JmsTemplate.class).getConnectionFactory()).hasToString(
                    "CancellableConnectionFactory[" + context.getBean(jakarta.jms.ConnectionFactory.class) + "]");
        });
    }

    @Test
    void isOffWhenDisabled() {
        runner.withPropertyValues("cancellation.jms.enabled=false").run(context -> {
            assertThat(context).doesNotHaveBean("jmsListenerInvocations")
                    .doesNotHaveBean(CancellableJmsListenerPostProcessor.class)
                    .doesNotHaveBean(CancellableJmsTemplatePostProcessor.class).doesNotHaveBean(JmsListenerStop.class);
            assertThat(AopUtils.isAopProxy(context.getBean(DefaultJmsListenerContainerFactory.class))).isFalse();
        });
        runner.withPropertyValues("cancellation.enabled=false").run(context ->
                assertThat(context).doesNotHaveBean("jmsListenerInvocations")
                        .doesNotHaveBean(CancellableJmsListenerPostProcessor.class));
    }

    @Test
    void isOffWithoutSpringJms() {
        runner.withClassLoader(new FilteredClassLoader("org.springframework.jms")).run(context ->
                assertThat(context).doesNotHaveBean(CancellableJmsListenerPostProcessor.class));
        // the shared deadline policy is there while any messaging library is
        runner.withClassLoader(new FilteredClassLoader("org.springframework.jms", "org.springframework.kafka",
                "org.springframework.amqp")).run(context -> assertThat(context).doesNotHaveBean(MessageDeadlines.class));
    }
}
