package dev.cancellation.demo.support;

import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * Turns a bad request parameter into {@code 400 Bad Request} (an RFC 9457 problem detail).
 *
 * <p>Cancellation needs no handler here: the starter answers a task that timed out with {@code 504}, one cancelled
 * by shutdown (or refused because the application is shutting down) with {@code 503}, and one cancelled by an
 * operator with {@code 409}, each as a problem detail carrying the reason. An application that wants other
 * answers declares its own {@code @ExceptionHandler}, which wins.
 */
@RestControllerAdvice
public class ApiExceptionHandler {

    @ExceptionHandler(IllegalArgumentException.class)
    ProblemDetail badRequest(IllegalArgumentException ex) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, ex.getMessage());
    }
}
