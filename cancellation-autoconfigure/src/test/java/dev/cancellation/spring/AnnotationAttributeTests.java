package dev.cancellation.spring;

import static dev.cancellation.spring.CancellableTestSupport.runner;
import static dev.cancellation.spring.CancellableTestSupport.startupFails;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.annotation.OnCancel;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * {@code @Cancellable} and {@code @OnCancel} attributes given nonsense: each works in a documented way or fails
 * startup naming the class, the method and the value. Complements {@code CancellableStartupFailureTests}.
 */
class AnnotationAttributeTests {

    // ------------------------------------------------------------------------------------------ failing startup

    @Test
    void wrongUnitFailsNamingClassMethodAndValue() {
        runner().withBean(Parsecs.class).run(startupFails("Invalid @Cancellable on Parsecs.work() of bean class "
                + Parsecs.class.getName(), "timeout \"5 parsecs\" is not a duration",
                "expected e.g. \"500ms\", \"30s\", \"2m\" or \"PT2M\", or \"none\""));
    }

    @Test
    void spelledOutUnitFails() {
        runner().withBean(SpelledOut.class).run(startupFails("SpelledOut.work()", "interruptAfter \"10 sec\"",
                "is not a duration", "or \"never\""));
    }

    @Test
    void numberTooBigForADurationFails() {
        runner().withBean(Overflow.class).run(startupFails("Overflow.work()",
                "timeout \"99999999999999999999d\" is not a duration"));
    }

    @Test
    void placeholderResolvingToANegativeDurationFailsWithBothValues() {
        runner().withBean(Placeholders.class).withPropertyValues("app.timeout=-3s").run(startupFails(
                "Placeholders.configured()", "timeout \"${app.timeout}\" (resolved to \"-3s\") is negative"));
    }

    @Test
    void onCancelWithTaskInfoTwiceFailsNamingTheMethod() {
        runner().withBean(InfoTwice.class).run(startupFails("Invalid @OnCancel method InfoTwice.cleanup(TaskInfo, "
                + "TaskInfo)", "at most once"));
    }

    @Test
    void onCancelReturningAPrimitiveFailsNamingTheMethod() {
        runner().withBean(ReturnsInt.class).run(startupFails("Invalid @OnCancel method ReturnsInt.cleanup()",
                "it returns int; it must return void or a CompletionStage"));
    }

    @Test
    void staticOnCancelFailsNamingTheMethod() {
        runner().withBean(StaticCleanup.class).run(startupFails("Invalid @OnCancel method StaticCleanup.cleanup()",
                "it must not be static"));
    }

    @Test
    void onCancelWithMoreParametersThanTheTaskFails() {
        runner().withBean(TooManyArguments.class).run(startupFails(
                "Invalid @OnCancel method TooManyArguments.cleanup(String, String)",
                "are not a prefix of the parameters of any of the tasks it is for: [TooManyArguments.work(String)]"));
    }

    // ------------------------------------------------------------------------------------------ working sensibly

    @Test
    void emptyAndBlankAttributesMeanTheConfiguredDefaults() {
        runner().withBean(Blank.class).withPropertyValues("cancellation.default-timeout=7m").run(context -> {
            assertThat(context).hasNotFailed();
            Blank bean = context.getBean(Blank.class);
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            AtomicReference<TaskInfo> seen = new AtomicReference<>();
            bean.work(registry, seen);
            TaskInfo task = seen.get();
            // blank name: the default name; blank timeout: cancellation.default-timeout
            assertThat(task.name()).isEqualTo("Blank.work");
            assertThat(task.deadline()).isBetween(task.startedAt().plus(Duration.ofMinutes(6)),
                    task.startedAt().plus(Duration.ofMinutes(8)));
            assertThat(registry.size()).isZero();
        });
    }

    @Test
    void nameIsTrimmed() {
        runner().withBean(Padded.class).run(context -> {
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            AtomicReference<TaskInfo> seen = new AtomicReference<>();
            context.getBean(Padded.class).work(registry, seen);
            assertThat(seen.get().name()).isEqualTo("padded task");
        });
    }

    @Test
    void zeroAndNoneTimeoutMeanNoTimeoutEvenWithADefault() {
        runner().withBean(NoTimeouts.class).withPropertyValues("cancellation.default-timeout=7m").run(context -> {
            NoTimeouts bean = context.getBean(NoTimeouts.class);
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            AtomicReference<TaskInfo> zero = new AtomicReference<>();
            AtomicReference<TaskInfo> none = new AtomicReference<>();
            bean.zero(registry, zero);
            bean.none(registry, none);
            assertThat(zero.get().deadline()).isNull();
            assertThat(none.get().deadline()).isNull();
        });
    }

