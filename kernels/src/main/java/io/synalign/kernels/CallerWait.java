package io.synalign.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A calling thread's wait for the parts of a piece of work it shares with helper threads,
 * through which the helpers read the caller's interrupt ({@link Cancellation}): made on the
 * caller, for a fixed number of parts (a fold, a worker's share), each of which calls
 * {@link #partEnded()} once, however it ends, on whichever thread ran it; the caller calls
 * {@link #await()}, which returns when all have. Count parts of the work, not tasks queued on a
 * pool: a caller that is itself one of the pool's threads must not wait for a queued task that
 * no free thread will run.
 *
 * <p>Why not a {@code CountDownLatch}, a {@code Future.get()} or a fork-join join: each of
 * those, once the caller is interrupted, either returns at once (so a caller that waits on
 * spins, burning a core until the helpers stop) or clears the status for the wait (the JDK's
 * {@code Thread.interrupted()} inside it), and a helper that asks the caller's status then
 * reads false and runs its work to the end. Here the wait parks; when the caller is interrupted
 * it first records the interrupt in a flag the helpers read ({@link #callerInterrupted()}), and
 * only then clears its status so that it can park without spinning; when every part has ended
 * it sets the status again. So the helpers see the interrupt from the moment it is made, with
 * no gap, the caller uses no CPU while it waits, and it returns with its status set if it was
 * interrupted before or during the wait.
 *
 * <p>Thread-safe; one use per instance.
 */
public final class CallerWait {

    private final Thread caller = Thread.currentThread();
    private final AtomicInteger running;
    /** Set by the caller before its wait clears its interrupt status; never unset. */
    private volatile boolean interruptedWhileWaiting;

    /**
     * @param parts how many times {@link #partEnded()} will be called, at least 0
     */
    public CallerWait(int parts) {
        if (parts < 0) {
            throw new IllegalArgumentException("parts " + parts + ": at least 0");
        }
        this.running = new AtomicInteger(parts);
    }

    /**
     * Whether the thread that made this wait has been interrupted: true from the moment it is,
     * on any thread, also while the caller waits with its status cleared. A field read or two,
     * for once per unit of work (see {@link Cancellation}).
     */
    public boolean callerInterrupted() {
        return interruptedWhileWaiting || caller.isInterrupted();
    }

    /** A part's end, ordinary or not: call once per part, in a {@code finally}. */
    public void partEnded() {
        if (running.decrementAndGet() == 0) {
            LockSupport.unpark(caller);
        }
    }

    /**
     * On the caller: returns when every part has ended, parked meanwhile (no CPU spent), not
     * interruptible (the parts may still be writing the caller's buffers). The interrupt
     * status is set on return when it was set on entry or an interrupt came during the wait.
     */
    public void await() {
        if (Thread.currentThread() != caller) {
            throw new IllegalStateException("await() is for the thread that made the wait");
        }
        boolean interrupted = false;
        while (running.get() > 0) {
            if (caller.isInterrupted()) {
                // The flag first: the helpers read it from here on, so clearing the status
                // (park returns at once while it is set) leaves them no moment of "false".
                interruptedWhileWaiting = true;
                Thread.interrupted();
                interrupted = true;
                continue; // a part may have ended meanwhile
            }
            LockSupport.park(this);
        }
        if (interrupted) {
            caller.interrupt();
        }
    }
}
