package io.synalign.engine.exploration;

import java.util.List;

/**
 * What the GP exploration-aware selector picked.
 *
 * @param picks row indices in pick order (0-based)
 * @param groups for each pick, the pick followed by the neighbours it covered (G rows, fewer
 *     when fewer uncovered rows remained)
 * @param pickVariances the posterior variance of each pick at the moment it was picked
 * @param lengthScale the l used (resolved when the config said auto)
 * @param rounds how many times coverage was reset because every row was covered
 * @param backend the kernel backend's name
 * @param seconds wall time of {@code select}
 */
public record SelectionResult(int[] picks, List<int[]> groups, double[] pickVariances,
        double lengthScale, int rounds, String backend, double seconds) {
}
