package dev.cancellation.sample;

import java.util.Optional;
import org.springframework.data.jpa.repository.JpaRepository;

/** The authors, by name. Thread-safe, as every Spring Data repository. */
public interface AuthorRepository extends JpaRepository<Author, Long> {

    Optional<Author> findByName(String name);
}
