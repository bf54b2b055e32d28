package dev.cancellation;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.classes;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

import com.tngtech.archunit.core.domain.Dependency;
import com.tngtech.archunit.core.domain.JavaClass;
import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The core is a library of its own: nothing but the JDK on its class path, the token model at the bottom, the
 * annotations and the task registry on top of it; inside, it reads bottom-up: internals never call the facades
 * ({@link Cancellation}, {@code TaskRegistry}), and the only cycles between classes are a type and its engine.
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

    @Test
    void theTokenModelsInternalsNeverCallItsFacade() {
        noClasses().that().resideInAPackage("dev.cancellation").and().doNotHaveSimpleName("Cancellation")
                .and().areNotNestedClasses()
                .should().dependOnClassesThat().belongToAnyOf(Cancellation.class)
                .because("Cancellation is the helpers on top of the token model, not a way into it")
                .check(core);
    }

    @Test
    void theRegistrysPartsNeverCallTheRegistry() {
        noClasses().that().resideInAPackage("dev.cancellation.task").and().doNotHaveSimpleName("TaskRegistry")
                .and().areNotNestedClasses()
                .should().dependOnClassesThat().haveFullyQualifiedName("dev.cancellation.task.TaskRegistry")
                .because("TaskRegistry is a facade over parts with one job each")
                .check(core);
    }

    /**
     * Each cycle between (top-level) classes is a public type and its private engine, or a list and its nodes;
     * a new cycle is a dependency that runs back up.
     */
    @Test
    void theOnlyCyclesAreATypeAndItsEngine() {
        assertThat(cyclesBetweenClasses()).containsExactlyInAnyOrder(
                Set.of("TaskCancelledException", "TaskTimeoutException"), // of() picks the subclass
                Set.of("TokenList", "Node"), // a node unlinks itself from its list
                Set.of("Timer", "TimerEntry", "TimerLoop", "TimingWheel", "EntryStacks"), // the timer's engine
                Set.of("task.TaskHandle", "task.IdentifiedTask", "task.EscalationSteps", "task.TaskAttachment"),
                Set.of("task.LiveTasks", "task.TaskFrames")); // a frame moves into the table when observed
    }

    /** Strongly connected components of more than one top-level class (Tarjan), named relative to the core. */
    private static List<Set<String>> cyclesBetweenClasses() {
        Map<String, Set<String>> edges = new HashMap<>();
        for (JavaClass type : core) {
            String from = topLevel(type);
            for (Dependency dependency : type.getDirectDependenciesFromSelf()) {
                JavaClass target = dependency.getTargetClass();
                if (target.getPackageName().startsWith("dev.cancellation") && core.contain(target.getName())) {
                    String to = topLevel(core.get(target.getName()));
                    if (!to.equals(from)) {
                        edges.computeIfAbsent(from, key -> new TreeSet<>()).add(to);
                    }
                }
            }
        }
        return new Tarjan(edges).components().stream().filter(component -> component.size() > 1)
                .map(component -> component.stream().map(name -> name.replace("dev.cancellation.", ""))
                        .collect(Collectors.toSet()))
                .toList();
    }

    private static String topLevel(JavaClass type) {
        JavaClass outer = type;
        while (outer.getEnclosingClass().isPresent()) {
            outer = outer.getEnclosingClass().get();
        }
        return outer.getName();
    }

    private static final class Tarjan {
        private final Map<String, Set<String>> edges;
        private final Map<String, Integer> index = new HashMap<>();
        private final Map<String, Integer> low = new HashMap<>();
        private final Deque<String> stack = new ArrayDeque<>();
        private final Set<String> onStack = new HashSet<>();
        private final List<Set<String>> components = new ArrayList<>();

        Tarjan(Map<String, Set<String>> edges) {
            this.edges = edges;
        }

        List<Set<String>> components() {
            new TreeSet<>(edges.keySet()).forEach(node -> {
                if (!index.containsKey(node)) {
                    visit(node);
                }
            });
            return components;
        }

        private void visit(String node) {
            index.put(node, index.size());
            low.put(node, index.get(node));
            stack.push(node);
            onStack.add(node);
            for (String next : edges.getOrDefault(node, Set.of())) {
                if (!index.containsKey(next)) {
                    visit(next);
                    low.put(node, Math.min(low.get(node), low.get(next)));
                } else if (onStack.contains(next)) {
                    low.put(node, Math.min(low.get(node), index.get(next)));
                }
            }
            if (low.get(node).equals(index.get(node))) {
                Set<String> component = new HashSet<>();
                String member;
                do {
                    member = stack.pop();
                    onStack.remove(member);
                    component.add(member);
                } while (!member.equals(node));
                components.add(component);
            }
        }
    }
}
