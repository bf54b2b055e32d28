package dev.cancellation.cluster;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The fleet is an edge: it sits on top of {@code task}, the core and the endpoint's SPI, and nothing below it
 * knows Redis. The endpoint works without Redis on the classpath.
 */
class ClusterArchitectureTests {

    private static JavaClasses production;

    @BeforeAll
    static void importClasses() {
        production = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.cancellation");
    }

    @Test
    void onlyTheClusterEdgeAndItsAutoConfigurationKnowRedisAndTheirJson() {
        noClasses().that().resideOutsideOfPackages("dev.cancellation.cluster..", "dev.cancellation.autoconfigure..")
                .should().dependOnClassesThat().resideInAnyPackage("org.springframework.data.redis..",
                        "io.lettuce..", "dev.cancellation.cluster..")
                .check(production);
    }

    @Test
    void theClusterEdgeImportsNoOtherEdgeNorTheAutoConfiguration() {
        noClasses().that().resideInAPackage("dev.cancellation.cluster..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.cancellation.autoconfigure..",
                        "dev.cancellation.web..", "dev.cancellation.http..", "dev.cancellation.jdbc..",
                        "dev.cancellation.spring..", "dev.cancellation.lifecycle..", "dev.cancellation.micrometer..")
                .check(production);
    }
}
