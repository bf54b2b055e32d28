package dev.cancellation.lifecycle;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationToken;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.task.TaskRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.stereotype.Service;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The starter's task log ({@link TaskEventLog}) in a real application on Tomcat, on loopback: one line per task
 * started, cancelled and finished under {@code dev.cancellation.tasks} at DEBUG when that logger is enabled, the
 * cancel of a deadline never logged on the registry's timer thread, and nothing at all (not even a listener) when
 * the logger is at its default level or the property switches it off.
 */
@ExtendWith(OutputCaptureExtension.class)
class TaskEventLogTests {

    /** Thread, logger, level and message, so that the test can read them apart. */
    private static final String PATTERN = "--logging.pattern.console=%t|%logger|%p|%m%n";

    @Test
    void aTimedOutTaskLogsStartedCancelAndFinishedAtDebug(CapturedOutput output) throws Exception {
        try (ConfigurableApplicationContext context = start("--logging.level.dev.cancellation.tasks=debug")) {
            assertThat(context.getBean(TaskEventLog.class).isListening()).isTrue();

            HttpResponse<String> response = get(context, "/slow");

            assertThat(response.statusCode()).isEqualTo(504);
            await().atMost(PROMPTLY).until(() -> output.getOut().contains("|finished slow-work"));
            String log = output.getOut();
            Matcher started = line("started  slow-work            (\\w+) budget=(\\d+) ms").matcher(log);
            assertThat(started.find()).as(log).isTrue();
            String id = started.group(2);
            assertThat(Long.parseLong(started.group(3))).isBetween(250L, 300L);
            Matcher cancel = line("cancel   slow-work            " + id
                    + " TIMEOUT \\(timed out after 300ms\\) by deadline").matcher(log);
            assertThat(cancel.find()).as(log).isTrue();
            assertThat(cancel.group(1)).as("the thread that logged the cancel").isNotEqualTo("cancellation-timer");
            assertThat(log).containsPattern(line("finished slow-work            " + id
                    + " timeout after \\d+ ms \\(stopped \\d+ ms after the cancel\\)"));
        }
    }

    @Test
    void aCompletedTaskLogsStartedAndFinished(CapturedOutput output) throws Exception {
        try (ConfigurableApplicationContext context = start("--logging.level.dev.cancellation.tasks=debug")) {
            assertThat(get(context, "/quick").statusCode()).isEqualTo(200);

            await().atMost(PROMPTLY).until(() -> output.getOut().contains("|finished quick-work"));
            assertThat(output.getOut()).containsPattern(line("started  quick-work           \\w+"))
                    .containsPattern(line("finished quick-work           \\w+ completed after \\d+ ms"));
        }
    }

    @Test
    void atTheDefaultLevelTheLogIsSilentAndDoesNotListen(CapturedOutput output) throws Exception {
        try (ConfigurableApplicationContext context = start()) {
            TaskRegistry registry = context.getBean(TaskRegistry.class);
            assertThat(context.getBean(TaskEventLog.class).isListening()).isFalse();

            assertThat(get(context, "/slow").statusCode()).isEqualTo(504);
            await().atMost(PROMPTLY).until(() -> registry.size() == 0);
        }
        assertThat(output.getOut()).doesNotContain("|dev.cancellation.tasks|");
    }

    @Test
    void thePropertySwitchesItOff(CapturedOutput output) throws Exception {
        try (ConfigurableApplicationContext context = start("--logging.level.dev.cancellation.tasks=debug",
                "--cancellation.task-log.enabled=false")) {
            assertThat(context.getBeanNamesForType(TaskEventLog.class)).isEmpty();

            assertThat(get(context, "/quick").statusCode()).isEqualTo(200);
        }
        assertThat(output.getOut()).doesNotContain("|dev.cancellation.tasks|");
    }

    /** A line of the task log, its thread as group 1. */
    private static Pattern line(String message) {
        return Pattern.compile("(?m)^([^|\\n]+)\\|dev\\.cancellation\\.tasks\\|DEBUG\\|" + message);
    }

    private static ConfigurableApplicationContext start(String... args) {
        String[] all = new String[args.length + 4];
        all[0] = "--server.port=0";
        all[1] = "--server.address=127.0.0.1";
        all[2] = PATTERN;
        all[3] = "--spring.main.banner-mode=off";
        System.arraycopy(args, 0, all, 4, args.length);
        return new SpringApplicationBuilder(App.class).run(all);
    }

    private static HttpResponse<String> get(ConfigurableApplicationContext context, String path) throws Exception {
        int port = ((WebServerApplicationContext) context).getWebServer().getPort();
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(PROMPTLY).build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {

        @Bean
        SecurityFilterChain open(HttpSecurity http) throws Exception {
            return http.authorizeHttpRequests(requests -> requests.anyRequest().permitAll()).build();
        }

        @Bean
        Work work() {
            return new Work();
        }

        @Bean
        Endpoints endpoints(Work work) {
            return new Endpoints(work);
        }
    }

    @Service
    static class Work {

        @Cancellable(name = "slow-work", timeout = "300ms")
        public String slow() throws Exception {
            CancellationToken.current().whenCancelled().toCompletableFuture().get(10, TimeUnit.SECONDS);
            Cancellation.checkpoint();
            return "late";
        }

        @Cancellable(name = "quick-work", timeout = "10s")
        public String quick() {
            return "done";
        }
    }

    @RestController
    static class Endpoints {

        private final Work work;

        Endpoints(Work work) {
            this.work = work;
        }

        @GetMapping("/slow")
        String slow() throws Exception {
            return work.slow();
        }

        @GetMapping("/quick")
        String quick() {
            return work.quick();
        }
    }
}
