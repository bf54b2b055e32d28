package dev.cancellation.actuate;

import static dev.cancellation.testfixture.Waits.PROMPTLY;

import com.jayway.jsonpath.JsonPath;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;

/** Test support: a tiny HTTP client over the real server (JDK client), with JSON path access to the body. */
final class Http {

    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private final String base;
    private final String authorization;

    private Http(String base, String authorization) {
        this.base = base;
        this.authorization = authorization;
    }

    static Http on(int port) {
        return new Http("http://localhost:" + port, null);
    }

    /** The same client sending HTTP basic credentials. */
    Http as(String user, String password) {
        String token = Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
        return new Http(base, "Basic " + token);
    }

    Response get(String path) {
        return send(request(path).GET());
    }

    Response delete(String path) {
        return send(request(path).DELETE());
    }

    Response post(String path, String json) {
        return post(path, "application/json", json);
    }

    Response post(String path, String contentType, String body) {
        return send(request(path).header("Content-Type", contentType)
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private HttpRequest.Builder request(String path) {
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(base + path)).timeout(PROMPTLY);
        return (authorization != null) ? builder.header("Authorization", authorization) : builder;
    }

    private static Response send(HttpRequest.Builder request) {
        try {
            HttpResponse<String> response = CLIENT.send(request.build(), HttpResponse.BodyHandlers.ofString());
            return new Response(response.statusCode(), response.body(),
                    response.headers().firstValue("Content-Type").orElse(null));
        } catch (IOException ex) {
            throw new UncheckedIOException(ex);
        } catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }

    record Response(int status, String body, String contentType) {

        <T> T json(String path) {
            return JsonPath.read(body, path);
        }

        /** Keeps the body under target/ops-samples for the documentation's examples. */
        Response capture(String name) {
            try {
                Path dir = Path.of("target", "ops-samples");
                Files.createDirectories(dir);
                Files.writeString(dir.resolve(name + ".json"), status + "\n" + body);
            } catch (IOException ex) {
                throw new UncheckedIOException(ex);
            }
            return this;
        }

        @Override
        public String toString() {
            return status + " " + body;
        }
    }
}