    @Test
    void hugeDurationsAreAcceptedAndNeverFire() {
        runner().withBean(Huge.class).run(context -> {
            assertThat(context).hasNotFailed();
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            AtomicReference<TaskInfo> seen = new AtomicReference<>();
            AtomicReference<Boolean> cancelled = new AtomicReference<>();
            context.getBean(Huge.class).work(registry, seen, cancelled);
            // about 2.7 million years from now: a valid instant, and the token is not cancelled
            assertThat(seen.get().deadline()).isAfter(Instant.parse("+100000-01-01T00:00:00Z"));
            assertThat(cancelled.get()).isFalse();
            assertThat(registry.size()).isZero();
        });
    }

    @Test
    void placeholdersWithDefaultsAndEmptyResolutionsWork() {
        runner().withBean(Placeholders.class).withPropertyValues("app.timeout=1s").run(context -> {
            assertThat(context).hasNotFailed();
            Placeholders bean = context.getBean(Placeholders.class);
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            AtomicReference<TaskInfo> withDefault = new AtomicReference<>();
            AtomicReference<TaskInfo> empty = new AtomicReference<>();
            bean.withDefault(registry, withDefault);
            bean.empty(registry, empty);
            TaskInfo task = withDefault.get();
            assertThat(Duration.between(task.startedAt(), task.deadline())).isBetween(Duration.ofSeconds(40),
                    Duration.ofSeconds(50));
            assertThat(empty.get().deadline()).isNull(); // resolved to "": the default, none here
        });
    }

    @Test
    void blankOnCancelValueMeansEveryTaskOfTheBean() {
        runner().withBean(BlankOnCancel.class).run(context -> assertThat(context).hasNotFailed());
    }

    // ------------------------------------------------------------------------------------------ beans

    /** Records the task running the current call. */
    static void record(TaskRegistry registry, AtomicReference<TaskInfo> sink) {
        sink.set(registry.handleFor(CancellationToken.current()).orElseThrow().info());
    }

    static class Parsecs {
        @Cancellable(timeout = "5 parsecs")
        public void work() {
        }
    }

    static class SpelledOut {
        @Cancellable(interruptAfter = "10 sec")
        public void work() {
        }
    }

    static class Overflow {
        @Cancellable(timeout = "99999999999999999999d")
        public void work() {
        }
    }

    static class InfoTwice {
        @Cancellable
        public void work() {
        }

        @OnCancel
        void cleanup(TaskInfo first, TaskInfo second) {
        }
    }

    static class ReturnsInt {
        @Cancellable
        public void work() {
        }

        @OnCancel
        int cleanup() {
            return 0;
        }
    }

    static class StaticCleanup {
        @Cancellable
        public void work() {
        }

        @OnCancel
        static void cleanup() {
        }
    }

    static class TooManyArguments {
        @Cancellable
        public void work(String id) {
        }

        @OnCancel
        void cleanup(String id, String more) {
        }
    }

    static class Blank {
        @Cancellable(name = "   ", timeout = "  ", interruptAfter = "")
        public void work(TaskRegistry registry, AtomicReference<TaskInfo> sink) {
            record(registry, sink);
        }
    }

    static class Padded {
        @Cancellable(name = "  padded task \t")
        public void work(TaskRegistry registry, AtomicReference<TaskInfo> sink) {
            record(registry, sink);
        }
    }

    static class NoTimeouts {
        @Cancellable(timeout = "0")
        public void zero(TaskRegistry registry, AtomicReference<TaskInfo> sink) {
            record(registry, sink);
        }

        @Cancellable(timeout = "none")
        public void none(TaskRegistry registry, AtomicReference<TaskInfo> sink) {
            record(registry, sink);
        }
    }

    static class Huge {
        @Cancellable(timeout = "999999999d", interruptAfter = "999999999d")
        public void work(TaskRegistry registry, AtomicReference<TaskInfo> sink, AtomicReference<Boolean> cancelled) {
            record(registry, sink);
            cancelled.set(CancellationToken.current().isCancelled());
        }
    }

    static class Placeholders {
        @Cancellable(timeout = "${app.timeout}")
        public void configured() {
        }

        @Cancellable(timeout = "${app.missing:45s}")
        public void withDefault(TaskRegistry registry, AtomicReference<TaskInfo> sink) {
            record(registry, sink);
        }

        @Cancellable(timeout = "${app.missing:}")
        public void empty(TaskRegistry registry, AtomicReference<TaskInfo> sink) {
            record(registry, sink);
        }
    }

    static class BlankOnCancel {
        @Cancellable
        public void a(String id) {
        }

        @Cancellable
        public void b(String id, int count) {
        }

        @OnCancel("  ")
        void cleanup(CancellationReason reason, String id) {
        }
    }
}
