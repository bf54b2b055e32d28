package dev.cancellation;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plain Java programs, compiled and run against the packaged core jar alone: no Spring, no other jar on either
 * class path. Runs after {@code package} (failsafe), which passes the jar's path as {@code core.jar}.
 */
class PlainJavaExampleIT {

    private static final Path README = Paths.get("../README.md");

    @TempDir
    Path work;

    @Test
    void aJobWithABudgetStopsAtItsNextCheckpoint() throws Exception {
        Path classes = compile(Paths.get("src/test/resources/plain-java/ImportJob.java"));
        assertThat(run(classes, "ImportJob")).matches("(?s)stopped after \\d+ rows: TIMEOUT\\R");
    }

    /** The README's example for plain Java users, as printed, inside the class it needs. */
    @Test
    void theReadmeExampleCompilesAndRunsAgainstTheCoreJarAlone() throws Exception {
        Matcher block = Pattern.compile("### Plain Java, without Spring.*?```java\\R(.*?)```", Pattern.DOTALL)
                .matcher(Files.readString(README));
        assertThat(block.find()).as("a java block under 'Plain Java, without Spring' in %s", README).isTrue();
        String snippet = block.group(1).replaceAll("(?m)^import .*\\R", "");
        Path source = work.resolve("ReadmeExample.java");
        Files.writeString(source, String.join("\n",
                block.group(1).lines().filter(line -> line.startsWith("import ")).toList())
                + "\nimport java.nio.file.*;\nimport java.time.Duration;\nimport java.util.List;\n"
                + "public class ReadmeExample {\n"
                + "  public static void main(String[] args) throws Exception {\n"
                + "    Path from = Files.createDirectories(Paths.get(args[0], \"from\"));\n"
                + "    Path target = Files.createDirectories(Paths.get(args[0], \"to\"));\n"
                + "    List<Path> files = List.of(Files.writeString(from.resolve(\"a.txt\"), \"a\"),\n"
                + "        Files.writeString(from.resolve(\"b.txt\"), \"b\"));\n"
                + snippet
                + "    System.out.println(Files.readString(target.resolve(\"a.txt\")) "
                + "+ Files.readString(target.resolve(\"b.txt\")));\n"
                + "  }\n}\n");
        Path classes = compile(source);
        assertThat(run(classes, "ReadmeExample", work.toString())).isEqualToIgnoringNewLines("ab");
    }

    private Path compile(Path source) throws IOException {
        Path classes = Files.createDirectories(work.resolve("classes"));
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        ByteArrayOutputStream diagnostics = new ByteArrayOutputStream();
        int status = javac.run(null, diagnostics, diagnostics, "--release", "17", "-proc:none",
                "-classpath", coreJar().toString(), "-d", classes.toString(), source.toString());
        assertThat(status).as(diagnostics.toString(StandardCharsets.UTF_8)).isZero();
        return classes;
    }

    private static String run(Path classes, String mainClass, String... args) throws Exception {
        Path java = Paths.get(System.getProperty("java.home"), "bin", "java");
        String[] command = new String[4 + args.length];
        command[0] = java.toString();
        command[1] = "-cp";
        command[2] = coreJar() + System.getProperty("path.separator") + classes;
        command[3] = mainClass;
        System.arraycopy(args, 0, command, 4, args.length);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        boolean exited = process.waitFor(60, TimeUnit.SECONDS);
        if (!exited) {
            process.destroyForcibly();
        }
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(exited).as("%s exited within 60 s; output: %s", mainClass, output).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
        return output;
    }

    private static Path coreJar() {
        Path jar = Paths.get(System.getProperty("core.jar", "core.jar property not set by failsafe"));
        assertThat(jar).isRegularFile();
        return jar;
    }
}
