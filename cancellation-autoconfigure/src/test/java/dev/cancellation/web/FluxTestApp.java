package dev.cancellation.web;

import dev.cancellation.CancellationReason;
import dev.cancellation.CancellationToken;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import dev.cancellation.annotation.Cancellable;
import dev.cancellation.spring.CancellationTokenAccessor;
import dev.cancellation.task.TaskRejectedException;
import java.time.Duration;
import java.util.Map;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Service;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** A WebFlux application on Reactor Netty whose endpoints show what the web edge does. */
@SpringBootConfiguration
@EnableAutoConfiguration(excludeName = {
    "org.springframework.boot.security.autoconfigure.SecurityAutoConfiguration",
    "org.springframework.boot.security.autoconfigure.web.reactive.ReactiveWebSecurityAutoConfiguration",
    "org.springframework.boot.security.autoconfigure.ReactiveUserDetailsServiceAutoConfiguration",
    "org.springframework.boot.security.autoconfigure.actuate.web.reactive."
            + "ReactiveManagementWebSecurityAutoConfiguration"})
@Import({FluxTestApp.Endpoints.class, FluxTestApp.OwnHandling.class, FluxTestApp.Work.class})
class FluxTestApp {

    @Bean
    WebClients.Probe probe() {
        return new WebClients.Probe();
    }

    @Service
    static class Work {

        @Cancellable(name = "work")
        public Mono<String> work(long millis) {
            return Mono.delay(Duration.ofMillis(millis)).thenReturn("done");
        }

        /** A task with its own timeout, shorter than the request's budget in the tests that call it. */
        @Cancellable(name = "short", timeout = "300ms")
        public Mono<String> shortWork(long millis) {
            return Mono.delay(Duration.ofMillis(millis)).thenReturn("done");
        }

        @Cancellable(name = "inspect")
        public Mono<CancellationToken> inspect(CancellationToken token) {
            return Mono.just(token);
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
        Mono<Map<String, Object>> token() {
            return Mono.deferContextual(context -> {
                CancellationToken handler = context.get(CancellationTokenAccessor.KEY);
                return work.inspect(null).map(task -> MvcTestApp.describe(handler, task));
            });
        }

        /** A synchronous @Cancellable-free handler body: the token is current through context-propagation. */
        @GetMapping("/current")
        Map<String, Object> current() {
            CancellationToken token = CancellationToken.current();
            return Map.of("hasToken", !token.isNone(), "deadline", token.deadline().map(Object::toString).orElse("-"));
        }

        @GetMapping("/api/reports/{id}")
        Mono<String> report(@PathVariable String id, @RequestParam long ms) {
            return Mono.deferContextual(context -> {
                probe.record("report-" + id, context.get(CancellationTokenAccessor.KEY));
                return work.work(ms);
            });
        }

        /** A plain page: no {@code @Cancellable}, a wait that fails when the request token is cancelled. */
        @GetMapping("/plain")
        Mono<String> plain() {
            return Mono.deferContextual(context -> {
                CancellationToken token = context.get(CancellationTokenAccessor.KEY);
                return Mono.<String>create(sink -> token.onCancel(reason -> sink.error(TaskCancelledException.of(reason))));
            });
        }

        @GetMapping("/short")
        Mono<String> shortTask(@RequestParam long ms) {
            return work.shortWork(ms);
        }

        @GetMapping("/hang")
        Mono<String> hang(@RequestParam String probe) {
            return Mono.deferContextual(context -> {
                this.probe.record(probe, context.get(CancellationTokenAccessor.KEY));
                return Mono.<String>never();
            });
        }

        @GetMapping("/fails/shutdown")
        Mono<String> shutdown() {
            return Mono.error(new TaskCancelledException(CancellationReason.shutdown("test"), "work"));
        }

        @GetMapping("/fails/rejected")
        Mono<String> rejected() {
            return Mono.error(new TaskRejectedException("work"));
        }

        @GetMapping("/fails/requested")
        Mono<String> requested() {
            return Mono.error(new TaskCancelledException(CancellationReason.requested("operator alice"), "work"));
        }

        /** What a call made outside a {@code @Cancellable} method fails with: its message names the downstream URI. */
        @GetMapping("/fails/downstream")
        Mono<String> downstream() {
            return Mono.error(new TaskTimeoutException(CancellationReason.timeout(Duration.ofMillis(800)),
                    MvcTestApp.DOWNSTREAM_CALL));
        }

        /** A route for any method, custom ones included. */
        @RequestMapping("/any")
        Mono<String> any(@RequestParam(defaultValue = "0") long ms) {
            return work.work(ms);
        }
    }

    @RestController
    static class OwnHandling {

        private final Work work;

        OwnHandling(Work work) {
            this.work = work;
        }

        @GetMapping("/own")
        Mono<String> own(@RequestParam long ms) {
            return work.work(ms);
        }

        @ExceptionHandler(TaskTimeoutException.class)
        ResponseEntity<String> timedOut(TaskTimeoutException ex) {
            return ResponseEntity.status(HttpStatus.I_AM_A_TEAPOT).body("own handler: " + ex.reason().kind());
        }
    }
}
