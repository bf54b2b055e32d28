package dev.cancellation.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.LongAdder;

/**
 * The load generator of {@code run-load.sh} where {@code wrk} is not installed: {@code CONNECTIONS} threads, each
 * sending {@code GET URL} on its own keep-alive HTTP/1.1 connection, back to back, for {@code SECONDS}. Prints
 * the lines of {@code wrk}'s report that the script reads: {@code N requests in S s}, {@code Requests/sec:}
 * (completed requests of any status per second) and, when some were not 2xx or 3xx or failed,
 * {@code Non-2xx or 3xx responses:} and {@code Socket errors:}.
 *
 * <p>Usage: {@code LoadGenerator URL CONNECTIONS SECONDS}. Counters are {@link LongAdder}s shared by the threads.
 */
public final class LoadGenerator {

    private LoadGenerator() {
    }

    public static void main(String[] args) throws Exception {
        URI uri = URI.create(args[0]);
        int connections = Integer.parseInt(args[1]);
        long seconds = Long.parseLong(args[2]);
        LongAdder completed = new LongAdder();
        LongAdder notOk = new LongAdder();
        LongAdder failed = new LongAdder();
        long start = System.nanoTime();
        long end = start + Duration.ofSeconds(seconds).toNanos();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < connections; i++) {
            // A client per thread: one connection each, as wrk keeps one per connection.
            HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(Duration.ofSeconds(5)).build();
            HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build();
            Thread thread = new Thread(() -> {
                while (System.nanoTime() < end) {
                    try {
                        int status = client.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
                        completed.increment();
                        if (status >= 400) {
                            notOk.increment();
                        }
                    } catch (Exception ex) {
                        failed.increment();
                    }
                }
            }, "load-" + i);
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "  %d requests in %.2fs%n", completed.sum(), elapsed);
        System.out.printf(Locale.ROOT, "Requests/sec: %.2f%n", completed.sum() / elapsed);
        if (notOk.sum() > 0) {
            System.out.println("Non-2xx or 3xx responses: " + notOk.sum());
        }
        if (failed.sum() > 0) {
            System.out.println("Socket errors: " + failed.sum());
        }
    }
}
