package dev.cancellation;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * How the Spring side is layered on the core (whose own rules live in the core's {@code CoreArchitectureTests}):
 * the glue packages on the core, each edge on the glue and the core but never on another edge, the
 * auto-configuration on top of everything and imported by nothing, and no cycle between packages.
 */
class ArchitectureTests {

    /** Spring glue per concern: on top of the core, below the edges. */
    private static final String[] GLUE = {
        "dev.cancellation.spring..", "dev.cancellation.lifecycle..", "dev.cancellation.actuate..",
        "dev.cancellation.micrometer..", "dev.cancellation.aot..", "dev.cancellation.messaging..",
        "dev.cancellation.console.."
    };

    /** The edges: each is where one library meets the token, and knows no other edge. */
    private static final List<String> EDGES = List.of("web", "http", "jdbc", "cluster", "jms", "batch", "kafka",
            "r2dbc", "grpc", "amqp");

    private static JavaClasses production;

    @BeforeAll
    static void importClasses() {
        production = new ClassFileImporter()
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_JARS)
                .importPackages("dev.cancellation");
    }

    static List<String> edges() {
        return EDGES;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("edges")
    void anEdgeImportsNoOtherEdge(String edge) {
        String[] others = EDGES.stream().filter(other -> !other.equals(edge))
                .map(other -> "dev.cancellation." + other + "..").toArray(String[]::new);
        noClasses().that().resideInAPackage("dev.cancellation." + edge + "..")
                .should().dependOnClassesThat().resideInAnyPackage(others)
                .because("an edge is switched on by its own library's presence and must work without the others")
                .check(production);
    }

    @Test
    void theGlueImportsNoEdge() {
        noClasses().that().resideInAnyPackage(GLUE)
                .should().dependOnClassesThat().resideInAnyPackage(
                        EDGES.stream().map(edge -> "dev.cancellation." + edge + "..").toArray(String[]::new))
                .because("the edges build on the glue, never the other way round")
                .check(production);
    }

    @Test
    void nothingImportsTheAutoConfiguration() {
        noClasses().that().resideOutsideOfPackage("dev.cancellation.autoconfigure..")
                .should().dependOnClassesThat().resideInAPackage("dev.cancellation.autoconfigure..")
                .because("the auto-configuration wires the packages together from the top: Boot's properties are "
                        + "read there and handed down as plain values")
                .check(production);
    }

    @Test
    void packagesFormNoCycle() {
        slices().matching("dev.cancellation.(*)..").should().beFreeOfCycles().check(production);
    }

    @Test
    void theGlueAndTheEdgesListedHereAreEveryPackageOfTheModule() {
        List<String> known = Arrays.stream(GLUE).map(glob -> glob.replace("..", "")).toList();
        production.stream().map(type -> type.getPackageName())
                .filter(name -> !name.equals("dev.cancellation.autoconfigure"))
                .filter(name -> name.startsWith("dev.cancellation.") && !name.startsWith("dev.cancellation.task")
                        && !name.startsWith("dev.cancellation.annotation")
                        // cancellation-kotlin's, on the test class path only (the web tests' suspend controllers)
                        && !name.startsWith("dev.cancellation.coroutines"))
                .forEach(name -> {
                    boolean listed = known.stream().anyMatch(name::startsWith)
                            || EDGES.stream().anyMatch(edge -> name.startsWith("dev.cancellation." + edge));
                    if (!listed) {
                        throw new AssertionError(name + " is neither glue nor an edge in " + ArchitectureTests.class
                                .getSimpleName() + ": add it to GLUE or EDGES so that its rules apply");
                    }
                });
    }
}
