package dev.cancellation.actuate;

import static dev.cancellation.testfixture.Waits.PROMPTLY;
import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.TaskCancelledException;
import dev.cancellation.task.CleanupAction;
import dev.cancellation.task.TaskInfo;
import dev.cancellation.task.TaskRegistry;
import dev.cancellation.task.TaskState;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.RepeatedTest;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;

/**
 * Many operators cancelling the same tasks over HTTP at once (by id and by name, with and without interrupt) while
 * some of those tasks complete on their own: every request gets a 200 or a 404, each cancelled task is cleaned up
 * exactly once, and the registry ends consistent.
 */
@SpringBootTest(classes = EndpointBadInputTests.App.class, webEnvironment = WebEnvironment.RANDOM_PORT,
        properties = { "management.endpoints.web.exposure.include=cancellation",
                "management.endpoint.cancellation.access=unrestricted", "spring.web.error.include-message=always" })
class EndpointConcurrentCancelTests {

    private static final int RACING = 16;
    private static final int OTHERS = 4;
    private static final int CALLERS = 8;

    @LocalServerPort
    int port;

    @Autowired
    TaskRegistry registry;

    private RunningTasks tasks;
    private Http http;
    private ExecutorService callers;

    @BeforeEach
    void setUp() {
        tasks = new RunningTasks(registry);
        http = Http.on(port);
        callers = Executors.newFixedThreadPool(CALLERS);
    }

    @AfterEach
    void tearDown() throws InterruptedException {
        callers.shutdownNow();
        assertThat(callers.awaitTermination(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
        tasks.close();
        tasks.awaitQuiet();
    }

    @RepeatedTest(3)
    void concurrentCancelsAreIdempotentAndLeaveTheRegistryConsistent() throws Exception {
        Map<String, AtomicInteger> cleanups = new ConcurrentHashMap<>();
        CleanupAction countingCleanup = (task, reason, token) -> {
            cleanups.computeIfAbsent(task.id(), id -> new AtomicInteger()).incrementAndGet();
            return null;
        };
        List<RunningTasks.Running> racing = new ArrayList<>();
        for (int i = 0; i < RACING; i++) {
            racing.add(tasks.start("Race.task", countingCleanup));
        }
        List<RunningTasks.Running> others = new ArrayList<>();
        for (int i = 0; i < OTHERS; i++) {
            others.add(tasks.start("Race.other"));
        }
        Set<String> released = ConcurrentHashMap.newKeySet();
        List<String> unexpected = new CopyOnWriteArrayList<>();
        CountDownLatch go = new CountDownLatch(1);
        List<Future<?>> work = new ArrayList<>();
        List<Runnable> operations = new ArrayList<>();
        for (RunningTasks.Running task : racing) {
            for (int i = 0; i < 3; i++) {
                operations.add(() -> expect(http.delete("/actuator/cancellation/" + task.id()), "DELETE " + task.id(),
                        unexpected, 200, 404));
            }
            operations.add(() -> expect(http.get("/actuator/cancellation/" + task.id()), "GET " + task.id(),
                    unexpected, 200, 404));
        }
        for (int i = 0; i < RACING / 2; i++) {
            RunningTasks.Running task = racing.get(i * 2);
            operations.add(() -> {
                released.add(task.id());
                task.complete(); // finishes on its own, racing the cancels
            });
        }
        for (int i = 0; i < 6; i++) {
            boolean interrupt = i % 2 == 0;
            operations.add(() -> expect(http.post("/actuator/cancellation",
                    "{\"name\":\"Race.task\",\"interrupt\":" + interrupt + "}"), "POST", unexpected, 200));
            operations.add(() -> expect(http.get("/actuator/cancellation?name=Race.task"), "GET list", unexpected,
                    200));
        }
        Collections.shuffle(operations);
        for (Runnable operation : operations) {
            work.add(callers.submit(() -> {
                go.await();
                operation.run();
                return null;
            }));
        }
        go.countDown();
        for (Future<?> each : work) {
            each.get(PROMPTLY.toMillis(), TimeUnit.MILLISECONDS);
        }

        assertThat(unexpected).isEmpty();
        for (RunningTasks.Running task : racing) {
            Throwable exit = task.awaitExit();
            assertThat(exit == null || exit instanceof TaskCancelledException).as("exit of %s: %s", task.id(), exit)
                    .isTrue();
        }
        org.awaitility.Awaitility.await().atMost(PROMPTLY)
                .until(() -> registry.size() == OTHERS && registry.pendingCleanups() == 0);
        // the others were not touched
        assertThat(registry.list()).extracting(TaskInfo::name).containsOnly("Race.other");
        assertThat(registry.list()).extracting(TaskInfo::state).containsOnly(TaskState.RUNNING);

        List<TaskInfo> history = registry.history();
        List<String> historyIds = history.stream().map(TaskInfo::id).toList();
        assertThat(historyIds).doesNotHaveDuplicates();
        Set<String> racingIds = racing.stream().map(RunningTasks.Running::id).collect(Collectors.toSet());
        Set<String> cancelledIds = history.stream().filter(info -> racingIds.contains(info.id()))
                .peek(info -> assertThat(info.state()).isEqualTo(TaskState.CANCELLED))
                .map(TaskInfo::id).collect(Collectors.toSet());
        // every task that was not released was cancelled; a released one completed or was cancelled first
        assertThat(cancelledIds).containsAll(racingIds.stream().filter(id -> !released.contains(id)).toList());
        // each cancelled task was cleaned up exactly once, no completed one at all
        assertThat(cleanups.keySet()).isEqualTo(cancelledIds);
        assertThat(cleanups.values()).allSatisfy(count -> assertThat(count.get()).isEqualTo(1));
        // finished tasks answer idempotently: 200 with CANCELLED from the history, or 404 once completed
        for (RunningTasks.Running task : racing) {
            Http.Response again = http.delete("/actuator/cancellation/" + task.id());
            if (cancelledIds.contains(task.id())) {
                assertThat(again.status()).isEqualTo(200);
                assertThat(again.<String>json("$.state")).isEqualTo("CANCELLED");
            } else {
                assertThat(again.status()).isEqualTo(404);
            }
        }
        for (RunningTasks.Running other : others) {
            other.complete();
        }
    }

    private static void expect(Http.Response response, String what, List<String> unexpected, int... statuses) {
        for (int status : statuses) {
            if (response.status() == status) {
                return;
            }
        }
        unexpected.add(what + " -> " + response);
    }
}
