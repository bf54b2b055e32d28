package dev.cancellation.sample;

import java.util.List;
import org.springframework.data.jpa.repository.JpaRepository;
import org.springframework.data.jpa.repository.Query;

/** The books, with the shelf report's query. Thread-safe, as every Spring Data repository. */
public interface BookRepository extends JpaRepository<Book, Long> {

    List<Book> findByAuthorNameOrderByTitle(String author);

    List<Book> findAllByOrderByTitle();

    /**
     * Books per author, for the shelf report. On the library's real catalogue this query scans every loan; here
     * {@code pg_sleep(:cost)} stands for that cost ({@code library.report.cost-seconds}, 0 by default).
     */
    @Query(nativeQuery = true, value = """
            select a.name as author, count(b.id) as books
            from author a left join book b on b.author_id = a.id cross join pg_sleep(:cost)
            group by a.name order by a.name""")
    List<AuthorCount> countBooksPerAuthor(double cost);

    /** One row of the shelf report. */
    interface AuthorCount {

        String getAuthor();

        long getBooks();
    }
}
