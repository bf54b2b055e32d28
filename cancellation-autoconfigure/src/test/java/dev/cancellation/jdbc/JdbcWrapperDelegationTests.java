package dev.cancellation.jdbc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import dev.cancellation.Cancellation;
import dev.cancellation.CancellationSource;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.Reader;
import java.io.StringReader;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Proxy;
import java.math.BigDecimal;
import java.net.MalformedURLException;
import java.net.URI;
import java.net.URL;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.Date;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Time;
import java.sql.Timestamp;
import java.sql.Wrapper;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Calendar;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The wrappers are plain delegation: every method of {@link Connection}, {@link Statement},
 * {@link PreparedStatement}, {@link CallableStatement} and {@link ResultSet}, the default methods included, called
 * on a wrapper reaches the wrapped object, the same method with the same arguments, except the few a wrapper
 * answers itself ({@code getConnection}, {@code getStatement}). A delegation left out (a default method then runs
 * the interface's code, not the driver's) or aimed at the wrong method or argument fails here. The wrapped objects
 * are recording JDK proxies (reflection in the test only).
 */
class JdbcWrapperDelegationTests {

    /** {@code OFF}: an execution under a token then asks the driver nothing but the execution itself. */
    private final StatementCanceller canceller = new StatementCanceller(QueryTimeoutBackstop.OFF,
            Duration.ofSeconds(5), 1);

    @AfterEach
    void closeCanceller() {
        canceller.close();
    }

    @Test
    void everyConnectionMethodReachesTheWrappedConnection() throws Exception {
        List<Method> methods = methodsOf(Connection.class);
        for (Method method : methods) {
            Recording<Connection> driver = Recording.of(Connection.class);
            Connection wrapper = canceller.wrap(driver.proxy);
            Object[] args = argumentsFor(method);

            Object result = invoke(method, wrapper, args);

            driver.assertReceived(method, args);
            if (result instanceof Statement statement) {
                assertThat(statement).as(method.toString()).isInstanceOf(CancellableStatement.class)
                        .isInstanceOf(method.getReturnType());
                assertThat(statement.getConnection()).as(method.toString()).isSameAs(wrapper);
            }
        }
        assertThat(methods).as("Connection methods checked").hasSizeGreaterThan(50);
    }

    @Test
    void everyStatementMethodReachesTheWrappedStatement() throws Exception {
        assertThat(checkStatementMethods(Statement.class, Connection::createStatement))
                .as("Statement methods checked").hasSizeGreaterThan(50);
    }

    @Test
    void everyPreparedStatementMethodReachesTheWrappedStatement() throws Exception {
        assertThat(checkStatementMethods(PreparedStatement.class, connection -> connection.prepareStatement("q")))
                .as("PreparedStatement methods checked").hasSizeGreaterThan(100);
    }

    @Test
    void everyCallableStatementMethodReachesTheWrappedStatement() throws Exception {
        assertThat(checkStatementMethods(CallableStatement.class, connection -> connection.prepareCall("q")))
                .as("CallableStatement methods checked").hasSizeGreaterThan(200);
    }

    @Test
    void everyResultSetMethodReachesTheWrappedResultSet() throws Exception {
        List<Method> methods = methodsOf(ResultSet.class);
        for (Method method : methods) {
            Recording<Connection> driver = Recording.of(Connection.class);
            Statement statement = canceller.wrap(driver.proxy).createStatement();
            ResultSet wrapper;
            try (CancellationSource source = CancellationSource.create();
                    Cancellation.Scope ignored = Cancellation.enter(source.token())) {
                wrapper = statement.executeQuery("q"); // guarded: read under the token's execution
                assertThat(wrapper).isInstanceOf(CancellableResultSet.class);
                Recording<ResultSet> rows = driver.child(Statement.class).child(ResultSet.class);
                Object[] args = argumentsFor(method);

                Object result = invoke(method, wrapper, args);

                if (method.getName().equals("getStatement")) {
                    assertThat(result).as("getStatement() answers the statement's wrapper").isSameAs(statement);
                    assertThat(rows.calls).isEmpty();
                } else {
                    rows.assertReceived(method, args);
                }
                statement.close();
            }
            assertThat(canceller.openExecutions()).as("executions open after " + method).isZero();
        }
        assertThat(methods).as("ResultSet methods checked").hasSizeGreaterThan(150);
    }

