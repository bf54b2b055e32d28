package dev.cancellation.actuate;

import dev.cancellation.task.TaskRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.security.core.userdetails.User;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;

/**
 * Test support: the fixture of the endpoint tests over a running server (a {@code @SpringBootTest} on a random
 * port): the application's registry, tasks running in it (released after each test) and an HTTP client to it.
 */
abstract class LiveEndpointTests {

    @LocalServerPort
    int port;

    @Autowired
    TaskRegistry registry;

    RunningTasks tasks;
    Http http;

    @BeforeEach
    void setUp() {
        tasks = new RunningTasks(registry);
        http = Http.on(port);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        tasks.close();
    }

    /** The test users: {@code alice} is an operator, {@code bob} a viewer, both with password {@code secret}. */
    static InMemoryUserDetailsManager operatorAliceAndViewerBob() {
        return new InMemoryUserDetailsManager(
                User.withUsername("alice").password("{noop}secret").roles("OPERATOR").build(),
                User.withUsername("bob").password("{noop}secret").roles("VIEWER").build());
    }
}
