package dev.cancellation.bench;

import dev.cancellation.CancellationToken;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.web.servlet.RequestCancellationFilter;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
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
import org.openjdk.jmh.annotations.TearDown;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The web edge through a real servlet container: an embedded Tomcat with Spring MVC serving one endpoint that calls
 * a {@code @Cancellable} method with a 2 s budget (the load benchmark's endpoint without its statement), driven over
 * keep-alive loopback connections, one per JMH thread, by a minimal HTTP/1.1 client in the same JVM. The request
 * path is the container's, Spring MVC's and the edge's, with no database and no second process.
 *
 * <p>{@code web=off} runs with {@code cancellation.web.enabled=false}, {@code web=on} with the edge's filter,
 * response wrapper and handler adapter. JMH runs each value in forks of its own, so each JVM compiles the
 * container for one configuration, as the load benchmark's two instances do. Run it with threads ({@code -t 4})
 * so that the CPU, not the round trip, bounds the throughput.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
public class ServletStackBenchmark {

    @Param({"off", "on"})
    public String web;

    private ConfigurableApplicationContext context;
    private int port;

    /** The endpoint's method. */
    public static class Work {

        @Cancellable(name = "servlet-stack", timeout = "2s")
        public String run(int value) {
            return CancellationToken.current().isCancelled() ? "cancelled" : "value " + value;
        }
    }

    @RestController
    public static class Endpoint {

        private final Work work;

        public Endpoint(Work work) {
            this.work = work;
        }

        @GetMapping("/work")
        public String work(@RequestParam int value) {
            return work.run(value);
        }
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    public static class StackApplication {

        @Bean
        public Work work() {
            return new Work();
        }

        @Bean
        public Endpoint endpoint(Work work) {
            return new Endpoint(work);
        }
    }

    @Setup(Level.Trial)
    public void start() {
        context = new SpringApplicationBuilder(StackApplication.class).web(WebApplicationType.SERVLET)
                .properties("spring.main.banner-mode=off", "spring.main.log-startup-info=false",
                        "spring.jmx.enabled=false", "server.address=127.0.0.1", "server.port=0",
                        "server.tomcat.max-keep-alive-requests=-1",
                        "cancellation.web.enabled=" + web.equals("on"), "cancellation.jdbc.enabled=false",
                        "spring.autoconfigure.exclude=" + SpringAdviceBenchmark.BROKER_AUTO_CONFIGURATIONS)
                .run();
        port = ((WebServerApplicationContext) context).getWebServer().getPort();
        boolean filterPresent = context.getBeanNamesForType(RequestCancellationFilter.class).length > 0;
        if (filterPresent != web.equals("on")) {
            throw new IllegalStateException("web=" + web + " but the edge's filter is " + (filterPresent ? "" : "not ")
                    + "there");
        }
    }

    @TearDown(Level.Trial)
    public void stop() {
        context.close();
    }

    /** One keep-alive connection per JMH thread. */
    @State(Scope.Thread)
    public static class Connection {

        private Socket socket;
        private OutputStream out;
        private InputStream in;
        private int value;

        @Setup(Level.Trial)
        public void open(ServletStackBenchmark benchmark) throws IOException {
            socket = new Socket(InetAddress.getLoopbackAddress(), benchmark.port);
            socket.setTcpNoDelay(true);
            socket.setSoTimeout(10_000);
            out = socket.getOutputStream();
            in = new BufferedInputStream(socket.getInputStream(), 8192);
        }

        @TearDown(Level.Trial)
        public void close() throws IOException {
            socket.close();
        }

        /** Sends one request and reads its response; returns the body's length. */
        int get() throws IOException {
            out.write(("GET /work?value=" + (++value) + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            int contentLength = -1;
            StringBuilder line = new StringBuilder(64);
            boolean first = true;
            while (true) {
                line.setLength(0);
                int c;
                while ((c = in.read()) != '\n') {
                    if (c < 0) {
                        throw new IOException("connection closed by the server");
                    }
                    if (c != '\r') {
                        line.append((char) c);
                    }
                }
                if (line.isEmpty()) {
                    break;
                }
                if (first) {
                    if (!line.toString().startsWith("HTTP/1.1 200")) {
                        throw new IOException("unexpected status: " + line);
                    }
                    first = false;
                } else if (line.length() > 15 && line.substring(0, 15).equalsIgnoreCase("content-length:")) {
                    contentLength = Integer.parseInt(line.substring(15).trim());
                }
            }
            if (contentLength < 0) {
                throw new IOException("no Content-Length in the response");
            }
            for (int i = 0; i < contentLength; i++) {
                if (in.read() < 0) {
                    throw new IOException("connection closed in the body");
                }
            }
            return contentLength;
        }
    }

    @Benchmark
    public int request(Connection connection) throws IOException {
        return connection.get();
    }
}
