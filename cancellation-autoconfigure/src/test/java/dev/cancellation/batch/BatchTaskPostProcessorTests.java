package dev.cancellation.batch;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cancellation.task.TaskRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.aop.framework.Advised;
import org.springframework.aop.framework.ProxyFactory;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.repository.support.ResourcelessJobRepository;

/**
 * Which job repositories are shielded from the current token: those that may run SQL, not Batch's in-memory one.
 */
class BatchTaskPostProcessorTests {

    private final TaskRegistry registry = new TaskRegistry();
    private final BatchTaskPostProcessor processor = new BatchTaskPostProcessor(
            () -> new BatchTasks(registry, null, null, null));

    @AfterEach
    void closeRegistry() {
        registry.close();
    }

    @Test
    void theInMemoryRepositoryRunsNoSqlAndIsLeftAsItIs() {
        ResourcelessJobRepository repository = new ResourcelessJobRepository();

        assertThat(processor.postProcessAfterInitialization(repository, "jobRepository")).isSameAs(repository);
    }

    @Test
    void anyOtherRepositoryRunsItsMethodsWithNoTokenCurrent() {
        // Any repository but the in-memory one: here, an interface proxy standing for a JDBC-backed repository.
        JobRepository jdbcBacked = (JobRepository) new ProxyFactory(JobRepository.class,
                (org.aopalliance.intercept.MethodInterceptor) invocation -> null).getProxy();

        Object processed = processor.postProcessAfterInitialization(jdbcBacked, "jobRepository");

        assertThat(processed).isInstanceOf(Advised.class);
        assertThat(((Advised) processed).getAdvisors()).anySatisfy(advisor ->
                assertThat(advisor.getAdvice()).isInstanceOf(UnboundBookkeeping.class));
    }
}
