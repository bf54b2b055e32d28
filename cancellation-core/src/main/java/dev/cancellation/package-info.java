/**
 * Cooperative cancellation for any Java code, on the JDK alone: tokens observed by the code that should stop,
 * sources that cancel them, deadlines on one shared timer, and the helpers built on them. Nothing here knows the
 * task registry ({@code dev.cancellation.task}) or any framework.
 *
 * <p>The parts, bottom-up: each layer uses only the layers before it. The public types (API) are the whole
 * contract; the others are package-private (internal).
 *
 * <h2>Reasons, registrations, exceptions</h2>
 * <ul>
 *   <li>{@link dev.cancellation.CancellationReason} (API): why a token was cancelled.</li>
 *   <li>{@link dev.cancellation.Registration} (API): a callback registered on a token, closed to deregister it.</li>
 *   <li>{@link dev.cancellation.TaskCancelledException}, {@link dev.cancellation.TaskTimeoutException} (API): what
 *       work throws when it stops because its token was cancelled or timed out;
 *       {@link dev.cancellation.CancellationCallbackException} (API): the report of callbacks that threw.</li>
 *   <li>{@link dev.cancellation.InterruptibleSection} (API): the interrupt protocol, a building block.</li>
 * </ul>
 *
 * <h2>The timer (internal)</h2>
 * Runs due actions and knows nothing of tokens.
 * <ul>
 *   <li>{@code CancellationLog}: the logger of the timer and of the callbacks.</li>
 *   <li>{@code TimerClock}: the timer's time, monotonic nanoseconds since one origin, in 1 ms ticks.</li>
 *   <li>{@code TimerEntry}: something to do at a deadline, disarmed lock-free through its {@code Timer}.</li>
 *   <li>{@code EntryStacks}: the lock-free stacks through which threads hand entries to the timer thread.</li>
 *   <li>{@code TimingWheel}: the timer thread's index of pending entries, a two-level hashed wheel.</li>
 *   <li>{@code TimerLoop}: the timer thread, which files, fires and sleeps.</li>
 *   <li>{@code Timer}: the shared timer, the producers' side; its {@code Task} entry runs a {@code Runnable}.</li>
 * </ul>
 *
 * <h2>Callbacks (internal)</h2>
 * <ul>
 *   <li>{@code CallbackFailures}: where failures of callbacks go (the handler set through {@code Cancellation}).
 *   </li>
 *   <li>{@code CallbackDispatcher}: the small pool that runs the callbacks of tokens a deadline cancelled, so that
 *       no user code runs on the timer thread.</li>
 * </ul>
 *
 * <h2>The token tree</h2>
 * <ul>
 *   <li>{@code Node} (internal): an entry in a token's list, a registered callback or a link to a child token.</li>
 *   <li>{@code TokenList} (internal): the part of a token its spin lock guards: the reason, the list, the count of
 *       observers, the links to its parents. It and its nodes refer to each other (a node unlinks itself).</li>
 *   <li>{@code StaleChildren} (internal): detaches links to children collected without being closed.</li>
 *   <li>{@code SubtreeCancellation} (internal): cancelling a token: marks the subtree, then runs the callbacks.</li>
 *   <li>{@link dev.cancellation.CancellationToken} (API): the observing side, polled, called back or awaited, the
 *       public face over {@code TokenList}; it also holds the token bound to each thread
 *       ({@link dev.cancellation.CancellationToken#current()}).</li>
 * </ul>
 *
 * <h2>The source</h2>
 * <ul>
 *   <li>{@code Deadline} (internal): the timer entry of a source's own deadline, which cancels its token.</li>
 *   <li>{@link dev.cancellation.CancellationSource} (API): the controlling side: creates a token (a root, a child,
 *       a linked token, one with a deadline), arms its deadline on the timer, cancels or releases it.</li>
 * </ul>
 *
 * <h2>The helpers</h2>
 * <ul>
 *   <li>{@link dev.cancellation.InterruptScope} (API): opt-in interrupts of a thread when a token is cancelled.</li>
 *   <li>{@code CancellableWaits} (internal): the sleep and the waits on futures behind {@code Cancellation.sleep}
 *       and {@code Cancellation.await}.</li>
 *   <li>{@code Race} (internal): the race behind {@code Cancellation.raceAsync}.</li>
 *   <li>{@link dev.cancellation.Cancellation} (API): binding tokens to running code, and the helpers: timeouts,
 *       races, cancellable sleep and await, shielded cleanup, opt-in interrupts.</li>
 * </ul>
 *
 * <p>Nullness: every type in this package is non-null unless annotated {@link org.jspecify.annotations.Nullable}.
 */
@NullMarked
package dev.cancellation;

import org.jspecify.annotations.NullMarked;
