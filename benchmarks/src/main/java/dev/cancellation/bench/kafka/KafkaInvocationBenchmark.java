package dev.cancellation.bench.kafka;

import dev.cancellation.CancellationToken;
import dev.cancellation.kafka.InvocationRecordInterceptor;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.springframework.kafka.annotation.KafkaListener;
import org.springframework.kafka.config.ConcurrentKafkaListenerContainerFactory;

/**
 * The Kafka edge's time per record without the broker's round trip, which hides it in
 * {@link KafkaListenerBenchmark}: the record interceptor the edge gives Boot's listener container factory, called
 * on the benchmark's thread as the container calls it around the listener ({@code intercept}, the listener,
 * {@code success}, {@code afterRecord}), against the listener alone.
 * <ul>
 *   <li>{@code listenerAlone}: the listener's body (reads its token);</li>
 *   <li>{@code withInvocation}: the same inside the interceptor: the deadline header read, the invocation task
 *       opened with topic, partition and offset as attributes, its token current, the task closed.</li>
 * </ul>
 * The difference is the edge's cost per record, to set against the broker's time per record in
 * {@link KafkaListenerBenchmark}. The consumer thread's own bookkeeping (the container watched for a stop) is not
 * in it: the benchmark's thread is not a consumer thread.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class KafkaInvocationBenchmark {

    /** The application's listener, idle: the benchmark calls the interceptor itself. */
    public static class IdleListener {

        @KafkaListener(id = "orders", idIsGroup = false, topics = "${bench.topic}")
        public void onOrder(String body) {
        }
    }

    private KafkaBenchApplication application;
    private InvocationRecordInterceptor interceptor;
    private ConsumerRecord<Object, Object> record;

    @Setup(Level.Trial)
    public void setUp() {
        application = KafkaBenchApplication.start(true, new IdleListener());
        interceptor = (InvocationRecordInterceptor) application.context()
                .getBean("kafkaListenerContainerFactory", ConcurrentKafkaListenerContainerFactory.class)
                .getRecordInterceptor();
        record = new ConsumerRecord<>("bench-orders", 0, 42L, null, "order");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        application.close();
    }

    private static void body() {
        CancellationToken.current().throwIfCancelled();
    }

    @Benchmark
    public void listenerAlone() {
        body();
    }

    @Benchmark
    public void withInvocation() {
        ConsumerRecord<Object, Object> intercepted = interceptor.intercept(record, null);
        body();
        interceptor.success(intercepted, null);
        interceptor.afterRecord(intercepted, null);
    }
}
