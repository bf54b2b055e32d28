package dev.cancellation.demo.support;

import dev.cancellation.CancellationReason;
import dev.cancellation.TaskCancelledException;
import dev.cancellation.TaskTimeoutException;
import dev.cancellation.task.TaskRejectedException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * Turns cancellation into HTTP answers (RFC 9457 problem details), with the reason in the body:
 * <ul>
 * <li>a task that ran out of its time budget: {@code 504 Gateway Timeout};</li>
 * <li>a task cancelled because the application is shutting down, or refused because it already is:
 * {@code 503 Service Unavailable} (a client may retry on another instance);</li>
 * <li>a task cancelled by an operator or by code: {@code 409 Conflict}.</li>
 * </ul>
 * and a bad request parameter into {@code 400 Bad Request}.
 */
@RestControllerAdvice
public class ApiExceptionHandler {

    @ExceptionHandler(TaskTimeoutException.class)
    ProblemDetail timedOut(TaskTimeoutException ex) {
        return problem(HttpStatus.GATEWAY_TIMEOUT, "Task timed out", ex);
    }

    @ExceptionHandler(TaskCancelledException.class)
    ProblemDetail cancelled(TaskCancelledException ex) {
        boolean shutdown = ex.reason() != null && ex.reason().kind() == CancellationReason.Kind.SHUTDOWN;
        return problem(shutdown ? HttpStatus.SERVICE_UNAVAILABLE : HttpStatus.CONFLICT, "Task cancelled", ex);
    }

    @ExceptionHandler(TaskRejectedException.class)
    ProblemDetail rejected(TaskRejectedException ex) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.SERVICE_UNAVAILABLE, ex.getMessage());
        problem.setTitle("Shutting down");
        return problem;
    }

    @ExceptionHandler(IllegalArgumentException.class)
    ProblemDetail badRequest(IllegalArgumentException ex) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, ex.getMessage());
    }

    private static ProblemDetail problem(HttpStatus status, String title, TaskCancelledException ex) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, ex.getMessage());
        problem.setTitle(title);
        CancellationReason reason = ex.reason();
        if (reason != null) {
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("kind", reason.kind());
            body.put("message", reason.message());
            body.put("origin", reason.origin());
            body.put("at", reason.at().toString());
            problem.setProperty("reason", body);
        }
        return problem;
    }
}
