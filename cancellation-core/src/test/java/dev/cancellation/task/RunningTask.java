package dev.cancellation.task;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

/** A task run through {@link TaskRegistry#call} on its own thread, for tests. */
final class RunningTask {

    /** Completes with the result, or with the Throwable the call threw (TaskCancelledException is a
     * CancellationException, which CompletableFuture would treat as its own cancellation). */
    final CompletableFuture<Object[]> outcome = new CompletableFuture<>();
    final AtomicReference<TaskHandle> handle = new AtomicReference<>();
    final CountDownLatch started = new CountDownLatch(1);
    /** Whether the task's thread was still interrupted after call() returned. */
    final AtomicBoolean interruptedAfter = new AtomicBoolean();
    volatile Thread thread;

    static RunningTask start(TaskRegistry registry, TaskSpec spec, TaskRegistry.TaskBody<?> body) {
        RunningTask task = new RunningTask();
        Thread thread = new Thread(() -> {
            try {
                Object result = registry.call(spec, token -> {
                    task.handle.set(registry.handleFor(token).orElseThrow());
                    task.started.countDown();
                    return body.run(token);
                });
                task.interruptedAfter.set(Thread.interrupted());
                task.outcome.complete(new Object[] {result, null});
            } catch (Throwable ex) {
                task.interruptedAfter.set(Thread.interrupted());
                task.outcome.complete(new Object[] {null, ex});
            } finally {
                task.started.countDown();
            }
        }, "task-" + spec.name());
        task.thread = thread;
        thread.setDaemon(true);
        thread.start();
        try {
            if (!task.started.await(10, TimeUnit.SECONDS)) {
                throw new AssertionError("task did not start");
            }
        } catch (InterruptedException ex) {
            throw new AssertionError(ex);
        }
        return task;
    }

    String id() {
        return handle.get().id();
    }

    /** The exception the task's call ended with (waits up to 10s). */
    Throwable failure() {
        Object[] done = await();
        if (done[1] == null) {
            throw new AssertionError("task completed normally with " + done[0]);
        }
        return (Throwable) done[1];
    }

    Object result() {
        Object[] done = await();
        if (done[1] != null) {
            throw new AssertionError("task failed", (Throwable) done[1]);
        }
        return done[0];
    }

    private Object[] await() {
        try {
            return outcome.get(10, TimeUnit.SECONDS);
        } catch (Exception ex) {
            throw new AssertionError(ex);
        }
    }
}
