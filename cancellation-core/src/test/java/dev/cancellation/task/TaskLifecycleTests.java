package dev.cancellation.task;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.CancellationReason;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.sql.SQLException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class TaskLifecycleTests {

    private static final CancellationReason REQUESTED = CancellationReason.requested("operator");
    private static final CancellationReason TIMEOUT = CancellationReason.timeout(Duration.ofMillis(5));

    @Test
    void anExitIsTheCancellationOnlyIfTheFailureIsHowCodeReactsToItOrWeInterrupted() {
        IllegalStateException unrelated = new IllegalStateException("bug");
        assertThat(TaskLifecycle.outcome(null, REQUESTED, true)).isEqualTo(TaskOutcome.COMPLETED);
        assertThat(TaskLifecycle.outcome(unrelated, null, false)).isEqualTo(TaskOutcome.FAILED);
        assertThat(TaskLifecycle.outcome(unrelated, REQUESTED, false)).isEqualTo(TaskOutcome.FAILED);
        assertThat(TaskLifecycle.outcome(unrelated, REQUESTED, true)).isEqualTo(TaskOutcome.CANCELLED);
        assertThat(TaskLifecycle.outcome(new IOException(new InterruptedIOException()), REQUESTED, false))
                .isEqualTo(TaskOutcome.CANCELLED);
        assertThat(TaskLifecycle.outcome(new InterruptedException(), TIMEOUT, false)).isEqualTo(TaskOutcome.TIMEOUT);
        assertThat(TaskLifecycle.outcome(new InterruptedException(), null, true)).isEqualTo(TaskOutcome.FAILED);
    }

    @Test
    void aStopByCancellationIsThrownAsATaskCancelledExceptionNamingTheTask() {
        InterruptedException interrupted = new InterruptedException("sleep interrupted");
        Throwable thrown = TaskLifecycle.toThrow(interrupted, TaskOutcome.TIMEOUT, TIMEOUT, "report");

        assertThat(thrown).isInstanceOf(TaskTimeoutException.class).hasMessageStartingWith("report: ")
                .hasCause(interrupted);
        assertThat(((TaskCancelledException) thrown).reason()).isSameAs(TIMEOUT);
        assertThat(thrown.getSuppressed()).isEmpty();
    }

    @Test
    void theCauseIsWhatACheckpointNamesAsHavingStoppedTheWorkWithTheOriginalSuppressed() {
        SQLException driver = new SQLException("canceling statement due to user request");
        TaskCancelledException checkpoint = TaskCancelledException.of(REQUESTED, "SELECT");
        checkpoint.initCause(driver);
        RuntimeException wrapper = new RuntimeException(checkpoint);

        Throwable thrown = TaskLifecycle.toThrow(wrapper, TaskOutcome.CANCELLED, REQUESTED, "export");

        assertThat(thrown).isInstanceOf(TaskCancelledException.class).hasMessageStartingWith("export: ")
                .hasCause(driver);
        assertThat(thrown.getSuppressed()).containsExactly(wrapper);
    }

    @Test
    void anExceptionThatAlreadyNamesTheTaskAndAFailureAreThrownAsTheyAre() {
        TaskCancelledException own = TaskCancelledException.of(REQUESTED, "export");
        IllegalStateException bug = new IllegalStateException("bug");

        assertThat(TaskLifecycle.toThrow(own, TaskOutcome.CANCELLED, REQUESTED, "export")).isSameAs(own);
        assertThat(TaskLifecycle.toThrow(own, TaskOutcome.CANCELLED, REQUESTED, "other")).isNotSameAs(own)
                .hasMessageStartingWith("other: ");
        assertThat(TaskLifecycle.toThrow(bug, TaskOutcome.FAILED, REQUESTED, "export")).isSameAs(bug);
        assertThat(TaskLifecycle.toThrow(null, TaskOutcome.COMPLETED, REQUESTED, "export")).isNull();
    }

    @Test
    void onlyAStopByCancellationWithACleanupGoesThroughCleaningUp() {
        assertThat(TaskLifecycle.stateAfterExit(TaskOutcome.CANCELLED, true)).isEqualTo(TaskState.CLEANING_UP);
        assertThat(TaskLifecycle.stateAfterExit(TaskOutcome.TIMEOUT, true)).isEqualTo(TaskState.CLEANING_UP);
        assertThat(TaskLifecycle.stateAfterExit(TaskOutcome.TIMEOUT, false)).isEqualTo(TaskState.CANCELLED);
        assertThat(TaskLifecycle.stateAfterExit(TaskOutcome.COMPLETED, true)).isEqualTo(TaskState.COMPLETED);
        assertThat(TaskLifecycle.stateAfterExit(TaskOutcome.FAILED, true)).isEqualTo(TaskState.FAILED);
    }

    @Test
    void onlyATaskWhoseCodeStillRunsCanBeAbandoned() {
        for (TaskState state : TaskState.values()) {
            assertThat(TaskLifecycle.abandonable(state)).as(state.name())
                    .isEqualTo(state == TaskState.RUNNING || state == TaskState.CANCELLING);
        }
    }

    @Test
    void durationsTooLongForNanoTimeArithmeticAreCapped() {
        assertThat(TaskLifecycle.cappedNanos(Duration.ofMillis(3))).isEqualTo(3_000_000L);
        assertThat(TaskLifecycle.cappedNanos(Duration.ofDays(365L * 1000))).isEqualTo(TaskLifecycle.LONGEST_NANOS);
        assertThat(TaskLifecycle.cappedNanos(Duration.ofSeconds(Long.MAX_VALUE))).isEqualTo(TaskLifecycle.LONGEST_NANOS);
    }
}
