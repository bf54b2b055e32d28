package dev.cancellation.demo.batch;

import dev.cancellation.Cancellation;
import dev.cancellation.demo.DemoProperties;
import java.time.Duration;
import java.util.List;
import org.springframework.batch.core.configuration.annotation.StepScope;
import org.springframework.batch.core.job.Job;
import org.springframework.batch.core.job.builder.JobBuilder;
import org.springframework.batch.core.repository.JobRepository;
import org.springframework.batch.core.step.Step;
import org.springframework.batch.core.step.builder.StepBuilder;
import org.springframework.batch.infrastructure.item.ItemProcessor;
import org.springframework.batch.infrastructure.item.ItemWriter;
import org.springframework.batch.infrastructure.item.support.AbstractItemCountingItemStreamItemReader;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.transaction.PlatformTransactionManager;

/**
 * The nightly report, a Spring Batch job: one chunk-oriented step, {@code totals}, reads the stores
 * {@code 1..items} (the job parameter {@value #ITEMS}), totals each one's sales (slowly: a cancellable sleep of
 * {@code demo.batch.item-delay}) and writes one line per store to {@code nightly_report_line}, in the chunk's
 * transaction. Nothing here knows about cancellation except the sleep: the starter makes the job execution the
 * task {@code batch:nightlyReport}, the step execution its child, and a cancel stops the job {@code STOPPED} at a
 * chunk boundary; the reader saves its position at each commit, so a restart resumes after the last committed
 * chunk and every store is written exactly once.
 *
 * <p>Thread-safety: the job and step are singletons run by one thread per execution; the reader is step-scoped (one
 * per step execution), the processor and writer keep no state.
 */
@Configuration(proxyBeanMethods = false)
class NightlyReportJob {

    /** The job's name, and so its task's: {@code batch:nightlyReport}. */
    static final String NAME = "nightlyReport";
    /** Identifying job parameter: the report run (a new one per start; a restart keeps it). */
    static final String RUN = "run";
    /** Identifying job parameter: how many stores the report reads. */
    static final String ITEMS = "items";

    @Bean
    Job nightlyReport(JobRepository jobRepository, Step nightlyReportTotals, LaunchedIds launchedIds) {
        return new JobBuilder(NAME, jobRepository).listener(launchedIds).start(nightlyReportTotals).build();
    }

    @Bean
    Step nightlyReportTotals(JobRepository jobRepository, PlatformTransactionManager transactionManager,
            Stores nightlyReportStores, NightlyReportLines lines, DemoProperties properties) {
        Duration itemDelay = properties.batch().itemDelay();
        ItemProcessor<Store, ReportLine> totals = store -> {
            // Cooperative: a cancel of the step's token ends this sleep at once with a TaskCancelledException,
            // the chunk rolls back, and the step ends STOPPED (not FAILED).
            Cancellation.sleep(itemDelay);
            return new ReportLine(store.run(), store.number(), store.number() * 37L % 1000);
        };
        ItemWriter<ReportLine> writer = chunk -> lines.insert(List.copyOf(chunk.getItems()));
        return new StepBuilder("totals", jobRepository).<Store, ReportLine>chunk(properties.batch().chunk())
                .transactionManager(transactionManager)
                .reader(nightlyReportStores)
                .processor(totals)
                .writer(writer)
                .build();
    }

    @Bean
    @StepScope
    Stores nightlyReportStores(@Value("#{jobParameters['" + RUN + "']}") String run,
            @Value("#{jobParameters['" + ITEMS + "']}") Long items) {
        return new Stores(run, items.intValue());
    }

    /** A store of a report run. */
    record Store(String run, int number) {
    }

    /** The report's line of one store. */
    record ReportLine(String run, int store, long total) {
    }

    /**
     * Reads the stores {@code 1..items}, restartable: the count read is saved in the step's execution context at
     * each commit, and a restart skips to it. Thread-safety: one instance per step execution, read by its thread.
     */
    static class Stores extends AbstractItemCountingItemStreamItemReader<Store> {

        private final String run;

        Stores(String run, int items) {
            this.run = run;
            setName("stores");
            setMaxItemCount(items);
        }

        @Override
        protected Store doRead() {
            return new Store(run, getCurrentItemCount());
        }

        @Override
        protected void doOpen() {
        }

        @Override
        protected void doClose() {
        }
    }
}
