package dev.cancellation.kafka;

import dev.cancellation.CancellationReason;
import dev.cancellation.messaging.ListenerInvocation;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.kafka.listener.MessageListenerContainer;

/**
 * Cancels the records in flight in a listener container that was asked to stop, with reason {@code SHUTDOWN},
 * once they have had the drain period to finish on their own. spring-kafka's {@code stop()} (a call, the
 * endpoint registry, the application's shutdown) only flags the container and waits for its consumer thread; the
 * thread is in the listener, so nothing tells it: this watch looks at the containers of the invocations in flight
 * every {@code tick} ({@code isRunning()}, a field read) and does nothing when none is in flight. The cancelled
 * record's listener throws, the error handler seeks it back ({@link CancellationBackOffFunction}), its offset is
 * not committed, and it is redelivered to whichever consumer gets its partition next.
 *
 * <p>Thread-safety: {@link #watch}/{@link #unwatch} from the consumer threads, the checks on the watch's own
 * daemon thread.
 */
public final class StoppedContainerWatch implements DisposableBean {

    private final Duration drain;
    private final Map<ListenerInvocation, Watched> inFlight = new ConcurrentHashMap<>();
    private final ScheduledExecutorService ticker;

    private static final class Watched {

        private final MessageListenerContainer container;
        private volatile Instant stoppedSince = Instant.MAX;

        Watched(MessageListenerContainer container) {
            this.container = container;
        }
    }

    /**
     * @param drain how long a record in flight may finish after its container was asked to stop
     * @param tick how often the containers of records in flight are looked at
     */
    public StoppedContainerWatch(Duration drain, Duration tick) {
        this.drain = Objects.requireNonNull(drain, "drain");
        if (tick.isNegative() || tick.isZero()) {
            throw new IllegalArgumentException("tick must be positive, but was " + tick);
        }
        this.ticker = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "cancellation-kafka-stop-watch");
            thread.setDaemon(true);
            return thread;
        });
        long millis = Math.max(1, tick.toMillis());
        ticker.scheduleWithFixedDelay(this::check, millis, millis, TimeUnit.MILLISECONDS);
    }

    /** Watches {@code container} for {@code invocation} until {@link #unwatch}. */
    void watch(ListenerInvocation invocation, MessageListenerContainer container) {
        inFlight.put(invocation, new Watched(container));
    }

    void unwatch(ListenerInvocation invocation) {
        inFlight.remove(invocation);
    }

    /** How many invocations are watched. */
    public int size() {
        return inFlight.size();
    }

    private void check() {
        if (inFlight.isEmpty()) {
            return;
        }
        Instant now = Instant.now();
        inFlight.forEach((invocation, watched) -> {
            if (watched.container.isRunning()) {
                return;
            }
            if (watched.stoppedSince == Instant.MAX) {
                watched.stoppedSince = now;
            }
            if (!now.isBefore(watched.stoppedSince.plus(drain))) {
                invocation.task().cancel(new CancellationReason(CancellationReason.Kind.SHUTDOWN,
                        "listener container stopped", now, "container " + watched.container.getListenerId()));
                inFlight.remove(invocation);
            }
        });
    }

    @Override
    public void destroy() {
        ticker.shutdownNow();
    }
}
