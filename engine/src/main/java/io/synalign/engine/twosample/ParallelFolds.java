package io.synalign.engine.twosample;

import io.synalign.kernels.CallerWait;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * Runs folds 0..k-1 on the calling thread and the common fork-join pool, each fold once, and
 * returns when all have ended; the folds, on whichever thread, read the caller's interrupt
 * through the {@link BooleanSupplier} each is given, to stop ({@link io.synalign.kernels.Cancellation}).
 *
 * <p>Why not a parallel stream: a thread outside the pool that waits in a fork-join join has its
 * interrupt status cleared for the wait (and set again after it), so a fold on a pool thread that
 * asks the caller's status during the wait reads false and runs on. Here the caller claims folds
 * like the pool's threads do, then waits for the folds still running in a {@link CallerWait}:
 * parked, not spinning, even once interrupted (it used to spin on {@code Thread.onSpinWait()}
 * until the folds in flight stopped, a core burnt for up to one L-BFGS iteration of a big fold),
 * and the folds see the interrupt from the moment it is made, also while the wait has the
 * caller's status cleared; the status is set again on return. As before, the caller and up to
 * the pool's parallelism of its threads share the folds, so the work is spread as a parallel
 * stream spread it; which thread runs a fold changes nothing in its result.
 */
final class ParallelFolds {

    /** One fold's work. */
    @FunctionalInterface
    interface Fold {
        /**
         * @param fold the fold's number
         * @param callerInterrupted whether the calling thread has been interrupted (a field read
         *     or two: ask it once per unit of the fold's work)
         */
        void run(int fold, BooleanSupplier callerInterrupted);
    }

    private ParallelFolds() {
    }

    /** {@link #run(int, Fold)} for folds that do not ask about the interrupt. */
    static void run(int k, IntConsumer fold) {
        run(k, (f, interrupted) -> fold.accept(f));
    }

    /**
     * Runs {@code fold.run(f, ...)} for every f in [0, k), in parallel; rethrows the first
     * exception a fold threw (the later ones suppressed in it), after every fold has ended.
     */
    static void run(int k, Fold fold) {
        AtomicInteger next = new AtomicInteger();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        // The folds are counted, not the pool's tasks: once every fold has ended the caller
        // returns, even where a task is still queued (the caller may be a pool thread itself).
        CallerWait wait = new CallerWait(Math.max(0, k));
        BooleanSupplier callerInterrupted = wait::callerInterrupted;
        Runnable claim = () -> {
            for (int f = next.getAndIncrement(); f < k; f = next.getAndIncrement()) {
                try {
                    fold.run(f, callerInterrupted);
                } catch (Throwable t) {
                    if (!failure.compareAndSet(null, t)) {
                        failure.get().addSuppressed(t); // kept, not lost
                    }
                } finally {
                    wait.partEnded();
                }
            }
        };
        int helpers = Math.min(k - 1, ForkJoinPool.getCommonPoolParallelism());
        for (int h = 0; h < helpers; h++) {
            ForkJoinPool.commonPool().execute(claim);
        }
        claim.run();
        wait.await();
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
