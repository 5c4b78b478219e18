package io.synalign.engine.labelled;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The held-out check's folds on random groups of awkward sizes (helper pit32): every real row in
 * exactly one fold, fold sizes {@code floor((f + 1) m / K) - floor(f m / K)}, each fold and its
 * complement increasing, the same seed giving the same folds and the documented shuffle
 * ({@link ReferenceFolds}); and the boundary of {@link RealFolds#whyNot}.
 */
class RealFoldsTest {

    @Test
    void randomGroupsArePartitionedReproduciblyAsDocumented() {
        Random rnd = new Random(20261207);
        int differentSeedsDiffer = 0;
        for (int trial = 0; trial < 300; trial++) {
            int m = 4 + rnd.nextInt(trial < 100 ? 20 : 300);
            int k = 2 + rnd.nextInt(m / 2 - 1); // 2 .. floor(m / 2)
            // A group's rows: an increasing subset of a larger set's indices.
            int[] rows = rnd.ints(0, 10 * m).distinct().limit(m).sorted().toArray();
            long seed = rnd.nextLong();
            String where = "m " + m + " K " + k + " seed " + seed;
            int[][] folds = RealFolds.split(rows, k, seed);
            assertEquals(k, folds.length, where);
            Set<Integer> seen = new HashSet<>();
            for (int f = 0; f < k; f++) {
                long size = (long) (f + 1) * m / k - (long) f * m / k;
                assertEquals(size, folds[f].length, where + " fold " + f);
                assertTrue(folds[f].length >= 2, where);
                for (int i = 0; i < folds[f].length; i++) {
                    assertTrue(Arrays.binarySearch(rows, folds[f][i]) >= 0, where + ": not a row");
                    assertTrue(seen.add(folds[f][i]), where + ": row in two folds");
                    assertTrue(i == 0 || folds[f][i - 1] < folds[f][i], where + ": increasing");
                }
                // The complement: the group's rows not held out, in order, by brute force.
                Set<Integer> held = new HashSet<>();
                Arrays.stream(folds[f]).forEach(held::add);
                int[] rest = Arrays.stream(rows).filter(r -> !held.contains(r)).toArray();
                assertArrayEquals(rest, RealFolds.complement(rows, folds[f]), where + " fold " + f);
            }
            assertEquals(m, seen.size(), where + ": every row in a fold");
            assertArrayEquals(ReferenceFolds.of(rows, k, seed), folds, where);
            assertArrayEquals(folds, RealFolds.split(rows.clone(), k, seed), where + ": reproducible");
            if (!Arrays.deepEquals(folds, RealFolds.split(rows, k, seed + 1))) {
                differentSeedsDiffer++;
            }
        }
        // Two seeds give the same folds only by chance (about 1 in C(m, m/K)... for small m).
        assertTrue(differentSeedsDiffer > 280, "different seeds differed " + differentSeedsDiffer);
    }

    /**
     * A shuffle that moves every row: the last position takes part (drawn from all m), the first
     * is swapped too. Counted over many seeds, each row lands in each fold about equally often
     * (a shuffle that never moved the last row, or the first, would keep it in its fold).
     */
    @Test
    void everyRowReachesEveryFold() {
        int m = 9;
        int k = 3;
        int[] rows = {0, 1, 2, 3, 4, 5, 6, 7, 8};
        int[][] counts = new int[m][k];
        int seeds = 3000;
        for (long seed = 0; seed < seeds; seed++) {
            int[][] folds = RealFolds.split(rows, k, seed);
            for (int f = 0; f < k; f++) {
                for (int r : folds[f]) {
                    counts[r][f]++;
                }
            }
        }
        for (int r = 0; r < m; r++) {
            for (int f = 0; f < k; f++) {
                // Binomial(3000, 1/3): mean 1000, sd 26; 6 sd either side.
                assertTrue(Math.abs(counts[r][f] - 1000) < 160,
                        "row " + r + " in fold " + f + " " + counts[r][f] + " times of " + seeds);
            }
        }
    }

    @Test
    void tooFewRowsAreRefusedAtTheBoundary() {
        for (int k = 2; k <= 7; k++) {
            assertNull(RealFolds.whyNot(2 * k, k));
            assertNull(RealFolds.whyNot(2 * k + 1, k));
            assertEquals((2 * k - 1) + " real rows, fewer than the " + 2 * k + " that " + k
                    + " folds of at least 2 need", RealFolds.whyNot(2 * k - 1, k));
            int kk = k;
            int[] rows = java.util.stream.IntStream.range(0, 2 * k - 1).toArray();
            assertEquals(RealFolds.whyNot(2 * k - 1, k), assertThrows(
                    IllegalArgumentException.class, () -> RealFolds.split(rows, kk, 1)).getMessage());
            assertEquals(k, RealFolds.split(java.util.stream.IntStream.range(0, 2 * k).toArray(),
                    k, 1).length);
        }
    }
}
