package dev.cancellation.jms;

import dev.cancellation.CancellationReason;
import dev.cancellation.messaging.ListenerInvocations;
import java.time.Duration;
import java.util.Objects;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.springframework.context.SmartLifecycle;

/**
 * Bounds the stop of the JMS listener containers. Spring JMS stops a container by letting the message in hand
 * finish, however long it takes. This bean stops in the same phase as the {@code JmsListenerEndpointRegistry}
 * ({@link SmartLifecycle#DEFAULT_PHASE}), concurrently with it: the containers take no new message, the invocations
 * in flight get the drain period to finish, then are cancelled with reason {@code SHUTDOWN}; their listeners throw
 * the {@code TaskCancelledException}, the transacted sessions roll back and the broker redelivers the messages to
 * the next consumer. It runs at the application's shutdown and at {@code context.stop()}.
 *
 * <p>Thread-safety: {@code start}/{@code stop} are called by the lifecycle processor; the wait runs on a thread of
 * its own so that the registry's own stop proceeds meanwhile.
 */
public class JmsListenerStop implements SmartLifecycle {

    private static final Log logger = LogFactory.getLog(JmsListenerStop.class);

    private final ListenerInvocations invocations;
    private final Duration cancelledExitWait;
    private volatile boolean running;

    /**
     * @param invocations the JMS listener invocations; their {@link ListenerInvocations#period() drain period} is
     *     how long they may finish on their own
     * @param cancelledExitWait how long the stop then waits for the cancelled ones to exit
     */
    public JmsListenerStop(ListenerInvocations invocations, Duration cancelledExitWait) {
        this.invocations = Objects.requireNonNull(invocations, "invocations");
        this.cancelledExitWait = Objects.requireNonNull(cancelledExitWait, "cancelledExitWait");
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        running = false;
        drain();
    }

    @Override
    public void stop(Runnable callback) {
        running = false;
        if (invocations.size() == 0) {
            callback.run();
            return;
        }
        Thread thread = new Thread(() -> {
            try {
                drain();
            } finally {
                callback.run();
            }
        }, "cancellation-jms-stop");
        thread.setDaemon(true);
        thread.start();
    }

    private void drain() {
        try {
            if (invocations.awaitIdle(invocations.period())) {
                return;
            }
            int cancelled = invocations.cancelRemaining(
                    CancellationReason.shutdown("JMS listener containers stopping"));
            logger.info("Cancelled " + cancelled + " JMS listener invocation(s) still running after the drain period "
                    + "of " + invocations.period() + "; their messages are rolled back for redelivery");
            if (!invocations.awaitIdle(cancelledExitWait)) {
                logger.warn(invocations.size() + " JMS listener invocation(s) still running " + cancelledExitWait
                        + " after their cancel");
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    /** The phase of the {@code JmsListenerEndpointRegistry}, so that both stop together. */
    @Override
    public int getPhase() {
        return SmartLifecycle.DEFAULT_PHASE;
    }
}
