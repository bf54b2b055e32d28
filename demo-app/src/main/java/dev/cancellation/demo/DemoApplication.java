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
        ExitOnSignal.install();
        SpringApplication.run(DemoApplication.class, args);
    }
}
