package dev.cancellation.actuate;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskState;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.web.SecurityFilterChain;

/**
 * The {@code cancellation} endpoint over real HTTP given unknown ids, malformed bodies and bad filters: each is a
 * clear 4xx (never a 5xx) and leaves the registry untouched.
 */
@SpringBootTest(classes = EndpointBadInputTests.App.class, webEnvironment = WebEnvironment.RANDOM_PORT,
        properties = { "management.endpoints.web.exposure.include=cancellation",
                "management.endpoint.cancellation.access=unrestricted", "spring.web.error.include-message=always" })
class EndpointBadInputTests {

    private static final String ENDPOINT = "/actuator/cancellation";

    @LocalServerPort
    int port;

    @Autowired
    TaskRegistry registry;

    private RunningTasks tasks;
    private Http http;
    private RunningTasks.Running bystander;

    @BeforeEach
    void setUp() {
        tasks = new RunningTasks(registry);
        http = Http.on(port);
        bystander = tasks.start("Bystander.task");
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        // nothing a bad request did may have touched the running task
        assertThat(registry.find(bystander.id())).get().extracting(info -> info.state()).isEqualTo(TaskState.RUNNING);
        assertThat(registry.size()).isEqualTo(1);
        tasks.close();
        tasks.awaitQuiet();
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = { "0123456789abcdef01234567", "x", "null", "undefined", "%20", "%20%20", "-1",
            "%3Cscript%3Ealert(1)%3C%2Fscript%3E", "%22%27%60", "%E2%9C%93%F0%9F%92%A5", "*", "..", "%2e%2e",
            "a%2Fb", "%2F", "%00", "%25", "a;b", "%3B", "%5C", "a.json", "id?x=1", "%0D%0ASet-Cookie:x" })
    void unknownOrStrangeIdsAreNotFoundOrBadRequests(String id) {
        Http.Response get = http.get(ENDPOINT + "/" + id);
        Http.Response delete = http.delete(ENDPOINT + "/" + id);

        assertThat(get.status()).as("GET %s: %s", id, get).isIn(400, 404);
        assertThat(delete.status()).as("DELETE %s: %s", id, delete).isIn(400, 404, 405);
    }

    @Test
    void veryLongIdsAreRejected() {
        String long2k = "a".repeat(2_000);
        String long100k = "b".repeat(100_000);

        assertThat(http.get(ENDPOINT + "/" + long2k).status()).isEqualTo(404);
        assertThat(http.delete(ENDPOINT + "/" + long2k).status()).isEqualTo(404);
        // beyond the server's request line limit: refused before it reaches the endpoint
        assertThat(http.delete(ENDPOINT + "/" + long100k).status()).isBetween(400, 499);
    }

    @Test
    void deleteWithoutIdCancelsNothing() {
        assertThat(http.delete(ENDPOINT).status()).isBetween(400, 499);
        assertThat(http.delete(ENDPOINT + "/").status()).isBetween(400, 499);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = { "not json", "{", "{\"name\":", "[]", "[\"Bystander.task\"]", "null", "\"Bystander.task\"",
            "", "{}", "{\"interrupt\":true}", "{\"name\":null}", "{\"name\":\"\"}", "{\"name\":\" \\t \"}",
            "{\"name\":{\"first\":\"Bystander.task\"}}", "{\"name\":[\"Bystander.task\"]}",
            "{\"name\":[\"Bystander.task\",\"Other\"]}", "{\"name\":\"Bystander.task\",\"interrupt\":\"maybe\"}",
            "{\"name\":\"Bystander.task\",\"interrupt\":2}", "{\"name\":\"Bystander.task\",\"interrupt\":{}}",
            "{\"name\":\"Bystander.task\",\"interrupt\":[true]}" })
    void malformedCancelBodiesAreBadRequests(String body) {
        Http.Response response = http.post(ENDPOINT, body);

        assertThat(response.status()).as("POST %s: %s", body, response).isEqualTo(400);
    }