    @Test
    void wrappersAreThemselvesToUnwrapAndIdentityToCompare() throws Exception {
        Recording<Connection> driver = Recording.of(Connection.class);
        Connection connection = canceller.wrap(driver.proxy);
        PreparedStatement statement = connection.prepareStatement("q");
        ResultSet resultSet;
        try (CancellationSource source = CancellationSource.create();
                Cancellation.Scope ignored = Cancellation.enter(source.token())) {
            resultSet = statement.executeQuery();
        }
        for (Object wrapper : List.of(connection, statement, resultSet)) {
            Wrapper jdbc = (Wrapper) wrapper;
            Class<?> type = Stream.of(Connection.class, PreparedStatement.class, ResultSet.class)
                    .filter(candidate -> candidate.isInstance(wrapper)).findFirst().orElseThrow();
            assertThat(jdbc.unwrap(type)).isSameAs(wrapper);
            assertThat(jdbc.isWrapperFor(type)).isTrue();
            assertThat(wrapper).isEqualTo(wrapper).hasSameHashCodeAs(System.identityHashCode(wrapper));
        }
        Object driverStatement = driver.child(PreparedStatement.class).proxy;
        assertThat(statement).isNotEqualTo(driverStatement);
        assertThat(statement).hasToString("Cancellable[" + driverStatement + "]");
        assertThat(connection).hasToString("Cancellable[" + driver.proxy + "]");
        assertThat(driver.calls).extracting(call -> call.method().getName()).containsExactly("prepareStatement");
        statement.close();
        assertThat(canceller.openExecutions()).isZero();
    }

    /**
     * Calls every method of {@code type} on a fresh wrapper of a recording statement, with no token, then every
     * {@code execute*} again under a live token; answers the methods checked.
     */
    private <S extends Statement> List<Method> checkStatementMethods(Class<S> type, StatementOf<S> create)
            throws Exception {
        List<Method> methods = methodsOf(type);
        for (Method method : methods) {
            Recording<Connection> driver = Recording.of(Connection.class);
            Connection connection = canceller.wrap(driver.proxy);
            S wrapper = create.statementOf(connection);
            assertThat(wrapper).isInstanceOf(CancellableStatement.class);
            Recording<S> recorded = driver.child(type);
            Object[] args = argumentsFor(method);

            Object result = invoke(method, wrapper, args);

            if (method.getName().equals("getConnection")) {
                assertThat(result).as("getConnection() answers the connection's wrapper").isSameAs(connection);
                assertThat(recorded.calls).isEmpty();
            } else {
                recorded.assertReceived(method, args);
            }
            if (method.getName().startsWith("execute")) {
                recorded.calls.clear();
                try (CancellationSource source = CancellationSource.create();
                        Cancellation.Scope ignored = Cancellation.enter(source.token())) {
                    Object underToken = invoke(method, wrapper, args);
                    recorded.assertReceived(method, args);
                    if (underToken instanceof ResultSet resultSet) {
                        assertThat(resultSet).isInstanceOf(CancellableResultSet.class);
                        assertThat(resultSet.getStatement()).isSameAs(wrapper);
                        assertThat(canceller.openExecutions()).as("open while the result set is").isOne();
                    }
                }
            }
            wrapper.close();
            assertThat(canceller.openExecutions()).as("executions open after " + method).isZero();
        }
        return methods;
    }

    @FunctionalInterface
    private interface StatementOf<S extends Statement> {
        S statementOf(Connection connection) throws SQLException;
    }

    /** The public instance methods of {@code type} and its super-interfaces, in a stable order. */
    private static List<Method> methodsOf(Class<?> type) {
        return Stream.of(type.getMethods()).filter(method -> !Modifier.isStatic(method.getModifiers()))
                .sorted(Comparator.comparing(Method::toGenericString)).toList();
    }

    private static Object invoke(Method method, Object target, Object[] args) throws Exception {
        try {
            return method.invoke(target, args);
        } catch (InvocationTargetException ex) {
            throw new AssertionError(method + " failed on the wrapper", ex.getCause());
        }
    }

    /**
     * Arguments for {@code method}, each distinct from the others (an argument dropped or swapped by the delegation
     * fails), references compared by identity.
     */
    private static Object[] argumentsFor(Method method) throws MalformedURLException {
        Class<?>[] types = method.getParameterTypes();
        Object[] args = new Object[types.length];
        for (int i = 0; i < types.length; i++) {
            args[i] = sample(types[i], 7 + i, method);
        }
        return args;
    }

