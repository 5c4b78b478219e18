package io.synalign.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CoverageRoundsTest {

    @Test
    void handExample() {
        // 7 rows, groups of 3: the third group touches row 3, covered in round 0.
        List<int[]> groups = List.of(new int[] {3, 4, 1}, new int[] {0, 2, 6}, new int[] {5},
                new int[] {3, 4, 1}, new int[] {0});
        assertArrayEquals(new int[] {0, 0, 0, 1, 1}, CoverageRounds.assign(groups, 7));
    }

    @Test
    void singletonsWithoutRepeatsStayInRoundZero() {
        List<int[]> groups = List.of(new int[] {5}, new int[] {2}, new int[] {0});
        assertArrayEquals(new int[] {0, 0, 0}, CoverageRounds.assign(groups, 6));
    }

    /**
     * Simulates the documented selector (pick an uncovered row, cover it and up to G-1 further
     * uncovered rows, reset when all are covered) with random choices, recording the true round
     * of each pick, and checks that the rounds are recovered from the groups alone.
     */
    @Test
    void recoversTheRoundsOfRandomSimulatedSelections() {
        Random random = new Random(42);
        for (int trial = 0; trial < 200; trial++) {
            int rows = 1 + random.nextInt(30);
            int g = 1 + random.nextInt(6);
            int picks = 1 + random.nextInt(3 * rows);
            BitSet covered = new BitSet(rows);
            int round = 0;
            List<int[]> groups = new ArrayList<>();
            int[] truth = new int[picks];
            for (int p = 0; p < picks; p++) {
                if (covered.cardinality() == rows) {
                    covered.clear();
                    round++;
                }
                List<Integer> uncovered = new ArrayList<>();
                for (int r = covered.nextClearBit(0); r < rows; r = covered.nextClearBit(r + 1)) {
                    uncovered.add(r);
                }
                java.util.Collections.shuffle(uncovered, random);
                int size = Math.min(g, uncovered.size());
                int[] group = new int[size];
                for (int k = 0; k < size; k++) {
                    group[k] = uncovered.get(k);
                    covered.set(group[k]);
                }
                groups.add(group);
                truth[p] = round;
            }
            assertArrayEquals(truth, CoverageRounds.assign(groups, rows), "trial " + trial);
        }
    }
}