    /** Each bad input is a problem detail (RFC 9457) whose detail and field name it; nothing is cancelled. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = { "{}", "{\"interrupt\":true}", "{\"name\":null}", "{\"name\":\"\"}",
            "{\"name\":\" \\t \"}" })
    void aCancelWithoutANameIsAProblemNamingTheField(String body) {
        Http.Response response = http.post(ENDPOINT, body);

        assertProblem(response, 400, "name");
        assertThat(response.<String>json("$.detail")).contains("'name'", "required");
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = { "\"maybe\"", "2", "\"yes\"", "\"\\u0000\"" })
    void anInterruptThatIsNotABooleanIsAProblemNamingTheField(String interrupt) {
        Http.Response response = http.post(ENDPOINT, "{\"name\":\"Bystander.task\",\"interrupt\":" + interrupt + "}");

        assertProblem(response, 400, "interrupt");
        assertThat(response.<String>json("$.detail")).contains("'interrupt'", "true or false");
    }

    @Test
    void badFiltersAreProblemsNamingTheField() {
        Http.Response state = http.get(ENDPOINT + "?state=sleeping");
        Http.Response scope = http.get(ENDPOINT + "?scope=galaxy");
        Http.Response cluster = http.post(ENDPOINT, "{\"name\":\"Bystander.task\",\"scope\":\"cluster\"}");

        assertProblem(state, 400, "state");
        assertThat(state.<String>json("$.detail")).startsWith("Unknown task state 'sleeping'; expected one of");
        assertProblem(scope, 400, "scope");
        assertThat(scope.<String>json("$.detail")).isEqualTo("Unknown scope 'galaxy'; expected local or cluster");
        assertProblem(cluster, 400, "scope");
        assertThat(cluster.<String>json("$.detail")).contains("cancellation.cluster.enabled=true");
    }

    @Test
    void anUnknownIdIsAProblemNamingTheId() {
        Http.Response get = http.get(ENDPOINT + "/0123456789abcdef");
        Http.Response delete = http.delete(ENDPOINT + "/0123456789abcdef");

        assertProblem(get, 404, "id");
        assertProblem(delete, 404, "id");
        assertThat(delete.<String>json("$.detail")).isEqualTo("No live or recent task has id '0123456789abcdef'");
    }

    private static void assertProblem(Http.Response response, int status, String field) {
        assertThat(response.status()).as("%s", response).isEqualTo(status);
        assertThat(response.contentType()).as("%s", response).startsWith("application/problem+json");
        assertThat(response.<String>json("$.type")).isEqualTo("about:blank");
        assertThat(response.<String>json("$.title")).isNotBlank();
        assertThat(response.<Integer>json("$.status")).isEqualTo(status);
        assertThat(response.<String>json("$.field")).isEqualTo(field);
    }

    @Test
    void nameOfAnotherJsonTypeIsTheTextOfThatValue() {
        // a JSON number or boolean converts to its text, which names no task: nothing is cancelled
        Http.Response number = http.post(ENDPOINT, "{\"name\":42}");
        Http.Response bool = http.post(ENDPOINT, "{\"name\":true}");

        assertThat(number.status()).isEqualTo(200);
        assertThat(number.<String>json("$.name")).isEqualTo("42");
        assertThat(number.<List<?>>json("$.tasks")).isEmpty();
        assertThat(bool.<List<?>>json("$.tasks")).isEmpty();
    }

    @Test
    void interruptAsATextualBooleanIsAccepted() {
        RunningTasks.Running task = tasks.start("Textual.interrupt");

        Http.Response response = http.post(ENDPOINT, "{\"name\":\"Textual.interrupt\",\"interrupt\":\"false\"}");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.<Boolean>json("$.interrupt")).isFalse();
        task.assertCancelled();
        org.awaitility.Awaitility.await().atMost(PROMPTLY).until(() -> registry.find(task.id()).isEmpty());
    }

    @Test
    void unknownFieldsAreIgnored() {
        Http.Response response = http.post(ENDPOINT, "{\"name\":\"Nothing.here\",\"all\":true,\"id\":\"*\"}");

        assertThat(response.status()).isEqualTo(200);
        assertThat(response.<List<?>>json("$.tasks")).isEmpty();
    }

    @Test
    void nonJsonContentTypeIsRefused() {
        Http.Response response = http.post(ENDPOINT, "text/plain", "name=Bystander.task");

        assertThat(response.status()).isEqualTo(415);
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = { "sleeping", "RUNNING,CANCELLING", "%00", "1", "running%20please", "COMPLETED;drop" })
    void unknownStateFiltersAreBadRequestsNamingTheValue(String state) {
        Http.Response response = http.get(ENDPOINT + "?state=" + state);

        assertThat(response.status()).as("state %s: %s", state, response).isEqualTo(400);
    }

    @Test
    void unknownStateMessageNamesTheValueAndTheChoices() {
        Http.Response response = http.get(ENDPOINT + "?state=sleeping");

        assertThat(response.body()).contains("Unknown task state 'sleeping'; expected one of RUNNING, CANCELLING",
                "ABANDONED");
        // a long value is cut in the message
        Http.Response longValue = http.get(ENDPOINT + "?state=" + "q".repeat(1_000));
        assertThat(longValue.status()).isEqualTo(400);
        assertThat(longValue.body()).contains("'" + "q".repeat(64) + "...'").doesNotContain("q".repeat(65));
    }

    @Test
    void lenientFiltersWork() {
        assertThat(http.get(ENDPOINT + "?state=").status()).isEqualTo(200);
        assertThat(http.get(ENDPOINT + "?state=%20running%20").<List<String>>json("$.tasks[*].id"))
                .containsExactly(bystander.id());
        assertThat(http.get(ENDPOINT + "?name=" + "z".repeat(4000)).<List<?>>json("$.tasks")).isEmpty();
        assertThat(http.get(ENDPOINT + "?name=%3Cscript%3E").<List<?>>json("$.tasks")).isEmpty();
    }

    @SpringBootConfiguration
    @EnableAutoConfiguration
    static class App {

        @Bean
        SecurityFilterChain open(HttpSecurity http) throws Exception {
            return http.authorizeHttpRequests(requests -> requests.anyRequest().permitAll())
                    .csrf(csrf -> csrf.disable())
                    .build();
        }
    }
}
