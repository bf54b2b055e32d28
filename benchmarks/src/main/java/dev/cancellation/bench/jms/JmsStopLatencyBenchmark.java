package dev.cancellation.bench.jms;

import dev.cancellation.Cancellation;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.springframework.jms.annotation.JmsListener;

/**
 * Stop latency of a JMS listener with a message in flight: the time from {@code context.stop()} (what an
 * application's shutdown does to its listener containers) until the in-flight invocation has ended and the stop
 * returned. The listener's body is one cancellable wait of {@value #WORK_MILLIS} ms, the long job of a message:
 * <ul>
 *   <li>{@code containerStopWithoutEdge}: {@code cancellation.jms.enabled=false}: Spring JMS's own stop lets the
 *       message in hand finish, so the stop takes what is left of the job;</li>
 *   <li>{@code stopWithEdge}: the edge's stop lets the invocation finish within the drain period
 *       ({@code cancellation.messaging.shutdown-drain}, the {@code drain} parameter), then cancels it with
 *       {@code SHUTDOWN}; the body wakes up, the session rolls back and the container stops. The message is
 *       redelivered at the next start (and taken at once, before the next measured message).</li>
 * </ul>
 * One measured stop per invocation; between two, the application is started again and a new message is put in
 * flight.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class JmsStopLatencyBenchmark {

    static final long WORK_MILLIS = 2_000;

    /** Blocks on the message of the current round for {@value #WORK_MILLIS} ms, cancellably; others pass. */
    public static class WorkingListener {

        volatile String current = "";
        volatile CountDownLatch entered = new CountDownLatch(1);
        volatile CountDownLatch exited = new CountDownLatch(1);

        @JmsListener(id = "orders", destination = JmsBenchApplication.QUEUE)
        public void onOrder(String body) throws InterruptedException {
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
    }

    /** One application with a message in flight before each measured stop. */
    abstract static class InFlight {

        JmsBenchApplication application;
        WorkingListener listener;
        private int round;

        void start(boolean edge, String... properties) throws Exception {
            listener = new WorkingListener();
            application = JmsBenchApplication.start(edge, listener, properties);
        }

        @Setup(Level.Invocation)
        public void messageInFlight() throws Exception {
            if (!application.context().isRunning()) {
                application.context().start();
            }
            listener.entered = new CountDownLatch(1);
            listener.exited = new CountDownLatch(1);
            listener.current = "work-" + (++round);
            application.send(listener.current);
            if (!listener.entered.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("The listener did not get message " + listener.current + " in 30 s");
            }
        }

        /** Stops the application's lifecycle beans and waits for the in-flight invocation to end. */
        long stop() throws InterruptedException {
            long start = System.nanoTime();
            application.context().stop();
            if (!listener.exited.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("The invocation of " + listener.current + " did not end in 30 s");
            }
            return System.nanoTime() - start;
        }

        @TearDown(Level.Trial)
        public void close() throws Exception {
            application.close();
        }
    }

    @State(Scope.Thread)
    public static class WithEdge extends InFlight {

        /** {@code cancellation.messaging.shutdown-drain}. */
        @Param({"0ms", "200ms"})
        public String drain;

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            start(true, "cancellation.messaging.shutdown-drain=" + drain);
        }
    }

    @State(Scope.Thread)
    public static class WithoutEdge extends InFlight {

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            start(false);
        }
    }

    @Benchmark
    public long stopWithEdge(WithEdge inFlight) throws InterruptedException {
        return inFlight.stop();
    }

    @Benchmark
    public long containerStopWithoutEdge(WithoutEdge inFlight) throws InterruptedException {
        return inFlight.stop();
    }
}
