package io.synalign.engine.alignment;

import io.synalign.kernels.CappedSimplexProjector;
import io.synalign.kernels.VectorOps;
import io.synalign.kernels.host.HostCappedSimplexProjector;

/**
 * The capped simplex {@code C = { w in R^n : 0 <= w_i <= c, sum_i w_i = 1 }}, the feasible set
 * of the MMD weights, and the Euclidean projection onto it.
 *
 * <p>The projection is {@code w_i = clip(v_i - tau, 0, c)} for the root tau of
 * {@code phi(tau) = sum_i clip(v_i - tau, 0, c) = 1}, found in O(n) per round by a warm-started,
 * bracketed Newton search over the segments of the piecewise-linear phi, with no sort
 * ({@link io.synalign.kernels.host.CappedSimplexThreshold} states the rounds; every backend runs
 * the same rounds, see {@link CappedSimplexProjector}). The optimiser projects on its backend
 * through {@link #on(VectorOps)}; {@link #project(double[], double[])} projects arrays here.
 *
 * <p>A cap {@code c >= 1} can never bind on the simplex and is treated as absent. When
 * {@code c * n = 1} the set is the single point {@code w = 1/n}, returned directly. Instances
 * keep the last threshold as the next call's warm start and are not thread-safe.
 */
final class CappedSimplexProjection {

    private final int n;
    private final double requestedCap;
    private final HostCappedSimplexProjector host;

    /**
     * @param n dimension, {@code >= 1}
     * @param cap upper bound c on every coordinate; {@code c * n >= 1} (else C is empty), and
     *     {@code c >= 1} means no cap
     * @throws IllegalArgumentException when n or c make the set empty
     */
    public CappedSimplexProjection(int n, double cap) {
        this.host = new HostCappedSimplexProjector(n, cap);
        this.n = n;
        this.requestedCap = cap;
    }

    /** The dimension n. */
    public int dimension() {
        return n;
    }

    /** The cap c, or {@code +Infinity} when there is none. */
    public double cap() {
        return host.cap();
    }

    /** Whether the set is the single point {@code 1/n} (the cap is exactly {@code 1/n}). */
    public boolean isSinglePoint() {
        return requestedCap * n <= 1 + 1e-12;
    }

    /** A projector onto this set that runs on the backend of {@code vectors}. */
    public CappedSimplexProjector on(VectorOps vectors) {
        return vectors.cappedSimplex(n, requestedCap);
    }

    /**
     * Writes the projection of {@code v} into {@code out}; {@code v} and {@code out} may be the
     * same array.
     *
     * @return the threshold tau, so that {@code out_i = clip(v_i - tau, 0, c)} (NaN for the
     *     single-point set)
     * @throws IllegalArgumentException when v holds NaN or an infinity, or a length is not n
     */
    public double project(double[] v, double[] out) {
        host.project(v, out);
        return host.threshold();
    }
}
