package dev.cancellation;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The core is a library of its own: nothing but the JDK on its class path, the token model at the bottom, the
 * annotations and the task registry on top of it.
 */
class CoreArchitectureTests {

    private static JavaClasses core;

    @BeforeAll
    static void importClasses() {
        core = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
                .importPackages("dev.cancellation");
    }

    @Test
    void dependsOnNothingButTheJdk() {
        classes().should().onlyDependOnClassesThat().resideInAnyPackage("java..", "dev.cancellation..",
                        "org.jspecify.annotations..")
                .because("plain Java, Quarkus, Micronaut or Helidon code uses the core without any framework")
                .check(core);
    }

    @Test
    void holdsOnlyItsOwnPackages() {
        assertThat(core.stream().map(type -> type.getPackageName()).distinct())
                .allMatch(name -> name.equals("dev.cancellation") || name.equals("dev.cancellation.task")
                        || name.equals("dev.cancellation.annotation"));
    }

    /** What a test sees on its class path, the compile path has too: Spring is on neither. */
    @ParameterizedTest
    @ValueSource(strings = {"org.springframework.core.SpringVersion", "io.micrometer.context.ContextSnapshot",
        "reactor.core.publisher.Mono"})
    void noFrameworkIsOnTheClassPath(String frameworkType) {
        assertThatExceptionOfType(ClassNotFoundException.class)
                .isThrownBy(() -> Class.forName(frameworkType, false, getClass().getClassLoader()));
    }

    @Test
    void theTokenModelDoesNotDependOnTheRegistryNorTheAnnotations() {
        noClasses().that().resideInAPackage("dev.cancellation")
                .should().dependOnClassesThat().resideInAnyPackage("dev.cancellation.task..",
                        "dev.cancellation.annotation..")
                .because("tokens are the foundation the registry and the annotations are built on")
                .check(core);
    }
}
