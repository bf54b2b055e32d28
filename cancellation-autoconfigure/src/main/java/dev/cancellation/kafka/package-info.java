/**
 * The Kafka edge (spring-kafka): every record a {@code @KafkaListener} container delivers runs as a registered task
 * whose token is current while the listener body runs ({@link InvocationRecordInterceptor}, composed with the
 * application's own interceptor); the deadline of a record sent under a token rides in a header
 * ({@link DeadlineProducerInterceptor}); an expired record goes to the container's error handling with a
 * {@code TaskTimeoutException}; a container stop gives the records in flight the drain period and then cancels
 * them with {@code SHUTDOWN} ({@link StoppedContainerWatch}), revoked partitions cancel theirs
 * ({@link RevokedPartitionsCanceller}), and {@link CancellationBackOffFunction} tells the error handler which
 * cancelled records to redeliver and which not to retry.
 */
@NullMarked
package dev.cancellation.kafka;

import org.jspecify.annotations.NullMarked;
