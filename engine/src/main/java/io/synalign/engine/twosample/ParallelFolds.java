package io.synalign.engine.twosample;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.IntConsumer;

/**
 * Runs folds 0..k-1 on the calling thread and the common fork-join pool, each fold once, and
 * returns when all have ended, without ever clearing the caller's interrupt status, so that the
 * folds, on whichever thread, can read it to stop ({@link io.synalign.kernels.Cancellation}).
 *
 * <p>Why not a parallel stream: a thread outside the pool that waits in a fork-join join has its
 * interrupt status cleared for the wait (and set again after it), so a fold on a pool thread that
 * asks the caller's status during the wait reads false and runs on. Here the caller claims folds
 * like the pool's threads do, then waits by {@link LockSupport#park}, which returns on an
 * interrupt and leaves the status set. Once interrupted it spins until the folds in flight have
 * stopped (each within one unit of its work). As before, the caller and up to the pool's
 * parallelism of its threads share the folds, so the work is spread as a parallel stream spread
 * it; which thread runs a fold changes nothing in its result.
 */
final class ParallelFolds {

    private ParallelFolds() {
    }

    /**
     * Runs {@code fold.accept(f)} for every f in [0, k), in parallel; rethrows the first
     * exception a fold threw (the others suppressed in it), after every fold has ended.
     */
    static void run(int k, IntConsumer fold) {
        Thread caller = Thread.currentThread();
        AtomicInteger next = new AtomicInteger();
        AtomicInteger running = new AtomicInteger(k);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Runnable claim = () -> {
            for (int f = next.getAndIncrement(); f < k; f = next.getAndIncrement()) {
                try {
                    fold.accept(f);
                } catch (Throwable t) {
                    if (!failure.compareAndSet(null, t)) {
                        failure.get().addSuppressed(t); // kept, not lost
                    }
                } finally {
                    if (running.decrementAndGet() == 0) {
                        LockSupport.unpark(caller);
                    }
                }
            }
        };
        int helpers = Math.min(k - 1, ForkJoinPool.getCommonPoolParallelism());
        for (int h = 0; h < helpers; h++) {
            ForkJoinPool.commonPool().execute(claim);
        }
        claim.run();
        while (running.get() > 0) {
            if (caller.isInterrupted()) {
                Thread.onSpinWait(); // park would return at once; the folds stop within a unit
            } else {
                LockSupport.park(ParallelFolds.class);
            }
        }
        Throwable t = failure.get();
        if (t instanceof RuntimeException e) {
            throw e;
        }
        if (t instanceof Error e) {
            throw e;
        }
        if (t != null) { // a checked exception thrown past the compiler: not swallowed
            throw new IllegalStateException("a fold failed: " + t, t);
        }
    }
}
