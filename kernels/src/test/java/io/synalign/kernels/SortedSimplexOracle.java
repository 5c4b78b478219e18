package io.synalign.kernels;

import java.util.Arrays;

/**
 * The capped-simplex threshold by the O(n log n) sort and breakpoint walk that the optimiser used
 * before the O(n) search: the oracle the O(n) projections are held to (within 1e-15). Sorting v
 * orders both breakpoint families ({@code v_i} and {@code v_i - c}), a descending merge walk finds
 * the segment where phi crosses 1, and tau is solved on it in closed form with the free values
 * summed afresh.
 */
final class SortedSimplexOracle {

    private SortedSimplexOracle() {
    }

    /** The projection of v onto the capped simplex of cap c ({@code +Infinity}: none). */
    static double[] project(double[] v, double cap) {
        int n = v.length;
        double c = cap >= 1 ? Double.POSITIVE_INFINITY : cap;
        double[] out = new double[n];
        if (cap * n <= 1 + 1e-12) {
            Arrays.fill(out, 1.0 / n);
            return out;
        }
        double tau = threshold(v, c);
        for (int i = 0; i < n; i++) {
            out[i] = Math.min(Math.max(v[i] - tau, 0.0), c);
        }
        return out;
    }

    static double threshold(double[] v, double cap) {
        int n = v.length;
        double[] sorted = v.clone();
        Arrays.sort(sorted);
        int entered = 0;
        int capped = 0;
        double freeSum = 0;
        while (true) {
            double nextEnter = entered < n ? sorted[n - 1 - entered] : Double.NEGATIVE_INFINITY;
            double nextCap = capped < entered ? sorted[n - 1 - capped] - cap
                    : Double.NEGATIVE_INFINITY;
            double t = Math.max(nextEnter, nextCap);
            int free = entered - capped;
            double capMass = capped == 0 ? 0 : cap * capped;
            if (free > 0 && (t == Double.NEGATIVE_INFINITY || freeSum - free * t + capMass >= 1)) {
                double exactFreeSum = 0;
                for (int k = n - entered; k < n - capped; k++) {
                    exactFreeSum += sorted[k];
                }
                return (exactFreeSum + capMass - 1) / free;
            }
            if (t == Double.NEGATIVE_INFINITY) {
                throw new IllegalStateException("no threshold");
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
