package dev.cancellation.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.cancellation.jdbc.EmbeddedPostgres;
import dev.cancellation.testfixture.Waits;
import dev.cancellation.web.CancellationProblems;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.slf4j.LoggerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.context.event.ApplicationEnvironmentPreparedEvent;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The starter at work in the library it was not written for, started as its {@code main} would start it (a real
 * Tomcat on a loopback port, PostgreSQL): nothing of the starter's warns at startup or under use, and a caller's
 * {@code X-Request-Timeout} stops the slow shelf report, answered 504 with problem details, its query stopped on
 * the server. The library's own code is untouched; the shelf report is configured to cost 30 s.
 */
class StarterInLibraryApplicationTests {

    /** Every event of the starter's loggers ({@code dev.cancellation.*} but the library's own), from startup on. */
    private static final Queue<ILoggingEvent> starterLog = new ConcurrentLinkedQueue<>();

    private static ConfigurableApplicationContext application;
    private static int port;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() {
        application = new SpringApplicationBuilder(LibraryApplication.class)
                // Once Boot has set up logging (its listener comes first), and before any bean is created.
                .listeners(event -> {
                    if (event instanceof ApplicationEnvironmentPreparedEvent) {
                        recordStarterLog();
                    }
                })
                .properties("server.address=127.0.0.1", "server.port=0",
                        "spring.datasource.url=" + LibraryDatabase.url("library_http"),
                        "spring.datasource.username=postgres", "spring.datasource.password=",
                        "spring.jpa.hibernate.ddl-auto=create", "library.report.cost-seconds=30")
                .run();
        port = ((WebServerApplicationContext) application).getWebServer().getPort();
    }

    @AfterAll
    static void stop() {
        if (application != null) {
            application.close();
        }
        ((Logger) LoggerFactory.getLogger("dev.cancellation")).detachAppender("starter-log");
    }

    @Test
    void theApplicationStartsWithNoWarningFromTheStarter() {
        assertThat(application.isRunning()).isTrue();
        assertThat(starterWarnings()).isEmpty();
    }

    @Test
    void theLibrarysOwnApiAnswersAsBeforeOverHttp() throws Exception {
        HttpResponse<String> added = http.send(HttpRequest.newBuilder(uri("/api/books"))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("""
                        {"title": "Persuasion", "isbn": "9780141439686", "author": "Jane Austen"}"""))
                .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(added.statusCode()).isEqualTo(201);

        HttpResponse<String> found = http.send(HttpRequest.newBuilder(uri(added.headers().firstValue("Location")
                .orElseThrow())).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(found.statusCode()).isEqualTo(200);
        assertThat(found.body()).contains("\"title\":\"Persuasion\"");
    }

    @Test
    void aCallersDeadlineStopsTheSlowReportWith504AndItsQueryOnTheServer() throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> report = http.send(HttpRequest.newBuilder(uri("/api/reports/shelf"))
                .header("X-Request-Timeout", "300").timeout(Duration.ofSeconds(20)).build(),
                HttpResponse.BodyHandlers.ofString());
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        assertThat(report.statusCode()).isEqualTo(504);
        assertThat(report.headers().firstValue("Content-Type")).hasValue(CancellationProblems.MEDIA_TYPE);
        assertThat(report.body()).contains("\"title\":\"" + CancellationProblems.REQUEST_DEADLINE + "\"");
        assertThat(took).isLessThan(Duration.ofSeconds(20)); // the report costs 30 s: it was stopped
        await().atMost(Waits.PROMPTLY).until(() -> EmbeddedPostgres.activeQueries("cross join pg_sleep").isEmpty());
        assertThat(starterLog).anySatisfy(event -> {
            assertThat(event.getLoggerName()).isEqualTo("dev.cancellation.jdbc.StatementCanceller");
            assertThat(event.getFormattedMessage()).startsWith("SQL statement cancelled on the server");
        });
        assertThat(starterWarnings()).isEmpty();
    }

    private URI uri(String path) {
        return URI.create("http://127.0.0.1:" + port + path);
    }

    private static List<String> starterWarnings() {
        return starterLog.stream().filter(event -> event.getLevel().isGreaterOrEqual(Level.WARN))
                .map(event -> event.getLevel() + " " + event.getLoggerName() + " " + event.getFormattedMessage())
                .toList();
    }

    private static void recordStarterLog() {
        Logger starter = (Logger) LoggerFactory.getLogger("dev.cancellation");
        if (starter.getAppender("starter-log") == null) {
            AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
                @Override
                protected void append(ILoggingEvent event) {
                    if (!event.getLoggerName().startsWith("dev.cancellation.sample.")) {
                        starterLog.add(event);
                    }
                }
            };
            appender.setName("starter-log");
            appender.setContext(starter.getLoggerContext());
            appender.start();
            starter.addAppender(appender);
        }
    }
}
