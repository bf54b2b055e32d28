package dev.cancellation.console;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Comparator;
import java.util.stream.Stream;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.remote.http.ClientConfig;

/**
 * Test support: a real headless Chromium (Debian's {@code chromium}, driven by its {@code chromium-driver}) with a
 * fresh profile. A missing browser fails the test that needs it: {@code apt-get install chromium chromium-driver}
 * (as {@code .ci/run} does). The paths can be moved with {@code -Dchromium.binary=…} and {@code -Dchromedriver=…}.
 *
 * <p>Screenshots are written only when {@code -Dconsole.screenshots=DIR} is set (the docs' images are made with
 * {@code -Dconsole.screenshots=../docs/images}), so that an ordinary run rewrites no file.
 *
 * <p>Public for the other modules' browser tests (the Spring Boot Admin view's), through this module's test-jar.
 *
 * <p>Not thread-safe: one test thread drives it.
 */
public final class Browser implements AutoCloseable {

    private static final Path CHROMIUM = Path.of(System.getProperty("chromium.binary", "/usr/bin/chromium"));

    /** How often a browser that does not answer its first command is replaced by a new one. */
    private static final int START_ATTEMPTS = 3;

    /** Commands answer within seconds; a command left unanswered fails after this instead of Selenium's 3 minutes. */
    private static final ClientConfig CLIENT = ClientConfig.defaultConfig().readTimeout(Duration.ofSeconds(40));

    private static final Path DRIVER = Path.of(System.getProperty("chromedriver", "/usr/bin/chromedriver"));

    /** The browser's driver: what the test navigates, finds and clicks with. */
    public final ChromeDriver driver;

    private final Path profile;

    private Browser(ChromeDriver driver, Path profile) {
        this.driver = driver;
        this.profile = profile;
    }

    /** A new browser with a fresh profile; fails the test (never skips it) when Chromium or its driver is missing. */
    public static Browser start() throws IOException {
        for (Path required : new Path[] {CHROMIUM, DRIVER}) {
            if (!Files.isExecutable(required)) {
                throw new AssertionError(required + " is missing: the console's browser tests need Debian's "
                        + "chromium and chromium-driver (apt-get install chromium chromium-driver)");
            }
        }
        RuntimeException last = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            Path profile = Files.createTempDirectory("console-chromium-");
            // the driver binary is given, so Selenium neither looks one up nor downloads one
            ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
                    .usingAnyFreePort().build();
            ChromeDriver driver = null;
            try {
                driver = new ChromeDriver(service, options(profile), CLIENT);
                driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30)).scriptTimeout(Duration.ofSeconds(30));
                return new Browser(driver, profile);
            } catch (RuntimeException ex) {
                // seen on Java 25: the first command of a new session left unanswered; a new driver answers
                last = ex;
                if (driver != null) {
                    quietly(driver::quit);
                }
                quietly(service::stop);
                delete(profile);
            }
        }
        throw new AssertionError("Chromium did not start in " + START_ATTEMPTS + " attempts", last);
    }

    private static ChromeOptions options(Path profile) {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1400,900", "--user-data-dir=" + profile);
        return options;
    }

    private static void quietly(Runnable action) {
        try {
            action.run();
        } catch (RuntimeException ignored) {
            // a driver that did not answer may not quit either
        }
    }

    private static void delete(Path profile) {
        try (Stream<Path> files = Files.walk(profile)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        }
    }

    /** Saves what the page shows as {@code name}.png, when screenshots are asked for. */
    public void screenshot(String name) throws IOException {
        String directory = System.getProperty("console.screenshots");
        if (directory == null || directory.isBlank()) {
            return;
        }
        File shot = driver.getScreenshotAs(OutputType.FILE);
        Path target = Path.of(directory).resolve(name + ".png");
        Files.createDirectories(target.getParent());
        Files.copy(shot.toPath(), target, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    public void close() {
        try {
            driver.quit();
        } finally {
            delete(profile);
        }
    }
}
