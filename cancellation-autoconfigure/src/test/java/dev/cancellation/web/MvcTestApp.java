package dev.cancellation.web;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.task.TaskRejectedException;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Service;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.context.request.async.DeferredResult;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;
import org.springframework.web.servlet.mvc.method.annotation.StreamingResponseBody;

/** A Spring MVC application on Tomcat whose endpoints show what the web edge does for each kind of handler. */
@SpringBootConfiguration
@EnableAutoConfiguration(excludeName = {
    "org.springframework.boot.security.autoconfigure.SecurityAutoConfiguration",
    "org.springframework.boot.security.autoconfigure.UserDetailsServiceAutoConfiguration",
    "org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration",
    "org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterAutoConfiguration",
    "org.springframework.boot.security.autoconfigure.actuate.web.servlet.ManagementWebSecurityAutoConfiguration"})
@Import({MvcTestApp.Endpoints.class, MvcTestApp.OwnHandling.class, MvcTestApp.Work.class})
class MvcTestApp {

    static final byte[] CHUNK = new byte[16 * 1024];

    /** How the outbound edge names a call it did not send: method and full URI, user-info and query included. */
    static final String DOWNSTREAM_CALL =
            "GET https://svc-user:hunter2@inventory.internal:8443/stock?sku=42&apiKey=s3cr3t not sent";

    @Bean
    WebClients.Probe probe() {
        return new WebClients.Probe();
    }

