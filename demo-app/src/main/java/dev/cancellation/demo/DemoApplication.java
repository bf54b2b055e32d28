package dev.cancellation.demo;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.scheduling.annotation.EnableAsync;

/**
 * A small web service that shows cooperative cancellation at work: reports with a time budget, an operator-
 * cancellable import that cleans up after itself, background workers that stop cleanly on shutdown, a task that
 * fans out into child tasks, and a legacy blocking call that only an interrupt can stop.
 */
@SpringBootApplication
@EnableAsync
@ConfigurationPropertiesScan
public class DemoApplication {

    public static void main(String[] args) {
        // The embedded Artemis broker frees its journal's buffers through Netty. On Java 24+ Netty 4.2 leaves
        // sun.misc.Unsafe off by default, and its Java 25 cleaner cannot free those buffers: the broker then fails
        // to reload its journal at the next start. Unsafe is still allowed on Java 25; set -Dio.netty.noUnsafe to
        // decide otherwise.
        if (System.getProperty("io.netty.noUnsafe") == null) {
            System.setProperty("io.netty.noUnsafe", "false");
        }
        ExitOnSignal.install();
        SpringApplication.run(DemoApplication.class, args);
    }
}
