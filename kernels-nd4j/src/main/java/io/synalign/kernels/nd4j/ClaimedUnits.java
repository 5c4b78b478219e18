package io.synalign.kernels.nd4j;

import io.synalign.kernels.Cancellation;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * The units of one cancellable walk on the {@link PinnedWorkers} (the blocks of every
 * {@link PinnedWorkers#forEachBlock} walk, blocks of a tiled product, row tiles or blocks of a
 * kept kernel's build, panels of a gather), handed out as workers come free.
 * A worker asks for the calling thread's interrupt before it takes each unit, never inside one
 * (see {@link Cancellation}); once a worker has seen it, that worker takes no more, and the others
 * stop at their next ask. After the run, {@link #throwIfStopped} turns a stop into the
 * {@link java.util.concurrent.CancellationException}: some units never ran, so the result is
 * not to be used. One instance per walk.
 */
final class ClaimedUnits {

    private final int units;
    private final AtomicInteger next = new AtomicInteger();
    private volatile boolean stopped;

    /** @param units how many units the walk has, numbered from 0 */
    ClaimedUnits(int units) {
        this.units = units;
    }

    /**
     * The next unit for the calling worker, or -1 when none is left or the caller has been
     * interrupted.
     */
    int next(BooleanSupplier callerInterrupted) {
        if (callerInterrupted.getAsBoolean()) {
            stopped = true;
            return -1;
        }
        int unit = next.getAndIncrement();
        return unit < units ? unit : -1;
    }

    /**
     * Throws the cancellation for {@code work} when a worker stopped for an interrupt; the
     * caller's interrupt status is left as it is (set).
     */
    void throwIfStopped(String work) {
        if (stopped) {
            throw Cancellation.cancelled(work, null);
        }
    }
}
