package dev.cancellation.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import com.jayway.jsonpath.DocumentContext;
import com.jayway.jsonpath.JsonPath;
import java.beans.PropertyDescriptor;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.BeanUtils;

/**
 * The configuration metadata that {@code spring-boot-configuration-processor} writes at compile time (on every
 * JDK: it runs from the compiler's processor path, which Java 23+ requires), merged with
 * {@code additional-spring-configuration-metadata.json}: IDEs complete and document every {@code cancellation.*}
 * property from it.
 */
class ConfigurationMetadataTests {

    private static DocumentContext metadata;

    @BeforeAll
    static void readOurMetadata() throws IOException {
        // Boot's own jars carry the same resource: take the one describing our prefix.
        for (URL url : Collections.list(ConfigurationMetadataTests.class.getClassLoader()
                .getResources("META-INF/spring-configuration-metadata.json"))) {
            try (InputStream in = url.openStream()) {
                DocumentContext document = JsonPath.parse(in);
                List<String> groups = document.read("$..groups[?(@.name == 'cancellation')].name");
                if (!groups.isEmpty()) {
                    metadata = document;
                }
            }
        }
        assertThat(metadata).as("META-INF/spring-configuration-metadata.json with the cancellation group").isNotNull();
    }

    @Test
    void everyBindablePropertyIsDescribedWithTypeAndDescription() {
        List<String> expected = new ArrayList<>();
        collect("cancellation", CancellationProperties.class, expected);
        assertThat(expected).contains("cancellation.enabled", "cancellation.cleanup.threads",
                "cancellation.shutdown.drain-timeout", "cancellation.context-propagation.task-decorator");
        for (String name : expected) {
            List<Map<String, Object>> found = metadata.read("$.properties[?(@.name == '" + name + "')]");
            assertThat(found).as(name).hasSize(1);
            assertThat(found.get(0).get("type")).as("type of %s", name).isNotNull();
            assertThat((String) found.get(0).get("description")).as("description of %s", name).isNotBlank();
        }
    }

    @Test
    void defaultsAreThoseOfTheCode() {
        assertThat(defaultOf("cancellation.interrupt-after")).isEqualTo("2s");
        assertThat(defaultOf("cancellation.cleanup.threads")).isEqualTo(2);
        assertThat(defaultOf("cancellation.advisor-order")).isEqualTo(Integer.MAX_VALUE);
        assertThat(new CancellationProperties().getAdvisorOrder()).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void theEndpointsAccessPropertyIsDescribed() {
        List<Object> access = metadata.read("$.properties[?(@.name == 'management.endpoint.cancellation.access')]");
        assertThat(access).hasSize(1);
    }

    @Test
    void valueHintsNameNoTimeoutAndTheWayToNeverInterrupt() {
        List<String> timeoutValues = metadata.read("$.hints[?(@.name == 'cancellation.default-timeout')].values[*].value");
        assertThat(timeoutValues).contains("0", "30s");
        List<String> timeoutDescriptions = metadata.read(
                "$.hints[?(@.name == 'cancellation.default-timeout')].values[*].description");
        assertThat(timeoutDescriptions).anyMatch(text -> text.contains("none"));
        List<String> interruptDescriptions = metadata.read(
                "$.hints[?(@.name == 'cancellation.interrupt-after')].values[*].description");
        assertThat(interruptDescriptions).anyMatch(text -> text.contains("never")
                && text.contains("cancellation.interrupt=false"));
        List<Boolean> interruptValues = metadata.read("$.hints[?(@.name == 'cancellation.interrupt')].values[*].value");
        assertThat(interruptValues).containsExactly(true, false);
    }

    @Test
    void everyHintIsForAKnownProperty() {
        List<String> hinted = metadata.read("$.hints[*].name");
        List<String> properties = metadata.read("$.properties[*].name");
        assertThat(properties).containsAll(hinted);
    }

    private static Object defaultOf(String name) {
        List<Object> values = metadata.read("$.properties[?(@.name == '" + name + "')].defaultValue");
        assertThat(values).as(name).hasSize(1);
        return values.get(0);
    }

    /** Names as the binder sees them: writable properties are leaves, read-only nested types are groups. */
    private static void collect(String prefix, Class<?> type, List<String> names) {
        for (PropertyDescriptor property : BeanUtils.getPropertyDescriptors(type)) {
            if (property.getReadMethod() == null || "class".equals(property.getName())) {
                continue;
            }
            String name = prefix + "." + kebab(property.getName());
            Class<?> propertyType = property.getPropertyType();
            if (property.getWriteMethod() != null) {
                names.add(name);
            } else if (propertyType.getEnclosingClass() == CancellationProperties.class) {
                collect(name, propertyType, names);
            }
        }
    }

    private static String kebab(String camel) {
        return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(java.util.Locale.ROOT);
    }
}
