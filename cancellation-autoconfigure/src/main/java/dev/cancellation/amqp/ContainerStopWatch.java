package dev.cancellation.amqp;

import dev.cancellation.CancellationReason;
import dev.cancellation.messaging.ListenerInvocation;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.springframework.amqp.rabbit.listener.AbstractMessageListenerContainer;

/**
 * Notices that the container of an invocation in flight stops, and cancels the invocation with {@code SHUTDOWN}
 * once the drain period has passed since. Spring AMQP offers no callback when a container's stop begins (its
 * {@code isActive()} turns false at once, while the stop waits for the consumers), so one daemon thread looks at the
 * containers of the invocations in flight every {@link #TICK}, and only while there are some to look at.
 *
 * <p>Thread-safety: every method may be called from any thread, concurrently.
 */
final class ContainerStopWatch implements AutoCloseable {

    /** How often the containers of invocations in flight are looked at. */
    static final Duration TICK = Duration.ofMillis(50);

    private final Duration drain;
    private final Map<ListenerInvocation, Watched> watched = new ConcurrentHashMap<>();
    private final AtomicBoolean started = new AtomicBoolean();
    private final ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(runnable -> {
        Thread thread = new Thread(runnable, "cancellation-rabbit-stop-watch");
        thread.setDaemon(true);
        return thread;
    });

    ContainerStopWatch(Duration drain) {
        this.drain = drain;
    }

    /** Watches {@code container} for a stop while {@code invocation} is in flight. */
    void watch(ListenerInvocation invocation, AbstractMessageListenerContainer container) {
        watched.put(invocation, new Watched(container));
        if (started.compareAndSet(false, true)) {
            ticker.scheduleWithFixedDelay(this::tick, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Stops watching for {@code invocation}: it has ended. */
    void unwatch(ListenerInvocation invocation) {
        watched.remove(invocation);
    }

    private void tick() {
        long now = System.nanoTime();
        watched.forEach((invocation, watch) -> {
            if (watch.container.isActive()) {
                return;
            }
            if (watch.stoppedAt == 0) {
                watch.stoppedAt = now;
            }
            if (now - watch.stoppedAt >= drain.toNanos()) {
                watched.remove(invocation);
                invocation.task().cancel(CancellationReason.shutdown("listener container "
                        + watch.container.getListenerId() + " stopped"));
            }
        });
    }

    @Override
    public void close() {
        ticker.shutdownNow();
    }

    /** A container and when its stop was first seen ({@code 0} while it runs); written by the ticker only. */
    private static final class Watched {

        final AbstractMessageListenerContainer container;
        long stoppedAt;

        Watched(AbstractMessageListenerContainer container) {
            this.container = container;
        }
    }
}
