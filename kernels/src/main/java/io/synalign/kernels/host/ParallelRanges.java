package io.synalign.kernels.host;

import java.util.stream.IntStream;

/**
 * Runs a bulk copy split into contiguous ranges on the common fork-join pool, for the host-side
 * copies that one thread cannot keep up with (an {@code .npy} read into a row chunk, a row
 * tile into a GPU staging buffer).
 *
 * <p>Two guarantees the callers rely on: every range has finished when {@link #run} returns or
 * throws (each range catches what it throws, an {@link Error} too, so no task is still writing
 * a buffer the caller reuses or frees), and the failure rethrown is that of the first failing
 * range in index order, as a sequential copy would report it.
 */
public final class ParallelRanges {

    /** A copy of items {@code [from, to)}. */
    @FunctionalInterface
    public interface Range {
        /** Copies items {@code [from, to)}; called once per range, maybe concurrently. */
        void copy(int from, int to);
    }

    private ParallelRanges() {
    }

    /**
     * Tasks for {@code work} units: at most {@code threads}, each of at least {@code minWork}
     * units (so small copies stay on the calling thread); 0 or 1 means in line.
     */
    public static int tasks(long work, int threads, long minWork) {
        if (work < 0 || threads < 1 || minWork < 1) {
            throw new IllegalArgumentException("work " + work + ", threads " + threads
                    + ", minWork " + minWork + ": need work >= 0, threads >= 1, minWork >= 1");
        }
        return (int) Math.min(threads, work / minWork);
    }

    /**
     * Items {@code [0, count)} in {@code tasks} contiguous ranges of near-equal size; on the
     * calling thread when {@code tasks < 2}. Nothing runs when {@code count == 0}.
     */
    public static void run(int count, int tasks, Range range) {
        if (count < 0) {
            throw new IllegalArgumentException("negative count " + count);
        }
        if (count == 0) {
            return;
        }
        if (tasks < 2) {
            range.copy(0, count);
            return;
        }
        int n = Math.min(tasks, count);
        Throwable[] failures = new Throwable[n];
        IntStream.range(0, n).parallel().forEach(t -> {
            try {
                range.copy((int) ((long) count * t / n), (int) ((long) count * (t + 1) / n));
            } catch (Throwable e) {
                failures[t] = e;
            }
        });
        for (Throwable e : failures) {
            if (e instanceof RuntimeException r) {
                throw r;
            }
            if (e instanceof Error r) {
                throw r;
            }
            if (e != null) {
                throw new IllegalStateException(e); // a checked exception thrown sneakily
            }
        }
    }
}
