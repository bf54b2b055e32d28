package dev.cancellation.spring;

import static dev.cancellation.spring.CancellableTestSupport.startupFails;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.CancellationReason;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.annotation.OnCancel;
import dev.cancellation.task.TaskInfo;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** Invalid use of {@code @Cancellable} and {@code @OnCancel} fails startup with a message naming the culprit. */
class CancellableStartupFailureTests {

    @Test
    void unparsableTimeout() {
        fails(BadTimeout.class, "Invalid @Cancellable on BadTimeout.work() of bean class "
                + BadTimeout.class.getName() + ": timeout \"soon\" is not a duration");
    }

    @Test
    void negativeTimeout() {
        fails(NegativeTimeout.class, "NegativeTimeout.work()", "timeout \"-5s\" is negative");
    }

    @Test
    void negativeInterruptAfter() {
        fails(NegativeGrace.class, "NegativeGrace.work()", "interruptAfter \"-2s\" is negative");
    }

    @Test
    void placeholderResolvingToAnInvalidValueIsNamedWithBothValues() {
        CancellableTestSupport.runner().withBean(PlaceholderTimeout.class).withPropertyValues("app.timeout=later")
                .run(startupFails("PlaceholderTimeout.work()", "timeout \"${app.timeout}\" (resolved to \"later\")",
                        "is not a duration"));
    }

    @Test
    void unresolvablePlaceholder() {
        fails(PlaceholderTimeout.class, "PlaceholderTimeout.work()",
                "has a placeholder that cannot be resolved");
    }

    @Test
    void privateMethod() {
        fails(PrivateMethod.class, "cannot apply to PrivateMethod.work()", "it is private");
    }

    @Test
    void finalMethod() {
        fails(FinalMethod.class, "cannot apply to FinalMethod.work()", "it is final");
    }

    @Test
    void staticMethod() {
        fails(StaticMethod.class, "cannot apply to StaticMethod.work()", "it is static");
    }

    @Test
    void asyncAndRetryableTogether() {
        CancellableTestSupport.runner().withBean(AsyncRetryable.class)
                .withUserConfiguration(CancellableWithSpringAnnotationsTests.ResilientConfig.class)
                .run(startupFails("@Cancellable cannot apply to AsyncRetryable.sync()",
                        "it is both @Async and @Retryable"));
    }

    static class AsyncRetryable {
        @Cancellable
        @org.springframework.scheduling.annotation.Async
        @org.springframework.resilience.annotation.Retryable
        public CompletableFuture<String> sync() {
            return CompletableFuture.completedFuture("done");
        }
    }

    @Test
    void onCancelNamingNoTask() {
        fails(OnCancelUnknownName.class, "Invalid @OnCancel method OnCancelUnknownName.cleanup()",
                "\"nope\" matches no @Cancellable task of the bean (its tasks: [OnCancelUnknownName.work])");
    }

    @Test
    void onCancelWithBadReturnType() {
        fails(OnCancelBadReturn.class, "Invalid @OnCancel method OnCancelBadReturn.cleanup()",
                "it returns java.lang.String; it must return void or a CompletionStage");
    }

    @Test
    void onCancelWithParametersThatAreNoPrefix() {
        fails(OnCancelBadParameters.class, "Invalid @OnCancel method OnCancelBadParameters.cleanup(Integer)",
                "are not a prefix of the parameters");
    }

    @Test
    void onCancelWithReasonAfterArguments() {
        fails(OnCancelReasonLate.class, "OnCancelReasonLate.cleanup(String, CancellationReason)",
                "must come before the call's arguments");
    }

    @Test
    void onCancelWithoutCancellableMethods() {
        fails(OnCancelAlone.class, "Invalid @OnCancel method OnCancelAlone.cleanup()",
                "the bean has no @Cancellable method");
    }

    @Test
    void ambiguousOnCancel() {
        fails(OnCancelAmbiguous.class, "Ambiguous @OnCancel methods for task OnCancelAmbiguous.work");
    }

    @Test
    void validSignaturesStart() {
        CancellableTestSupport.runner().withBean(Valid.class).run(context -> assertThat(context).hasNotFailed());
    }

    private static void fails(Class<?> beanClass, String... messageParts) {
        CancellableTestSupport.runner().withBean(beanClass).run(startupFails(messageParts));
    }

    static class BadTimeout {
        @Cancellable(timeout = "soon")
        public void work() {
        }
    }

    static class NegativeTimeout {
        @Cancellable(timeout = "-5s")
        public void work() {
        }
    }

    static class NegativeGrace {
        @Cancellable(interruptAfter = "-2s")
        public void work() {
        }
    }

    static class PlaceholderTimeout {
        @Cancellable(timeout = "${app.timeout}")
        public void work() {
        }
    }

    static class PrivateMethod {
        @Cancellable
        private void work() {
        }
    }

    static class FinalMethod {
        @Cancellable
        public final void work() {
        }
    }

    static class StaticMethod {
        @Cancellable
        public static void work() {
        }
    }

    static class OnCancelUnknownName {
        @Cancellable
        public void work() {
        }

        @OnCancel("nope")
        void cleanup() {
        }
    }

    static class OnCancelBadReturn {
        @Cancellable
        public void work() {
        }

        @OnCancel
        String cleanup() {
            return "";
        }
    }

    static class OnCancelBadParameters {
        @Cancellable
        public void work(String id) {
        }

        @OnCancel
        void cleanup(Integer id) {
        }
    }

    static class OnCancelReasonLate {
        @Cancellable
        public void work(String id) {
        }

        @OnCancel
        void cleanup(String id, CancellationReason reason) {
        }
    }

    static class OnCancelAlone {
        @OnCancel
        void cleanup() {
        }
    }

    static class OnCancelAmbiguous {
        @Cancellable
        public void work() {
        }

        @OnCancel
        void one() {
        }

        @OnCancel
        void two() {
        }
    }

    static class Valid {
        @Cancellable(timeout = "PT2M", interruptAfter = "never")
        public void a(String id, int count) {
        }

        @Cancellable(timeout = "none", interruptAfter = "-1")
        public CompletableFuture<String> b(String id) {
            return CompletableFuture.completedFuture(id);
        }

        @OnCancel("Valid.a")
        void forA(TaskInfo task, CancellationReason reason, String id, int count) {
        }

        @OnCancel
        CompletableFuture<Void> forAll(CancellationReason reason, Object id) {
            return CompletableFuture.completedFuture(null);
        }
    }
}
