package dev.cancellation.bench.kafka;

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
import org.springframework.kafka.annotation.KafkaListener;

/**
 * Stop latency of a Kafka listener with a record in flight: the time from {@code context.stop()} (what an
 * application's shutdown does to its listener containers) until the in-flight invocation has ended and the stop
 * returned. The listener's body is one cancellable wait of {@value StopRound#WORK_MILLIS} ms ({@link StopRound}):
 * <ul>
 *   <li>{@code containerStopWithoutEdge}: {@code cancellation.kafka.enabled=false}: spring-kafka's own stop lets
 *       the record in hand finish, so the stop takes what is left of the job;</li>
 *   <li>{@code stopWithEdge}: the edge lets the invocation finish within the drain period
 *       ({@code cancellation.messaging.shutdown-drain}, the {@code drain} parameter), then cancels it with
 *       {@code SHUTDOWN}; the body wakes up, the error handler seeks the record back (its offset is not committed)
 *       and the container stops. The record is redelivered at the next start (and passed over at once, before
 *       the next measured record).</li>
 * </ul>
 * One measured stop per invocation; between two, the application is started again (its consumer rejoins the
 * group) and a new record is put in flight.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class KafkaStopLatencyBenchmark {

    /** How long the record has been in the listener when the stop comes ({@link StopRound#intoTheJobMillis}). */
    static final long INTO_THE_JOB_MILLIS = 600;

    /** One application with a record in flight before each measured stop; its listener runs the round's body. */
    public abstract static class InFlight extends StopRound {

        void start(boolean edge, String... properties) {
            use(KafkaBenchApplication.start(edge, new WorkingListener(this), properties));
        }

        /**
         * Past the consumer's fetch.max.wait.ms (500 ms): the poll that delivered the record also sent the next
         * fetch, which the broker holds that long when no record comes, and the consumer's close waits for it.
         */
        @Override
        protected long intoTheJobMillis() {
            return INTO_THE_JOB_MILLIS;
        }
    }

    /** Hands each record to the round. */
    public static class WorkingListener {

        private final StopRound round;

        WorkingListener(StopRound round) {
            this.round = round;
        }

        @KafkaListener(id = "orders", idIsGroup = false, topics = "${bench.topic}")
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
