package dev.cancellation.demo.sql;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code GET /api/sql/slow?seconds=N}: a query of {@code N} seconds on the database. Within the budget
 * ({@code demo.sql.timeout}, 2 s) it answers 200; beyond it, 504, and the query is cancelled on the server.
 */
@RestController
@RequestMapping("/api/sql")
class SlowQueryController {

    private final SlowQueryService queries;

    SlowQueryController(SlowQueryService queries) {
        this.queries = queries;
    }

    @GetMapping("/slow")
    Map<String, Object> slow(@RequestParam(defaultValue = "20") int seconds) {
        if (seconds < 0 || seconds > 600) {
            throw new IllegalArgumentException("seconds must be between 0 and 600: " + seconds);
        }
        long start = System.nanoTime();
        long rows = queries.run(seconds);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("database", queries.database());
        body.put("seconds", seconds);
        body.put("rows", rows);
        body.put("tookMs", (System.nanoTime() - start) / 1_000_000);
        return body;
    }
}