    /** Returns what the token looks like to the handler and to a {@code @Cancellable} call. */
    static Map<String, Object> describe(CancellationToken handler, CancellationToken task) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("handlerHasToken", !handler.isNone());
        body.put("handlerDeadline", handler.deadline().map(Object::toString).orElse(null));
        body.put("taskDeadline", task.deadline().map(Object::toString).orElse(null));
        body.put("taskUnderHandler", task.isDescendantOf(handler));
        return body;
    }

    @Service
    static class Work {

        private final AtomicInteger calls = new AtomicInteger();

        /** How many times {@link #work} ran (through the proxy: fields of a proxy are not the bean's). */
        public int calls() {
            return calls.get();
        }

        @Cancellable(name = "work")
        public String work(long millis) throws InterruptedException {
            calls.incrementAndGet();
            Cancellation.sleep(Duration.ofMillis(millis));
            return "done";
        }

        /** A task with its own timeout, shorter than the request's budget in the tests that call it. */
        @Cancellable(name = "short", timeout = "300ms")
        public String shortWork(long millis) throws InterruptedException {
            Cancellation.sleep(Duration.ofMillis(millis));
            return "done";
        }

        @Cancellable(name = "inspect")
        public CancellationToken inspect(CancellationToken token) {
            return token;
        }
    }

    @RestController
    static class Endpoints {

        private final Work work;
        private final WebClients.Probe probe;

        Endpoints(Work work, WebClients.Probe probe) {
            this.work = work;
            this.probe = probe;
        }

        @GetMapping("/token")
        Map<String, Object> token() {
            return describe(CancellationToken.current(), work.inspect(null));
        }

        @GetMapping("/api/reports/{id}")
        String report(@PathVariable String id, @RequestParam long ms) throws InterruptedException {
            probe.record("report-" + id, CancellationToken.current());
            return work.work(ms);
        }

        /** A plain page: no {@code @Cancellable}, a cancellable wait under the request token itself. */
        @GetMapping("/plain")
        String plain(@RequestParam long ms) throws InterruptedException {
            Cancellation.sleep(Duration.ofMillis(ms));
            return "rendered";
        }

        @GetMapping("/short")
        String shortTask(@RequestParam long ms) throws InterruptedException {
            return work.shortWork(ms);
        }

        @GetMapping("/deferred")
        DeferredResult<String> deferred(@RequestParam String probe) {
            this.probe.record(probe, CancellationToken.current());
            return new DeferredResult<>(60_000L);
        }

        @GetMapping("/future")
        CompletableFuture<String> future(@RequestParam String probe) {
            CancellationToken token = CancellationToken.current();
            CompletableFuture<String> result = new CompletableFuture<>();
            token.onCancel(reason -> result.completeExceptionally(TaskCancelledException.of(reason)));
            this.probe.record(probe, token);
            return result;
        }

        @GetMapping("/callable")
        Callable<String> callable(@RequestParam String probe) {
            return () -> {
                this.probe.record(probe, CancellationToken.current());
                try {
                    Cancellation.sleep(Duration.ofSeconds(30));
                    return "slept";
                } finally {
                    this.probe.ended(probe, CancellationToken.current().reason().map(Object::toString).orElse("-"));
                }
            };
        }

        @GetMapping("/stream")
        StreamingResponseBody stream(@RequestParam String probe) {
            return out -> {
                CancellationToken token = CancellationToken.current();
                this.probe.record(probe, token);
                try {
                    for (int i = 0; i < 3000 && !token.isCancelled(); i++) {
                        out.write(CHUNK); // more than the container's buffer: every write reaches the socket
                        out.flush();
                        Cancellation.sleep(Duration.ofMillis(10));
                    }
                } catch (InterruptedException ex) {
                    Thread.currentThread().interrupt();
                } catch (IOException | TaskCancelledException ex) {
                    // the client is gone
                } finally {
                    this.probe.ended(probe, token.reason().map(Object::toString).orElse("-"));
                }
            };
        }

        @GetMapping("/sse")
        SseEmitter sse(@RequestParam String probe) {
            CancellationToken token = CancellationToken.current();
            this.probe.record(probe, token);
            SseEmitter emitter = new SseEmitter(60_000L);
            Thread sender = new Thread(() -> {
                String event = new String(CHUNK).replace('\0', 'x');
                try {
                    for (int i = 0; i < 3000 && !token.isCancelled(); i++) {
                        emitter.send(event);
                        Cancellation.sleep(Duration.ofMillis(10), CancellationToken.none());
                    }
                } catch (IOException | IllegalStateException | InterruptedException ex) {
                    emitter.completeWithError(ex); // the client is gone
                } finally {
                    this.probe.ended(probe, token.reason().map(Object::toString).orElse("-"));
                }
            });
            sender.setDaemon(true);
            sender.start();
            return emitter;
        }

        @GetMapping("/sync")
        String sync(@RequestParam String probe) throws InterruptedException {
            CancellationToken token = CancellationToken.current();
            this.probe.record(probe, token);
            try {
                Cancellation.sleep(Duration.ofSeconds(30));
                return "slept";
            } finally {
                this.probe.ended(probe, token.reason().map(r -> r.kind() + " " + r.origin()).orElse("-"));
            }
        }

        @GetMapping("/fails/shutdown")
        String shutdown() {
            throw new TaskCancelledException(CancellationReason.shutdown("test"), "work");
        }

        @GetMapping("/fails/rejected")
        String rejected() {
            throw new TaskRejectedException("work");
        }

        @GetMapping("/fails/requested")
        String requested() {
            throw new TaskCancelledException(CancellationReason.requested("operator alice"), "work");
        }

        /** What a call made outside a {@code @Cancellable} method throws: its message names the downstream URI. */
        @GetMapping("/fails/downstream")
        String downstream() {
            throw new TaskTimeoutException(CancellationReason.timeout(Duration.ofMillis(800)), DOWNSTREAM_CALL);
        }

        /** A route for any method, custom ones included. */
        @RequestMapping("/any")
        String any(@RequestParam(defaultValue = "0") long ms) throws InterruptedException {
            return work.work(ms);
        }
    }

    /** A controller that handles timeouts itself: its own handler wins over the default mapping. */
    @RestController
    static class OwnHandling {

        private final Work work;

        OwnHandling(Work work) {
            this.work = work;
        }

        @GetMapping("/own")
        String own(@RequestParam long ms) throws InterruptedException {
            return work.work(ms);
        }

        @ExceptionHandler(TaskTimeoutException.class)
        ResponseEntity<String> timedOut(TaskTimeoutException ex) {
            return ResponseEntity.status(HttpStatus.I_AM_A_TEAPOT).body("own handler: " + ex.reason().kind());
        }
    }
}
