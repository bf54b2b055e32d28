package dev.cancellation.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import com.jayway.jsonpath.DocumentContext;
import com.jayway.jsonpath.JsonPath;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code docs/configuration.md} against the metadata the build generates
 * ({@code target/classes/META-INF/spring-configuration-metadata.json}): the reference names every
 * {@code cancellation.*} property there, names none that does not exist, and shows the generated default.
 */
class ConfigurationReferenceTests {

    private static final Path METADATA = Path.of("target/classes/META-INF/spring-configuration-metadata.json");

    private static final Path REFERENCE = Path.of("../docs/configuration.md");

    /** A table row whose first cell is a property name: {@code | `cancellation.x` | ...}. */
    private static final Pattern ROW = Pattern.compile("^\\| `((?:cancellation|management)\\.[a-z0-9.\\-]+)` \\|(.*)$");

    private static Map<String, Map<String, Object>> metadata;

    /** Property rows of the reference: name to the remaining cells (type, default, description). */
    private static Map<String, List<String>> documented;

    /** Every name in the first cell of any table row (property tables and the value hints). */
    private static TreeSet<String> named;

    @BeforeAll
    static void read() throws IOException {
        assertThat(METADATA).as("generated metadata (compile the module first)").isRegularFile();
        DocumentContext json = JsonPath.parse(Files.readString(METADATA));
        List<Map<String, Object>> properties = json.read("$.properties[*]");
        metadata = new LinkedHashMap<>();
        properties.forEach(property -> metadata.put((String) property.get("name"), property));

        assertThat(REFERENCE).isRegularFile();
        documented = new LinkedHashMap<>();
        named = new TreeSet<>();
        boolean propertyTable = false;
        for (String line : Files.readAllLines(REFERENCE)) {
            if (line.startsWith("| Property |")) {
                propertyTable = line.startsWith("| Property | Type | Default |");
            }
            Matcher row = ROW.matcher(line);
            if (row.matches()) {
                named.add(row.group(1));
                if (propertyTable) {
                    List<String> cells = List.of(row.group(2).split("(?<!\\\\)\\|"));
                    assertThat(documented.put(row.group(1), cells.stream().map(String::strip).toList()))
                            .as("rows of %s", row.group(1)).isNull();
                }
            }
        }
    }

    @Test
    void everyPropertyOfTheMetadataIsDocumented() {
        List<String> ours = metadata.keySet().stream().filter(name -> name.startsWith("cancellation.")).toList();
        assertThat(ours).as("cancellation.* properties in the metadata")
                .contains("cancellation.enabled", "cancellation.web.enabled", "cancellation.http.client.enabled",
                        "cancellation.jdbc.enabled", "cancellation.cluster.enabled");
        assertThat(documented.keySet()).as("properties with a row in docs/configuration.md").containsAll(ours);
    }

    @Test
    void everyPropertyTheReferenceNamesExists() {
        assertThat(metadata.keySet()).as("properties in the metadata").containsAll(named);
    }

    @Test
    void defaultsAreThoseOfTheMetadata() {
        for (Map.Entry<String, List<String>> row : documented.entrySet()) {
            Object generated = metadata.get(row.getKey()).get("defaultValue");
            if (generated != null && row.getKey().startsWith("cancellation.")) {
                assertThat(row.getValue().get(1)).as("default of %s", row.getKey()).contains("`" + generated + "`");
            }
        }
    }
}
