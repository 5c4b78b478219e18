package io.synalign.engine.labelled;

/**
 * One fold of a held-out check: weights fitted without its real rows, scored on them.
 *
 * @param nHeldOut the real rows held out (scored, not fitted to)
 * @param nFitted the real rows the fold's weights were fitted to
 * @param bandwidth the sigma of the fold's fit (resolved on its fitting rows when auto), which
 *     both MMD^2 values use
 * @param mmd2Uniform the MMD^2 of the uniformly weighted synthetic rows (all their pairs,
 *     self-pairs included) to the distribution of the held-out rows (their distinct pairs
 *     only: {@code WeightedMmd.valuesAgainstPopulation}); can be a little below 0
 * @param mmd2Weighted the same with the fold's fitted weights
 */
public record HeldOutFold(int nHeldOut, int nFitted, double bandwidth, double mmd2Uniform,
        double mmd2Weighted) {
}
