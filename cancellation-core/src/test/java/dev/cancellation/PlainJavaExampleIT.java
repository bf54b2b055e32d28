package dev.cancellation;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A plain Java program, compiled and run against the packaged core jar alone: no Spring, no other jar on either
 * class path. Runs after {@code package} (failsafe), which passes the jar's path as {@code core.jar}.
 */
class PlainJavaExampleIT {

    private static final Path EXAMPLE = Paths.get("src/test/resources/plain-java/ImportJob.java");

    @TempDir
    Path classes;

    @Test
    void compilesAndRunsAgainstTheCoreJarAlone() throws Exception {
        Path coreJar = Paths.get(System.getProperty("core.jar", "core.jar property not set by failsafe"));
        assertThat(coreJar).isRegularFile();

        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int compiled = javac.run(null, diagnostics, diagnostics, "--release", "17", "-proc:none",
                "-classpath", coreJar.toString(), "-d", classes.toString(), EXAMPLE.toString());
        assertThat(compiled).as(diagnostics.toString(StandardCharsets.UTF_8)).isZero();

        Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
        Process run = new ProcessBuilder(java.toString(), "-cp",
                coreJar + System.getProperty("path.separator") + classes, "ImportJob")
                .redirectErrorStream(true).start();
        boolean exited = run.waitFor(60, TimeUnit.SECONDS);
        String output = new String(run.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!exited) {
            run.destroyForcibly();
        }
        assertThat(exited).as("ImportJob exited within 60 s; output: %s", output).isTrue();
        assertThat(run.exitValue()).as(output).isZero();
        assertThat(output).matches("(?s)stopped after \\d+ rows: TIMEOUT\\R");
    }
}
