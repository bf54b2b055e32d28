package dev.cancellation.r2dbc;

import io.r2dbc.spi.Result;
import java.lang.reflect.Method;
import org.jspecify.annotations.Nullable;
import org.reactivestreams.Publisher;

/**
 * The proxy of a {@link Result} of a guarded execution: the publishers it hands out ({@code map},
 * {@code flatMap}, {@code getRowsUpdated}) are read as part of the {@link StatementExecution} (a cancel while rows
 * are read stops the statement on the server), and {@code filter} answers a result guarded the same way.
 *
 * <p>Thread-safety: as the wrapped result.
 */
final class ResultHandler extends R2dbcProxy<Result> {

    private final StatementExecution execution;

    private ResultHandler(Result delegate, StatementExecution execution) {
        super(delegate);
        this.execution = execution;
    }

    static Result proxy(Result result, StatementExecution execution) {
        return create(Result.class, result, new ResultHandler(result, execution));
    }

    @Override
    public @Nullable Object invoke(Object proxy, Method method, @Nullable Object @Nullable [] args) throws Throwable {
        Object common = invokeCommon(proxy, method, args);
        if (common != UNHANDLED) {
            return common;
        }
        Object answer = call(method, args);
        if (answer instanceof Publisher<?> rows) {
            return Reactive.like(rows, execution.guard(rows, true), method.getReturnType());
        }
        if (answer instanceof Result filtered && answer != delegate) {
            return proxy(filtered, execution);
        }
        return (answer == delegate) ? proxy : answer;
    }
}
