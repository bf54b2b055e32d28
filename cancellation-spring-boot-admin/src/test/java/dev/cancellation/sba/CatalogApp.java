package dev.cancellation.sba;

import dev.cancellation.Cancellation;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.annotation.OnCancel;
import dev.cancellation.task.TaskInfo;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * Test support: the application Spring Boot Admin watches, with the starter. A catalog import
 * ({@code CatalogImport.run}) that fetches its rows in a child task ({@code CatalogImport.fetchRows}) which waits
 * until it is cancelled or released; its {@code @OnCancel} cleanup reports the task it cleaned up after.
 *
 * <p>Thread-safety: the beans' state is concurrent queues and atomics, shared by the test and the task threads.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
class CatalogApp {

    @Bean
    Rows rows() {
        return new Rows();
    }

    @Bean
    CatalogImport catalogImport(Rows rows) {
        return new CatalogImport(rows);
    }

    /** The import: its rows are fetched by a child task; its cleanup adds the task's id to {@link #cleanedUp}. */
    static class CatalogImport {

        private final BlockingQueue<String> cleanedUp = new LinkedBlockingQueue<>();

        private final Rows rows;

        CatalogImport(Rows rows) {
            this.rows = rows;
        }

        @Cancellable(name = "CatalogImport.run", timeout = "10m")
        public void run() throws InterruptedException {
            rows.fetch();
        }

        /** The ids of the tasks cleaned up after, in order (a method: the bean is a proxy without state). */
        public BlockingQueue<String> cleanedUp() {
            return cleanedUp;
        }

        @OnCancel("CatalogImport.run")
        void cleanUp(TaskInfo task) {
            cleanedUp.add(task.id());
        }
    }

    /** The child task: waits until it is cancelled, or until the test {@link #release()}s it. */
    static class Rows {

        private final AtomicReference<CompletableFuture<Void>> release =
                new AtomicReference<>(new CompletableFuture<>());

        @Cancellable(name = "CatalogImport.fetchRows")
        public void fetch() throws InterruptedException {
            Cancellation.await(release.get()); // returns early, with TaskCancelledException, once cancelled
        }

        /** Lets the fetches finish normally, until {@link #rearm()}. */
        public void release() {
            release.get().complete(null);
        }

        /** Makes the fetches wait again. */
        public void rearm() {
            release.set(new CompletableFuture<>());
        }
    }
}
