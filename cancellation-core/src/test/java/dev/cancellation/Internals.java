package dev.cancellation;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reads the private state of tokens and timers for white-box tests, by reflection, so that production code carries
 * no accessor that only tests call. A rename in production fails here loudly, at the first test that asks.
 */
public final class Internals {

    private static final Field TIMER_LOOP = field(Timer.class, "loop");
    private static final Field LOOP_WHEEL = field(TimerLoop.class, "wheel");
    private static final Field WHEEL_NEAR = field(TimingWheel.class, "near");
    private static final Field WHEEL_FAR = field(TimingWheel.class, "far");
    private static final Field LIST_HEAD = field(TokenList.class, "head");
    private static final Field LOCK_WORD = field(TokenList.class, "lockWord");
    private static final Method ACQUIRE = method(TokenList.class, "acquire");
    private static final Method RELEASE = method(TokenList.class, "release");

    private Internals() {
    }

    /** How many jobs the callback pool has taken since it was created (running, queued and done). */
    static long callbackJobs() {
        try {
            Field executor = field(Class.forName(CallbackDispatcher.class.getName() + "$Pool"), "EXECUTOR");
            return ((ThreadPoolExecutor) read(executor, null)).getTaskCount();
        } catch (ClassNotFoundException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * The number of entries {@code timer}'s wheel holds once its thread has taken every entry armed and every
     * disarm made before this call: a probe due at once runs on the timer thread, which takes all its stacks
     * before it fires anything, and reads the wheel there. Waits at most 30 s for the probe.
     */
    static int heldEntries(Timer timer) {
        AtomicInteger held = new AtomicInteger(-1);
        CountDownLatch answered = new CountDownLatch(1);
        timer.arm(new Timer.Task(timer, 0, () -> {
            held.set(size((TimingWheel) read(LOOP_WHEEL, read(TIMER_LOOP, timer))));
            answered.countDown();
        }));
        try {
            if (!answered.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException(timer + " did not run the probe within 30 s");
            }
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
        return held.get();
    }

    /** The entries a wheel holds (pending, or cancelled and not yet removed); on the wheel's own thread only. */
    static int size(TimingWheel wheel) {
        return (int) read(WHEEL_NEAR, wheel) + (int) read(WHEEL_FAR, wheel);
    }

    /** The number of nodes (callbacks and child links, closed ones not yet unlinked included) in the token's list. */
    public static int listSize(CancellationToken token) {
        call(ACQUIRE, token);
        try {
            int size = 0;
            for (Node node = (Node) read(LIST_HEAD, token); node != null; node = node.next) {
                size++;
            }
            return size;
        } finally {
            call(RELEASE, token);
        }
    }

    /** Whether the token has observers, so that its parents hold it strongly. */
    static boolean isObserved(CancellationToken token) {
        call(ACQUIRE, token);
        try {
            return ((int) read(LOCK_WORD, token) >>> 1) > 0;
        } finally {
            call(RELEASE, token);
        }
    }

    private static void call(Method method, Object owner) {
        try {
            method.invoke(owner);
        } catch (ReflectiveOperationException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static Object read(Field field, Object owner) {
        try {
            return field.get(owner);
        } catch (IllegalAccessException ex) {
            throw new IllegalStateException(ex);
        }
    }

    private static Field field(Class<?> type, String name) {
        try {
            Field field = type.getDeclaredField(name);
            field.setAccessible(true);
            return field;
        } catch (NoSuchFieldException ex) {
            throw new ExceptionInInitializerError(type.getName() + " has no field '" + name + "'");
        }
    }

    private static Method method(Class<?> type, String name) {
        try {
            Method method = type.getDeclaredMethod(name);
            method.setAccessible(true);
            return method;
        } catch (NoSuchMethodException ex) {
            throw new ExceptionInInitializerError(type.getName() + " has no method '" + name + "()'");
        }
    }
}