    private static Object sample(Class<?> type, int n, Method method) throws MalformedURLException {
        if (type == int.class) {
            return n;
        } else if (type == long.class) {
            return (long) n;
        } else if (type == boolean.class) {
            return n % 2 == 0;
        } else if (type == short.class) {
            return (short) n;
        } else if (type == byte.class) {
            return (byte) n;
        } else if (type == float.class) {
            return n + 0.5f;
        } else if (type == double.class) {
            return n + 0.25;
        } else if (type == String.class) {
            return new String("argument " + n); // a distinct instance, compared by identity
        } else if (type == Class.class) {
            return String.class; // no wrapper is a String: unwrap and isWrapperFor ask the wrapped object
        } else if (type.isArray()) {
            return java.lang.reflect.Array.newInstance(type.getComponentType(), 1);
        } else if (type.isInterface()) {
            return Recording.of(type).proxy;
        } else if (type == Object.class) {
            return new Object();
        } else if (type == BigDecimal.class) {
            return new BigDecimal(n);
        } else if (type == Date.class) {
            return new Date(n);
        } else if (type == Time.class) {
            return new Time(n);
        } else if (type == Timestamp.class) {
            return new Timestamp(n);
        } else if (type == Calendar.class) {
            return Calendar.getInstance();
        } else if (type == Properties.class) {
            return new Properties();
        } else if (type == InputStream.class) {
            return new ByteArrayInputStream(new byte[n]);
        } else if (type == Reader.class) {
            return new StringReader("reader " + n);
        } else if (type == URL.class) {
            return URI.create("http://example.invalid/" + n).toURL();
        }
        return fail("No sample argument of type " + type.getName() + " for " + method);
    }

    /** One call a recording proxy received. */
    private record Call(Method method, Object[] args) {

        boolean is(Method expected, Object[] expectedArgs) {
            if (!method.getName().equals(expected.getName())
                    || !Arrays.equals(method.getParameterTypes(), expected.getParameterTypes())) {
                return false;
            }
            for (int i = 0; i < expectedArgs.length; i++) {
                Object sent = expectedArgs[i];
                Object received = args[i];
                boolean same = expected.getParameterTypes()[i].isPrimitive() ? sent.equals(received)
                        : sent == received;
                if (!same) {
                    return false;
                }
            }
            return true;
        }
    }

    /**
     * A JDK proxy of a JDBC interface that records its calls and answers {@code true}, zero, {@code null}, or for a
     * statement or result set a new recording proxy of that type (its child).
     */
    private static final class Recording<T> {

        final T proxy;
        final List<Call> calls = new ArrayList<>();
        final List<Recording<?>> children = new ArrayList<>();

        private Recording(Class<T> type) {
            this.proxy = type.cast(Proxy.newProxyInstance(type.getClassLoader(), new Class<?>[] {type},
                    (self, method, args) -> answer(self, method, args)));
        }

        static <T> Recording<T> of(Class<T> type) {
            return new Recording<>(type);
        }

        private Object answer(Object self, Method method, Object[] args) {
            if (method.getDeclaringClass() == Object.class) {
                return switch (method.getName()) {
                    case "equals" -> self == args[0];
                    case "hashCode" -> System.identityHashCode(self);
                    default -> "recording " + method.getDeclaringClass().getSimpleName() + "@"
                            + Integer.toHexString(System.identityHashCode(self));
                };
            }
            calls.add(new Call(method, (args != null) ? args : new Object[0]));
            Class<?> type = method.getReturnType();
            if (type == Statement.class || type == PreparedStatement.class || type == CallableStatement.class
                    || type == ResultSet.class) {
                Recording<?> child = Recording.of(type);
                children.add(child);
                return child.proxy;
            }
            return defaultValue(type);
        }

        private static Object defaultValue(Class<?> type) {
            if (type == boolean.class) {
                return true; // execute(): a result set to guard; next(): a row
            } else if (type == int.class) {
                return 0;
            } else if (type == long.class) {
                return 0L;
            } else if (type == short.class) {
                return (short) 0;
            } else if (type == byte.class) {
                return (byte) 0;
            } else if (type == float.class) {
                return 0f;
            } else if (type == double.class) {
                return 0d;
            }
            return null;
        }

        /** The one recording child of {@code type} (a statement this connection created, a result set...). */
        <C> Recording<C> child(Class<C> type) {
            List<Recording<?>> matching = children.stream().filter(child -> type.isInstance(child.proxy)).toList();
            assertThat(matching).as("recorded " + type.getSimpleName() + "s").hasSize(1);
            @SuppressWarnings("unchecked")
            Recording<C> child = (Recording<C>) matching.get(0);
            return child;
        }

        void assertReceived(Method method, Object[] args) {
            assertThat(calls).as("calls the wrapped object received for " + method.toGenericString())
                    .anyMatch(call -> call.is(method, args));
        }
    }
}
