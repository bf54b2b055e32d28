package dev.cancellation;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.ThreadFactory;

/**
 * Virtual threads for tests compiled for Java 17: found reflectively, so the same test classes skip on 17 and run
 * on 21+.
 */
final class VirtualThreads {

    private static final ThreadFactory FACTORY = lookUpFactory();

    private VirtualThreads() {
    }

    /** A factory of virtual threads; skips the calling test (assumption) when the JVM has none. */
    static ThreadFactory factory() {
        assumeTrue(FACTORY != null,
                () -> "virtual threads need Java 21+, this JVM is " + Runtime.version()
                        + " (set CANCELLATION_JDK21_HOME to run this suite on one)");
        return FACTORY;
    }

    private static ThreadFactory lookUpFactory() {
        if (Runtime.version().feature() < 21) {
            return null;
        }
        try {
            MethodHandles.Lookup lookup = MethodHandles.publicLookup();
            Class<?> builder = Class.forName("java.lang.Thread$Builder");
            Class<?> ofVirtual = Class.forName("java.lang.Thread$Builder$OfVirtual");
            MethodHandle newBuilder = lookup.findStatic(Thread.class, "ofVirtual", MethodType.methodType(ofVirtual));
            MethodHandle name = lookup.findVirtual(ofVirtual, "name",
                    MethodType.methodType(ofVirtual, String.class, long.class));
            MethodHandle factory = lookup.findVirtual(builder, "factory", MethodType.methodType(ThreadFactory.class));
            Object named = name.invoke(newBuilder.invoke(), "stress-virtual-", 0L);
            return (ThreadFactory) factory.invoke(named);
        } catch (Throwable ex) {
            throw new IllegalStateException("Java " + Runtime.version() + " should have virtual threads", ex);
        }
    }

    /** Whether {@code thread} is virtual (always {@code false} before Java 21). */
    static boolean isVirtual(Thread thread) {
        if (FACTORY == null) {
            return false;
        }
        try {
            return (boolean) MethodHandles.publicLookup()
                    .findVirtual(Thread.class, "isVirtual", MethodType.methodType(boolean.class)).invoke(thread);
        } catch (Throwable ex) {
            throw new IllegalStateException(ex);
        }
    }
}
