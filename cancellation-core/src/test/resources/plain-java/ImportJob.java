import dev.cancellation.Cancellation;
import dev.cancellation.CancellationSource;
import dev.cancellation.TaskCancelledException;
import java.time.Duration;

/** The README's plain-Java example: a job with a 300 ms budget, stopped at its next checkpoint. */
public class ImportJob {

    public static void main(String[] args) throws InterruptedException {
        try (CancellationSource source = CancellationSource.withTimeout(Duration.ofMillis(300))) {
            int rows = 0;
            try {
                while (true) {
                    Cancellation.sleep(Duration.ofMillis(20), source.token()); // one row's work, cut short by a cancel
                    rows++;
                }
            } catch (TaskCancelledException stopped) {
                System.out.println("stopped after " + rows + " rows: " + stopped.reason().kind());
            }
        }
    }
}
