package dev.cancellation.web;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationSource;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.task.TaskHandle;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskSpec;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * One request being answered: its token (cancelled by the caller's deadline, the client going away, an operator
 * or shutdown) and, when requests are registered, its task in the registry.
 *
 * <p>Thread-safety: {@link #cancel}, {@link #close} and the accessors may be called from any thread (the
 * container's threads, the async listener, the shutdown thread); {@link #close} acts once.
 */
public final class InFlightRequest {

    /** The reason of a request whose client went away: kind {@code REQUESTED}, origin {@code client disconnected}. */
    public static CancellationReason clientDisconnected() {
        return CancellationReason.requested("the client closed the connection before the response was complete",
                "client disconnected");
    }

    private final CancellationSource source;
    private final @Nullable TaskRegistry registry;
    private final Consumer<InFlightRequest> onClose;
    private final AtomicBoolean closed = new AtomicBoolean();
    private volatile @Nullable TaskHandle task;
    private final AtomicReference<@Nullable CancellationSource> backstop = new AtomicReference<>();

    /**
     * @param registry where {@link #register} registers the request, {@code null} if nowhere
     * @param onClose told once, when the request is closed
     */
    InFlightRequest(CancellationSource source, @Nullable TaskRegistry registry, Consumer<InFlightRequest> onClose) {
        this.source = source;
        this.registry = registry;
        this.onClose = onClose;
    }

    /** The request's own token: the parent of everything done for it. */
    public CancellationToken requestToken() {
        return source.token();
    }

    /** The token to make current for the handler: the registered task's when there is one, else the request's. */
    public CancellationToken token() {
        TaskHandle registered = task;
        return (registered != null) ? registered.token() : source.token();
    }

    /** The registered task; {@code null} when requests are not registered (or not yet). */
    public @Nullable TaskHandle task() {
        return task;
    }

    /**
     * Registers the request as a task named {@code name} (once; later calls return the first task). Cancelling the
     * task (from the endpoint) cancels the request with the same reason.
     *
     * @throws IllegalStateException if there is no task registry to register it in
     */
    public TaskHandle register(String name) {
        TaskHandle registered = task;
        if (registered == null) {
            registered = registerTask(name);
            task = registered;
        }
        return registered;
    }

    private TaskHandle registerTask(String name) {
        if (registry == null) {
            throw new IllegalStateException("No TaskRegistry to register request '" + name + "' in");
        }
        // Never interrupted nor abandoned on its own: a request thread belongs to the server.
        TaskHandle handle = registry.start(new TaskSpec(name, requestToken(), null, null, null, null));
        handle.token().onCancel(this::cancel); // an operator cancelling the task cancels the whole request
        return handle;
    }

    /** Cancels the request (and the work done for it) with {@code reason}; returns whether this call did. */
    public boolean cancel(CancellationReason reason) {
        return source.cancel(reason);
    }

    /**
     * Closes the request {@code after} from now unless it is closed by then: for a request whose client is gone and
     * whose end the container may never report (a write to a closed connection of an async request can leave it
     * with no completion event). Arms one timer entry, released by {@link #close()}; later calls do nothing. The
     * close runs on the token library's callback pool, never on its timer thread.
     */
    public void closeAfter(Duration after) {
        if (closed.get()) {
            return;
        }
        CancellationSource timer = CancellationSource.withTimeout(after);
        if (!backstop.compareAndSet(null, timer)) {
            timer.close();
            return;
        }
        timer.token().onCancel(reason -> close());
        if (closed.get()) {
            timer.close(); // closed meanwhile: release the timer entry that close() may not have seen
        }
    }

    /** Whether {@link #close()} ran. */
    public boolean isClosed() {
        return closed.get();
    }

    /**
     * Ends the request: its task (if any) exits (cancelled if the request token was), its token source is closed
     * without cancelling, and it leaves the in-flight set. Idempotent.
     */
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            TaskHandle registered = task;
            if (registered != null && !registered.hasExited()) {
                CancellationReason reason = registered.token().reason().orElse(null);
                registered.exit((reason == null) ? null : TaskCancelledException.of(reason));
            }
        } finally {
            source.close();
            CancellationSource timer = backstop.get();
            if (timer != null) {
                timer.close();
            }
            onClose.accept(this);
        }
    }
}
