package dev.cancellation;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The token model, the task registry and the annotations are framework-free: usable without Spring, and never
 * reaching into the Spring side of this library. Everything Spring-specific lives in other packages.
 */
class ArchitectureTest {

    /** Packages that must run on the bare JDK. */
    private static final String[] FRAMEWORK_FREE = {
        "dev.cancellation", "dev.cancellation.task..", "dev.cancellation.annotation.."
    };

    private static JavaClasses production;

    @BeforeAll
    static void importClasses() {
        production = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.cancellation");
    }

    @Test
    void frameworkFreePackagesDependOnlyOnTheJdkAndEachOther() {
        classes().that().resideInAnyPackage(FRAMEWORK_FREE)
                .should().onlyDependOnClassesThat().resideInAnyPackage(
                        "java..", "javax.annotation..", "dev.cancellation", "dev.cancellation.task..",
                        "dev.cancellation.annotation..")
                .because("the token model, registry and annotations must work without any framework on the class path")
                .check(production);
    }

    @Test
    void frameworkFreePackagesImportNoFramework() {
        noClasses().that().resideInAnyPackage(FRAMEWORK_FREE)
                .should().dependOnClassesThat().resideInAnyPackage(
                        "org.springframework..", "io.micrometer..", "reactor..", "org.reactivestreams..",
                        "jakarta..", "org.slf4j..")
                .because("Spring, Micrometer and Reactor are optional dependencies of this library")
                .check(production);
    }

    @Test
    void frameworkFreePackagesNeverReachIntoTheSpringSide() {
        noClasses().that().resideInAnyPackage(FRAMEWORK_FREE)
                .should().dependOnClassesThat().resideInAnyPackage(
                        "dev.cancellation.autoconfigure..", "dev.cancellation.spring..", "dev.cancellation.actuate..",
                        "dev.cancellation.micrometer..", "dev.cancellation.web..", "dev.cancellation.reactor..",
                        "dev.cancellation.observation..", "dev.cancellation.aot..")
                .because("the dependency points from the Spring integration to the model, never back")
                .check(production);
    }

    @Test
    void theTokenModelItselfDoesNotDependOnTheRegistry() {
        noClasses().that().resideInAPackage("dev.cancellation")
                .should().dependOnClassesThat().resideInAnyPackage("dev.cancellation.task..",
                        "dev.cancellation.annotation..")
                .because("tokens are the foundation the registry and the annotations are built on")
                .check(production);
    }
}
