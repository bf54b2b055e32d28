package dev.cancellation.bench.amqp;

import dev.cancellation.bench.messaging.StopRound;
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
import org.springframework.amqp.rabbit.annotation.RabbitListener;

/**
 * Stop latency of a RabbitMQ listener with a message in flight: the time from {@code context.stop()} (what an
 * application's shutdown does to its listener containers) until the in-flight invocation has ended and the stop
 * returned. The listener's body is one cancellable wait of {@value StopRound#WORK_MILLIS} ms ({@link StopRound}):
 * <ul>
 *   <li>{@code containerStopWithoutEdge}: {@code cancellation.rabbitmq.enabled=false}: Spring AMQP's own stop lets
 *       the message in hand finish (within the container's shutdown timeout, 5 s), so the stop takes what is left
 *       of the job;</li>
 *   <li>{@code stopWithEdge}: the edge lets the invocation finish within the drain period
 *       ({@code cancellation.messaging.shutdown-drain}, the {@code drain} parameter), then cancels it with
 *       {@code SHUTDOWN}; the body wakes up, the message is rejected with requeue and the container stops. The
 *       message is redelivered at the next start (and passed over at once, before the next measured message).</li>
 * </ul>
 * One measured stop per invocation; between two, the application is started again and a new message is put in
 * flight.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class RabbitStopLatencyBenchmark {

    /** One application with a message in flight before each measured stop; its listener runs the round's body. */
    public abstract static class InFlight extends StopRound {

        void start(boolean edge, String... properties) {
            use(RabbitBenchApplication.start(edge, new WorkingListener(this), properties));
        }
    }

    /** Hands each message to the round. */
    public static class WorkingListener {

        private final StopRound round;

        WorkingListener(StopRound round) {
            this.round = round;
        }

        @RabbitListener(id = "orders", queues = "${bench.queue}")
        public void onOrder(String body) throws InterruptedException {
            round.work(body);
        }
    }

    @State(Scope.Thread)
    public static class WithEdge extends InFlight {

        /** {@code cancellation.messaging.shutdown-drain}. */
        @Param({"0ms", "200ms"})
        public String drain;

        @Setup(Level.Trial)
        public void setUp() {
            start(true, "cancellation.messaging.shutdown-drain=" + drain);
        }
    }

    @State(Scope.Thread)
    public static class WithoutEdge extends InFlight {

        @Setup(Level.Trial)
        public void setUp() {
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
