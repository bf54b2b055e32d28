package dev.cancellation.demo.workers;

import java.util.Map;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code GET /api/workers}: the offset each background worker has reached. */
@RestController
class WorkerController {

    private final OrderEventWorkers workers;

    WorkerController(OrderEventWorkers workers) {
        this.workers = workers;
    }

    @GetMapping("/api/workers")
    Map<String, Long> offsets() {
        return workers.offsets();
    }
}
