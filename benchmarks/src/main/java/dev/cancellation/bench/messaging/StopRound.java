package dev.cancellation.bench.messaging;

import dev.cancellation.Cancellation;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * The stop-latency rows' round: a message put in flight before each measured stop, whose listener body is one
 * cancellable wait of {@value #WORK_MILLIS} ms (the long job of a message), and the measured stop: from
 * {@code context.stop()} (what an application's shutdown does to its listener containers) until the in-flight
 * invocation has ended and the stop returned. Between two stops the application is started again. Messages of an
 * earlier round, redelivered after their stop, pass through the listener at once.
 *
 * <p>A JMH state (subclassed by each row's {@code @State} classes, which start the application in their
 * {@code Level.Trial} setup); thread-safety: the listener's thread runs {@link #work}, the benchmark's the rest.
 */
public abstract class StopRound {

    public static final long WORK_MILLIS = 2_000;

    private ListenerApplication application;
    private volatile String current = "";
    private volatile CountDownLatch entered = new CountDownLatch(1);
    private volatile CountDownLatch exited = new CountDownLatch(1);
    private int round;

    /** The application to stop; set by the subclass's trial setup. */
    protected void use(ListenerApplication started) {
        this.application = started;
    }

    /** The listener's body: blocks on the message of the current round, cancellably; others pass. */
    public void work(String body) throws InterruptedException {
        if (!body.equals(current)) {
            return; // a message of an earlier round, redelivered after its stop
        }
        CountDownLatch done = exited;
        entered.countDown();
        try {
            Cancellation.sleep(Duration.ofMillis(WORK_MILLIS));
        } finally {
            done.countDown();
        }
    }

    @Setup(Level.Invocation)
    public void messageInFlight() throws Exception {
        if (!application.context().isRunning()) {
            application.context().start();
        }
        entered = new CountDownLatch(1);
        exited = new CountDownLatch(1);
        current = "work-" + (++round);
        application.send(current);
        application.flush();
        if (!entered.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("The listener did not get message " + current + " in 30 s");
        }
        Thread.sleep(intoTheJobMillis());
    }

    /**
     * How long the message has been in the listener when the stop comes; none by default. A row whose client
     * still has a request out right after a delivery (the Kafka consumer's next fetch, which its close waits for)
     * stops later in the job, so that neither variant measures that request.
     */
    protected long intoTheJobMillis() {
        return 0;
    }

    /** Stops the application's lifecycle beans and waits for the in-flight invocation to end; in nanoseconds. */
    public long stop() throws InterruptedException {
        long start = System.nanoTime();
        application.context().stop();
        if (!exited.await(30, TimeUnit.SECONDS)) {
            throw new IllegalStateException("The invocation of " + current + " did not end in 30 s");
        }
        return System.nanoTime() - start;
    }

    @TearDown(Level.Trial)
    public void close() throws Exception {
        application.close();
    }
}
