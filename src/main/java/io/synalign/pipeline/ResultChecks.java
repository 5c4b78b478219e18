package io.synalign.pipeline;

import io.synalign.engine.exploration.SelectionResult;

/**
 * Sanity checks on what the engine returned, before anything is written: a broken result must
 * fail loudly (exit 1) instead of producing a plausible-looking file.
 */
public final class ResultChecks {

    /** Allowed deviation of the weight sum from 1 (float64 accumulation of n values). */
    public static final double SUM_TOLERANCE = 1e-6;

    private ResultChecks() {
    }

    /**
     * @throws IllegalStateException unless there are {@code n} finite non-negative weights
     *     summing to 1
     */
    public static void checkWeights(double[] weights, int n) {
        if (weights == null || weights.length != n) {
            throw new IllegalStateException("engine returned " + (weights == null ? "no"
                    : Integer.toString(weights.length)) + " weights for " + n + " synthetic rows");
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double w = weights[i];
            if (!(w >= 0) || Double.isInfinite(w)) {
                throw new IllegalStateException("engine returned weight " + w + " for row " + i);
            }
            sum += w;
        }
        if (Math.abs(sum - 1) > SUM_TOLERANCE) {
            throw new IllegalStateException("engine returned weights summing to " + sum + ", not 1");
        }
    }

    /**
     * @throws IllegalStateException unless there are {@code count} picks, each a row index, each
     *     with a variance and a group of row indices that starts with the pick
     */
    public static void checkSelection(SelectionResult result, int count, int rows) {
        int[] picks = result.picks();
        if (picks == null || picks.length != count) {
            throw new IllegalStateException("engine returned " + (picks == null ? "no"
                    : Integer.toString(picks.length)) + " picks, " + count + " were asked for");
        }
        if (result.groups() == null || result.groups().size() != count
                || result.pickVariances() == null || result.pickVariances().length != count) {
            throw new IllegalStateException("engine returned groups or variances that do not"
                    + " match its " + count + " picks");
        }
        for (int p = 0; p < count; p++) {
            int[] group = result.groups().get(p);
            if (group == null || group.length == 0 || group[0] != picks[p]) {
                throw new IllegalStateException("engine returned a group for pick " + p
                        + " that does not start with the picked row " + picks[p]);
            }
            for (int r : group) {
                if (r < 0 || r >= rows) {
                    throw new IllegalStateException("engine picked row " + r + " of " + rows);
                }
            }
        }
    }
}
