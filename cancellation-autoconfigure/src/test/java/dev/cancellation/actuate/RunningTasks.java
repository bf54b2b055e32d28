package dev.cancellation.actuate;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.task.CleanupAction;
import dev.cancellation.task.TaskAttachment;
import dev.cancellation.task.TaskHandle;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskSpec;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.awaitility.Awaitility;

/**
 * Test support: tasks registered in a {@link TaskRegistry} and run on their own threads, each blocked until it is
 * cancelled (then it exits cooperatively), interrupted, or told to complete or fail. No sleeps: everything is
 * driven by futures.
 */
public final class RunningTasks implements AutoCloseable {

    private final TaskRegistry registry;
    private final List<Running> started = new CopyOnWriteArrayList<>();

    public RunningTasks(TaskRegistry registry) {
        this.registry = registry;
    }

    /** A spec that never interrupts nor abandons by itself (within a test), with an optional timeout. */
    public static TaskSpec spec(String name, Duration timeout) {
        return new TaskSpec(name, CancellationToken.none(), timeout, null, Duration.ofMinutes(10), null);
    }

    /** Starts a top-level task named {@code name} without timeout and waits until it is registered. */
    public Running start(String name) {
        return start(spec(name, null));
    }

    /** Starts a task started from {@code parent}. */
    public Running startChild(Running parent, String name) {
        return start(spec(name, null).withParent(parent.handle().token()));
    }

    /** Starts a task with a cleanup. */
    public Running start(String name, CleanupAction cleanup) {
        return start(spec(name, null).withCleanup(cleanup));
    }

    /** Starts a task from {@code spec} on a new thread and waits until it is registered and attached. */
    public Running start(TaskSpec spec) {
        return start(spec, false);
    }

    /**
     * Starts a task that ignores its token: it only stops when released or interrupted (its spec never interrupts
     * it by itself).
     */
    public Running startStubborn(String name) {
        return start(spec(name, null), true);
    }

    /** Starts a task from {@code spec}; with {@code ignoreCancel} it only stops when released or interrupted. */
    public Running start(TaskSpec spec, boolean ignoreCancel) {
        Running running = new Running(ignoreCancel);
        Thread thread = new Thread(() -> running.run(registry, spec), "task-" + spec.name());
        thread.setDaemon(true);
        running.thread = thread;
        started.add(running);
        thread.start();
        running.attached.join();
        return running;
    }

    /** Waits until the registry has no live task and no pending cleanup. */
    public void awaitQuiet() {
        Awaitility.await().atMost(PROMPTLY).until(() -> registry.size() == 0 && registry.pendingCleanups() == 0);
    }

    /** Lets every task still running complete, and waits for their threads. */
    @Override
    public void close() throws InterruptedException {
        for (Running running : started) {
            running.release.complete(null);
        }
        for (Running running : started) {
            running.thread.join(PROMPTLY.toMillis());
        }
    }

    /** One task and its thread. */
    public static final class Running {

        private final CompletableFuture<TaskHandle> registered = new CompletableFuture<>();
        private final CompletableFuture<Void> attached = new CompletableFuture<>();
        private final CompletableFuture<Throwable> release = new CompletableFuture<>();
        private final CompletableFuture<Throwable> exited = new CompletableFuture<>();
        private volatile boolean interrupted;
        private volatile Thread thread;
        private final boolean ignoreCancel;

        private Running(boolean ignoreCancel) {
            this.ignoreCancel = ignoreCancel;
        }

        private void run(TaskRegistry registry, TaskSpec spec) {
            TaskHandle handle;
            try {
                handle = registry.start(spec);
            } catch (RuntimeException ex) {
                registered.completeExceptionally(ex);
                attached.completeExceptionally(ex);
                return;
            }
            registered.complete(handle);
            Throwable failure = null;
            try (TaskAttachment ignored = handle.attach()) {
                attached.complete(null);
                CompletableFuture<?> cancelled = ignoreCancel ? new CompletableFuture<>()
                        : handle.token().whenCancelled().toCompletableFuture();
                CompletableFuture.anyOf(cancelled, release).get();
                if (release.isDone()) {
                    failure = release.join();
                } else {
                    failure = TaskCancelledException.of(handle.token().reason().orElseThrow(), spec.name());
                }
            } catch (InterruptedException ex) {
                interrupted = true;
                failure = ex;
            } catch (ExecutionException ex) {
                failure = ex.getCause();
            }
            exited.complete(handle.exit(failure));
        }

        /** The task's handle. */
        public TaskHandle handle() {
            return registered.join();
        }

        /** The task's id. */
        public String id() {
            return handle().id();
        }

        /** The thread running the task. */
        public Thread thread() {
            return thread;
        }

        /** Lets the task return normally. */
        public void complete() {
            release.complete(null);
        }

        /** Lets the task throw {@code failure}. */
        public void fail(Throwable failure) {
            release.complete(failure);
        }

        /** Waits for the task's code to exit and returns what its exit asked to throw ({@code null} if nothing). */
        public Throwable awaitExit() {
            try {
                return exited.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException | ExecutionException | TimeoutException ex) {
                throw new AssertionError("Task " + thread.getName() + " did not exit within " + PROMPTLY, ex);
            }
        }

        /** Whether the task's thread was interrupted while it waited. */
        public boolean wasInterrupted() {
            return interrupted;
        }

        /** Asserts the task exited because it was cancelled. */
        public void assertCancelled() {
            assertThat(awaitExit()).isInstanceOf(TaskCancelledException.class);
        }
    }
}
