package dev.cancellation.demo.workers;

import dev.cancellation.TaskCancelledException;
import dev.cancellation.demo.DemoProperties;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.stereotype.Component;

/**
 * Starts the {@link OrderEventWorkers} loops, one thread each, once the application has started. Nothing here
 * stops them: the task registry's graceful shutdown cancels their tokens, and each loop returns on its own.
 */
@Component
class WorkerLauncher implements ApplicationRunner, DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(WorkerLauncher.class);

    private final OrderEventWorkers workers;
    private final int count;
    private final ExecutorService threads;

    WorkerLauncher(OrderEventWorkers workers, DemoProperties properties) {
        this.workers = workers;
        this.count = properties.workers().count();
        AtomicInteger number = new AtomicInteger();
        this.threads = Executors.newFixedThreadPool(Math.max(1, count), runnable -> {
            Thread thread = new Thread(runnable, "worker-" + number.incrementAndGet());
            thread.setDaemon(true); // never what keeps the JVM alive: stopping them is the registry's job
            return thread;
        });
    }

    @Override
    public void run(ApplicationArguments args) {
        for (int i = 1; i <= count; i++) {
            String worker = "worker-" + i;
            threads.execute(() -> {
                try {
                    workers.run(worker);
                } catch (TaskCancelledException stopped) {
                    // The normal way out (shutdown, or an operator); the task log has the details.
                } catch (Exception ex) {
                    log.error("{} failed", worker, ex);
                }
            });
        }
    }

    /**
     * Lets the threads end once their loops have returned. No interrupt: by the time beans are destroyed, the
     * registry's shutdown has already cancelled the loops and waited for their cleanups.
     */
    @Override
    public void destroy() {
        threads.shutdown();
    }
}
