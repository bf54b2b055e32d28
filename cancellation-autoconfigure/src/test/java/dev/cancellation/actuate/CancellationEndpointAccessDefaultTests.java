package dev.cancellation.actuate;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.task.TaskState;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;

/**
 * With the default access ({@code READ_ONLY}) the endpoint lists tasks over HTTP but refuses to cancel: the write
 * operations are not mapped at all.
 */
@SpringBootTest(classes = CancellationEndpointWebIntegrationTests.App.class,
        webEnvironment = WebEnvironment.RANDOM_PORT,
        properties = "management.endpoints.web.exposure.include=cancellation")
class CancellationEndpointAccessDefaultTests extends LiveEndpointTests {

    @Test
    void readsAreAllowed() {
        RunningTasks.Running task = tasks.start("ReadOnly.task");

        Http.Response list = http.get("/actuator/cancellation");
        assertThat(list.<java.util.List<String>>json("$.tasks[*].id")).contains(task.id());
        assertThat(list.<Boolean>json("$.writable")).as("a client offers no cancel on a read-only endpoint")
                .isFalse();
        assertThat(http.get("/actuator/cancellation/" + task.id()).status()).isEqualTo(200);
    }

    @Test
    void cancellingIsRefusedEvenToAnAuthenticatedOperator() {
        RunningTasks.Running task = tasks.start("ReadOnly.task");
        Http alice = http.as("alice", "secret");

        Http.Response delete = alice.delete("/actuator/cancellation/" + task.id()).capture("delete-read-only");
        Http.Response post = alice.post("/actuator/cancellation", "{\"name\":\"ReadOnly.task\"}");

        assertThat(delete.status()).isEqualTo(405);
        assertThat(post.status()).isEqualTo(405);
        assertThat(registry.find(task.id()).orElseThrow().state()).isEqualTo(TaskState.RUNNING);
        assertThat(task.handle().token().isCancelled()).isFalse();
    }
}
