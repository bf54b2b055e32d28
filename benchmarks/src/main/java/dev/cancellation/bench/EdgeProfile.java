package dev.cancellation.bench;

import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where the CPU of a demo instance goes, from a JFR recording of it under load ({@code run-load.sh} with
 * {@code PROFILE=1}): each execution sample is charged to the code that was running, found by walking its stack
 * from the leaf past JDK frames ({@code java.}, {@code jdk.}, {@code sun.}) and the starter's core (the token and the
 * registry, {@code dev.cancellation}, {@code .task}, {@code .annotation}: charged to whoever called them) to the
 * first frame of a library, of the application or of the starter's Spring layer. A sample whose frame is in the starter's web or JDBC edge ({@code dev.cancellation.web},
 * {@code dev.cancellation.jdbc}) is the edges' own work, the JDK calls they make included (the timer, reflection
 * if any); a sample in the starter's other packages is the rest of the starter ({@code @Cancellable},
 * the registry), on in both configurations. Work the edges merely wrap (the driver's, the handler's) is charged to
 * that code, not to the edge around it.
 *
 * <p>Usage: {@code EdgeProfile RECORDING.jfr}. Prints the shares of the request threads' samples. Single-threaded.
 */
public final class EdgeProfile {

    private EdgeProfile() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, Integer> byCharge = new TreeMap<>();
        Map<String, Integer> edgeMethods = new TreeMap<>();
        int total = 0;
        for (RecordedEvent event : RecordingFile.readAllEvents(Path.of(args[0]))) {
            if (!event.getEventType().getName().equals("jdk.ExecutionSample") || event.getStackTrace() == null) {
                continue;
            }
            String thread = event.getThread("sampledThread") == null ? ""
                    : String.valueOf(event.getThread("sampledThread").getJavaName());
            if (!thread.startsWith("http-nio")) {
                continue; // the request threads only: what a request costs
            }
            total++;
            RecordedFrame charged = chargedFrame(event.getStackTrace().getFrames());
            String type = charged == null ? "(JDK only)" : charged.getMethod().getType().getName();
            String charge = chargeOf(type);
            byCharge.merge(charge, 1, Integer::sum);
            if (charge.startsWith("starter edges")) {
                edgeMethods.merge(type + "." + charged.getMethod().getName(), 1, Integer::sum);
            }
        }
        System.out.printf(Locale.ROOT, "request-thread samples: %d%n", total);
        for (Map.Entry<String, Integer> entry : byCharge.entrySet()) {
            System.out.printf(Locale.ROOT, "  %-40s %6d  %5.1f%%%n", entry.getKey(), entry.getValue(),
                    100.0 * entry.getValue() / Math.max(1, total));
        }
        System.out.println("edge methods charged:");
        edgeMethods.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(12)
                .forEach(entry -> System.out.printf(Locale.ROOT, "  %6d  %s%n", entry.getValue(), entry.getKey()));
    }

    private static RecordedFrame chargedFrame(List<RecordedFrame> frames) {
        for (RecordedFrame frame : frames) { // leaf first
            String type = frame.getMethod().getType().getName();
            if (!(type.startsWith("java.") || type.startsWith("jdk.") || type.startsWith("sun.")
                    || type.startsWith("com.sun.") || isCore(type))) {
                return frame;
            }
        }
        return null;
    }

    private static boolean isCore(String type) {
        String pkg = type.substring(0, Math.max(0, type.lastIndexOf('.')));
        return pkg.equals("dev.cancellation") || pkg.startsWith("dev.cancellation.task")
                || pkg.startsWith("dev.cancellation.annotation");
    }

    private static String chargeOf(String type) {
        if (type.startsWith("dev.cancellation.web.") || type.startsWith("dev.cancellation.jdbc.")) {
            return "starter edges (web, jdbc)";
        }
        if (type.startsWith("dev.cancellation.demo.")) {
            return "the demo's code";
        }
        if (type.startsWith("dev.cancellation.")) {
            return "starter, Spring layer (@Cancellable)";
        }
        if (type.startsWith("org.h2.") || type.startsWith("org.postgresql.") || type.startsWith("com.zaxxer.")) {
            return "database driver and pool";
        }
        if (type.startsWith("org.apache.")) {
            return "Tomcat";
        }
        if (type.startsWith("org.springframework.") || type.startsWith("com.fasterxml.")
                || type.startsWith("tools.jackson.")) {
            return "Spring, Jackson";
        }
        return "(JDK only)".equals(type) ? type : "other";
    }
}
