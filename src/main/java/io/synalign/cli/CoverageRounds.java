package io.synalign.cli;

import java.util.BitSet;
import java.util.List;

/**
 * Recovers, for each pick of a grouped selection, the coverage round it belongs to. The selector
 * covers each pick's group and resets coverage once every row is covered; a group therefore
 * starts a new round exactly when it touches a row already covered in the current round. Rounds
 * are numbered from 0. Cost O(total group size).
 */
final class CoverageRounds {

    private CoverageRounds() {
    }

    /**
     * @param groups per pick, the pick followed by the rows it covered
     * @param rows number of rows selected from
     * @return the 0-based round of each pick
     */
    static int[] assign(List<int[]> groups, int rows) {
        BitSet covered = new BitSet(rows);
        int[] rounds = new int[groups.size()];
        int round = 0;
        for (int p = 0; p < groups.size(); p++) {
            int[] group = groups.get(p);
            for (int r : group) {
                if (covered.get(r)) {
                    covered.clear();
                    round++;
                    break;
                }
            }
            for (int r : group) {
                covered.set(r);
            }
            rounds[p] = round;
        }
        return rounds;
    }
}
