package dev.cancellation.sample;

import dev.cancellation.sample.BookRepository.AuthorCount;
import dev.cancellation.sample.LibraryService.BookNotFoundException;
import dev.cancellation.sample.LibraryService.InvalidBookException;
import dev.cancellation.sample.LibraryService.NewBook;
import java.net.URI;
import java.util.List;
import org.springframework.dao.DataIntegrityViolationException;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * The library's HTTP API: {@code POST /api/books}, {@code GET /api/books[?author=]}, {@code GET /api/books/{id}},
 * {@code GET /api/reports/shelf}; its own errors are problem details (400 naming the field, 404, 409 for a
 * duplicate ISBN). Thread-safe: stateless.
 */
@RestController
class BookController {

    private final LibraryService library;

    BookController(LibraryService library) {
        this.library = library;
    }

    @PostMapping("/api/books")
    ResponseEntity<BookView> add(@RequestBody NewBook book) {
        BookView added = BookView.of(library.add(book));
        return ResponseEntity.created(URI.create("/api/books/" + added.id())).body(added);
    }

    @GetMapping("/api/books/{id}")
    BookView find(@PathVariable long id) {
        return BookView.of(library.find(id));
    }

    @GetMapping("/api/books")
    List<BookView> list(@RequestParam(required = false) String author) {
        return library.list(author).stream().map(BookView::of).toList();
    }

    @GetMapping("/api/reports/shelf")
    List<AuthorCount> shelfReport() {
        return library.shelfReport();
    }

    @ExceptionHandler
    ProblemDetail invalid(InvalidBookException ex) {
        ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, ex.getMessage());
        problem.setProperty("field", ex.field());
        return problem;
    }

    @ExceptionHandler
    ProblemDetail notFound(BookNotFoundException ex) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.NOT_FOUND, ex.getMessage());
    }

    @ExceptionHandler
    ProblemDetail duplicate(DataIntegrityViolationException ex) {
        return ProblemDetail.forStatusAndDetail(HttpStatus.CONFLICT, "A book with this ISBN is already on the shelves");
    }

    /** A book as the API shows it. */
    record BookView(long id, String title, String isbn, String author) {

        static BookView of(Book book) {
            return new BookView(book.getId(), book.getTitle(), book.getIsbn(), book.getAuthor().getName());
        }
    }
}
