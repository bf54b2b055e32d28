package dev.cancellation.actuate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.security.config.Customizer.withDefaults;

import dev.cancellation.task.TaskState;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.security.autoconfigure.actuate.web.servlet.EndpointRequest;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.context.annotation.Bean;
import org.springframework.http.HttpMethod;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.provisioning.InMemoryUserDetailsManager;
import org.springframework.security.web.SecurityFilterChain;

/**
 * With Spring Security guarding the endpoint (reads for viewers, cancelling for operators), cancelling requires an
 * authorised user: 401 without credentials, 403 for a viewer, and it works for an operator, named in the reason.
 */
@SpringBootTest(classes = CancellationEndpointSecurityTests.SecuredApp.class,
        webEnvironment = WebEnvironment.RANDOM_PORT,
        properties = { "management.endpoints.web.exposure.include=cancellation",
                "management.endpoint.cancellation.access=unrestricted" })
class CancellationEndpointSecurityTests extends LiveEndpointTests {

    @Test
    void anonymousCanNeitherReadNorCancel() {
        RunningTasks.Running task = tasks.start("Secured.task");

        assertThat(http.get("/actuator/cancellation").status()).isEqualTo(401);
        assertThat(http.delete("/actuator/cancellation/" + task.id()).status()).isEqualTo(401);
        assertThat(http.post("/actuator/cancellation", "{\"name\":\"Secured.task\"}").status()).isEqualTo(401);
        assertThat(registry.find(task.id()).orElseThrow().state()).isEqualTo(TaskState.RUNNING);
    }

    @Test
    void viewerCanReadButNotCancel() {
        RunningTasks.Running task = tasks.start("Secured.task");
        Http bob = http.as("bob", "secret");

        assertThat(bob.get("/actuator/cancellation/" + task.id()).status()).isEqualTo(200);
        assertThat(bob.delete("/actuator/cancellation/" + task.id()).status()).isEqualTo(403);
        assertThat(bob.post("/actuator/cancellation", "{\"name\":\"Secured.task\"}").status()).isEqualTo(403);
        assertThat(registry.find(task.id()).orElseThrow().state()).isEqualTo(TaskState.RUNNING);
    }

    @Test
    void wrongPasswordIsUnauthorized() {
        RunningTasks.Running task = tasks.start("Secured.task");

        assertThat(http.as("alice", "wrong").delete("/actuator/cancellation/" + task.id()).status()).isEqualTo(401);
        assertThat(registry.find(task.id()).orElseThrow().state()).isEqualTo(TaskState.RUNNING);
    }

    @Test
    void operatorCancelsAndIsNamedInTheReason() {
        RunningTasks.Running task = tasks.start("Secured.task");
        Http alice = http.as("alice", "secret");

        Http.Response response = alice.delete("/actuator/cancellation/" + task.id());

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.<String>json("$.reason.origin")).isEqualTo("operator:alice");
        task.assertCancelled();
        RunningTasks.Running other = tasks.start("Secured.other");
        assertThat(alice.post("/actuator/cancellation", "{\"name\":\"Secured.other\"}").status()).isEqualTo(200);
        other.assertCancelled();
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class SecuredApp {

        /** Viewers and operators may read the endpoint; only operators may cancel. */
        @Bean
        SecurityFilterChain actuator(HttpSecurity http) throws Exception {
            return http.securityMatcher(EndpointRequest.toAnyEndpoint())
                    .authorizeHttpRequests(requests -> requests
                            .requestMatchers(HttpMethod.GET, "/actuator/**").hasAnyRole("VIEWER", "OPERATOR")
                            .requestMatchers(EndpointRequest.to(CancellationEndpoint.class)).hasRole("OPERATOR")
                            .anyRequest().denyAll())
                    .httpBasic(withDefaults())
                    .csrf(csrf -> csrf.ignoringRequestMatchers(EndpointRequest.toAnyEndpoint()))
                    .build();
        }

        @Bean
        InMemoryUserDetailsManager users() {
            return operatorAliceAndViewerBob();
        }
    }
}
