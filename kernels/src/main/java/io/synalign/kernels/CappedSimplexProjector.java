package io.synalign.kernels;

/**
 * Euclidean projection onto the capped simplex
 * {@code C = { w in R^n : 0 <= w_i <= c, sum_i w_i = 1 }}, run where the vectors live.
 *
 * <p>By the KKT conditions the projection of v is {@code w_i = clip(v_i - tau, 0, c)} for the
 * root tau of the piecewise-linear, non-increasing {@code phi(tau) = sum_i clip(v_i - tau, 0, c)}
 * at level 1 (Held, Wolfe &amp; Crowder, Math. Programming 1974; Wang &amp; Lu,
 * "Projection onto the capped simplex", arXiv:1503.01002, 2015). Every backend finds tau the same
 * way, in O(n) per round and without sorting ({@link io.synalign.kernels.host.CappedSimplexThreshold}
 * documents the rounds): a safeguarded Newton iteration on phi, started from the previous call's
 * threshold (successive optimiser iterates move little, so typically two or three rounds), each
 * round one pass that sums the free coordinates and counts the free and capped ones, the Newton
 * step being the closed form {@code tau = (sum_free v_i + c |capped| - 1) / |free|} of the segment
 * the current tau lies on, so the search ends, exactly, once a round finds its own segment. A
 * bracket [lo, hi] with {@code phi(lo) >= 1 >= phi(hi)} guards it: a Newton step that leaves the
 * bracket is replaced by bisection. On a device the rounds run as a fixed sequence of launches
 * that read tau from device memory and stop themselves; nothing is read back.
 *
 * <p>A cap {@code c >= 1} never binds and means no cap; when {@code c n = 1} the set is the
 * single point {@code 1/n}. Not thread-safe: it holds the warm start (and device scratch).
 */
public interface CappedSimplexProjector extends AutoCloseable {

    /** n. */
    long dimension();

    /** The cap c, or {@code +Infinity} for none. */
    double cap();

    /**
     * {@code out = P_C(v)}; {@code v} and {@code out} may be the same vector.
     *
     * @throws IllegalArgumentException when v holds NaN or an infinity (a host backend throws at
     *     once; a device backend reports it by its next {@link #threshold()} read and leaves out
     *     unspecified)
     */
    void project(DeviceVector v, DeviceVector out);

    /**
     * The threshold tau of the last projection (NaN before the first, or for the single-point
     * set). On a device this reads it back, so it is for tests and reports, not inner loops.
     */
    double threshold();

    /** Newton or bisection rounds the last projection took (reads back on a device). */
    int rounds();

    @Override
    void close();
}
