package dev.cancellation;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The interrupt protocol, written once: a stretch of code running on one thread (the <em>owner</em>) that other
 * threads may interrupt while, and only while, it runs. A building block for types that hand out such a stretch
 * ({@link InterruptScope}, {@code TaskAttachment}); it is public so that those in other packages can extend it, and
 * it is extended rather than held so that the protocol costs them no object of its own.
 *
 * <p>Guarantees:
 * <ul>
 * <li>{@link #interruptOwner()} delivers an interrupt only while the section has not been {@linkplain #leave()
 * left}, and never to an owner that is already interrupted (someone else's interrupt is left alone and not taken
 * for ours);</li>
 * <li>{@link #leave()} never returns while an interrupt is being delivered (it waits the few instructions that
 * takes), and afterwards no interrupt is delivered by this section;</li>
 * <li>leaving on the owner thread consumes (clears) the interrupt only if this section delivered one, so a pooled
 * thread never carries our interrupt into unrelated work. Java cannot tell interrupts apart: one that someone
 * else delivers after ours, before the section is left, is consumed with it.</li>
 * </ul>
 * A <em>once</em> section delivers at most one interrupt; otherwise a section delivers again after its owner has
 * cleared the previous one (a task interrupted by escalation and later by shutdown).
 *
 * <p>What a subclass must do: call {@link #leave()} when the stretch ends, typically from {@code close()} on the
 * owner thread (until then, whoever can reach the section can interrupt the thread); expose
 * {@link #interruptOwner()} only to the parties allowed to interrupt; keep {@link #beforeInterrupt()} short, and
 * never throw or block in it. The protected methods are the whole contract: the state behind them is private.
 *
 * <p>Thread-safety: {@link #interruptOwner()} and {@link #interruptDelivered()} may be called from any thread;
 * {@link #leave()} from any thread, but only on the owner thread does it consume the interrupt. The protocol is a
 * single state word changed by compare-and-set; no lock is taken.
 */
public abstract class InterruptibleSection {

    private static final int RUNNING = 0;
    private static final int INTERRUPTING = 1;
    /** A once section after its interrupt: not interruptible again, still to be left. */
    private static final int SPENT = 2;
    private static final int LEFT = 3;

    private static final VarHandle STATE;

    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(InterruptibleSection.class, "state", int.class);
        } catch (ReflectiveOperationException ex) {
            throw new ExceptionInInitializerError(ex);
        }
    }

    private final Thread owner;
    private final boolean once;
    private volatile int state; // RUNNING (0), INTERRUPTING, SPENT or LEFT; CAS through STATE
    private volatile boolean delivered;

    /**
     * @param owner the thread running the section
     * @param once whether at most one interrupt is delivered
     */
    protected InterruptibleSection(Thread owner, boolean once) {
        this.owner = owner;
        this.once = once;
    }

    /** The thread running the section. */
    protected final Thread owner() {
        return owner;
    }

    /**
     * Interrupts the owner if the section still runs and the owner is not already interrupted.
     *
     * @return whether this call delivered an interrupt
     */
    protected final boolean interruptOwner() {
        if (!STATE.compareAndSet(this, RUNNING, INTERRUPTING)) {
            return false;
        }
        boolean deliveredNow = false;
        try {
            if (!owner.isInterrupted()) {
                delivered = true;
                beforeInterrupt();
                owner.interrupt();
                deliveredNow = true;
            }
        } finally {
            state = once ? SPENT : RUNNING;
        }
        return deliveredNow;
    }

    /**
     * Runs just before the interrupt is delivered (on the interrupting thread, at most once per interrupt), so that
     * the owner, woken by it, already sees what the subclass records here. Must not throw or block: {@link #leave()}
     * waits for it.
     */
    protected void beforeInterrupt() {
    }

    /**
     * Ends the section: no interrupt is delivered after this returns; on the owner thread, consumes the interrupt
     * this section delivered. Idempotent.
     *
     * @return {@code true} if this call ended the section, {@code false} if it was already left
     */
    protected final boolean leave() {
        while (true) {
            int current = state;
            if (current == LEFT) {
                return false;
            }
            if (current == INTERRUPTING) {
                Thread.onSpinWait(); // an interrupt is being delivered right now: let it land, then consume it
                continue;
            }
            if (STATE.compareAndSet(this, current, LEFT)) {
                break;
            }
        }
        if (delivered && Thread.currentThread() == owner) {
            Thread.interrupted();
        }
        return true;
    }

    /** Whether the section has been left. */
    protected final boolean isLeft() {
        return state == LEFT;
    }

    /** Whether this section has interrupted its owner; once {@code true}, it stays {@code true}. */
    public boolean interruptDelivered() {
        return delivered;
    }
}
