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

/**
 * Test support: a real headless Chromium (Debian's {@code chromium}, driven by its {@code chromium-driver}) with a
 * fresh profile. A missing browser fails the test that needs it: {@code apt-get install chromium chromium-driver}
 * (as {@code .ci/run} does). The paths can be moved with {@code -Dchromium.binary=…} and {@code -Dchromedriver=…}.
 *
 * <p>Screenshots are written only when {@code -Dconsole.screenshots=DIR} is set (the docs' images are made with
 * {@code -Dconsole.screenshots=../docs/images}), so that an ordinary run rewrites no file.
 *
 * <p>Not thread-safe: one test thread drives it.
 */
final class Browser implements AutoCloseable {

    private static final Path CHROMIUM = Path.of(System.getProperty("chromium.binary", "/usr/bin/chromium"));

    private static final Path DRIVER = Path.of(System.getProperty("chromedriver", "/usr/bin/chromedriver"));

    final ChromeDriver driver;

    private final Path profile;

    private Browser(ChromeDriver driver, Path profile) {
        this.driver = driver;
        this.profile = profile;
    }

    static Browser start() throws IOException {
        for (Path required : new Path[] {CHROMIUM, DRIVER}) {
            if (!Files.isExecutable(required)) {
                throw new AssertionError(required + " is missing: the console's browser tests need Debian's "
                        + "chromium and chromium-driver (apt-get install chromium chromium-driver)");
            }
        }
        Path profile = Files.createTempDirectory("console-chromium-");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-dev-shm-usage", "--window-size=1400,900", "--user-data-dir=" + profile);
        // the driver binary is given, so Selenium neither looks one up nor downloads one
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
                .usingAnyFreePort().build();
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30)).scriptTimeout(Duration.ofSeconds(30));
        return new Browser(driver, profile);
    }

    /** Saves what the page shows as {@code name}.png, when screenshots are asked for. */
    void screenshot(String name) throws IOException {
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
            try (Stream<Path> files = Files.walk(profile)) {
                files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
        }
    }
}
