package dev.cancellation.aot;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.CancellationReason;
import dev.cancellation.actuate.CancellationEndpoint;
import dev.cancellation.actuate.CancellationEndpointRuntimeHints;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.annotation.OnCancel;
import dev.cancellation.autoconfigure.CancellationEndpointAutoConfiguration;
import dev.cancellation.spring.CancellationTokenAccessor;
import org.junit.jupiter.api.Test;
import org.springframework.aot.AotDetector;
import org.springframework.aot.hint.MemberCategory;
import org.springframework.aot.hint.RuntimeHints;
import org.springframework.aot.hint.RuntimeHintsRegistrar;
import org.springframework.aot.hint.predicate.RuntimeHintsPredicates;
import org.springframework.aot.generate.ClassNameGenerator;
import org.springframework.aot.generate.DefaultGenerationContext;
import org.springframework.aot.generate.InMemoryGeneratedFiles;
import org.springframework.beans.factory.aot.AotServices;
import org.springframework.beans.factory.aot.BeanRegistrationAotProcessor;
import org.springframework.beans.factory.support.RegisteredBean;
import org.springframework.context.aot.ApplicationContextAotGenerator;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.javapoet.ClassName;

/**
 * The runtime hints the starter contributes, checked with {@link RuntimeHintsPredicates}: registered through
 * {@code aot.factories}, and produced by a real AOT processing run of an application context.
 */
class CancellationRuntimeHintsTests {

    @Test
    void endpointResponsesAndTheContextAccessorAreHinted() {
        RuntimeHints hints = new RuntimeHints();
        new CancellationRuntimeHints().registerHints(hints, getClass().getClassLoader());
        new CancellationEndpointRuntimeHints().registerHints(hints, getClass().getClassLoader());

        for (Class<?> response : new Class<?>[] { CancellationEndpoint.TasksDescriptor.class,
                CancellationEndpoint.SummaryDescriptor.class, CancellationEndpoint.TaskDescriptor.class,
                CancellationEndpoint.ReasonDescriptor.class, CancellationEndpoint.CancelledTasksDescriptor.class }) {
            assertThat(RuntimeHintsPredicates.reflection().onType(response)).as(response.getSimpleName())
                    .accepts(hints);
        }
        // Jackson reads the record components through their accessors
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(CancellationEndpoint.TaskDescriptor.class,
                "state")).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(CancellationEndpoint.ReasonDescriptor.class,
                "kind")).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onType(CancellationReason.Kind.class)).accepts(hints);

        assertThat(RuntimeHintsPredicates.resource().forResource(CancellationRuntimeHints.ACCESSOR_SERVICE_FILE))
                .accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onType(CancellationTokenAccessor.class)
                .withMemberCategory(MemberCategory.INVOKE_PUBLIC_CONSTRUCTORS)).accepts(hints);
    }

    @Test
    void bothAreRegisteredInAotFactories() {
        assertThat(AotServices.factories().load(RuntimeHintsRegistrar.class))
                .hasAtLeastOneElementOfType(CancellationRuntimeHints.class);
        assertThat(AotServices.factories().load(BeanRegistrationAotProcessor.class))
                .hasAtLeastOneElementOfType(CancellableBeanRegistrationAotProcessor.class);
    }

    @Test
    void theEndpointAutoConfigurationImportsTheEndpointHints() {
        GenericApplicationContext context = new GenericApplicationContext();
        context.registerBean(CancellationEndpointAutoConfiguration.class);
        DefaultGenerationContext generation = new DefaultGenerationContext(
                new ClassNameGenerator(ClassName.get(getClass().getPackageName(), "AotEndpointTest")),
                new InMemoryGeneratedFiles());
        new ApplicationContextAotGenerator().processAheadOfTime(context, generation);

        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(CancellationEndpoint.TaskDescriptor.class,
                "state")).accepts(generation.getRuntimeHints());
    }

    @Test
    void aotProcessingHintsTheOnCancelMethodsAndTheIntrospectedClassesOfBeans() throws Exception {
        assertThat(AotDetector.useGeneratedArtifacts()).isFalse();
        GenericApplicationContext context = new GenericApplicationContext();
        context.registerBean(Importer.class);
        context.registerBean(Plain.class);
        context.registerBean(WholeClass.class);
        DefaultGenerationContext generation = new DefaultGenerationContext(
                new ClassNameGenerator(ClassName.get(getClass().getPackageName(), "AotTest")),
                new InMemoryGeneratedFiles());
        new ApplicationContextAotGenerator().processAheadOfTime(context, generation);
        RuntimeHints hints = generation.getRuntimeHints();

        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(
                Importer.class.getDeclaredMethod("removePartialFiles", CancellationReason.class))).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(
                Base.class.getDeclaredMethod("inheritedCleanup"))).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onType(Importer.class)).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onType(Base.class)).accepts(hints);
        assertThat(RuntimeHintsPredicates.reflection().onType(WholeClass.class)).accepts(hints);
        // the @Cancellable method itself runs through the proxy, not by reflection
        assertThat(RuntimeHintsPredicates.reflection().onMethodInvocation(Importer.class, "importAll"))
                .rejects(hints);
        // a bean without the annotations gets no contribution
        context.getDefaultListableBeanFactory().registerBeanDefinition("plainForCheck",
                new org.springframework.beans.factory.support.RootBeanDefinition(Plain.class));
        assertThat(new CancellableBeanRegistrationAotProcessor().processAheadOfTime(
                RegisteredBean.of(context.getDefaultListableBeanFactory(), "plainForCheck"))).isNull();
    }

    static class Base {

        @OnCancel
        void inheritedCleanup() {
        }
    }

    static class Importer extends Base {

        @Cancellable(timeout = "30s")
        public void importAll() {
        }

        @OnCancel
        void removePartialFiles(CancellationReason reason) {
        }
    }

    @Cancellable
    static class WholeClass {

        public void run() {
        }
    }

    static class Plain {

        public void run() {
        }
    }
}
