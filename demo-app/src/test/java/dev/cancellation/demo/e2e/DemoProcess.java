package dev.cancellation.demo.e2e;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The packaged demo jar running as a separate {@code java -jar} process on a free port, with its output
 * directory in a temporary folder and its stdout and stderr captured to a file; in AOT mode with
 * {@code demo.aot=true}.
 *
 * <p>Used from one test thread at a time.
 */
final class DemoProcess implements AutoCloseable {

    /**
     * Whether the jar was built with {@code spring-boot:process-aot} and is started in AOT mode (system property
     * {@code demo.aot=true}, set by the {@code aot} profile of demo-app).
     */
    static final boolean AOT = Boolean.getBoolean("demo.aot");

    private final Process process;
    private final Path log;
    private final Path outputDir;
    private final int port;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private DemoProcess(Process process, Path log, Path outputDir, int port) {
        this.process = process;
        this.log = log;
        this.outputDir = outputDir;
        this.port = port;
    }

    /**
     * Starts the jar named by the {@code demo.jar} system property (set by the failsafe configuration) in
     * {@code workDir}, with the given extra application arguments, and waits until it reports healthy.
     */
    static DemoProcess start(Path workDir, String... arguments) throws IOException {
        String jar = System.getProperty("demo.jar");
        if (jar == null || !Files.isRegularFile(Paths.get(jar))) {
            throw new IllegalStateException("The packaged demo jar was not found (system property demo.jar = "
                    + jar + "): run the end-to-end tests with ./mvnw verify, which packages it first");
        }
        int port = freePort();
        Path outputDir = Files.createDirectories(workDir.resolve("demo-output"));
        Path log = workDir.resolve("demo.log");
        List<String> command = new ArrayList<>(List.of(
                Paths.get(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m"));
        if (AOT) {
            command.add("-Dspring.aot.enabled=true");
        }
        command.addAll(List.of("-jar", jar,
                "--server.port=" + port,
                "--demo.output-dir=" + outputDir,
                "--spring.output.ansi.enabled=never"));
        command.addAll(List.of(arguments));
        Process process = new ProcessBuilder(command).directory(workDir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        // Even if the test JVM dies before @AfterAll, the demo must not outlive it.
        Runtime.getRuntime().addShutdownHook(new Thread(process::destroyForcibly, "demo-process-reaper"));
        DemoProcess demo = new DemoProcess(process, log, outputDir, port);
        try {
            demo.awaitHealthy();
        } catch (RuntimeException | Error notUp) {
            demo.close();
            throw notUp;
        }
        return demo;
    }

    private void awaitHealthy() {
        await("demo application up on port " + port).atMost(Duration.ofSeconds(90))
                .pollInterval(Duration.ofMillis(250)).ignoreExceptionsMatching(ex -> ex instanceof IOException
                        || ex instanceof UncheckedIOException)
                .until(() -> {
                    if (!process.isAlive()) {
                        throw new IllegalStateException("The demo process exited with " + process.exitValue()
                                + " before it was up. Its log:\n" + log());
                    }
                    return get("/actuator/health").statusCode() == 200;
                });
        if (AOT && !log().contains("Starting AOT-processed")) {
            throw new IllegalStateException("demo.aot=true but the demo did not start AOT-processed. Its log:\n"
                    + log());
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    Path outputDir() {
        return outputDir;
    }

    Process process() {
        return process;
    }

    HttpResponse<String> get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    /** A GET with the given header. */
    HttpResponse<String> get(String path, String header, String value) {
        return send(HttpRequest.newBuilder(uri(path)).header(header, value).GET());
    }

    HttpResponse<String> post(String path) {
        return send(HttpRequest.newBuilder(uri(path)).POST(HttpRequest.BodyPublishers.noBody()));
    }

    HttpResponse<String> postJson(String path, String json) {
        return send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    /** Kills the process at once, without any shutdown (SIGKILL on Linux and macOS), and waits for it to exit. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    HttpResponse<String> delete(String path) {
        return send(HttpRequest.newBuilder(uri(path)).DELETE());
    }

    private URI uri(String path) {
        return URI.create("http://localhost:" + port + path);
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.timeout(Duration.ofSeconds(60)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    /** Everything the process has written to stdout and stderr so far. */
    String log() {
        try {
            return Files.readString(log);
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** Sends SIGTERM (what {@link Process#destroy()} does on Linux and macOS). */
    void terminate() {
        process.destroy();
    }

    /** Waits for the process to exit; returns whether it did within {@code timeout}. */
    boolean awaitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /**
     * Kills the process if it still runs, and keeps a copy of its log as {@code <name>.log} in the directory
     * named by the {@code demo.logs} system property (for a look after a failure), if set.
     */
    void close(String name) {
        close();
        String logs = System.getProperty("demo.logs");
        if (logs != null) {
            try {
                Path directory = Files.createDirectories(Paths.get(logs));
                Files.copy(log, directory.resolve(name + ".log"), StandardCopyOption.REPLACE_EXISTING);
            } catch (IOException ex) {
                System.err.println("Could not keep the demo log " + log + ": " + ex);
            }
        }
    }

    /** Kills the process if it still runs. */
    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
