package dev.cancellation.sample;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webmvc.test.autoconfigure.AutoConfigureMockMvc;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.servlet.assertj.MockMvcTester;
import org.springframework.test.web.servlet.assertj.MvcTestResult;
import org.springframework.transaction.annotation.Transactional;

/**
 * The library's own tests, as its authors wrote them before the starter was added: the API's behaviour on
 * PostgreSQL through MockMvc, each test in a transaction that is rolled back. They run unchanged with the starter
 * on the classpath (this class) and with it switched off ({@link LibraryApplicationWithoutStarterTests}).
 */
@SpringBootTest(classes = LibraryApplication.class)
@AutoConfigureMockMvc
@Transactional
class LibraryApplicationTests {

    @Autowired
    MockMvcTester mvc;

    @DynamicPropertySource
    static void database(DynamicPropertyRegistry registry) {
        LibraryDatabase.register(registry, "library");
    }

    @Test
    void aBookAddedIsFoundById() {
        MvcTestResult added = add("Middlemarch", "9780141439549", "George Eliot");
        assertThat(added).hasStatus(201);
        String location = added.getResponse().getHeader("Location");

        assertThat(mvc.get().uri(location)).hasStatusOk().bodyJson()
                .hasPathSatisfying("$.title", title -> assertThat(title).asString().isEqualTo("Middlemarch"))
                .hasPathSatisfying("$.author", author -> assertThat(author).asString().isEqualTo("George Eliot"));
    }

    @Test
    void booksOfAnAuthorAreListedInTitleOrder() {
        add("Silas Marner", "9780141439754", "George Eliot");
        add("Adam Bede", "9780140431216", "George Eliot");
        add("Emma", "9780141439587", "Jane Austen");

        assertThat(mvc.get().uri("/api/books?author={author}", "George Eliot")).hasStatusOk().bodyJson()
                .extractingPath("$[*].title").asArray().containsExactly("Adam Bede", "Silas Marner");
        assertThat(mvc.get().uri("/api/books")).hasStatusOk().bodyJson()
                .extractingPath("$[*].title").asArray().containsExactly("Adam Bede", "Emma", "Silas Marner");
    }

    @Test
    void aBookWithoutTitleIsRefusedNamingTheField() {
        assertThat(add(" ", "9780141439549", "George Eliot")).hasStatus(400).bodyJson()
                .hasPathSatisfying("$.field", field -> assertThat(field).asString().isEqualTo("title"));
        assertThat(mvc.get().uri("/api/books")).bodyJson().extractingPath("$").asArray().isEmpty();
    }

    @Test
    void aBookWithAMalformedIsbnIsRefusedNamingTheField() {
        assertThat(add("Emma", "978-0141439587", "Jane Austen")).hasStatus(400).bodyJson()
                .hasPathSatisfying("$.field", field -> assertThat(field).asString().isEqualTo("isbn"));
    }

    @Test
    void anUnknownBookIsNotFound() {
        assertThat(mvc.get().uri("/api/books/{id}", 999_999)).hasStatus(404)
                .hasContentType(MediaType.APPLICATION_PROBLEM_JSON);
    }

    @Test
    void aSecondBookWithTheSameIsbnIsAConflict() {
        assertThat(add("Emma", "9780141439587", "Jane Austen")).hasStatus(201);
        assertThat(add("Emma (again)", "9780141439587", "Jane Austen")).hasStatus(409).bodyJson()
                .hasPathSatisfying("$.detail", detail -> assertThat(detail).asString().contains("ISBN"));
    }

    @Test
    void theShelfReportCountsBooksPerAuthor() {
        add("Silas Marner", "9780141439754", "George Eliot");
        add("Adam Bede", "9780140431216", "George Eliot");
        add("Emma", "9780141439587", "Jane Austen");

        assertThat(mvc.get().uri("/api/reports/shelf")).hasStatusOk().bodyJson().isStrictlyEqualTo("""
                [{"author": "George Eliot", "books": 2}, {"author": "Jane Austen", "books": 1}]""");
    }

    private MvcTestResult add(String title, String isbn, String author) {
        return mvc.post().uri("/api/books").contentType(MediaType.APPLICATION_JSON)
                .content("""
                        {"title": "%s", "isbn": "%s", "author": "%s"}""".formatted(title, isbn, author))
                .exchange();
    }
}
