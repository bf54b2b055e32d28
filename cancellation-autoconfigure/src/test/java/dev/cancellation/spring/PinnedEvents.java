package dev.cancellation.spring;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.CodeSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * A JFR recording of {@code jdk.VirtualThreadPinned} events (Java 21+; JFR itself is in Java 17): which parks of a
 * virtual thread happened while it was pinned to its carrier, and where. Not thread-safe: start, run, stop.
 */
final class PinnedEvents implements AutoCloseable {

    /** A pinned park and the frame it is attributed to (the top-most frame outside the JDK). */
    record Pin(Duration duration, String frame, String stack) {
    }

    private final Recording recording = new Recording();
    private final List<RecordedEvent> events = new ArrayList<>();

    private PinnedEvents() {
    }

    /** Starts recording every pinned park (threshold 0), with stacks. */
    static PinnedEvents start() {
        PinnedEvents pinned = new PinnedEvents();
        pinned.recording.enable("jdk.VirtualThreadPinned").withThreshold(Duration.ZERO).withStackTrace();
        pinned.recording.setName("virtual-thread-pinned");
        pinned.recording.start();
        return pinned;
    }

    /** Stops and reads every pinned park recorded. */
    List<Pin> stop() {
        recording.stop();
        try {
            Path file = Files.createTempFile("virtual-thread-pinned", ".jfr");
            try {
                recording.dump(file);
                events.addAll(RecordingFile.readAllEvents(file));
            } finally {
                Files.deleteIfExists(file);
            }
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
        List<Pin> pins = new ArrayList<>();
        for (RecordedEvent event : events) {
            String frame = "?";
            StringBuilder stack = new StringBuilder();
            if (event.getStackTrace() != null) {
                for (RecordedFrame recorded : event.getStackTrace().getFrames()) {
                    String name = recorded.getMethod().getType().getName() + "." + recorded.getMethod().getName();
                    stack.append("\n\tat ").append(name).append(':').append(recorded.getLineNumber());
                    if (frame.equals("?") && !isJdk(name)) {
                        frame = name;
                    }
                }
            }
            pins.add(new Pin(event.getDuration(), frame, stack.toString()));
        }
        return pins;
    }

    /** Whether the pin is the starter's doing: its top-most non-JDK frame is starter code (not these tests). */
    static boolean attributableToTheStarter(Pin pin) {
        return pin.frame().startsWith("dev.cancellation.") && !isTestCode(pin.frame());
    }

    /**
     * Whether the frame's class (or the top-level class it is nested in) was loaded from where these tests were:
     * the tests share the starter's packages, so the package name alone does not tell them apart.
     */
    private static boolean isTestCode(String frame) {
        String type = frame.substring(0, frame.lastIndexOf('.'));
        int nested = type.indexOf('$');
        String topLevel = (nested < 0) ? type : type.substring(0, nested);
        try {
            String location = locationOf(Class.forName(topLevel, false, PinnedEvents.class.getClassLoader()));
            return location != null && location.equals(locationOf(PinnedEvents.class));
        } catch (ClassNotFoundException ex) {
            return false;
        }
    }

    private static String locationOf(Class<?> type) {
        CodeSource source = type.getProtectionDomain().getCodeSource();
        return (source != null && source.getLocation() != null) ? source.getLocation().toExternalForm() : null;
    }

    private static boolean isJdk(String name) {
        return name.startsWith("java.") || name.startsWith("jdk.") || name.startsWith("sun.");
    }

    @Override
    public void close() {
        recording.close();
    }
}
