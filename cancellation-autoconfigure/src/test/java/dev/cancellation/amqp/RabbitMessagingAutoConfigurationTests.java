package dev.cancellation.amqp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.autoconfigure.CancellationAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationMessagingAutoConfiguration;
import dev.cancellation.autoconfigure.CancellationRabbitAutoConfiguration;
import dev.cancellation.messaging.ListenerInvocations;
import dev.cancellation.messaging.MessageDeadlines;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.aopalliance.aop.Advice;
import org.junit.jupiter.api.Test;
import org.springframework.amqp.rabbit.config.ContainerCustomizer;
import org.springframework.amqp.rabbit.config.SimpleRabbitListenerContainerFactory;
import org.springframework.amqp.rabbit.connection.ConnectionFactory;
import org.springframework.amqp.rabbit.core.RabbitTemplate;
import org.springframework.amqp.rabbit.listener.SimpleMessageListenerContainer;
import org.springframework.aop.support.AopUtils;
import org.springframework.boot.amqp.autoconfigure.RabbitAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.test.util.ReflectionTestUtils;

/**
 * The branches of {@code CancellationRabbitAutoConfiguration} and the messaging glue it needs, with Spring AMQP on
 * the class path (no broker: containers are created, not started).
 */
class RabbitMessagingAutoConfigurationTests {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(RabbitAutoConfiguration.class, CancellationAutoConfiguration.class,
                    CancellationMessagingAutoConfiguration.class, CancellationRabbitAutoConfiguration.class));

    @Test
    void messageDeadlinesIsDefinedWithItsPropertiesBoundAndTheTemplateWritesIt() {
        runner.withPropertyValues("cancellation.messaging.deadline-header=x-deadline",
                "cancellation.messaging.clock-skew-tolerance=250ms").run(context -> {
                    assertThat(context).hasNotFailed();
                    MessageDeadlines deadlines = context.getBean(MessageDeadlines.class);
                    assertThat(deadlines.header()).isEqualTo("x-deadline");
                    assertThat(context.getBean(RabbitTemplate.class).getBeforePublishPostProcessors())
                            .hasAtLeastOneElementOfType(DeadlineMessagePostProcessor.class);
                    assertThat(context.getBean("rabbitListenerInvocations", ListenerInvocations.class).period()).isEqualTo(Duration.ofSeconds(5));
                });
    }

    @Test
    void aBlankDeadlineHeaderFailsStartupNamingTheProperty() {
        runner.withPropertyValues("cancellation.messaging.deadline-header= ").run(context ->
                assertThat(context).getFailure().rootCause().hasMessageContaining("cancellation.messaging.deadline-header"));
    }

    @Test
    void aListenerTimeoutThatIsNotPositiveFailsStartupNamingTheProperty() {
        runner.withPropertyValues("cancellation.rabbitmq.listener-timeout=0s").run(context ->
                assertThat(context).getFailure().rootCause()
                        .hasMessageContaining("cancellation.rabbitmq.listener-timeout").hasMessageContaining("PT0S"));
    }

    @Test
    void bootsFactoryKeepsItsTypeAndItsContainersGetTheAdviceOutermostBesideRetryAndTheApplicationsCustomizer() {
        runner.withUserConfiguration(ApplicationCustomizer.class)
                .withPropertyValues("spring.rabbitmq.listener.simple.retry.enabled=true",
                        "cancellation.messaging.shutdown-drain=20s")
                .run(context -> {
                    SimpleRabbitListenerContainerFactory factory = context.getBean(
                            SimpleRabbitListenerContainerFactory.class);
                    assertThat(AopUtils.isAopProxy(factory)).isTrue();
                    SimpleMessageListenerContainer container = factory.createListenerContainer();

                    assertThat(context.getBean(ApplicationCustomizer.class).customized).containsExactly(container);
                    Advice[] chain = (Advice[]) ReflectionTestUtils.getField(container, "adviceChain");
                    assertThat(chain).hasSize(2);
                    assertThat(chain[0]).isInstanceOf(InvocationAdvice.class);
                    assertThat(chain[1].getClass().getSimpleName()).contains("Retry");
                    assertThat((Long) ReflectionTestUtils.getField(container, "shutdownTimeout"))
                            .as("drain plus the time a cancelled invocation may take to end").isEqualTo(25_000L);
                });
    }

    @Test
    void theApplicationsOwnFactoryIsAdvisedToo() {
        runner.withUserConfiguration(OwnFactory.class).run(context -> {
            SimpleMessageListenerContainer container = context.getBean("myFactory",
                    SimpleRabbitListenerContainerFactory.class).createListenerContainer();
            Advice[] chain = (Advice[]) ReflectionTestUtils.getField(container, "adviceChain");
            assertThat(chain).singleElement().isInstanceOf(InvocationAdvice.class);
        });
    }

    @Test
    void bootsTemplateKeepsItsTypeAndItsRequestReplyCallsAreAdvised() {
        runner.run(context -> {
            RabbitTemplate template = context.getBean(RabbitTemplate.class);
            assertThat(AopUtils.isAopProxy(template)).isTrue();
            assertThat(AopUtils.isCglibProxy(template)).isTrue();
            assertThat(template.getBeforePublishPostProcessors()).hasAtLeastOneElementOfType(
                    DeadlineMessagePostProcessor.class);
        });
    }

    @Test
    void isOffWhenDisabled() {
        for (String off : List.of("cancellation.rabbitmq.enabled=false", "cancellation.enabled=false")) {
            runner.withPropertyValues(off).run(context -> {
                assertThat(context).hasNotFailed().doesNotHaveBean(RabbitListenerCancellation.class)
                        .doesNotHaveBean(RabbitListenerContainerFactoryPostProcessor.class);
                SimpleRabbitListenerContainerFactory factory = context.getBean(
                        SimpleRabbitListenerContainerFactory.class);
                assertThat(AopUtils.isAopProxy(factory)).isFalse();
                Advice[] chain = (Advice[]) ReflectionTestUtils.getField(factory.createListenerContainer(),
                        "adviceChain");
                assertThat(chain).isEmpty();
                assertThat(context.getBean(RabbitTemplate.class).getBeforePublishPostProcessors()).isNull();
                assertThat(AopUtils.isAopProxy(context.getBean(RabbitTemplate.class))).as("request/reply as is")
                        .isFalse();
            });
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class ApplicationCustomizer implements ContainerCustomizer<SimpleMessageListenerContainer> {

        final List<SimpleMessageListenerContainer> customized = new CopyOnWriteArrayList<>();

        @Override
        public void configure(SimpleMessageListenerContainer container) {
            customized.add(container);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnFactory {

        @Bean
        SimpleRabbitListenerContainerFactory myFactory(ConnectionFactory connectionFactory) {
            SimpleRabbitListenerContainerFactory factory = new SimpleRabbitListenerContainerFactory();
            factory.setConnectionFactory(connectionFactory);
            return factory;
        }
    }
}
