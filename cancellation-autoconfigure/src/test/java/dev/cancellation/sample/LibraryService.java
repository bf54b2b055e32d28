package dev.cancellation.sample;

import dev.cancellation.sample.BookRepository.AuthorCount;
import java.util.List;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Service;
import org.springframework.transaction.annotation.Transactional;

/**
 * The library's use cases: add a book (creating its author on first use), find and list books, and the shelf
 * report. Thread-safe: stateless beyond its repositories.
 */
@Service
public class LibraryService {

    private final BookRepository books;
    private final AuthorRepository authors;
    private final double reportCostSeconds;

    public LibraryService(BookRepository books, AuthorRepository authors,
            @Value("${library.report.cost-seconds:0}") double reportCostSeconds) {
        this.books = books;
        this.authors = authors;
        this.reportCostSeconds = reportCostSeconds;
    }

    /** Adds a book; throws {@link InvalidBookException} when a field is missing or malformed. */
    @Transactional
    public Book add(NewBook book) {
        book.validate();
        Author author = authors.findByName(book.author()).orElseGet(() -> authors.save(new Author(book.author())));
        return books.saveAndFlush(new Book(book.title(), book.isbn(), author));
    }

    /** The book with {@code id}; throws {@link BookNotFoundException} when there is none. */
    @Transactional(readOnly = true)
    public Book find(long id) {
        return books.findById(id).orElseThrow(() -> new BookNotFoundException(id));
    }

    /** Every book, or the books of one author, in title order. */
    @Transactional(readOnly = true)
    public List<Book> list(String author) {
        return author == null ? books.findAllByOrderByTitle() : books.findByAuthorNameOrderByTitle(author);
    }

    /** How many books each author has on the shelves. */
    @Transactional(readOnly = true)
    public List<AuthorCount> shelfReport() {
        return books.countBooksPerAuthor(reportCostSeconds);
    }

    /** A book to add, as posted. */
    public record NewBook(String title, String isbn, String author) {

        void validate() {
            if (title == null || title.isBlank()) {
                throw new InvalidBookException("title", "must not be blank");
            }
            if (isbn == null || !isbn.matches("\\d{13}")) {
                throw new InvalidBookException("isbn", "must be 13 digits");
            }
            if (author == null || author.isBlank()) {
                throw new InvalidBookException("author", "must not be blank");
            }
        }
    }

    /** A posted book with a missing or malformed field. */
    public static class InvalidBookException extends RuntimeException {

        private final String field;

        InvalidBookException(String field, String problem) {
            super(field + " " + problem);
            this.field = field;
        }

        public String field() {
            return field;
        }
    }

    /** No book has the id asked for. */
    public static class BookNotFoundException extends RuntimeException {

        BookNotFoundException(long id) {
            super("No book " + id);
        }
    }
}
