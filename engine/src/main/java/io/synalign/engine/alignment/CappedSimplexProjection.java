package io.synalign.engine.alignment;

import java.util.Arrays;

/**
 * Exact Euclidean projection onto the capped simplex
 * {@code C = { w in R^n : 0 <= w_i <= c, sum_i w_i = 1 }}.
 *
 * <p>Algorithm. By the KKT conditions of {@code min ||w - v||^2 / 2} over C, the projection is
 * {@code w_i = clip(v_i - tau, 0, c)} for the unique-up-to-flat-parts root tau of the piecewise
 * linear, non-increasing function {@code phi(tau) = sum_i clip(v_i - tau, 0, c)} at level 1
 * (Held, Wolfe &amp; Crowder, "Validation of subgradient optimization", Math. Programming 1974;
 * for the capped case see Wang &amp; Lu, "Projection onto the capped simplex", arXiv:1503.01002,
 * 2015). The breakpoints of phi are {@code v_i} (coordinate i leaves 0) and {@code v_i - c}
 * (coordinate i reaches the cap). Sorting v once orders both families (the second is the first
 * shifted by c), so a single descending merge walk over the 2n breakpoints finds the segment on
 * which phi crosses 1; on it the free set F and capped set U are fixed and
 * {@code tau = (sum_{i in F} v_i + c |U| - 1) / |F|} is solved in closed form. Cost O(n log n)
 * for the sort plus O(n) for the walk; no allocation per call (the sort buffer is kept).
 *
 * <p>A cap {@code c >= 1} can never bind on the simplex and is treated as absent. When
 * {@code c * n = 1} the set is the single point {@code w = 1/n}, returned directly.
 *
 * <p>Instances hold a scratch buffer and are not thread-safe.
 */
public final class CappedSimplexProjection {

    private final int n;
    private final double cap;
    private final boolean singlePoint;
    private final double[] sorted;

    /**
     * @param n dimension, {@code >= 1}
     * @param cap upper bound c on every coordinate; {@code c * n >= 1} (else C is empty), and
     *     {@code c >= 1} means no cap
     * @throws IllegalArgumentException when n or c make the set empty
     */
    public CappedSimplexProjection(int n, double cap) {
        if (n < 1) {
            throw new IllegalArgumentException("dimension must be >= 1, got " + n);
        }
        if (!(cap > 0) || cap * n < 1 - 1e-12) {
            throw new IllegalArgumentException("cap " + cap + " times dimension " + n
                    + " is below 1: the capped simplex is empty");
        }
        this.n = n;
        this.cap = cap >= 1 ? Double.POSITIVE_INFINITY : cap;
        this.singlePoint = cap * n <= 1 + 1e-12;
        this.sorted = new double[n];
    }

    /** The dimension n. */
    public int dimension() {
        return n;
    }

    /** The cap c, or {@code +Infinity} when there is none. */
    public double cap() {
        return cap;
    }

    /** Whether the set is the single point {@code 1/n} (the cap is exactly {@code 1/n}). */
    public boolean isSinglePoint() {
        return singlePoint;
    }

    /**
     * Writes the projection of {@code v} into {@code out}; {@code v} and {@code out} may be the
     * same array.
     *
     * @return the threshold tau, so that {@code out_i = clip(v_i - tau, 0, c)}
     */
    public double project(double[] v, double[] out) {
        if (v.length != n || out.length != n) {
            throw new IllegalArgumentException("projection of dimension " + n + " got vectors of "
                    + v.length + " and " + out.length);
        }
        if (singlePoint) {
            Arrays.fill(out, 1.0 / n);
            return Double.NaN;
        }
        double tau = threshold(v);
        for (int i = 0; i < n; i++) {
            out[i] = Math.min(Math.max(v[i] - tau, 0.0), cap);
        }
        return tau;
    }

    /** The root tau of {@code phi(tau) = 1}, by the merge walk described in the class javadoc. */
    double threshold(double[] v) {
        System.arraycopy(v, 0, sorted, 0, n);
        Arrays.sort(sorted);
        // Arrays.sort puts NaN last and -Infinity first: one look at each end finds them.
        if (!Double.isFinite(sorted[0]) || !Double.isFinite(sorted[n - 1])) {
            throw new IllegalArgumentException("cannot project a vector containing "
                    + (Double.isFinite(sorted[0]) ? sorted[n - 1] : sorted[0]));
        }
        // Walking tau downwards: the top `entered` sorted values exceed tau (left the lower
        // bound), the top `capped` of them exceed tau + c (sit at the cap); free = the rest.
        int entered = 0;
        int capped = 0;
        double freeSum = 0;
        while (true) {
            double nextEnter = entered < n ? sorted[n - 1 - entered] : Double.NEGATIVE_INFINITY;
            double nextCap = capped < entered ? sorted[n - 1 - capped] - cap
                    : Double.NEGATIVE_INFINITY;
            double t = Math.max(nextEnter, nextCap);
            int free = entered - capped;
            // phi on the current segment (which ends at t) is freeSum - free * tau + c * capped;
            // if it already reaches 1 at t, the root lies on this segment.
            double capMass = capped == 0 ? 0 : cap * capped;
            if (free > 0 && (t == Double.NEGATIVE_INFINITY || freeSum - free * t + capMass >= 1)) {
                // Re-sum the free values directly: the running sum has seen up to 2n updates.
                double exactFreeSum = 0;
                for (int k = n - entered; k < n - capped; k++) {
                    exactFreeSum += sorted[k];
                }
                return (exactFreeSum + capMass - 1) / free;
            }
            if (t == Double.NEGATIVE_INFINITY) {
                // Unreachable when c * n > 1: phi reaches c * n > 1 below the last breakpoint.
                throw new IllegalStateException("no threshold found for the capped simplex");
            }
            if (nextEnter >= nextCap) {
                freeSum += sorted[n - 1 - entered];
                entered++;
            } else {
                freeSum -= sorted[n - 1 - capped];
                capped++;
            }
        }
    }
}
